/**
 * Copying by index along one axis, and the adjoint of each copy (a scatter-add).
 *
 * Along an axis `dim`, a contiguous tensor reads as `[outer, n, inner]`: `outer` is the product of
 * the sizes before `dim`, `n` its size, `inner` the product after it. Element `[o, i, j]` sits at
 * `(o * n + i) * inner + j`, so each `(o, i)` is one contiguous row of `inner` elements:
 *
 *   indexSelect  out[o, k, :] = x[o, index[k], :]          out: [outer, m, inner], m = index.length
 *   indexAdd     out[o, index[k], :] += alpha * src[o, k, :]   (the adjoint of indexSelect)
 *   gather       out[..., k, ...] = x[..., index[..., k, ...], ...]   index and out have one shape
 *   scatterAdd   out[..., index[..., k, ...], ...] += src[..., k, ...]  (the adjoint of gather)
 *
 * Indices are validated by the caller (the ops in autograd/ops/indexing.ts); these loops trust them.
 */
import type { Shape } from '../shape.js';
import { stridesOf } from '../shape.js';

/** Any storage these loops copy: floats, or int32/uint8 for integer and bool tensors. */
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Rows of at least this many elements are copied with `set(subarray(...))`; shorter ones with a
 * plain loop, which beats creating a subarray view per row. Measured on 12288 rows (Node 20):
 * set 0.50 ms at every row length up to 64; the loop 0.18 ms at 10, 0.28 at 16, 0.58 at 32,
 * 1.16 at 64 (bench/indexing.bench.ts times both at rows of 10 and 64).
 */
const SET_MIN_ROW = 32;

/** `out[o, k, :] = x[o, index[k], :]` for x `[outer, n, inner]` and out `[outer, index.length, inner]`. */
export function indexSelectRows(
  x: Storage,
  outer: number,
  n: number,
  inner: number,
  index: ArrayLike<number>,
  out: Storage,
): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < m; k++) {
      const from = (o * n + index[k]!) * inner;
      const to = (o * m + k) * inner;
      if (inner >= SET_MIN_ROW) {
        out.set(x.subarray(from, from + inner), to);
      } else {
        for (let j = 0; j < inner; j++) out[to + j] = x[from + j]!;
      }
    }
  }
}

/**
 * `out[o, index[k], :] += alpha * src[o, k, :]` for src `[outer, index.length, inner]` and out
 * `[outer, n, inner]`; repeated indices accumulate.
 */
export function indexAddRows(
  src: Storage,
  outer: number,
  n: number,
  inner: number,
  index: ArrayLike<number>,
  out: Storage,
  alpha = 1,
): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < m; k++) {
      const from = (o * m + k) * inner;
      const to = (o * n + index[k]!) * inner;
      for (let j = 0; j < inner; j++) out[to + j] += alpha * src[from + j]!;
    }
  }
}

/**
 * Walks every position p of `shape` in row-major order and calls `visit(flat, a, b)`: `flat` is p's
 * row-major position, `a` its offset in a tensor with strides `stridesA` ignoring axis `dim`
 * (the caller adds the index along dim), `b` its offset in a tensor with strides `stridesB`.
 */
function forEachAlong(
  shape: Shape,
  dim: number,
  stridesA: readonly number[],
  stridesB: readonly number[],
  visit: (flat: number, a: number, b: number) => void,
): void {
  const ndim = shape.length;
  const size = shape.reduce((p, d) => p * d, 1);
  const idx = new Array<number>(ndim).fill(0);
  let a = 0;
  let b = 0;
  for (let flat = 0; flat < size; flat++) {
    visit(flat, a, b);
    for (let k = ndim - 1; k >= 0; k--) {
      idx[k]!++;
      const sa = k === dim ? 0 : stridesA[k]!;
      a += sa;
      b += stridesB[k]!;
      if (idx[k]! < shape[k]!) break;
      a -= sa * shape[k]!;
      b -= stridesB[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
}

/**
 * Whether `shape` equals `ref` on every axis but `dim`: then both read as `[outer, *, inner]` with
 * the same outer and inner, and gather / scatterAdd run as three plain loops (the common case:
 * cross-entropy's pick, `x.gather(1, i)` with i shaped like x). Otherwise they walk index's
 * positions with `forEachAlong`, the general form, which the fast path equals
 * (test/tensor/indexingKernels.test.ts).
 */
function alignedExceptDim(shape: Shape, ref: Shape, dim: number): boolean {
  return shape.length === ref.length && shape.every((d, a) => a === dim || d === ref[a]);
}

/** outer (the product of the axes before dim) and inner (after it) of `shape`. */
function outerInner(shape: Shape, dim: number): { outer: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let a = 0; a < shape.length; a++) {
    if (a < dim) outer *= shape[a]!;
    else if (a > dim) inner *= shape[a]!;
  }
  return { outer, inner };
}

/**
 * torch.gather: `out[p] = x[p with axis dim replaced by index[p]]` for every position p of
 * `indexShape` (which must fit inside `xShape` on the other axes).
 */
export function gatherAlong(
  x: Storage,
  xShape: Shape,
  dim: number,
  index: ArrayLike<number>,
  indexShape: Shape,
  out: Storage,
): void {
  if (alignedExceptDim(indexShape, xShape, dim)) {
    const { outer, inner } = outerInner(xShape, dim);
    const n = xShape[dim] ?? 1;
    const k = indexShape[dim] ?? 1;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const p = (o * k + j) * inner;
        for (let i = 0; i < inner; i++) out[p + i] = x[(o * n + index[p + i]!) * inner + i]!;
      }
    }
    return;
  }
  const xStrides = stridesOf(xShape);
  const s = xStrides[dim] ?? 1;
  forEachAlong(indexShape, dim, xStrides, xStrides, (flat, at) => {
    out[flat] = x[at + index[flat]! * s]!;
  });
}

/**
 * torch.scatter_add: `out[p with axis dim replaced by index[p]] += src[p]` for every position p of
 * `indexShape` (src may be larger than index: p is read at its own position in `srcShape`).
 */
export function scatterAddAlong(
  src: Storage,
  srcShape: Shape,
  dim: number,
  index: ArrayLike<number>,
  indexShape: Shape,
  out: Storage,
  outShape: Shape,
): void {
  if (alignedExceptDim(indexShape, outShape, dim) && indexShape.every((d, a) => d === srcShape[a])) {
    const { outer, inner } = outerInner(outShape, dim);
    const n = outShape[dim] ?? 1;
    const k = indexShape[dim] ?? 1;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const p = (o * k + j) * inner;
        for (let i = 0; i < inner; i++) out[(o * n + index[p + i]!) * inner + i] += src[p + i]!;
      }
    }
    return;
  }
  const outStrides = stridesOf(outShape);
  const s = outStrides[dim] ?? 1;
  forEachAlong(indexShape, dim, outStrides, stridesOf(srcShape), (flat, at, from) => {
    out[at + index[flat]! * s] += src[from]!;
  });
}

/**
 * tril / triu over the last two axes of `[batch, rows, cols]`: keeps `x[b, i, j]` where
 * `j - i <= k` (lower) or `j - i >= k` (upper) and writes 0 elsewhere.
 */
export function triangle(
  x: Storage,
  batch: number,
  rows: number,
  cols: number,
  k: number,
  upper: boolean,
  out: Storage,
): void {
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      const row = (b * rows + i) * cols;
      for (let j = 0; j < cols; j++) {
        const keep = upper ? j - i >= k : j - i <= k;
        out[row + j] = keep ? x[row + j]! : 0;
      }
    }
  }
}

/**
 * torch.cat along an axis: each source is `[outer, rowLens[t]]` (its axis and everything after it
 * flattened), and the output's row `o` is the sources' rows `o` side by side.
 */
export function catRows(srcs: readonly Storage[], rowLens: readonly number[], outer: number, out: Storage): void {
  const total = rowLens.reduce((s, r) => s + r, 0);
  let at = 0;
  for (let t = 0; t < srcs.length; t++) {
    const src = srcs[t]!;
    const len = rowLens[t]!;
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * len, (o + 1) * len), o * total + at);
    at += len;
  }
}
