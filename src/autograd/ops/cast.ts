/**
 * dtype conversion among float32, float64, int32 and bool, like torch's `Tensor.to(dtype)`:
 * to int32 truncates toward zero (NaN, infinities and values outside int32's range throw: torch
 * leaves them undefined), to bool is `x != 0` (NaN is true), to a float rounds to nearest.
 * Between floating dtypes the gradient flows back converted to the input's dtype; a conversion to
 * int32 or bool is not differentiable (its output does not require grad, as in torch).
 */
import { allocate, checkDtype, convertInto, isFloating, type DType } from '../../tensor/dtype.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/** `x` as `dtype` (x itself if it already has it). */
export function toDtype(x: Tensor, dtype: DType): Tensor {
  if (dtype === undefined)
    throw new Error(`to: dtype must be one of 'bool', 'int32', 'float32', 'float64', got undefined`);
  checkDtype(dtype, 'to');
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.size);
  convertInto(x.data, out, 'to');
  const y = new Tensor(out, x.shape);
  if (!isFloating(dtype)) return y;
  return record(y, 'to', [x], (g) => [g.to(x.dtype)]);
}
