/**
 * `Linear`: y = x W^T + b, PyTorch's nn.Linear (weight [outFeatures, inFeatures], bias [outFeatures]).
 */
import { checkOptionalTensor, checkTensor } from '../autograd/check.js';
import { linear as linearOp } from '../autograd/ops/linear.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkBoolean, checkInteger, checkOptions } from '../tensor/check.js';
import { checkSize, fmtShape } from '../tensor/shape.js';
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
 * y = x W^T + b over the last axis of x ([*, inFeatures] -> [*, outFeatures]).
 * @example linear(x, weight, bias)  // x [N, 784], weight [10, 784], bias [10] -> [N, 10]
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkTensor(x, 'linear', 'input');
  checkTensor(weight, 'linear', 'weight');
  if (weight.ndim !== 1 && weight.ndim !== 2) {
    throw new Error(
      `linear: weight must have shape [outFeatures, inFeatures] or [inFeatures], got ${fmtShape(weight.shape)}`,
    );
  }
  const inFeatures = weight.shape[weight.ndim - 1]!;
  const b = checkOptionalTensor(bias, 'linear', 'bias');
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new Error(
      `linear: input's last axis must have size ${inFeatures} (weight ${fmtShape(weight.shape)}), got ` +
        `input ${fmtShape(x.shape)}`,
    );
  }
  const outShape = [...x.shape.slice(0, -1), ...weight.shape.slice(0, -1)];
  checkSize(outShape, 'linear', 'output shape');
  // Like torch, the bias may be anything that broadcasts to the output (e.g. [1] or [outFeatures]).
  let fits = b === null || b.ndim <= outShape.length;
  for (let i = 1; b !== null && fits && i <= b.ndim; i++) {
    fits = b.shape[b.ndim - i] === 1 || b.shape[b.ndim - i] === outShape[outShape.length - i];
  }
  if (!fits)
    throw new Error(
      `linear: bias of shape ${fmtShape(b!.shape)} must broadcast to the output shape ${fmtShape(outShape)}`,
    );
  return linearOp(x, weight, b);
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

  /** x [*, inFeatures] -> [*, outFeatures]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
