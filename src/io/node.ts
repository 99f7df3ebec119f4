/// <reference types="node" />
/**
 * Node.js file helpers for safetensors and ONNX, published as the separate entry `typegrad/node` so that
 * the package root stays free of Node-only APIs and runs in browsers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Tensor } from '../autograd/tensor.js';
import { readSafetensors, saveSafetensors, type SafetensorsContents } from './safetensors.js';
import type { Module } from '../layers/module.js';
import { exportOnnx, type ExportOnnxOptions } from '../onnx/export.js';

export { saveSafetensors, loadSafetensors, readSafetensors, type SafetensorsContents } from './safetensors.js';

/**
 * Writes a state dict (and optional string metadata) to `path` as a safetensors file.
 * @example saveSafetensorsFile('model.safetensors', model.stateDict(), { format: 'pt' });
 */
export function saveSafetensorsFile(
  path: string,
  stateDict: Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  checkPath(path, 'saveSafetensorsFile');
  const bytes = saveSafetensors(stateDict, metadata);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new Error(`saveSafetensorsFile: cannot write ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
  }
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
  checkPath(path, 'loadSafetensorsFile');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    // Node's EISDIR (and a few others) name no path; the message always does.
    throw new Error(`loadSafetensorsFile: cannot read ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return readSafetensors(bytes);
  } catch (e) {
    throw new Error(`${(e as Error).message} (file ${JSON.stringify(path)})`, { cause: e });
  }
}

/**
 * Exports `model` with `exportOnnx` (traced on `exampleInputs`, in eval mode) and writes the ONNX
 * model to `path`.
 * @example
 * saveOnnxFile('cnn.onnx', model, [randn([1, 1, 28, 28])], { dynamicAxes: { input: { 0: 'batch' } } });
 */
export function saveOnnxFile(
  path: string,
  model: Module,
  exampleInputs: readonly Tensor[],
  opts?: ExportOnnxOptions,
): void {
  checkPath(path, 'saveOnnxFile');
  const bytes = exportOnnx(model, exampleInputs, opts);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new Error(`saveOnnxFile: cannot write ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
  }
}

function checkPath(path: unknown, where: string): void {
  if (typeof path !== 'string' || path === '') {
    const given = typeof path === 'string' ? 'an empty string' : path === null ? 'null' : typeof path;
    throw new Error(`${where}: path must be a non-empty string, got ${given}`);
  }
}
