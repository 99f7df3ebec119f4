/// <reference types="node" />
/**
 * Node.js file helpers for safetensors, published as the separate entry `typegrad/node` so that
 * the package root stays free of Node-only APIs and runs in browsers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Tensor } from '../autograd/tensor.js';
import { readSafetensors, saveSafetensors, type SafetensorsContents } from './safetensors.js';

export { saveSafetensors, loadSafetensors, readSafetensors, type SafetensorsContents } from './safetensors.js';

/**
 * Writes a state dict (and optional string metadata) to `path` as a safetensors file.
 * @example saveSafetensorsFile('model.safetensors', model.stateDict(), { format: 'pt' });
 */
export function saveSafetensorsFile(path: string, stateDict: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileSync(path, saveSafetensors(stateDict, metadata));
}

/**
 * Reads the safetensors file at `path` into float32 tensors keyed by name.
 * @example model.loadStateDict(loadSafetensorsFile('model.safetensors'));
 */
export function loadSafetensorsFile(path: string): Record<string, Tensor> {
  return readSafetensorsFile(path).tensors;
}

/**
 * Reads the safetensors file at `path` into tensors and its `__metadata__` strings.
 * @example const { tensors, metadata } = readSafetensorsFile('model.safetensors');
 */
export function readSafetensorsFile(path: string): SafetensorsContents {
  return readSafetensors(readFileSync(path));
}
