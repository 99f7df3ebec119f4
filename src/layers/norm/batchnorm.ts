/**
 * BatchNorm1d/2d/3d: statistics per channel over the batch and spatial axes (reduce {N, *}).
 * Training uses batch statistics and updates the running ones; evaluation uses the running ones,
 * or batch statistics when `trackRunningStats` is false. See `functional.batchNorm`.
 */
import type { Tensor } from '../../autograd/tensor.js';
import { batchNorm } from './functional.js';
import { NormBase, type NormBaseOptions } from './normBase.js';

const BATCH_NORM_DEFAULTS = { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true };

abstract class BatchNorm extends NormBase {
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly shapeText: string;

  constructor(numFeatures: number, opts: NormBaseOptions = {}) {
    super(numFeatures, opts, BATCH_NORM_DEFAULTS);
  }

  /** Normalizes x of shape (N, C, *) per channel. */
  forward(x: Tensor): Tensor {
    this.checkInput(x, this.ranks, 1, this.shapeText);
    // torch's exponential_average_factor: momentum, or 1 / numBatchesTracked for momentum null.
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== null) {
      this.numBatchesTracked.data[0]! += 1;
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.data[0]!;
    }
    // Batch statistics in training, and in evaluation when no running statistics are kept.
    const useBatchStats = this.training || (this.runningMean === null && this.runningVar === null);
    // Running statistics are updated only in training (and read in evaluation).
    const track = !this.training || this.trackRunningStats;
    return batchNorm(x, track ? this.runningMean : null, track ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }
}

/** Batch normalization of (N, C) or (N, C, L) input, like torch.nn.BatchNorm1d. */
export class BatchNorm1d extends BatchNorm {
  protected readonly ranks = [2, 3];
  protected readonly shapeText = '(N, C) or (N, C, L)';
}

/** Batch normalization of (N, C, H, W) input, like torch.nn.BatchNorm2d. */
export class BatchNorm2d extends BatchNorm {
  protected readonly ranks = [4];
  protected readonly shapeText = '(N, C, H, W)';
}

/** Batch normalization of (N, C, D, H, W) input, like torch.nn.BatchNorm3d. */
export class BatchNorm3d extends BatchNorm {
  protected readonly ranks = [5];
  protected readonly shapeText = '(N, C, D, H, W)';
}
