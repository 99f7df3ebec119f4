/**
 * `Conv1d`: PyTorch's nn.Conv1d (zero padding), as a 2-D convolution of height 1 on the im2col +
 * matmul op in src/autograd/ops/conv.ts: x [N, C, L] is viewed as [N, C, 1, L] and the weight
 * [O, C/groups, K] as [O, C/groups, 1, K]; both views are reshapes, so the gradients flow back.
 */
import { describeValue } from '../tensor/check.js';
import { conv2d } from '../autograd/ops/conv.js';
import { Tensor } from '../autograd/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import { Module } from './module.js';
import { defaultInitBound, uniformParameter } from './parameter.js';

/**
 * Options of `conv1d` (torch's names in camelCase).
 * @example conv1d(x, weight, bias, { stride: 2, padding: 1 })
 */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zero padding on each side (default 0), or 'valid' (none) / 'same' (output length = input's; stride 1). */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups (default 1). */
  groups?: number;
}

function checkInt(v: unknown, name: string, min: number, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new Error(`${where}: ${name} must be an integer >= ${min}, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * 1-D cross-correlation: y[n, o, l] = bias[o] + sum over c in o's group, k of
 * weight[o, c, k] x[n, c, l * stride + k * dilation - padding].
 * @example conv1d(zeros([8, 4, 100]), zeros([16, 4, 5]))  // [8, 16, 96]
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  const where = 'conv1d';
  if (!(x instanceof Tensor) || (x.ndim !== 2 && x.ndim !== 3)) {
    throw new Error(
      `${where}: input must be a Tensor of shape [N, C, L] or [C, L]` +
        `, got ${x instanceof Tensor ? fmtShape(x.shape) : describeValue(x)}`,
    );
  }
  if (!(weight instanceof Tensor) || weight.ndim !== 3) {
    throw new Error(
      `${where}: weight must be a Tensor of shape [outChannels, inChannels/groups, kernelSize]` +
        `, got ${weight instanceof Tensor ? fmtShape(weight.shape) : describeValue(weight)}`,
    );
  }
  const stride = checkInt(opts.stride ?? 1, 'stride', 1, where);
  const dilation = checkInt(opts.dilation ?? 1, 'dilation', 1, where);
  const p = opts.padding ?? 0;
  const padding = p === 'same' || p === 'valid' ? p : ([0, checkInt(p, 'padding', 0, where)] as const);
  const x4 = x.unsqueeze(x.ndim - 1); // [N, C, 1, L] or [C, 1, L]
  const w4 = weight.unsqueeze(2); // [O, C/groups, 1, K]
  const y = conv2d(x4, w4, bias, { stride: [1, stride], dilation: [1, dilation], padding, groups: opts.groups ?? 1 });
  return y.squeeze(y.ndim - 2);
}

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

  /** x [N, inChannels, L] (or [inChannels, L]) -> [N, outChannels, Lo]. */
  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this;
    return conv1d(x, this.weight, this.bias, { stride, padding, dilation, groups });
  }
}
