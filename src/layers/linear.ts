/**
 * `Linear`: y = x W^T + b, PyTorch's nn.Linear (weight [outFeatures, inFeatures], bias [outFeatures]).
 */
import { linear as linearOp } from '../autograd/ops/linear.js';
import type { Tensor } from '../autograd/tensor.js';
import { fmtShape } from '../tensor/shape.js';
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

function checkFeatures(value: number, where: string, argName: string): void {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${where}: ${argName} must be a non-negative integer, got ${value}`);
}

/**
 * y = x W^T + b over the last axis of x ([*, inFeatures] -> [*, outFeatures]).
 * @example linear(x, weight, bias)  // x [N, 784], weight [10, 784], bias [10] -> [N, 10]
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const inFeatures = weight.shape[weight.ndim - 1];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new Error(`linear: input's last axis must have size ${inFeatures} (weight ${fmtShape(weight.shape)}), got input ${fmtShape(x.shape)}`);
  }
  return linearOp(x, weight, bias);
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
    checkFeatures(inFeatures, 'Linear', 'inFeatures');
    checkFeatures(outFeatures, 'Linear', 'outFeatures');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = defaultInitBound(inFeatures);
    this.weight = uniformParameter([outFeatures, inFeatures], bound);
    this.bias = (opts.bias ?? true) ? uniformParameter([outFeatures], bound) : null;
    this.registerParameter('weight');
    this.registerParameter('bias');
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }

  /** x [*, inFeatures] -> [*, outFeatures]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
