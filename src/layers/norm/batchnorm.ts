/**
 * BatchNorm1d/2d/3d: statistics per channel over the batch and spatial axes (reduce {N, *}).
 * Training uses batch statistics and updates the running ones; evaluation uses the running ones,
 * or batch statistics when `trackRunningStats` is false. See `functional.batchNorm`.
 */
import type { Tensor } from '../../autograd/tensor.js';
import { batchNormAs, type InputContract } from '../functional/norm.js';
import { NormBase, type NormBaseOptions } from './normBase.js';

const BATCH_NORM_DEFAULTS = { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true };

abstract class BatchNorm extends NormBase {
  /** The input ranks this variant accepts. */
  protected abstract readonly ranks: readonly number[];
  /** The accepted input shapes, for error messages. */
  protected abstract readonly shapeText: string;

  constructor(numFeatures: number, opts: NormBaseOptions = {}) {
    super(numFeatures, opts, BATCH_NORM_DEFAULTS);
  }

  /**
   * Normalizes x of shape (N, C, *) per channel:
   * `y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]`, with batch statistics in
   * training (updating the running ones) and the running statistics in evaluation
   * (`functional.batchNorm`, which checks x against this layer's ranks and numFeatures).
   * @example
   * const y = bn.forward(x);
   */
  forward(x: Tensor): Tensor {
    const input: InputContract = {
      ranks: this.ranks,
      shapeText: this.shapeText,
      channels: this.numFeatures,
      channelsArg: 'numFeatures',
    };
    // This batch's number when counted (training with running statistics): torch's num_batches_tracked.
    const counted = this.training && this.numBatchesTracked !== null;
    const count = counted ? this.numBatchesTracked!.data[0]! + 1 : 0;
    // torch's exponential_average_factor: momentum, or 1 / numBatchesTracked for momentum null.
    const factor = this.momentum ?? (counted ? 1 / count : 0);
    // Batch statistics in training, and in evaluation when no running statistics are kept.
    const useBatchStats = this.training || (this.runningMean === null && this.runningVar === null);
    // Running statistics are updated only in training (and read in evaluation).
    const track = !this.training || this.trackRunningStats;
    const opts = { weight: this.weight, bias: this.bias, training: useBatchStats, momentum: factor, eps: this.eps };
    const [mean, variance] = track ? [this.runningMean, this.runningVar] : [null, null];
    const y = batchNormAs(this.constructor.name, x, mean, variance, opts, input);
    // Counted once the call has succeeded: a forward that throws leaves the module as it was.
    if (counted) this.numBatchesTracked!.data[0] = count;
    return y;
  }
}

/**
 * Batch normalization of (N, C) or (N, C, L) input, like torch.nn.BatchNorm1d: statistics per
 * channel over N (and L), `y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]`.
 * @example
 * const bn = new nn.BatchNorm1d(100, { momentum: null });   // cumulative moving average
 * const y = bn.forward(randn([32, 100]));                    // training: batch statistics
 * bn.eval();                                                 // now the running statistics
 */
export class BatchNorm1d extends BatchNorm {
  /** @inheritDoc */
  protected readonly ranks = [2, 3];
  /** @inheritDoc */
  protected readonly shapeText = '(N, C) or (N, C, L)';
}

/**
 * Batch normalization of (N, C, H, W) input, like torch.nn.BatchNorm2d: statistics per channel
 * over N, H and W, `y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]`.
 * @example
 * const bn = new nn.BatchNorm2d(64);
 * const y = bn.forward(randn([8, 64, 32, 32]));
 * bn.stateDict(); // weight, bias, running_mean, running_var, num_batches_tracked
 */
export class BatchNorm2d extends BatchNorm {
  /** @inheritDoc */
  protected readonly ranks = [4];
  /** @inheritDoc */
  protected readonly shapeText = '(N, C, H, W)';
}

/**
 * Batch normalization of (N, C, D, H, W) input, like torch.nn.BatchNorm3d: statistics per channel
 * over N, D, H and W, `y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]`.
 * @example
 * const y = new nn.BatchNorm3d(4).forward(randn([2, 4, 3, 8, 8]));
 */
export class BatchNorm3d extends BatchNorm {
  /** @inheritDoc */
  protected readonly ranks = [5];
  /** @inheritDoc */
  protected readonly shapeText = '(N, C, D, H, W)';
}
