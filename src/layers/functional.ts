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
