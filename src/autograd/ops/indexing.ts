/**
 * Indexing along one axis by a list of positions, and its adjoint, side by side:
 *
 *   pickAlong(x, dim, index)          y[.., k, ..] = x[.., index[k], ..]        (torch.index_select)
 *     backward: dx = addAlong(0, dim, index, g)                     (scatter-add of g's rows)
 *   addAlong(x, dim, index, src, a)   y = x;  y[.., index[k], ..] += a * src[.., k, ..]   (index_add)
 *     backward: dx = g,  dsrc = a * pickAlong(g, dim, index)        (gather of g's rows)
 *
 * narrow, select, flip, roll and the split family are pickAlong with a computed index list.
 * Then the public ops that take an int32 index tensor:
 *
 *   indexSelect   = pickAlong;   indexAdd = addAlong
 *   gather        out[p] = x[p with axis dim replaced by index[p]]    backward: dx = scatterAdd(0, g)
 *   scatterAdd    out = x; out[p with dim replaced by index[p]] += src[p]   backward: dx = g, dsrc = gather(g)
 *   oneHot        out[.., index[..]] = 1 (int32, not differentiable)
 *
 * The kernels are in `src/tensor/kernels/indexing.ts`. The backward passes read a checked copy of
 * the indices, but save the index tensor the user passed (as torch saves it) so that an in-place
 * write to it before backward throws torch's error instead of going unnoticed.
 */
import { allocate } from '../../tensor/dtype.js';
import { gatherAlong, indexAddRows, indexSelectRows, scatterAddAlong } from '../../tensor/kernels/indexing.js';
import { fmtShape, normalizeAxis, sameShape, sizeOf } from '../../tensor/shape.js';
import { checkIndexTensor } from '../dtypeCheck.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

/** `x` along `dim` read as `[outer, n, inner]` (see the kernels' header). */
export function aroundAxis(shape: readonly number[], dim: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, dim)), n: shape[dim] ?? 1, inner: sizeOf(shape.slice(dim + 1)) };
}

/** Reads every saved tensor back, so that each one's version is checked (see ../saved.ts). */
export function checkSaved(saved: readonly (() => Tensor)[]): void {
  for (const read of saved) read();
}

/**
 * `y[.., k, ..] = x[.., index[k], ..]` along the (normalized) axis `dim`; indices already checked.
 * Recorded under `name` so that graphs show the op the user called. `saved`: the user's index
 * tensors, checked in backward against in-place writes.
 */
export function pickAlong(
  x: Tensor,
  dim: number,
  index: Int32Array,
  name: string,
  saved: readonly (() => Tensor)[] = [],
): Tensor {
  const { outer, n, inner } = aroundAxis(x.shape, dim);
  const outShape = x.ndim === 0 ? [] : x.shape.map((d, i) => (i === dim ? index.length : d));
  const out = allocate(x.dtype, sizeOf(outShape));
  indexSelectRows(x.data, outer, n, inner, index, out);
  return record(new Tensor(out, outShape), name, [x], (g) => {
    checkSaved(saved);
    return [addAlong(new Tensor(allocate(g.dtype, x.size), x.shape), dim, index, g, 1, `${name}Backward`)];
  });
}

/**
 * `y = x` with `alpha * src[.., k, ..]` added to `y[.., index[k], ..]` along `dim`; indices checked,
 * src has x's shape except `index.length` along `dim`. Repeated indices accumulate. `saved` is
 * checked when src's gradient is computed (the only one that reads the indices).
 */
export function addAlong(
  x: Tensor,
  dim: number,
  index: Int32Array,
  src: Tensor,
  alpha: number,
  name: string,
  saved: readonly (() => Tensor)[] = [],
): Tensor {
  const { outer, n, inner } = aroundAxis(x.shape, dim);
  const out = x.data.slice();
  indexAddRows(src.data, outer, n, inner, index, out, alpha);
  return record(new Tensor(out, x.shape), name, [x, src], (g) => {
    if (src.requiresGrad) checkSaved(saved);
    return [g, src.requiresGrad ? scaled(pickAlong(g, dim, index, `${name}Backward`), alpha) : null];
  });
}

function scaled(t: Tensor, alpha: number): Tensor {
  return alpha === 1 ? t : t.mul(alpha);
}

/** The Int32Array `[start, start + 1, ..., start + length - 1]`. */
export function rangeIndex(start: number, length: number, step = 1): Int32Array {
  const index = new Int32Array(length);
  for (let k = 0; k < length; k++) index[k] = start + k * step;
  return index;
}

/**
 * `length` positions of `x` along `dim` from `start` (a copy; torch's narrow is a view).
 * Arguments checked by the caller.
 */
export function narrowCopy(x: Tensor, dim: number, start: number, length: number, name = 'narrow'): Tensor {
  return pickAlong(x, dim, rangeIndex(start, length), name);
}

/**
 * Throws torch's out-of-bounds error for the first index outside `[0, n)` (or, with `wrap`, outside
 * `[-n, n)`: negative indices then count from the end). Returns a copy with negatives wrapped: the
 * backward reads the copy, so a later write to the index tensor cannot change the gradient.
 */
export function boundIndices(index: Int32Array, n: number, dim: number, where: string, wrap = false): Int32Array {
  const out = index.slice();
  for (let k = 0; k < out.length; k++) {
    const i = out[k]!;
    if (i >= 0 && i < n) continue;
    if (!wrap || i < -n || i >= n) {
      throw new Error(`${where}: index ${i} is out of bounds for dimension ${dim} with size ${n}`);
    }
    out[k] = i + n;
  }
  return out;
}

/** `x.indexSelect(dim, index)`: the positions `index` (a 1-d int32 tensor) of `x` along `dim`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeAxis(dim, x.ndim, 'indexSelect', 'dim');
  const idx = checkIndexTensor('indexSelect', 'index', index);
  if (index.ndim > 1) {
    throw new Error(`indexSelect: index must be a vector (0-d or 1-d), got shape ${fmtShape(index.shape)}`);
  }
  const saved = [saveForBackward(index)];
  return pickAlong(x, d, boundIndices(idx, x.shape[d] ?? 1, d, 'indexSelect'), 'indexSelect', saved);
}

/**
 * Options of `Tensor.indexAdd`.
 * @example
 * zeros([3]).indexAdd(0, tensor([0, 2], undefined, { dtype: 'int32' }), ones([2]), { alpha: 2 });
 */
export interface IndexAddOptions {
  /** Scale of `source` (default 1). */
  alpha?: number;
}

/**
 * `x.indexAdd(dim, index, source, { alpha })`: `x` with `alpha * source[.., k, ..]` added at
 * position `index[k]` along `dim` (out of place; torch's index_add).
 */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, opts: IndexAddOptions = {}): Tensor {
  const d = normalizeAxis(dim, x.ndim, 'indexAdd', 'dim');
  const idx = checkIndexTensor('indexAdd', 'index', index);
  if (index.ndim > 1) {
    throw new Error(`indexAdd: index must be a vector (0-d or 1-d), got shape ${fmtShape(index.shape)}`);
  }
  const alpha = opts.alpha ?? 1;
  if (typeof alpha !== 'number') throw new Error(`indexAdd: alpha must be a number, got ${typeof alpha}`);
  const expected = x.shape.map((s, a) => (a === d ? idx.length : s));
  if (!(source instanceof Tensor) || !sameShape(expected, source.shape)) {
    throw new Error(
      `indexAdd: source must have shape ${fmtShape(expected)} (self's shape with index's length ${idx.length} at ` +
        `dimension ${d}), got ${source instanceof Tensor ? fmtShape(source.shape) : typeof source}`,
    );
  }
  const base = source.dtype === x.dtype ? source : source.to(x.dtype);
  const saved = [saveForBackward(index), saveForBackward(source)]; // torch saves both for source's gradient
  return addAlong(x, d, boundIndices(idx, x.shape[d] ?? 1, d, 'indexAdd'), base, alpha, 'indexAdd', saved);
}

/** Checks gather/scatterAdd's index against `x` (and `src`), torch's rules; returns its indices. */
function checkAlongIndex(where: string, x: Tensor, d: number, index: Tensor, src?: Tensor): Int32Array {
  const idx = checkIndexTensor(where, 'index', index);
  const rank = Math.max(x.ndim, 1);
  if (Math.max(index.ndim, 1) !== rank || (src && Math.max(src.ndim, 1) !== rank)) {
    throw new Error(
      `${where}: index${src ? ' and src' : ''} must have the same number of dimensions as self (${x.ndim}), got ` +
        `index ${fmtShape(index.shape)}${src ? ` and src ${fmtShape(src.shape)}` : ''}`,
    );
  }
  const fits = index.shape.every((s, a) => (a === d || s <= x.shape[a]!) && (!src || s <= src.shape[a]!));
  if (!fits) {
    throw new Error(
      `${where}: expected index ${fmtShape(index.shape)} to be no larger than self ${fmtShape(x.shape)} ` +
        `apart from dimension ${d}` +
        (src ? ` and no larger than src ${fmtShape(src.shape)}` : ''),
    );
  }
  return boundIndices(idx, x.shape[d] ?? 1, d, where);
}

/** `x.gather(dim, index)`: `out[p] = x[p with axis dim replaced by index[p]]`; out has index's shape. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeAxis(dim, x.ndim, 'gather', 'dim');
  const idx = checkAlongIndex('gather', x, d, index);
  const out = allocate(x.dtype, idx.length);
  gatherAlong(x.data, x.shape, d, idx, index.shape, out);
  const saved = new Tensor(idx, index.shape); // the checked copy, for backward
  const indexCheck = saveForBackward(index);
  // backward: dx = scatter-add of g at the gathered positions
  return record(new Tensor(out, index.shape), 'gather', [x], (g) => {
    indexCheck();
    return [scatterAdd(new Tensor(allocate(g.dtype, x.size), x.shape), d, saved, g)];
  });
}

/**
 * `x.scatterAdd(dim, index, src)`: `x` with `src[p]` added at `p with axis dim replaced by index[p]`
 * for every position p of index (out of place; torch's scatter_add).
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normalizeAxis(dim, x.ndim, 'scatterAdd', 'dim');
  if (!(src instanceof Tensor)) throw new Error(`scatterAdd: src must be a Tensor, got ${typeof src}`);
  const idx = checkAlongIndex('scatterAdd', x, d, index, src);
  const out = x.data.slice();
  scatterAddAlong(src.data, src.shape, d, idx, index.shape, out, x.shape);
  const saved = new Tensor(idx, index.shape); // the checked copy, for backward
  const indexCheck = saveForBackward(index);
  // backward: dx = g; dsrc = g gathered at the scattered positions (torch needs src shaped like index)
  return record(new Tensor(out, x.shape), 'scatterAdd', [x, src], (g) => {
    if (src.requiresGrad) indexCheck(); // torch saves index only for src's gradient
    if (src.requiresGrad && !sameShape(src.shape, index.shape)) {
      throw new Error(
        `scatterAdd backward: src ${fmtShape(src.shape)} must have index's shape ` +
          `${fmtShape(index.shape)} (as in torch)`,
      );
    }
    return [g, src.requiresGrad ? gather(g, d, saved).to(src.dtype) : null];
  });
}

/**
 * `oneHot(indices, numClasses)`: an int32 tensor of shape `[...indices.shape, numClasses]` with 1
 * at each index (torch.nn.functional.one_hot; numClasses -1 means max + 1).
 * @example
 * oneHot(tensor([0, 2], undefined, { dtype: 'int32' }), 3); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  const idx = checkIndexTensor('oneHot', 'indices', indices);
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new Error(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  }
  let classes = numClasses;
  if (classes === -1) {
    if (idx.length === 0) {
      throw new Error('oneHot: can not infer the number of classes from an empty tensor; pass numClasses');
    }
    classes = idx.reduce((m, i) => Math.max(m, i), 0) + 1;
  }
  const out = allocate('int32', idx.length * classes);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (i < 0) throw new Error(`oneHot: class values must be non-negative, got ${i}`);
    if (i >= classes) throw new Error(`oneHot: class values must be smaller than numClasses (${classes}), got ${i}`);
    out[k * classes + i] = 1;
  }
  return new Tensor(out, [...indices.shape, classes]);
}
