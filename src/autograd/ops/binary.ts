/**
 * Binary arithmetic with NumPy broadcasting. Each op's backward returns gradients of the broadcast
 * shape; the engine (`backward.ts`, `sumToShape`) sums them back to each input's shape.
 */
import { allocate, promote, type DType } from '../../tensor/dtype.js';
import { binary, type BinaryOp } from '../../tensor/kernels/elementwise.js';
import { broadcastShapes, sizeOf } from '../../tensor/shape.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/** A number becomes a 0-d tensor of the other operand's dtype (like a Python scalar in torch). */
export function asTensor(value: Tensor | number, like: Tensor, where: string, argName = 'other'): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') {
    throw new Error(`${where}: ${argName} must be a Tensor or a number, got ${typeof value}`);
  }
  const data = allocate(like.dtype, 1);
  data[0] = value;
  return new Tensor(data, []);
}

/**
 * The dtype of a binary op's result, by torch's promotion rule for floating tensors: a 0-d tensor
 * does not decide the dtype against a tensor with dimensions; otherwise float64 wins.
 */
export function resultDtype(a: Tensor, b: Tensor): DType {
  if (a.ndim === 0 && b.ndim > 0) return b.dtype;
  if (b.ndim === 0 && a.ndim > 0) return a.dtype;
  return promote(a.dtype, b.dtype);
}

/** Forward only: `op(a, b)` broadcast, in `resultDtype(a, b)`. No graph. */
export function binaryForward(op: BinaryOp, a: Tensor, b: Tensor, where: string): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, where);
  const out = allocate(resultDtype(a, b), sizeOf(shape));
  binary(op, a.data, a.shape, b.data, b.shape, shape, out);
  return new Tensor(out, shape);
}

/** `a + b`. d/da = 1, d/db = 1. */
export function add(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'add');
  return record(binaryForward('add', a, b, 'add'), 'add', [a, b], (g) => [g, g]);
}

/** `a - b`. d/da = 1, d/db = -1. */
export function sub(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'sub');
  return record(binaryForward('sub', a, b, 'sub'), 'sub', [a, b], (g) => [g, b.requiresGrad ? g.neg() : null]);
}

/** `a * b`. d/da = b, d/db = a. */
export function mul(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'mul');
  return record(binaryForward('mul', a, b, 'mul'), 'mul', [a, b], (g) => [
    a.requiresGrad ? g.mul(b) : null,
    b.requiresGrad ? g.mul(a) : null,
  ]);
}

/** `a / b`. d/da = 1/b, d/db = -a/b^2. */
export function div(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'div');
  return record(binaryForward('div', a, b, 'div'), 'div', [a, b], (g) => [
    a.requiresGrad ? g.div(b) : null,
    b.requiresGrad ? g.mul(a).div(b.mul(b)).neg() : null,
  ]);
}

/** Elementwise maximum of two tensors (no gradient: used for masks and clamps inside backward). */
export function maximum(a: Tensor, b: Tensor | number): Tensor {
  return binaryForward('max', a, asTensor(b, a, 'maximum'), 'maximum');
}

/** `1` where `a == b`, else `0` (no gradient). */
export function equal(a: Tensor, b: Tensor | number): Tensor {
  return binaryForward('eq', a, asTensor(b, a, 'equal'), 'equal');
}

/** `1` where `a >= b`, else `0` (no gradient). */
export function greaterEqual(a: Tensor, b: Tensor | number): Tensor {
  return binaryForward('ge', a, asTensor(b, a, 'greaterEqual'), 'greaterEqual');
}

/** `a` with 0 wherever `mask` is non-zero, broadcast (torch's masked_fill(mask, 0); no gradient). */
export function zeroWhere(a: Tensor, mask: Tensor): Tensor {
  return binaryForward('zeroWhere', a, mask, 'zeroWhere');
}
