/**
 * `Conv2d`: PyTorch's nn.Conv2d (zero padding), on `functional.conv2d` (src/layers/functional/conv.ts)
 * and its im2col + matmul op. Shapes: x [N, C, H, W], weight [O, C/groups, kH, kW], bias [O].
 */
import { pair, type IntPair } from '../autograd/ops/conv.js';
import { conv2dAs, type Conv2dOptions } from './functional/conv.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkBoolean, checkOptions, describeValue } from '../tensor/check.js';
import { checkSize } from '../tensor/shape.js';
import { defaultInitBound, uniformParameter } from './parameter.js';
import { Module } from './module.js';

/**
 * Options of the `Conv2d` constructor (torch's names in camelCase).
 * @example new Conv2d(16, 32, 3, { stride: 2, padding: 1, groups: 4, bias: false })
 */
export interface Conv2dModuleOptions extends Conv2dOptions {
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Only 'zeros' padding is implemented (torch's default). */
  paddingMode?: 'zeros';
}

function checkChannels(value: number, argName: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Conv2d: ${argName} must be a positive integer, got ${describeValue(value)}`);
  }
}

/**
 * A 2-D convolution layer: y[n, o] = bias[o] + sum over the channels c of o's group of
 * weight[o, c] (cross-correlated with) x[n, c]. Weight and bias start uniform in
 * (-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = inChannels/groups * kH * kW, PyTorch's default.
 * State-dict keys `weight`, `bias`.
 * @example new Conv2d(1, 8, 3, { padding: 1 }).forward(images)  // [N, 1, 28, 28] -> [N, 8, 28, 28]
 */
export class Conv2d extends Module {
  /** Channels C of the input. */
  readonly inChannels: number;
  /** Channels O of the output (one filter each). */
  readonly outChannels: number;
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** Step between windows, [sH, sW]. */
  readonly stride: [number, number];
  /** Zero padding on each side, [pH, pW], or 'same' / 'valid'. */
  readonly padding: [number, number] | 'same' | 'valid';
  /** Spacing between kernel taps, [dH, dW]. */
  readonly dilation: [number, number];
  /** Number of channel groups G (each output channel sees inChannels / G inputs). */
  readonly groups: number;
  /** [outChannels, inChannels / groups, kH, kW]. */
  weight: Tensor;
  /** [outChannels], or null without bias. */
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: IntPair, opts: Conv2dModuleOptions = {}) {
    super();
    opts = checkOptions(opts, 'Conv2d');
    checkChannels(inChannels, 'inChannels');
    checkChannels(outChannels, 'outChannels');
    const groups = opts.groups ?? 1;
    checkChannels(groups, 'groups');
    if (inChannels % groups !== 0)
      throw new Error(`Conv2d: inChannels (${inChannels}) must be divisible by groups (${groups})`);
    if (outChannels % groups !== 0)
      throw new Error(`Conv2d: outChannels (${outChannels}) must be divisible by groups (${groups})`);
    if ((opts.paddingMode ?? 'zeros') !== 'zeros') {
      throw new Error(
        `Conv2d: paddingMode must be 'zeros' (the only mode implemented), got ${describeValue(opts.paddingMode)}`,
      );
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'Conv2d', 'kernelSize', 1);
    this.stride = pair(opts.stride ?? 1, 'Conv2d', 'stride', 1);
    this.dilation = pair(opts.dilation ?? 1, 'Conv2d', 'dilation', 1);
    const padding = opts.padding ?? 0;
    if (padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new Error(
        `Conv2d: padding='same' is not supported for strided convolutions; expected stride 1, got ` +
          `[${this.stride.join(', ')}]`,
      );
    }
    this.padding = padding === 'same' || padding === 'valid' ? padding : pair(padding, 'Conv2d', 'padding', 0);
    this.groups = groups;
    const [kH, kW] = this.kernelSize;
    checkSize([outChannels, inChannels / groups, kH, kW], 'Conv2d', 'weight shape');
    const bound = defaultInitBound((inChannels / groups) * kH * kW);
    this.weight = uniformParameter([outChannels, inChannels / groups, kH, kW], bound);
    this.bias = checkBoolean(opts.bias ?? true, 'Conv2d', 'bias') ? uniformParameter([outChannels], bound) : null;
    this.registerParameter('weight');
    this.registerParameter('bias');
  }

  protected override extraRepr(): string {
    const padding = typeof this.padding === 'string' ? this.padding : `[${this.padding.join(', ')}]`;
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], ` +
      `stride=[${this.stride.join(', ')}], padding=${padding}, ` +
      `dilation=[${this.dilation.join(', ')}], groups=${this.groups}, bias=${this.bias !== null}`
    );
  }

  /** x [N, inChannels, H, W] (or [inChannels, H, W]) -> [N, outChannels, Ho, Wo] (`functional.conv2d`). */
  forward(x: Tensor): Tensor {
    return conv2dAs('Conv2d', x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
