/**
 * Comparisons, logical ops and selection, like torch: `eq ne lt le gt ge`, `logicalAnd/Or/Xor/Not`,
 * `isnan isinf isfinite` and `any all` give bool tensors and record no graph; `where` and
 * `maskedFill` select elements and are differentiable in the values they pass through.
 *
 * Comparisons compare in the promoted dtype (`resultType`), so `int32 == 0.5` is false everywhere and
 * NaN compares unequal to everything, itself included (`ne` is true). Logical ops read any non-zero
 * value, NaN too, as true.
 */
import { allocate, convertInto, describeValue, isFloating, type DType } from '../../tensor/dtype.js';
import { planAxes, reduceMax } from '../../tensor/kernels/axisReduce.js';
import { broadcastShapes, broadcastStrides, fmtShape, normalizeAxes, sameShape, sizeOf } from '../../tensor/shape.js';
import { stridedCopy, unary, type BinaryOp, type UnaryOp } from '../../tensor/kernels/elementwise.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';
import { asTensor, binaryForward, resultType, zeroWhere } from './binary.js';

function checkTensor(x: unknown, where: string, arg: string): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${where}: ${arg} must be a Tensor, got ${describeValue(x)}`);
  return x;
}

function checkBool(t: Tensor, where: string, arg: string): Tensor {
  if (t.dtype !== 'bool') throw new Error(`${where}: ${arg} must be a bool tensor, got dtype '${t.dtype}'`);
  return t;
}

/** `op(a, b)` broadcast, compared in the promoted dtype, as a bool tensor. No graph. */
export function compare(op: BinaryOp, a: Tensor, other: Tensor | number, where: string): Tensor {
  checkTensor(a, where, 'input');
  const b = asTensor(other, a, where);
  return binaryForward(op, a, b, where, resultType(a, b), 'bool');
}

/** A logical op on truthiness (non-zero, NaN included), broadcast, as a bool tensor. No graph. */
export function logical(op: BinaryOp, a: Tensor, other: Tensor, where: string): Tensor {
  checkTensor(a, where, 'input');
  checkTensor(other, where, 'other');
  return binaryForward(op, a, other, where, 'float64', 'bool');
}

/** A predicate per element (`isnan`, `logicalNot`, ...) as a bool tensor. No graph. */
export function predicate(op: UnaryOp, x: Tensor): Tensor {
  const out = allocate('bool', x.size);
  unary(op, x.data, out);
  return new Tensor(out, x.shape);
}

/** `x` broadcast to `shape` as contiguous storage of `dtype` (converted, e.g. int32 -> float32). */
function broadcastTo(x: Tensor, shape: readonly number[], dtype: DType): Tensor {
  if (sameShape(x.shape, shape) && x.dtype === dtype) return x;
  const out = allocate(dtype, sizeOf(shape));
  stridedCopy(x.data, broadcastStrides(x.shape, shape), shape, out);
  return new Tensor(out, shape);
}

/**
 * `out = cond ? a : b` elementwise, all three broadcast together; the dtype is `resultType(a, b)`.
 * d/da = [cond], d/db = [!cond] (the gradient goes where the value came from).
 * @example
 * where(tensor([true, false]), tensor([1, 2]), 0); // tensor([1, 0])
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  checkBool(checkTensor(cond, 'where', 'condition'), 'where', 'condition');
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : cond;
  const ta = asTensor(a, like, 'where', 'input');
  const tb = asTensor(b, ta, 'where', 'other');
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const dtype = resultType(ta, tb);
  const c = broadcastTo(cond, shape, 'bool').data;
  const x = broadcastTo(ta, shape, dtype).data;
  const y = broadcastTo(tb, shape, dtype).data;
  const out = allocate(dtype, c.length);
  for (let i = 0; i < out.length; i++) out[i] = c[i] !== 0 ? x[i]! : y[i]!;
  const notCond = predicate('logicalNot', cond);
  const conds = saveForBackward(cond);
  return record(new Tensor(out, shape), 'where', [ta, tb], (g) => {
    const c = conds(); // checked even when only ta needs a gradient, as torch checks every saved tensor
    return [ta.requiresGrad ? zeroWhere(g, notCond) : null, tb.requiresGrad ? zeroWhere(g, c) : null];
  });
}

/**
 * `self` with `value` wherever `mask` is true; mask (bool) broadcasts to self's shape and the result
 * keeps self's dtype (`value` is converted to it: int32 truncates). `value` is a number, a boolean
 * or a 0-d tensor. d/dself = [!mask]; d/dvalue = sum of g over the masked elements.
 */
export function maskedFill(self: Tensor, mask: Tensor, value: number | boolean | Tensor): Tensor {
  checkBool(checkTensor(mask, 'maskedFill', 'mask'), 'maskedFill', 'mask');
  if (!sameShape(broadcastShapes(self.shape, mask.shape, 'maskedFill'), self.shape)) {
    throw new Error(
      `maskedFill: mask of shape ${fmtShape(mask.shape)} must broadcast to self's shape ${fmtShape(self.shape)}`,
    );
  }
  let v: Tensor;
  if (value instanceof Tensor) {
    if (value.ndim !== 0) {
      throw new Error(
        `maskedFill: value must be a number, a boolean or a 0-d tensor, got a tensor of shape ${fmtShape(value.shape)}`,
      );
    }
    v = value;
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    v = new Tensor(Float64Array.of(Number(value)), []);
  } else {
    throw new Error(`maskedFill: value must be a number, a boolean or a 0-d tensor, got ${describeValue(value)}`);
  }
  const m = broadcastTo(mask, self.shape, 'bool').data;
  const fill = allocate(self.dtype, 1);
  convertInto(v.data, fill, 'maskedFill: value');
  const out = allocate(self.dtype, self.size);
  out.set(self.data);
  for (let i = 0; i < out.length; i++) if (m[i] !== 0) out[i] = fill[0]!;
  const y = new Tensor(out, self.shape);
  if (!isFloating(self.dtype)) return y; // an int32/bool result carries no gradient, even from a float value
  const notMask = predicate('logicalNot', mask);
  const masks = saveForBackward(mask);
  return record(y, 'maskedFill', [self, v], (g) => [
    self.requiresGrad ? zeroWhere(g, masks()) : null,
    v.requiresGrad ? zeroWhere(g, notMask).sum() : null,
  ]);
}

/**
 * Whether any element (along `axes`, all by default) is non-zero, as a bool tensor; false over an
 * empty axis. NaN counts as true.
 */
export function any(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  return anyOf(predicate('nonzero', x), x, axes, keepDim, 'any');
}

/** Whether every element (along `axes`, all by default) is non-zero; true over an empty axis. */
export function all(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  return predicate('logicalNot', anyOf(predicate('logicalNot', x), x, axes, keepDim, 'all'));
}

/** max over axes of a 0/1 tensor: 1 if any is 1 (0 over an empty axis). */
function anyOf(
  truth: Tensor,
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepDim: boolean,
  where: string,
): Tensor {
  const norm = normalizeAxes(axes, x.ndim, where);
  const keptShape = x.shape.map((d, i) => (norm.includes(i) ? 1 : d));
  const outShape = keepDim ? keptShape : x.shape.filter((_, i) => !norm.includes(i));
  const stats = new Float64Array(sizeOf(outShape));
  if (x.size > 0) reduceMax(Float64Array.from(truth.data), planAxes(x.shape, norm), stats);
  const out = allocate('bool', stats.length);
  for (let i = 0; i < out.length; i++) out[i] = stats[i]! > 0 ? 1 : 0;
  return new Tensor(out, outShape);
}
