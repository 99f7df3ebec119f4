/**
 * `functional.linear`: y = x W^T + b (torch.nn.functional.linear). The arguments are checked here,
 * once; the op (src/autograd/ops/linear.ts) computes forward and backward.
 */
import { checkOptionalTensor, checkTensor } from '../../autograd/check.js';
import { linear as linearOp } from '../../autograd/ops/linear.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkSize, fmtShape } from '../../tensor/shape.js';

/**
 * y = x W^T + b over the last axis of x ([*, inFeatures] -> [*, outFeatures]).
 * @example linear(x, weight, bias)  // x [N, 784], weight [10, 784], bias [10] -> [N, 10]
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return linearAs('linear', x, weight, bias);
}

/** `linear` under the name of its caller (nn.Linear passes 'Linear'). */
export function linearAs(where: string, x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkTensor(x, where, 'input');
  checkTensor(weight, where, 'weight');
  if (weight.ndim !== 1 && weight.ndim !== 2) {
    throw new Error(
      `${where}: weight must have shape [outFeatures, inFeatures] or [inFeatures], got ${fmtShape(weight.shape)}`,
    );
  }
  const inFeatures = weight.shape[weight.ndim - 1]!;
  const b = checkOptionalTensor(bias, where, 'bias');
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new Error(
      `${where}: input's last axis must have size ${inFeatures} (weight ${fmtShape(weight.shape)}), got ` +
        `input ${fmtShape(x.shape)}`,
    );
  }
  const outShape = [...x.shape.slice(0, -1), ...weight.shape.slice(0, -1)];
  checkSize(outShape, where, 'output shape');
  // Like torch, the bias may be anything that broadcasts to the output (e.g. [1] or [outFeatures]).
  let fits = b === null || b.ndim <= outShape.length;
  for (let i = 1; b !== null && fits && i <= b.ndim; i++) {
    fits = b.shape[b.ndim - i] === 1 || b.shape[b.ndim - i] === outShape[outShape.length - i];
  }
  if (!fits)
    throw new Error(
      `${where}: bias of shape ${fmtShape(b!.shape)} must broadcast to the output shape ${fmtShape(outShape)}`,
    );
  return linearOp(x, weight, b);
}
