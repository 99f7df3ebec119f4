/**
 * InstanceNorm1d/2d/3d: statistics per (sample, channel) over the spatial axes (reduce {*}).
 * Defaults differ from BatchNorm, like torch: `affine: false, trackRunningStats: false`.
 * Unbatched input (C, *) is accepted and treated as a batch of one.
 */
import type { Tensor } from '../../autograd/tensor.js';
import { instanceNormAs } from '../functional/norm.js';
import { NormBase, type NormBaseOptions } from './normBase.js';

const INSTANCE_NORM_DEFAULTS = { eps: 1e-5, momentum: 0.1, affine: false, trackRunningStats: false };

abstract class InstanceNorm extends NormBase {
  /** Rank of batched input: 3, 4 or 5. */
  protected abstract readonly batchedRank: number;
  /** The accepted input shapes, for error messages. */
  protected abstract readonly shapeText: string;

  constructor(numFeatures: number, opts: NormBaseOptions = {}) {
    super(numFeatures, opts, INSTANCE_NORM_DEFAULTS);
  }

  /**
   * Normalizes each (n, c) slice of (N, C, *) (or (C, *) unbatched) by its own statistics; in
   * evaluation with tracked running statistics, by those (`functional.instanceNorm`, which checks x
   * against this layer's ranks and numFeatures).
   * Note (torch parity): unlike BatchNorm, InstanceNorm with `momentum: null` passes momentum 0,
   * so its running statistics stay at their initial values, exactly as torch.nn.InstanceNorm does.
   * @example
   * const y = new nn.InstanceNorm2d(3).forward(randn([2, 3, 8, 8]));
   */
  forward(x: Tensor): Tensor {
    const input = {
      ranks: [this.batchedRank - 1, this.batchedRank],
      shapeText: this.shapeText,
      channels: this.numFeatures,
      channelsArg: 'numFeatures',
      unbatched: true,
    } as const;
    const opts = {
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum ?? 0,
      eps: this.eps,
    };
    return instanceNormAs(this.constructor.name, x, opts, input);
  }
}

/**
 * Instance normalization of (N, C, L) or (C, L) input, like torch.nn.InstanceNorm1d: statistics per
 * (n, c) over L, `y = (x - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]`.
 * @example
 * const y = new nn.InstanceNorm1d(4, { affine: true }).forward(randn([2, 4, 50]));
 */
export class InstanceNorm1d extends InstanceNorm {
  /** @inheritDoc */
  protected readonly batchedRank = 3;
  /** @inheritDoc */
  protected readonly shapeText = '(N, C, L) or (C, L)';
}

/**
 * Instance normalization of (N, C, H, W) or (C, H, W) input, like torch.nn.InstanceNorm2d:
 * statistics per (n, c) over H and W, `y = (x - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]`.
 * @example
 * const norm = new nn.InstanceNorm2d(64, { affine: true, trackRunningStats: true });
 * const y = norm.forward(randn([4, 64, 16, 16]));
 */
export class InstanceNorm2d extends InstanceNorm {
  /** @inheritDoc */
  protected readonly batchedRank = 4;
  /** @inheritDoc */
  protected readonly shapeText = '(N, C, H, W) or (C, H, W)';
}

/**
 * Instance normalization of (N, C, D, H, W) or (C, D, H, W) input, like torch.nn.InstanceNorm3d:
 * statistics per (n, c) over D, H and W, `y = (x - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]`.
 * @example
 * const y = new nn.InstanceNorm3d(2).forward(randn([1, 2, 4, 4, 4]));
 */
export class InstanceNorm3d extends InstanceNorm {
  /** @inheritDoc */
  protected readonly batchedRank = 5;
  /** @inheritDoc */
  protected readonly shapeText = '(N, C, D, H, W) or (C, D, H, W)';
}
