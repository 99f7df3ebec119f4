/**
 * Pooling layers: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d` (PyTorch's arguments and
 * defaults; stride defaults to the kernel size). They hold no parameters.
 */
import {
  adaptiveAvgPool2dAs,
  avgPool2dAs,
  checkAvgPool2dOptions,
  checkMaxPool2dOptions,
  checkOutputSize,
  maxPool2dAs,
  type AvgPool2dOptions,
  type AvgPoolWindow,
  type MaxPool2dOptions,
  type PoolWindow,
} from '../autograd/ops/pool.js';
import type { IntPair } from '../autograd/ops/conv.js';
import type { Tensor } from '../autograd/tensor.js';
import { Module, reprFields } from './module.js';

/**
 * Max over each kernelSize window: y = max of the window (padding never wins).
 * @example new MaxPool2d(2).forward(x)  // [N, C, 28, 28] -> [N, C, 14, 14]
 */
export class MaxPool2d extends Module {
  /** Window size [kH, kW]. */
  readonly kernelSize: [number, number];
  /** stride (default: kernelSize), padding, dilation, ceilMode. */
  readonly options: MaxPool2dOptions;
  /** The window, checked when built (forward checks only its input). */
  private readonly window: PoolWindow;

  constructor(kernelSize: IntPair, opts: MaxPool2dOptions = {}) {
    super();
    this.window = checkMaxPool2dOptions('MaxPool2d', kernelSize, opts);
    this.kernelSize = this.window.k;
    this.options = { ...opts };
  }

  protected override extraRepr(): string {
    return reprFields({ kernelSize: this.kernelSize, ...this.options });
  }

  /** x [N, C, H, W] -> [N, C, Ho, Wo]. */
  forward(x: Tensor): Tensor {
    return maxPool2dAs('MaxPool2d', x, this.window);
  }
}

/**
 * Mean over each kernelSize window (countIncludePad = true by default, like torch).
 * @example new AvgPool2d(2).forward(x)  // [N, C, 28, 28] -> [N, C, 14, 14]
 */
export class AvgPool2d extends Module {
  /** Window size [kH, kW]. */
  readonly kernelSize: [number, number];
  /** stride (default: kernelSize), padding, ceilMode, countIncludePad, divisorOverride. */
  readonly options: AvgPool2dOptions;
  /** The window and divisor rules, checked when built (forward checks only its input). */
  private readonly window: AvgPoolWindow;

  constructor(kernelSize: IntPair, opts: AvgPool2dOptions = {}) {
    super();
    this.window = checkAvgPool2dOptions('AvgPool2d', kernelSize, opts);
    this.kernelSize = this.window.k;
    this.options = { ...opts };
  }

  protected override extraRepr(): string {
    return reprFields({ kernelSize: this.kernelSize, ...this.options });
  }

  /** x [N, C, H, W] -> [N, C, Ho, Wo]. */
  forward(x: Tensor): Tensor {
    return avgPool2dAs('AvgPool2d', x, this.window);
  }
}

/**
 * Mean over windows chosen so the output has `outputSize` (`null` keeps an input size).
 * @example new AdaptiveAvgPool2d(1).forward(x)  // global average pooling: [N, C, H, W] -> [N, C, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  /** The output's [outH, outW] (a number for both; null keeps that input size). */
  readonly outputSize: number | readonly [number | null, number | null];

  constructor(outputSize: number | readonly [number | null, number | null]) {
    super();
    checkOutputSize(outputSize, 'AdaptiveAvgPool2d');
    this.outputSize = outputSize;
  }

  protected override extraRepr(): string {
    return reprFields({ outputSize: this.outputSize });
  }

  /** x [N, C, H, W] -> [N, C, outH, outW]. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2dAs('AdaptiveAvgPool2d', x, this.outputSize);
  }
}
