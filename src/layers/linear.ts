/**
 * `Linear`: y = x W^T + b, PyTorch's nn.Linear (weight [outFeatures, inFeatures], bias [outFeatures]).
 */
import type { Tensor } from '../autograd/tensor.js';
import { checkBoolean, checkInteger, checkOptions } from '../tensor/check.js';
import { checkSize } from '../tensor/shape.js';
import { linearAs } from './functional/linear.js';
import { defaultInitBound, uniformParameter } from './parameter.js';
import { Module } from './module.js';

/**
 * Options of `Linear`.
 * @example new Linear(784, 100, { bias: false })
 */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * A fully connected layer: y = x W^T + b. Weight and bias start uniform in
 * (-1/sqrt(inFeatures), 1/sqrt(inFeatures)), PyTorch's default. State-dict keys `weight`, `bias`.
 * @example const fc = new Linear(784, 10); fc.forward(images.flatten(1))  // [N, 10]
 */
export class Linear extends Module {
  /** Size of each input sample. */
  readonly inFeatures: number;
  /** Size of each output sample. */
  readonly outFeatures: number;
  /** [outFeatures, inFeatures]. */
  weight: Tensor;
  /** [outFeatures], or null without bias. */
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    opts = checkOptions(opts, 'Linear');
    checkInteger(inFeatures, 'Linear', 'inFeatures', 0);
    checkInteger(outFeatures, 'Linear', 'outFeatures', 0);
    checkSize([outFeatures, inFeatures], 'Linear', 'weight shape');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = defaultInitBound(inFeatures);
    this.weight = uniformParameter([outFeatures, inFeatures], bound);
    this.bias = checkBoolean(opts.bias ?? true, 'Linear', 'bias') ? uniformParameter([outFeatures], bound) : null;
    this.registerParameter('weight');
    this.registerParameter('bias');
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }

  /** x [*, inFeatures] -> [*, outFeatures] (`functional.linear`, which checks x; errors name `Linear`). */
  forward(x: Tensor): Tensor {
    return linearAs('Linear', x, this.weight, this.bias);
  }
}
