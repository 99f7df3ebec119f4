/**
 * The `nn` namespace: every layer class, as `nn.BatchNorm2d`, `nn.Linear`, ...
 */
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
