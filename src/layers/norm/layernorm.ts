/**
 * LayerNorm and RMSNorm: statistics per leading index over the trailing `normalizedShape` axes;
 * weight (and bias) span exactly those axes.
 */
import { ones, zeros } from '../../autograd/creation.js';
import type { Tensor } from '../../autograd/tensor.js';
import { Module } from '../module.js';
import { asNormalizedShape, checkEps, layerNorm, rmsNorm } from './functional.js';

/** Options of `LayerNorm`. */
export interface LayerNormModuleOptions {
  eps?: number;
  /** Learnable weight (init 1) and bias (init 0) of normalizedShape. Default true. */
  elementwiseAffine?: boolean;
  /** Include the bias (only with elementwiseAffine). Default true. */
  bias?: boolean;
}

/** Layer normalization over the trailing dims, like torch.nn.LayerNorm. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  /** Scale of normalizedShape or null. */
  weight: Tensor | null;
  /** Shift of normalizedShape or null. */
  bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormModuleOptions = {}) {
    super();
    this.normalizedShape = asNormalizedShape(normalizedShape, 'LayerNorm');
    this.eps = opts.eps ?? 1e-5;
    checkEps(this.eps, 'LayerNorm');
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const withBias = opts.bias ?? true;
    this.weight = this.elementwiseAffine ? ones(this.normalizedShape, { requiresGrad: true }) : null;
    this.bias = this.elementwiseAffine && withBias ? zeros(this.normalizedShape, { requiresGrad: true }) : null;
    this.registerParameter('weight');
    this.registerParameter('bias');
  }

  /** Normalizes x over its trailing normalizedShape dims. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/** Options of `RMSNorm`. */
export interface RMSNormModuleOptions {
  /** Added to the mean square; null (default): machine epsilon of the input's dtype. */
  eps?: number | null;
  /** Learnable weight (init 1) of normalizedShape. Default true. */
  elementwiseAffine?: boolean;
}

/** Root-mean-square normalization over the trailing dims, like torch.nn.RMSNorm. */
export class RMSNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  /** Scale of normalizedShape or null. */
  weight: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: RMSNormModuleOptions = {}) {
    super();
    this.normalizedShape = asNormalizedShape(normalizedShape, 'RMSNorm');
    this.eps = opts.eps ?? null;
    if (this.eps !== null) checkEps(this.eps, 'RMSNorm');
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? ones(this.normalizedShape, { requiresGrad: true }) : null;
    this.registerParameter('weight');
  }

  /** `x / sqrt(mean(x^2) + eps) * weight` over the trailing normalizedShape dims. */
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, { weight: this.weight, eps: this.eps });
  }
}
