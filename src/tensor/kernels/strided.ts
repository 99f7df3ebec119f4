/**
 * Writing through strides: the inverse of `stridedCopy` (elementwise.ts). In-place ops and
 * `copy_` use it to write a contiguous block of new values into a view of some storage; the
 * autograd engine adds a view's gradient into its place in the input's gradient (`add`).
 */
import type { TensorData } from '../dtype.js';
import type { Shape } from '../shape.js';

/**
 * dst[offset + sum_j i_j * strides[j]] = values[row-major index of (i_0, ..., i_k)] for every
 * index of `shape` (`+=` with `add`). `values` has product(shape) elements.
 */
export function stridedWrite(
  values: TensorData,
  dst: TensorData,
  offset: number,
  strides: readonly number[],
  shape: Shape,
  add = false,
): void {
  const ndim = shape.length;
  const size = values.length;
  if (size === 0) return;
  if (ndim === 0) {
    dst[offset] = add ? dst[offset]! + values[0]! : values[0]!;
    return;
  }
  const inner = shape[ndim - 1]!;
  const is = strides[ndim - 1]!;
  const idx = new Array<number>(ndim - 1).fill(0);
  let off = offset;
  // rows that are contiguous in dst too are block copies when the arrays have one type
  const rows = is === 1 && dst.constructor === values.constructor;
  for (let o = 0; o < size; o += inner) {
    if (add) for (let j = 0; j < inner; j++) dst[off + j * is] += values[o + j]!;
    else if (rows) dst.set(values.subarray(o, o + inner), off);
    else for (let j = 0; j < inner; j++) dst[off + j * is] = values[o + j]!;
    for (let k = ndim - 2; k >= 0; k--) {
      idx[k]!++;
      off += strides[k]!;
      if (idx[k]! < shape[k]!) break;
      off -= strides[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
}
