/**
 * Shape operations. `reshape` shares storage; `permute` and `expand` copy into contiguous storage.
 */
import { allocate } from '../../tensor/dtype.js';
import { permutedStrides, stridedCopy } from '../../tensor/kernels/elementwise.js';
import { describeValue } from '../../tensor/check.js';
import { broadcastStrides, checkSize, fmtShape, normalizeAxis, resolveReshape, sizeOf } from '../../tensor/shape.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/** Same elements in a new shape (one -1 inferred). d/dx = g reshaped back. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) {
    throw new Error(
      `reshape: shape must be an array of integers, got ${describeValue(shape)}`,
    );
  }
  const target = resolveReshape(x.shape, shape, 'reshape');
  return record(new Tensor(x.data, target), 'reshape', [x], (g) => [g.reshape(x.shape)]);
}

/** Output axis i is input axis `axes[i]`. d/dx = g permuted by the inverse permutation. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  if (!Array.isArray(axes) || axes.length !== x.ndim) {
    throw new Error(`permute: axes must list each of the ${x.ndim} axes once, got ${describeValue(axes)}`);
  }
  const norm = axes.map((a) => normalizeAxis(a, x.ndim, 'permute', 'axes'));
  if (new Set(norm).size !== norm.length) {
    throw new Error(`permute: axes must be a permutation of 0..${x.ndim - 1}, got ${fmtShape(axes)}`);
  }
  const outShape = norm.map((a) => x.shape[a]!);
  const out = allocate(x.dtype, x.size);
  stridedCopy(x.data, permutedStrides(x.shape, norm), outShape, out);
  const inverse = new Array<number>(norm.length);
  norm.forEach((a, i) => (inverse[a] = i));
  return record(new Tensor(out, outShape), 'permute', [x], (g) => [g.permute(inverse)]);
}

/** Swaps axes a and b. */
export function transpose(x: Tensor, a: number, b: number): Tensor {
  if (x.ndim === 0) {
    // torch treats a 0-d tensor as having one axis here: 0 and -1 are valid and nothing moves.
    normalizeAxis(a, 0, 'transpose', 'a');
    normalizeAxis(b, 0, 'transpose', 'b');
    return x;
  }
  const axes = Array.from({ length: x.ndim }, (_, i) => i);
  const na = normalizeAxis(a, x.ndim, 'transpose', 'a');
  const nb = normalizeAxis(b, x.ndim, 'transpose', 'b');
  [axes[na], axes[nb]] = [axes[nb]!, axes[na]!];
  return permute(x, axes);
}

/** Merges axes start..end (inclusive) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis(start, x.ndim, 'flatten', 'start');
  const e = normalizeAxis(end, x.ndim, 'flatten', 'end');
  if (s > e) throw new Error(`flatten: start (${start}) must not come after end (${end}) for a tensor of rank ${x.ndim}`);
  const merged = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/**
 * Broadcasts to `shape` (-1 keeps a size). Its gradient is `g` itself: the engine's
 * `sumToShape` sums it back over the expanded axes.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) throw new Error(`expand: shape must be an array of integers, got ${describeValue(shape)}`);
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  const ok = lead >= 0 && target.every((d, i) => Number.isInteger(d) && d >= 0 && (i < lead || x.shape[i - lead] === d || x.shape[i - lead] === 1));
  if (!ok) throw new Error(`expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)} (each size must match or be 1)`);
  checkSize(target, 'expand');
  const out = allocate(x.dtype, sizeOf(target));
  stridedCopy(x.data, broadcastStrides(x.shape, target), target, out);
  return record(new Tensor(out, target), 'expand', [x], (g) => [g]);
}

/** Inserts a size-1 axis at `axis` (in [-ndim-1, ndim]). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  // positions run over the ndim + 1 gaps, so the range is one wider than normalizeAxis's for x
  if (!Number.isInteger(axis) || axis < -x.ndim - 1 || axis > x.ndim) {
    throw new Error(
      `unsqueeze: axis must be an integer in [${-x.ndim - 1}, ${x.ndim}] for a tensor of rank ${x.ndim}, got ${describeValue(axis)}`,
    );
  }
  const a = axis < 0 ? axis + x.ndim + 1 : axis;
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes size-1 axes, or only `axis` if given (a no-op when that axis is not 1, like torch). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  if (x.ndim === 0) {
    normalizeAxis(axis, 0, 'squeeze', 'axis'); // like torch: 0 and -1 are valid on a 0-d tensor
    return x;
  }
  const a = normalizeAxis(axis, x.ndim, 'squeeze', 'axis');
  if (x.shape[a] !== 1) return x;
  return reshape(x, x.shape.filter((_, i) => i !== a));
}
