/**
 * The `nn` namespace: every layer class, as `nn.BatchNorm2d`, `nn.Linear`, ...
 */
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d } from './norm/batchnorm.js';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from './norm/instancenorm.js';
export { GroupNorm, type GroupNormModuleOptions } from './norm/groupnorm.js';
export { LayerNorm, RMSNorm, type LayerNormModuleOptions, type RMSNormModuleOptions } from './norm/layernorm.js';
export type { NormBaseOptions } from './norm/normBase.js';
