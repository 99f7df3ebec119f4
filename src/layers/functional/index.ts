/**
 * The `functional` namespace (`functional`, often imported as `F`): stateless forms of the layers
 * and the losses, torch.nn.functional's. A module's forward calls one of these.
 *
 * Each form checks its arguments once, at this public boundary, and a module never re-checks its
 * input: it checks its constructor arguments, then passes its state to the form's `...As` twin
 * with its own name, so that an error names what the user called (`LayerNorm: ...` from
 * `nn.LayerNorm`, `layerNorm: ...` from here). Two kinds live behind this index:
 *   - compositions of ops, in this folder: norm.ts (the five norms on one normalization op),
 *     linear.ts, conv.ts (conv2d, conv1d), attention.ts (scaled dot-product attention), activation.ts
 *     (relu, gelu, tanh, sigmoid);
 *   - forms that are a single op with its own backward, in src/autograd/ops/ (pooling, dropout,
 *     softmax, leakyRelu/silu/elu/softplus, losses, embedding): the op checks its arguments itself,
 *     and its `...As` twin takes the module's name the same way (`MaxPool2d: ...` from nn.MaxPool2d,
 *     `maxPool2d: ...` from here; the pools' modules check their window once, when built).
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
} from './norm.js';
export { linear } from './linear.js';
export { conv2d, conv1d, type Conv2dOptions, type Conv1dOptions, type IntPair } from './conv.js';
export {
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
} from '../../autograd/ops/pool.js';
export { dropout, type DropoutOptions } from '../../autograd/ops/dropout.js';
export { softmax, logSoftmax } from '../../autograd/ops/softmax.js';
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
} from '../../autograd/ops/loss.js';
export { leakyRelu, silu, elu, softplus } from '../../autograd/ops/activation.js';
export { relu, gelu, tanh, sigmoid, type GeluOptions } from './activation.js';
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
} from '../../autograd/ops/lossMore.js';
export { embedding, type EmbeddingOptions } from '../../autograd/ops/embedding.js';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './attention.js';
