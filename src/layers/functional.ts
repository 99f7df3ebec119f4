/**
 * The `functional` namespace: stateless forms of the layers and the losses.
 */
export {
  batchNorm,
  instanceNorm,
  groupNorm,
  layerNorm,
  rmsNorm,
  type BatchNormOptions,
  type InstanceNormOptions,
  type GroupNormOptions,
  type LayerNormOptions,
  type RMSNormOptions,
} from './norm/functional.js';
export { linear } from './linear.js';
export { conv2d, type Conv2dOptions, type IntPair } from '../autograd/ops/conv.js';
export {
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
} from '../autograd/ops/pool.js';
export { dropout, type DropoutOptions } from '../autograd/ops/dropout.js';
export { softmax, logSoftmax } from '../autograd/ops/softmax.js';
export {
  crossEntropy,
  nllLoss,
  mseLoss,
  binaryCrossEntropyWithLogits,
  type Reduction,
  type ClassTargets,
  type CrossEntropyOptions,
  type NllLossOptions,
  type MseLossOptions,
  type BceWithLogitsOptions,
} from '../autograd/ops/loss.js';
export { conv1d, type Conv1dOptions } from './conv1d.js';
export { leakyRelu, silu, elu, softplus } from '../autograd/ops/activation.js';
export {
  l1Loss,
  smoothL1Loss,
  huberLoss,
  klDiv,
  binaryCrossEntropy,
  type L1LossOptions,
  type SmoothL1LossOptions,
  type HuberLossOptions,
  type KLDivOptions,
  type KLDivReduction,
  type BCELossOptions,
} from '../autograd/ops/lossMore.js';
export { embedding, type EmbeddingOptions } from '../autograd/ops/embedding.js';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './attention.js';
