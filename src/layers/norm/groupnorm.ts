/**
 * GroupNorm: channels split into `numGroups` contiguous groups, statistics per (sample, group)
 * over the group's channels and the spatial axes; weight and bias per channel.
 */
import { ones, zeros } from '../../autograd/creation.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkBoolean, checkOptions, describeValue } from '../../tensor/check.js';
import { checkSize } from '../../tensor/shape.js';
import { Module } from '../module.js';
import { checkEps, groupNormAs } from '../functional/norm.js';

/**
 * Options of `GroupNorm`.
 * @example
 * new nn.GroupNorm(8, 32, { eps: 1e-6, affine: false });
 */
export interface GroupNormModuleOptions {
  /** Added to the variance inside the square root. Default 1e-5. */
  eps?: number;
  /** Learnable per-channel weight (init 1) and bias (init 0). Default true. */
  affine?: boolean;
}

/**
 * Group normalization of (N, C, *) input, like torch.nn.GroupNorm: the channels are split into
 * `numGroups` groups and each (n, group) is normalized by its own statistics,
 * `y = (x - mean[n, g]) / sqrt(var[n, g] + eps) * weight[c] + bias[c]`.
 * @example
 * const gn = new nn.GroupNorm(32, 64);       // 32 groups of 2 channels
 * const y = gn.forward(randn([2, 64, 8, 8]));
 */
export class GroupNorm extends Module {
  /** Number of groups G; each holds numChannels / G consecutive channels. */
  readonly numGroups: number;
  /** Number of channels C, the size of axis 1 of the input. */
  readonly numChannels: number;
  /** Added to the variance inside the square root. */
  readonly eps: number;
  /** Whether the layer has a learnable per-channel weight and bias. */
  readonly affine: boolean;
  /** Per-channel scale [C] or null. */
  weight: Tensor | null;
  /** Per-channel shift [C] or null. */
  bias: Tensor | null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormModuleOptions = {}) {
    super();
    opts = checkOptions(opts, 'GroupNorm');
    for (const [arg, v] of [
      ['numGroups', numGroups],
      ['numChannels', numChannels],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) {
        throw new Error(`GroupNorm: ${arg} must be a positive integer, got ${describeValue(v)}`);
      }
    }
    checkSize([numChannels], 'GroupNorm', 'parameter shape');
    if (numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    checkEps(this.eps, 'GroupNorm');
    this.affine = checkBoolean(opts.affine ?? true, 'GroupNorm', 'affine');
    this.weight = this.affine ? ones([numChannels], { requiresGrad: true }) : null;
    this.bias = this.affine ? zeros([numChannels], { requiresGrad: true }) : null;
    this.registerParameter('weight');
    this.registerParameter('bias');
  }

  protected override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }

  /**
   * Normalizes each (n, group) of x (N, C, *) and applies the per-channel affine transform
   * (`functional.groupNorm`, which checks x against numChannels; errors name `GroupNorm`).
   * @example
   * const y = gn.forward(x);
   */
  forward(x: Tensor): Tensor {
    const input = {
      ranks: [],
      shapeText: '(N, C, *)',
      channels: this.numChannels,
      channelsArg: 'numChannels',
    } as const;
    return groupNormAs('GroupNorm', x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps }, input);
  }
}
