/**
 * dtype conversion. The gradient flows back converted to the input's dtype.
 */
import { allocate, type DType } from '../../tensor/dtype.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/** `x` as `dtype` (x itself if it already has it). */
export function toDtype(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`to: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  }
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.size);
  out.set(x.data);
  return record(new Tensor(out, x.shape), 'to', [x], (g) => [g.to(x.dtype)]);
}
