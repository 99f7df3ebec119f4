/**
 * Binary arithmetic with NumPy broadcasting. Each op's backward returns gradients of the broadcast
 * shape; the engine (`backward.ts`, `sumToShape`) sums them back to each input's shape.
 */
import { allocate, category, convertInto, promote, type DType } from '../../tensor/dtype.js';
import { kernels } from '../../kernels/registry.js';
import type { BinaryOp } from '../../tensor/kernels/elementwise.js';
import { describeValue } from '../../tensor/check.js';
import { broadcastShapes, sizeOf } from '../../tensor/shape.js';
import { record } from '../record.js';
import { saveIf } from '../saved.js';
import { Tensor } from '../tensor.js';

/**
 * A number becomes a 0-d tensor, like a Python scalar in torch. JS has one number type, so an
 * integer-valued number (`2`, also `2.0`) counts as an integer and anything else (`1.5`, NaN,
 * Infinity) as floating. It takes the other operand's dtype when that dtype's category is at least
 * the number's (so `float64 + 0.1` keeps 0.1 in float64, `int32 + 2` stays int32), otherwise the
 * default dtype of its own category: `int32 + 1.5` is float32, `bool + 2` is int32 (torch: int64).
 */
export function asTensor(value: Tensor | number, like: Tensor, where: string, argName = 'other'): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') {
    throw new Error(`${where}: ${argName} must be a Tensor or a number, got ${describeValue(value)}`);
  }
  const own: DType = Number.isInteger(value) ? 'int32' : 'float32';
  const dtype = category(like.dtype) >= category(own) ? like.dtype : own;
  if (dtype === 'bool') return new Tensor(Uint8Array.of(value !== 0 ? 1 : 0), []);
  const data = allocate(dtype, 1);
  convertInto([value], data, `${where}: ${argName}`);
  return new Tensor(data, []);
}

/**
 * The dtype of an op's result, by torch's promotion rule (`torch.result_type`): tensors with
 * dimensions decide among themselves (float64 > float32 > int32 > bool); 0-d tensors (and numbers,
 * see `asTensor`) decide only when their category (bool < integer < floating) is higher:
 * `float32 [3] + float64 []` is float32, `int32 [3] + float32 []` is float32.
 */
export function resultType(...ts: readonly Tensor[]): DType {
  let dims: DType | null = null;
  let zeroDim: DType | null = null;
  for (const t of ts) {
    if (t.ndim > 0) dims = dims === null ? t.dtype : promote(dims, t.dtype);
    else zeroDim = zeroDim === null ? t.dtype : promote(zeroDim, t.dtype);
  }
  if (dims === null) return zeroDim!;
  if (zeroDim === null) return dims;
  return category(zeroDim) > category(dims) ? zeroDim : dims;
}

/** The result dtype of a binary op (see `resultType`). */
export function resultDtype(a: Tensor, b: Tensor): DType {
  return resultType(a, b);
}

/**
 * `t` converted to `dtype` when computing in `dtype` from t's own values would differ from torch,
 * which converts operands first: int32 and float64 values round when they become float32.
 */
export function castOperand(t: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' || (t.dtype !== 'int32' && t.dtype !== 'float64')) return t;
  const data = allocate(dtype, t.size);
  data.set(t.data);
  return new Tensor(data, t.shape);
}

/**
 * Forward only: `op(a, b)` broadcast and computed in `compute` (default `resultDtype(a, b)`), stored
 * as `outDtype` (default `compute`; comparisons store bool). A bool result of add/mul/max/min is
 * kept 0/1 (torch: logical or/and). No graph.
 */
export function binaryForward(
  op: BinaryOp,
  a: Tensor,
  b: Tensor,
  where: string,
  compute?: DType,
  outDtype?: DType,
): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, where);
  const dtype = compute ?? resultDtype(a, b);
  const ca = castOperand(a, dtype);
  const cb = castOperand(b, dtype);
  const out = allocate(outDtype ?? dtype, sizeOf(shape));
  kernels().binary(op, ca.data, ca.shape, cb.data, cb.shape, shape, out);
  if (out instanceof Uint8Array && (op === 'add' || op === 'mul' || op === 'max' || op === 'min')) {
    for (let i = 0; i < out.length; i++) out[i] = out[i] !== 0 ? 1 : 0;
  }
  return new Tensor(out, shape);
}

/** Throws torch's error for subtraction or negation involving a bool tensor. */
export function checkNotBool(where: string, ...ts: Tensor[]): void {
  const bools = ts.filter((t) => t.dtype === 'bool').length;
  if (bools === 0) return;
  const hint = bools === 2 ? 'use logicalXor() instead' : 'to invert a mask, use logicalNot() instead';
  throw new Error(`${where}: not supported with ${bools === 2 ? 'two bool tensors' : 'a bool tensor'}; ${hint}`);
}

/** The dtype of true division: floating even for integer inputs (torch: the default float32). */
export function divisionDtype(a: Tensor, b: Tensor): DType {
  const d = resultDtype(a, b);
  return category(d) < 2 ? 'float32' : d;
}

/** `a + b`. d/da = 1, d/db = 1. */
export function add(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'add');
  return record(binaryForward('add', a, b, 'add'), 'add', [a, b], (g) => [g, g]);
}

/** `a - b`. d/da = 1, d/db = -1. */
export function sub(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'sub');
  checkNotBool('sub', a, b);
  return record(binaryForward('sub', a, b, 'sub'), 'sub', [a, b], (g) => [g, b.requiresGrad ? g.neg() : null]);
}

/** `a * b`. d/da = b, d/db = a. */
export function mul(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'mul');
  const bs = saveIf(a.requiresGrad, b);
  const as = saveIf(b.requiresGrad, a);
  return record(binaryForward('mul', a, b, 'mul'), 'mul', [a, b], (g) => [
    bs ? g.mul(bs()) : null,
    as ? g.mul(as()) : null,
  ]);
}

/** `a / b`. d/da = 1/b, d/db = -a/b^2. */
export function div(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'div');
  const bs = saveIf(a.requiresGrad || b.requiresGrad, b);
  const as = saveIf(b.requiresGrad, a);
  return record(binaryForward('div', a, b, 'div', divisionDtype(a, b)), 'div', [a, b], (g) => [
    a.requiresGrad ? g.div(bs!()) : null,
    as ? g.mul(as()).div(bs!().mul(bs!())).neg() : null,
  ]);
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
