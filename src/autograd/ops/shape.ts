/**
 * Shape operations as views, like torch: each returns a tensor that reads the input's storage
 * with new sizes, strides and offset, so it costs no copy and sees (and makes) in-place writes.
 *
 *   element [i0, ..., ik] of a view sits at storage[offset + sum_j i_j * strides[j]]
 *
 * `reshape` and `flatten` are views when the strides allow it and copy otherwise (torch's rule);
 * `view` throws instead of copying. Each view records its backward: the gradient reshaped or
 * permuted back, or (select/narrow/slice) scattered into zeros of the input's shape.
 */
import { allocate } from '../../tensor/dtype.js';
import { stridedCopy } from '../../tensor/kernels/elementwise.js';
import { describeValue } from '../../tensor/check.js';
import { checkSize, fmtShape, normalizeAxis, resolveReshape, stridesOf, type Shape } from '../../tensor/shape.js';
import { record } from '../record.js';
import { Tensor, viewOf } from '../tensor.js';
import { markCurrent } from '../viewGraph.js';
import { PlacedGrad } from '../placedGrad.js';

/**
 * Strides that read `x`'s elements in row-major order as `shape`, or null when no strides can
 * (some new axis would span two non-mergeable runs of the old ones). torch's `computeStride`.
 */
export function viewStrides(x: Tensor, shape: Shape): number[] | null {
  const oldShape = x.shape;
  const oldStrides = x.stride();
  if (x.size === 0) {
    if (oldShape.length === shape.length && oldShape.every((d, i) => d === shape[i])) return oldStrides;
    return stridesOf(shape.map((d) => Math.max(d, 1)));
  }
  if (oldShape.length === 0) return shape.map(() => 1);
  const out = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  // a chunk: a run of old axes that are contiguous with each other; new axes must tile it exactly
  let chunkBaseStride = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= shape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBaseStride = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

/** A view of `x` recorded in the graph under `name`, with `backward` for its gradient. */
function recordView(
  x: Tensor,
  shape: Shape,
  strides: readonly number[],
  offset: number,
  name: string,
  backward: (g: Tensor) => Tensor | PlacedGrad,
): Tensor {
  const out = record(viewOf(x, shape, strides, offset), name, [x], (g) => [backward(g)]);
  markCurrent(out);
  return out;
}

/** A new contiguous tensor with x's elements (own storage, outside any graph). */
export function contiguousCopy(x: Tensor): Tensor {
  const out = allocate(x.dtype, x.size);
  stridedCopy(x.storage.array.subarray(x.storageOffset()), x.stride(), x.shape, out);
  return new Tensor(out, x.shape);
}

/**
 * The gradient `g` of a view, to be written into zeros of `x`'s shape at the place `place` selects;
 * the engine writes it there, or adds it into x's gradient summed so far (placedGrad.ts).
 */
function scatterInto(x: Tensor, g: Tensor, place: (z: Tensor) => Tensor): PlacedGrad {
  return new PlacedGrad(g, x.shape, place);
}

/** x itself when contiguous, else a contiguous copy (recorded: d/dx = g). */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return record(contiguousCopy(x), 'contiguous', [x], (g) => [g]);
}

/** Same elements in a new shape (one -1 inferred), sharing storage; throws when the strides do not allow it. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) throw new Error(`view: shape must be an array of integers, got ${String(shape)}`);
  const target = resolveReshape(x.shape, shape, 'view');
  const strides = viewStrides(x, target);
  if (strides === null) {
    throw new Error(
      "view: view size is not compatible with input tensor's size and stride (at least one dimension spans across " +
        `two contiguous subspaces). Use .reshape(...) instead. (input shape ${fmtShape(x.shape)} with strides ` +
        `${fmtShape(x.stride())}, requested ${fmtShape(target)})`,
    );
  }
  return recordView(x, target, strides, x.storageOffset(), 'view', (g) => g.reshape(x.shape));
}

/**
 * Same elements in a new shape (one -1 inferred): a view when the strides allow, else a copy.
 * d/dx = g reshaped back.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) {
    throw new Error(`reshape: shape must be an array of integers, got ${describeValue(shape)}`);
  }
  const target = resolveReshape(x.shape, shape, 'reshape');
  const strides = viewStrides(x, target);
  const back = (g: Tensor): Tensor => g.reshape(x.shape);
  if (strides !== null) return recordView(x, target, strides, x.storageOffset(), 'reshape', back);
  return record(new Tensor(contiguousCopy(x).data, target), 'reshape', [x], (g) => [back(g)]);
}

/** Output axis i is input axis `axes[i]` (a view). d/dx = g permuted by the inverse permutation. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  if (!Array.isArray(axes) || axes.length !== x.ndim) {
    throw new Error(`permute: axes must list each of the ${x.ndim} axes once, got ${describeValue(axes)}`);
  }
  const norm = axes.map((a) => normalizeAxis(a, x.ndim, 'permute', 'axes'));
  if (new Set(norm).size !== norm.length) {
    throw new Error(`permute: axes must be a permutation of 0..${x.ndim - 1}, got ${fmtShape(axes)}`);
  }
  const strides = x.stride();
  const inverse = new Array<number>(norm.length);
  norm.forEach((a, i) => (inverse[a] = i));
  const shape = norm.map((a) => x.shape[a]!);
  return recordView(
    x,
    shape,
    norm.map((a) => strides[a]!),
    x.storageOffset(),
    'permute',
    (g) => g.permute(inverse),
  );
}

/** Swaps axes a and b (a view). */
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

/** Merges axes start..end (inclusive) into one (a view when the strides allow, like reshape). */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis(start, x.ndim, 'flatten', 'start');
  const e = normalizeAxis(end, x.ndim, 'flatten', 'end');
  if (s > e)
    throw new Error(`flatten: start (${start}) must not come after end (${end}) for a tensor of rank ${x.ndim}`);
  if (s === e) return x;
  const merged = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/**
 * Broadcasts to `shape` (-1 keeps a size) as a view: expanded axes get stride 0, so every element
 * along them is the same storage element. Its gradient is `g` itself: the engine's `sumToShape`
 * sums it back over the expanded axes.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) throw new Error(`expand: shape must be an array of integers, got ${describeValue(shape)}`);
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  const ok =
    lead >= 0 &&
    target.every(
      (d, i) => Number.isInteger(d) && d >= 0 && (i < lead || x.shape[i - lead] === d || x.shape[i - lead] === 1),
    );
  if (!ok)
    throw new Error(
      `expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)} (each size must match or be 1)`,
    );
  checkSize(target, 'expand');
  const xs = x.stride();
  const strides = target.map((d, i) => (i < lead || (x.shape[i - lead] === 1 && d !== 1) ? 0 : xs[i - lead]!));
  return recordView(x, target, strides, x.storageOffset(), 'expand', (g) => g);
}

/** Inserts a size-1 axis at `axis` (in [-ndim-1, ndim]); a view. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  // positions run over the ndim + 1 gaps, so the range is one wider than normalizeAxis's for x
  if (!Number.isInteger(axis) || axis < -x.ndim - 1 || axis > x.ndim) {
    throw new Error(
      `unsqueeze: axis must be an integer in [${-x.ndim - 1}, ${x.ndim}] for a tensor of rank ${x.ndim}, ` +
        `got ${describeValue(axis)}`,
    );
  }
  const a = axis < 0 ? axis + x.ndim + 1 : axis;
  const xs = x.stride();
  const shape = [...x.shape.slice(0, a), 1, ...x.shape.slice(a)];
  // torch's stride for the new axis: what stepping over the whole next axis would take
  const strides = [...xs.slice(0, a), a < x.ndim ? x.shape[a]! * xs[a]! : 1, ...xs.slice(a)];
  return recordView(x, shape, strides, x.storageOffset(), 'unsqueeze', (g) => g.reshape(x.shape));
}

/** Removes size-1 axes, or only `axis` if given (a no-op when that axis is not 1, like torch); a view. */
export function squeeze(x: Tensor, axis?: number): Tensor {
  let keep: (d: number, i: number) => boolean;
  if (axis === undefined) {
    keep = (d) => d !== 1;
  } else {
    if (x.ndim === 0) {
      normalizeAxis(axis, 0, 'squeeze', 'axis'); // like torch: 0 and -1 are valid on a 0-d tensor
      return x;
    }
    const a = normalizeAxis(axis, x.ndim, 'squeeze', 'axis');
    if (x.shape[a] !== 1) return x;
    keep = (_, i) => i !== a;
  }
  const xs = x.stride();
  const shape = x.shape.filter(keep);
  const strides = xs.filter((_, i) => keep(x.shape[i]!, i));
  return recordView(x, shape, strides, x.storageOffset(), 'squeeze', (g) => g.reshape(x.shape));
}

/**
 * The index `i` along `dim` with that axis removed (a view); negative i counts from the end.
 * d/dx = g scattered into zeros.
 */
export function select(x: Tensor, dim: number, index: number): Tensor {
  if (x.ndim === 0) throw new Error('select: select() cannot be applied to a 0-dim tensor.');
  const d = normalizeAxis(dim, x.ndim, 'select', 'dim');
  const n = x.shape[d]!;
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new Error(`select(): index ${index} out of range for tensor of size ${fmtShape(x.shape)} at dimension ${d}`);
  }
  const i = index < 0 ? index + n : index;
  const xs = x.stride();
  const shape = x.shape.filter((_, k) => k !== d);
  const strides = xs.filter((_, k) => k !== d);
  return recordView(x, shape, strides, x.storageOffset() + i * xs[d]!, 'select', (g) =>
    scatterInto(x, g, (z) => select(z, d, i)),
  );
}

/** Elements `start .. start + length - 1` along `dim` (a view); negative start counts from the end. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  if (x.ndim === 0) throw new Error('narrow: narrow() cannot be applied to a 0-dim tensor.');
  const d = normalizeAxis(dim, x.ndim, 'narrow', 'dim');
  const n = x.shape[d]!;
  if (!Number.isInteger(start) || start < -n || start > n) {
    throw new Error(`narrow: start out of range (expected to be in range of [${-n}, ${n}], but got ${start})`);
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new Error(`narrow: length must be a non-negative integer, got ${length}`);
  }
  const s = start < 0 ? start + n : start;
  if (s + length > n) throw new Error(`narrow: start (${s}) + length (${length}) exceeds dimension size (${n}).`);
  return slice(x, d, s, s + length);
}

/**
 * Every `step`-th element of `start .. end - 1` along `dim` (a view): Python's `x[start:end:step]`,
 * with negative bounds counting from the end and out-of-range bounds clamped; step must be
 * positive, as in torch. d/dx = g scattered into zeros.
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  if (x.ndim === 0) throw new Error('slice: slice() cannot be applied to a 0-dim tensor.');
  const d = normalizeAxis(dim, x.ndim, 'slice', 'dim');
  const n = x.shape[d]!;
  const bound = (v: number | null | undefined, dflt: number, arg: string): number => {
    if (v === undefined || v === null) return dflt;
    if (!Number.isInteger(v)) throw new Error(`slice: ${arg} must be an integer or null, got ${v}`);
    return Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  };
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const s = bound(start, 0, 'start');
  const e = Math.max(bound(end, n, 'end'), s);
  const len = Math.ceil((e - s) / step);
  const xs = x.stride();
  const shape = x.shape.map((size, k) => (k === d ? len : size));
  const strides = xs.map((st, k) => (k === d ? st * step : st));
  const offset = x.storageOffset() + s * xs[d]!;
  return recordView(x, shape, strides, offset, 'slice', (g) => scatterInto(x, g, (z) => slice(z, d, s, e, step)));
}
