/**
 * LayerNorm and RMSNorm: statistics per leading index over the trailing `normalizedShape` axes;
 * weight (and bias) span exactly those axes.
 */
import { checkBoolean, checkOptions } from '../../tensor/check.js';
import { checkSize } from '../../tensor/shape.js';
import { ones, zeros } from '../../autograd/creation.js';
import type { Tensor } from '../../autograd/tensor.js';
import { Module } from '../module.js';
import { asNormalizedShape, checkEps, layerNormAs, rmsNormAs } from '../functional/norm.js';

/**
 * Options of `LayerNorm`.
 * @example
 * new nn.LayerNorm(768, { eps: 1e-6, elementwiseAffine: true, bias: false });
 */
export interface LayerNormModuleOptions {
  /** Added to the variance inside the square root. Default 1e-5. */
  eps?: number;
  /** Learnable weight (init 1) and bias (init 0) of normalizedShape. Default true. */
  elementwiseAffine?: boolean;
  /** Include the bias (only with elementwiseAffine). Default true. */
  bias?: boolean;
}

/**
 * Layer normalization over the trailing `normalizedShape` dims, like torch.nn.LayerNorm:
 * `y = (x - mean) / sqrt(var + eps) * weight + bias`, one statistic per leading index.
 * @example
 * const ln = new nn.LayerNorm(768);
 * const y = ln.forward(randn([8, 16, 768]));   // each of the 8 x 16 tokens: mean 0, variance 1
 */
export class LayerNorm extends Module {
  /** The trailing input dims that are normalized together (and that weight and bias span). */
  readonly normalizedShape: readonly number[];
  /** Added to the variance inside the square root. */
  readonly eps: number;
  /** Whether the layer has a learnable weight (and bias) of `normalizedShape`. */
  readonly elementwiseAffine: boolean;
  /** Scale of normalizedShape or null. */
  weight: Tensor | null;
  /** Shift of normalizedShape or null. */
  bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormModuleOptions = {}) {
    super();
    opts = checkOptions(opts, 'LayerNorm');
    this.normalizedShape = asNormalizedShape(normalizedShape, 'LayerNorm');
    this.eps = opts.eps ?? 1e-5;
    checkEps(this.eps, 'LayerNorm');
    checkSize(this.normalizedShape, 'LayerNorm', 'normalizedShape');
    this.elementwiseAffine = checkBoolean(opts.elementwiseAffine ?? true, 'LayerNorm', 'elementwiseAffine');
    const withBias = checkBoolean(opts.bias ?? true, 'LayerNorm', 'bias');
    this.weight = this.elementwiseAffine ? ones(this.normalizedShape, { requiresGrad: true }) : null;
    this.bias = this.elementwiseAffine && withBias ? zeros(this.normalizedShape, { requiresGrad: true }) : null;
    this.registerParameter('weight');
    this.registerParameter('bias');
  }

  protected override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }

  /**
   * Normalizes x over its trailing normalizedShape dims and applies the elementwise affine transform
   * (`functional.layerNorm`, which checks x; errors name `LayerNorm`).
   * @example
   * const y = ln.forward(x);
   */
  forward(x: Tensor): Tensor {
    return layerNormAs('LayerNorm', x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/**
 * Options of `RMSNorm`.
 * @example
 * new nn.RMSNorm(4096, { eps: 1e-6 });
 */
export interface RMSNormModuleOptions {
  /** Added to the mean square; null (default): machine epsilon of the input's dtype. */
  eps?: number | null;
  /** Learnable weight (init 1) of normalizedShape. Default true. */
  elementwiseAffine?: boolean;
}

/**
 * Root-mean-square normalization over the trailing dims, like torch.nn.RMSNorm:
 * `y = x / sqrt(mean(x^2) + eps) * weight` (no centering, no bias).
 * @example
 * const norm = new nn.RMSNorm(768);            // eps null: float32's machine epsilon
 * const y = norm.forward(randn([8, 768]));
 */
export class RMSNorm extends Module {
  /** The trailing input dims that are normalized together (and that weight spans). */
  readonly normalizedShape: readonly number[];
  /** Added to the mean square; null means the machine epsilon of the input's dtype. */
  readonly eps: number | null;
  /** Whether the layer has a learnable weight of `normalizedShape`. */
  readonly elementwiseAffine: boolean;
  /** Scale of normalizedShape or null. */
  weight: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: RMSNormModuleOptions = {}) {
    super();
    opts = checkOptions(opts, 'RMSNorm');
    this.normalizedShape = asNormalizedShape(normalizedShape, 'RMSNorm');
    this.eps = opts.eps ?? null;
    if (this.eps !== null) checkEps(this.eps, 'RMSNorm');
    checkSize(this.normalizedShape, 'RMSNorm', 'normalizedShape');
    this.elementwiseAffine = checkBoolean(opts.elementwiseAffine ?? true, 'RMSNorm', 'elementwiseAffine');
    this.weight = this.elementwiseAffine ? ones(this.normalizedShape, { requiresGrad: true }) : null;
    this.registerParameter('weight');
  }

  protected override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }

  /**
   * `x / sqrt(mean(x^2) + eps) * weight` over the trailing normalizedShape dims (`functional.rmsNorm`,
   * which checks x; errors name `RMSNorm`).
   * @example
   * const y = norm.forward(x);
   */
  forward(x: Tensor): Tensor {
    return rmsNormAs('RMSNorm', x, this.normalizedShape, { weight: this.weight, eps: this.eps });
  }
}
