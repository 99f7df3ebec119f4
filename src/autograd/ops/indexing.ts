/**
 * Indexing along one axis by a list of positions, and its adjoint, side by side:
 *
 *   pickAlong(x, dim, index)          y[.., k, ..] = x[.., index[k], ..]        (torch.index_select)
 *     backward: dx = addAlong(0, dim, index, g)                     (scatter-add of g's rows)
 *   addAlong(x, dim, index, src, a)   y = x;  y[.., index[k], ..] += a * src[.., k, ..]   (index_add)
 *     backward: dx = g,  dsrc = a * pickAlong(g, dim, index)        (gather of g's rows)
 *
 * narrow, select, flip, roll and the split family are pickAlong with a computed index list.
 * The kernels are in `src/tensor/kernels/indexing.ts`.
 */
import { allocate } from '../../tensor/dtype.js';
import { indexAddRows, indexSelectRows } from '../../tensor/kernels/indexing.js';
import { normalizeAxis, sizeOf } from '../../tensor/shape.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/** `x` along `dim` read as `[outer, n, inner]` (see the kernels' header). */
export function aroundAxis(shape: readonly number[], dim: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, dim)), n: shape[dim] ?? 1, inner: sizeOf(shape.slice(dim + 1)) };
}

/**
 * `y[.., k, ..] = x[.., index[k], ..]` along the (normalized) axis `dim`; indices already checked.
 * Recorded under `name` so that graphs show the op the user called.
 */
export function pickAlong(x: Tensor, dim: number, index: Int32Array, name: string): Tensor {
  const { outer, n, inner } = aroundAxis(x.shape, dim);
  const outShape = x.ndim === 0 ? [] : x.shape.map((d, i) => (i === dim ? index.length : d));
  const out = allocate(x.dtype, sizeOf(outShape));
  indexSelectRows(x.data, outer, n, inner, index, out);
  return record(new Tensor(out, outShape), name, [x], (g) => [
    addAlong(new Tensor(allocate(g.dtype, x.size), x.shape), dim, index, g, 1, `${name}Backward`),
  ]);
}

/**
 * `y = x` with `alpha * src[.., k, ..]` added to `y[.., index[k], ..]` along `dim`; indices checked,
 * src has x's shape except `index.length` along `dim`. Repeated indices accumulate.
 */
export function addAlong(x: Tensor, dim: number, index: Int32Array, src: Tensor, alpha: number, name: string): Tensor {
  const { outer, n, inner } = aroundAxis(x.shape, dim);
  const out = x.data.slice();
  indexAddRows(src.data, outer, n, inner, index, out, alpha);
  return record(new Tensor(out, x.shape), name, [x, src], (g) => [
    g,
    src.requiresGrad ? scaled(pickAlong(g, dim, index, `${name}Backward`), alpha) : null,
  ]);
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

/** Position `i` of `x` along `dim`, that axis removed (a copy; torch's select is a view). */
export function selectCopy(x: Tensor, dim: number, i: number, name = 'select'): Tensor {
  const d = normalizeAxis(dim, x.ndim, name, 'dim');
  const n = x.shape[d]!;
  if (!Number.isInteger(i) || i < -n || i >= n) {
    throw new Error(`${name}: index ${i} is out of bounds for dimension ${d} with size ${n}`);
  }
  return narrowCopy(x, d, i < 0 ? i + n : i, 1, name).squeeze(d);
}
