/**
 * What BatchNorm and InstanceNorm share (torch's `_NormBase`): per-channel affine parameters and
 * the running statistics buffers.
 */
import { full, ones, zeros } from '../../autograd/creation.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkBoolean, checkOptions, describeValue } from '../../tensor/check.js';
import { checkSize } from '../../tensor/shape.js';
import { Module } from '../module.js';
import { checkEps, checkMomentum } from '../functional/norm.js';

/**
 * Options of the BatchNorm and InstanceNorm constructors.
 * @example
 * new nn.BatchNorm2d(64, { eps: 1e-3, momentum: 0.01, affine: true, trackRunningStats: true });
 */
export interface NormBaseOptions {
  /** Added to the variance inside the square root. */
  eps?: number;
  /** Weight of the batch value in the running update; null: cumulative moving average. */
  momentum?: number | null;
  /** Learnable per-channel weight (init 1) and bias (init 0). */
  affine?: boolean;
  /** Keep running mean and variance for evaluation. */
  trackRunningStats?: boolean;
}

/**
 * Per-channel normalization with optional running statistics: the base of BatchNorm and InstanceNorm.
 * @example
 * const bn = new nn.BatchNorm1d(8);
 * bn.resetRunningStats();
 */
export abstract class NormBase extends Module {
  /** Number of channels C, the size of the channel axis. */
  readonly numFeatures: number;
  /** Added to the variance inside the square root. */
  readonly eps: number;
  /** Weight of the batch value in the running update; null: cumulative moving average. */
  momentum: number | null;
  /** Whether the layer has a learnable per-channel weight and bias. */
  readonly affine: boolean;
  /** Whether the layer keeps running mean and variance for evaluation. */
  readonly trackRunningStats: boolean;
  /** Per-channel scale, shape [C], or null without affine. */
  weight: Tensor | null;
  /** Per-channel shift, shape [C], or null without affine. */
  bias: Tensor | null;
  /** Running mean, shape [C] (init 0), or null without tracking. */
  runningMean: Tensor | null;
  /** Running unbiased variance, shape [C] (init 1), or null without tracking. */
  runningVar: Tensor | null;
  /** Number of training batches seen, a 0-d tensor, or null without tracking. */
  numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, opts: NormBaseOptions, defaults: Required<NormBaseOptions>) {
    super();
    const name = new.target.name;
    opts = checkOptions(opts, name);
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new Error(`${name}: numFeatures must be a positive integer, got ${describeValue(numFeatures)}`);
    }
    checkSize([numFeatures], name, 'parameter shape');
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? defaults.eps;
    this.momentum = opts.momentum === undefined ? defaults.momentum : opts.momentum;
    this.affine = checkBoolean(opts.affine ?? defaults.affine, name, 'affine');
    const track = opts.trackRunningStats ?? defaults.trackRunningStats;
    this.trackRunningStats = checkBoolean(track, name, 'trackRunningStats');
    checkEps(this.eps, name);
    if (this.momentum !== null) checkMomentum(this.momentum, name);
    this.weight = this.affine ? ones([numFeatures], { requiresGrad: true }) : null;
    this.bias = this.affine ? zeros([numFeatures], { requiresGrad: true }) : null;
    this.runningMean = this.trackRunningStats ? zeros([numFeatures]) : null;
    this.runningVar = this.trackRunningStats ? ones([numFeatures]) : null;
    this.numBatchesTracked = this.trackRunningStats ? full([], 0) : null;
    this.registerParameter('weight');
    this.registerParameter('bias');
    this.registerBuffer('running_mean', 'runningMean');
    this.registerBuffer('running_var', 'runningVar');
    this.registerBuffer('num_batches_tracked', 'numBatchesTracked');
  }

  protected override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, ` +
      `trackRunningStats=${this.trackRunningStats}`
    );
  }

  /**
   * `num_batches_tracked` may be absent from a loaded state dict (the count then stays as it is),
   * as in torch's `_NormBase._load_from_state_dict` for state dicts without version metadata.
   */
  protected override optionalStateKeys(): readonly string[] {
    return this.trackRunningStats ? ['num_batches_tracked'] : [];
  }

  /**
   * `num_batches_tracked` counts batches: torch keeps it as int64, and `saveSafetensors` writes it
   * as I64, so a loaded value must be a non-negative integer (1.5, -3 or NaN would make the module
   * unsavable, or its cumulative momentum 1 / count wrong).
   */
  protected override loadedValueProblem(key: string, value: Tensor): string | null {
    if (key !== 'num_batches_tracked') return null;
    const bad = value.data.findIndex((v) => !(Number.isInteger(v) && v >= 0));
    if (bad < 0) return null;
    return `num_batches_tracked must be a non-negative integer (a batch count), got ${value.data[bad]}`;
  }

  /**
   * Resets running mean to 0, running variance to 1 and the batch count to 0.
   * @example
   * bn.resetRunningStats();
   */
  resetRunningStats(): void {
    this.runningMean?.data.fill(0);
    this.runningVar?.data.fill(1);
    this.numBatchesTracked?.data.fill(0);
  }
}
