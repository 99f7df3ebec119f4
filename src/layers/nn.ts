/**
 * The `nn` namespace: every layer class, as `nn.BatchNorm2d`, `nn.Linear`, ...
 */
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d } from './norm/batchnorm.js';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from './norm/instancenorm.js';
export { GroupNorm, type GroupNormModuleOptions } from './norm/groupnorm.js';
export { LayerNorm, RMSNorm, type LayerNormModuleOptions, type RMSNormModuleOptions } from './norm/layernorm.js';
export type { NormBaseOptions } from './norm/normBase.js';
export { Linear, type LinearOptions } from './linear.js';
export { Conv2d, type Conv2dModuleOptions } from './conv.js';
export { Conv1d, type Conv1dModuleOptions } from './conv1d.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling.js';
export { ReLU, GELU, Tanh, Sigmoid, Softmax, LogSoftmax, type GELUOptions } from './activation.js';
export { LeakyReLU, SiLU, ELU, Softplus } from './activation.js';
export { Dropout, type DropoutModuleOptions } from './dropout.js';
export { Sequential, ModuleList, ModuleDict, Identity, Flatten } from './container.js';
export { Parameter, isParameter, type ParameterConstructor } from './parameter.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, BCEWithLogitsLoss } from './loss.js';
export { L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, BCELoss } from './loss.js';
export * as init from './init.js';
export * as utils from './utils.js';
export { Embedding, type EmbeddingModuleOptions, type FromPretrainedOptions } from './embedding.js';
export {
  MultiheadAttention,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOutput,
} from './multiheadAttention.js';
