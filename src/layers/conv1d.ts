/**
 * `Conv1d`: PyTorch's nn.Conv1d (zero padding), on `functional.conv1d` (src/layers/functional/conv.ts),
 * a 2-D convolution of height 1.
 */
import type { Tensor } from '../autograd/tensor.js';
import { checkInt, conv1dAs, type Conv1dOptions } from './functional/conv.js';
import { Module } from './module.js';
import { defaultInitBound, uniformParameter } from './parameter.js';

/**
 * Options of the `Conv1d` constructor.
 * @example new Conv1d(16, 32, 3, { stride: 2, padding: 1, bias: false })
 */
export interface Conv1dModuleOptions extends Conv1dOptions {
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Only 'zeros' padding is implemented (torch's default). */
  paddingMode?: 'zeros';
}

/**
 * A 1-D convolution layer over [N, C, L] (or [C, L]). Weight [outChannels, inChannels/groups,
 * kernelSize] and bias [outChannels] start uniform in (-1/sqrt(fanIn), 1/sqrt(fanIn)) with
 * fanIn = inChannels/groups * kernelSize, PyTorch's default. State-dict keys `weight`, `bias`.
 * @example new Conv1d(4, 8, 3, { padding: 'same' }).forward(zeros([2, 4, 50]))  // [2, 8, 50]
 */
export class Conv1d extends Module {
  /** Channels C of the input. */
  readonly inChannels: number;
  /** Channels O of the output. */
  readonly outChannels: number;
  /** Taps K of each filter. */
  readonly kernelSize: number;
  /** Step between windows. */
  readonly stride: number;
  /** Zero padding on each side, or 'same' / 'valid'. */
  readonly padding: number | 'same' | 'valid';
  /** Spacing between kernel taps. */
  readonly dilation: number;
  /** Channel groups. */
  readonly groups: number;
  /** [outChannels, inChannels / groups, kernelSize]. */
  weight: Tensor;
  /** [outChannels], or null without bias. */
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Conv1dModuleOptions = {}) {
    super();
    const where = 'Conv1d';
    this.inChannels = checkInt(inChannels, 'inChannels', 1, where);
    this.outChannels = checkInt(outChannels, 'outChannels', 1, where);
    this.kernelSize = checkInt(kernelSize, 'kernelSize', 1, where);
    this.groups = checkInt(opts.groups ?? 1, 'groups', 1, where);
    if (inChannels % this.groups !== 0) {
      throw new Error(`${where}: inChannels (${inChannels}) must be divisible by groups (${this.groups})`);
    }
    if (outChannels % this.groups !== 0) {
      throw new Error(`${where}: outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    }
    if ((opts.paddingMode ?? 'zeros') !== 'zeros') {
      throw new Error(
        `${where}: paddingMode must be 'zeros' (the only mode implemented), got '${String(opts.paddingMode)}'`,
      );
    }
    this.stride = checkInt(opts.stride ?? 1, 'stride', 1, where);
    this.dilation = checkInt(opts.dilation ?? 1, 'dilation', 1, where);
    const padding = opts.padding ?? 0;
    if (padding === 'same' && this.stride !== 1) {
      throw new Error(
        `${where}: padding='same' is not supported for strided convolutions; expected stride 1, got ${this.stride}`,
      );
    }
    this.padding = padding === 'same' || padding === 'valid' ? padding : checkInt(padding, 'padding', 0, where);
    const bound = defaultInitBound((inChannels / this.groups) * kernelSize);
    this.weight = uniformParameter([outChannels, inChannels / this.groups, kernelSize], bound);
    this.bias = (opts.bias ?? true) ? uniformParameter([outChannels], bound) : null;
  }

  protected override extraRepr(): string {
    const { inChannels, outChannels, kernelSize, stride, padding, dilation, groups } = this;
    return (
      `${inChannels}, ${outChannels}, kernelSize=${kernelSize}, stride=${stride}, padding=${padding}, ` +
      `dilation=${dilation}, groups=${groups}, bias=${this.bias !== null}`
    );
  }

  /** x [N, inChannels, L] (or [inChannels, L]) -> [N, outChannels, Lo] (`functional.conv1d`; errors name `Conv1d`). */
  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this;
    return conv1dAs('Conv1d', x, this.weight, this.bias, { stride, padding, dilation, groups });
  }
}
