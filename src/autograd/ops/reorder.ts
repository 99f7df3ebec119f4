/**
 * Rearranging elements: repeat, flip, roll, and the triangles tril/triu.
 *
 *   repeat(r)     tiles x: y[i] = x[i mod shape]   as reshape -> expand -> reshape, so the gradient
 *                 sums g over the copies (expand's backward)
 *   flip(dims)    y[i] = x[n - 1 - i] on each axis        backward: flip g back
 *   roll(s, dims) y[i] = x[(i - s) mod n] on each axis    backward: roll g by -s
 *   tril(k)       y = x where j - i <= k, else 0          backward: tril(g, k)  (triu: j - i >= k)
 */
import { allocate } from '../../tensor/dtype.js';
import { triangle } from '../../tensor/kernels/indexing.js';
import { normalizeAxis, sizeOf } from '../../tensor/shape.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';
import { pickAlong } from './indexing.js';

/** Tiles `x` `sizes[i]` times along each axis; extra leading sizes add axes (torch's Tensor.repeat). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (!Array.isArray(sizes) || !sizes.every((r) => Number.isInteger(r) && r >= 0)) {
    throw new Error(`repeat: sizes must be non-negative integers, got [${String(sizes)}]`);
  }
  if (sizes.length < x.ndim) {
    throw new Error(
      `repeat: the number of repeat sizes (${sizes.length}) can not be smaller than the number of dimensions of ` +
        `the tensor (${x.ndim})`,
    );
  }
  const shape = [...new Array<number>(sizes.length - x.ndim).fill(1), ...x.shape];
  // [s0, s1] tiled [r0, r1]: view as [1, s0, 1, s1], expand to [r0, s0, r1, s1], merge pairs.
  const spread = shape.flatMap((s) => [1, s]);
  const tiled = shape.flatMap((s, i) => [sizes[i]!, s]);
  return x
    .reshape(spread)
    .expand(tiled)
    .reshape(shape.map((s, i) => s * sizes[i]!));
}

function axisList(dims: number | readonly number[], ndim: number, where: string): number[] {
  const list = typeof dims === 'number' ? [dims] : dims;
  if (!Array.isArray(list)) {
    throw new Error(`${where}: dims must be an integer or a list of integers, got ${String(dims)}`);
  }
  const norm = list.map((a) => normalizeAxis(a, ndim, where, 'dims'));
  norm.forEach((a, i) => {
    if (norm.indexOf(a) !== i) throw new Error(`${where}: dim ${a} appears multiple times in the list of dims`);
  });
  return norm;
}

/** Reverses the order of elements along each of `dims`. */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  let y = x;
  for (const d of axisList(dims, x.ndim, 'flip')) {
    const n = x.shape[d] ?? 1;
    const index = new Int32Array(n);
    for (let i = 0; i < n; i++) index[i] = n - 1 - i;
    y = pickAlong(y, d, index, 'flip');
  }
  // no dims: torch still returns a new tensor
  return y === x ? record(new Tensor(x.data.slice(), x.shape), 'flip', [x], (g) => [g]) : y;
}

/**
 * Shifts elements by `shifts[i]` positions along `dims[i]`, wrapping around. Without `dims`, `x`
 * is flattened, rolled, and restored to its shape (torch.roll).
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const shiftList = typeof shifts === 'number' ? [shifts] : shifts;
  if (!Array.isArray(shiftList) || !shiftList.every(Number.isInteger)) {
    throw new Error(`roll: shifts must be an integer or a list of integers, got ${String(shifts)}`);
  }
  const dimList = dims === undefined ? [] : typeof dims === 'number' ? [dims] : dims;
  if (dimList.length === 0) {
    if (shiftList.length !== 1) {
      throw new Error(`roll: shifts and dims must align. shifts: ${shiftList.length}, dims: 0`);
    }
    return roll(x.flatten(), shiftList, [0]).reshape(x.shape);
  }
  if (shiftList.length !== dimList.length) {
    throw new Error(`roll: shifts and dims must align. shifts: ${shiftList.length}, dims: ${dimList.length}`);
  }
  let y = x;
  dimList.forEach((dim, k) => {
    const d = normalizeAxis(dim, x.ndim, 'roll', 'dims');
    const n = x.shape[d] ?? 1;
    const index = new Int32Array(n);
    for (let i = 0; i < n; i++) index[i] = (((i - shiftList[k]!) % n) + n) % n;
    y = pickAlong(y, d, index, 'roll');
  });
  return y;
}

function triangular(x: Tensor, k: number, upper: boolean): Tensor {
  const where = upper ? 'triu' : 'tril';
  if (x.ndim < 2) {
    throw new Error(`${where}: input tensor must have at least 2 dimensions, got shape [${x.shape.join(', ')}]`);
  }
  if (!Number.isInteger(k)) throw new Error(`${where}: diagonal must be an integer, got ${k}`);
  const rows = x.shape[x.ndim - 2]!;
  const cols = x.shape[x.ndim - 1]!;
  const out = allocate(x.dtype, x.size);
  triangle(x.data, sizeOf(x.shape.slice(0, -2)), rows, cols, k, upper, out);
  return record(new Tensor(out, x.shape), where, [x], (g) => [triangular(g, k, upper)]);
}

/** The lower triangle of the last two axes: `x[.., i, j]` where `j - i <= k`, 0 elsewhere. */
export function tril(x: Tensor, k = 0): Tensor {
  return triangular(x, k, false);
}

/** The upper triangle of the last two axes: `x[.., i, j]` where `j - i >= k`, 0 elsewhere. */
export function triu(x: Tensor, k = 0): Tensor {
  return triangular(x, k, true);
}
