/**
 * typegrad: Float32Array tensors, reverse-mode autograd, and PyTorch-exact normalization layers.
 * Every public name is exported from here.
 */
export { Tensor, type GradFn, type BackwardOptions } from './autograd/tensor.js';
export { PlacedGrad } from './autograd/placedGrad.js';
export type { GraphNode, Storage, ViewSpec } from './autograd/tensor.js';
export type { RemovableHandle, TensorHook } from './autograd/hooks.js';
export type { ForwardHook, ForwardPreHook, FullBackwardHook } from './layers/hooks.js';
export {
  tensor,
  zeros,
  ones,
  full,
  arange,
  rand,
  randn,
  type CreateOptions,
  type RandomOptions,
  type TensorValues,
} from './autograd/creation.js';
export { zerosLike, onesLike, fullLike } from './autograd/creation.js';
export { where } from './autograd/ops/compare.js';
export { noGrad, isGradEnabled } from './autograd/gradMode.js';
export { gradcheck, type GradcheckOptions } from './autograd/gradcheck.js';
export { manualSeed, Generator } from './tensor/random.js';
export type { DType, FloatArray, TensorData } from './tensor/dtype.js';
export type { VarOptions } from './autograd/ops/reduce.js';
export type { NestedArray } from './tensor/format.js';
export { setBackend, getBackend } from './kernels/registry.js';
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from './layers/module.js';
export * as nn from './layers/nn.js';
export * as functional from './layers/functional/index.js';
export { saveSafetensors, loadSafetensors, readSafetensors, type SafetensorsContents } from './io/safetensors.js';
export * as optim from './optim/index.js';
export { DataLoader, type DataLoaderOptions } from './data/loader.js';
export { minimum, maximum } from './autograd/ops/unaryMath.js';
export { bernoulli, type SampleOptions } from './autograd/creation.js';
export type { FillOptions } from './autograd/ops/randomFill.js';
export { randint, randperm, multinomial, type RandintOptions, type MultinomialOptions } from './autograd/creation.js';
export type { ValuesIndices, TopkOptions, SortOptions } from './autograd/ops/sortSelect.js';
export { cat, stack } from './autograd/ops/join.js';
export { oneHot, type IndexAddOptions } from './autograd/ops/indexing.js';
export type { IndexEntry, Slice } from './autograd/ops/at.js';
export { exportOnnx, type ExportOnnxOptions } from './onnx/export.js';
