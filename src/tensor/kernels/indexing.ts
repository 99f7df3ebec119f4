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
 * Walks every element of a tensor of `shape` (row-major) and calls back with its flat position and
 * the flat offset of the same multi-index in a tensor with `strides`, the `dim` component left out.
 * The callback receives the index along `dim` separately.
 */
function forEachAlong(
  shape: Shape,
  strides: readonly number[],
  dim: number,
  visit: (flat: number, base: number, along: number) => void,
): void {
  const ndim = shape.length;
  const size = shape.reduce((p, d) => p * d, 1);
  const idx = new Array<number>(ndim).fill(0);
  let base = 0;
  for (let flat = 0; flat < size; flat++) {
    visit(flat, base, idx[dim] ?? 0);
    for (let a = ndim - 1; a >= 0; a--) {
      idx[a]!++;
      if (a !== dim) base += strides[a]!;
      if (idx[a]! < shape[a]!) break;
      if (a !== dim) base -= strides[a]! * shape[a]!;
      idx[a] = 0;
    }
  }
}

/**
 * torch.gather: `out[p] = x[p with axis dim replaced by index[p]]` for every position p of
 * `indexShape` (which must fit inside `xShape` on the other axes).
 */
export function gatherAlong(x: Storage, xShape: Shape, dim: number, index: ArrayLike<number>, indexShape: Shape, out: Storage): void {
  const strides = stridesOf(xShape);
  const s = strides[dim] ?? 1;
  forEachAlong(indexShape, strides, dim, (flat, base) => {
    out[flat] = x[base + index[flat]! * s]!;
  });
}

/**
 * torch.scatter_add: `out[p with axis dim replaced by index[p]] += src[q]` for every position p of
 * `indexShape`, where q is p's position in `srcShape` (src may be larger than index).
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
  const outStrides = stridesOf(outShape);
  const srcStrides = stridesOf(srcShape);
  const s = outStrides[dim] ?? 1;
  const sd = srcStrides[dim] ?? 1;
  // Two walks in lockstep would need two offsets; srcShape >= indexShape, so src's offset is
  // recomputed from the walk's own position along dim plus its base over the other axes.
  const srcBases = new Float64Array(index.length);
  forEachAlong(indexShape, srcStrides, dim, (flat, base, along) => (srcBases[flat] = base + along * sd));
  forEachAlong(indexShape, outStrides, dim, (flat, base) => {
    out[base + index[flat]! * s] += src[srcBases[flat]!]!;
  });
}

/**
 * tril / triu over the last two axes of `[batch, rows, cols]`: keeps `x[b, i, j]` where
 * `j - i <= k` (lower) or `j - i >= k` (upper) and writes 0 elsewhere.
 */
export function triangle(x: Storage, batch: number, rows: number, cols: number, k: number, upper: boolean, out: Storage): void {
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
