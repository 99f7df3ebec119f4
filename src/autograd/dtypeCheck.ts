/**
 * dtype checks at op boundaries: float-only ops (norms, conv, pooling, losses, softmax, dropout,
 * mean, var, ...) and index arguments. The errors name the op, the argument and the given dtype,
 * like torch's "expected scalar type Long but found Float".
 */
import { describeValue } from '../tensor/check.js';
import type { FloatArray } from '../tensor/dtype.js';
import { Tensor } from './tensor.js';

/** `t.data` when `t` is float32 or float64; otherwise an Error naming `where`, `arg` and the dtype. */
export function floatData(t: Tensor, where: string, arg = 'input'): FloatArray {
  const data = t.data;
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  throw new Error(`${where}: ${arg} must have a floating dtype ('float32' or 'float64'), got '${t.dtype}'`);
}

/** Throws unless `t` is floating (see `floatData`); returns `t`. */
export function checkFloating(t: Tensor, where: string, arg = 'input'): Tensor {
  floatData(t, where, arg);
  return t;
}

/**
 * The Int32Array of an index tensor (torch wants int64 'Long'; typegrad's index dtype is int32).
 * @example
 * const idx = checkIndexTensor('indexSelect', 'index', index); // Int32Array, or an Error
 */
export function checkIndexTensor(fn: string, arg: string, t: unknown): Int32Array {
  if (!(t instanceof Tensor)) {
    throw new Error(`${fn}: ${arg} must be an int32 Tensor, got ${describeValue(t)}`);
  }
  if (!(t.data instanceof Int32Array)) {
    throw new Error(`${fn}: expected ${arg} to have dtype 'int32' (torch: Long), got '${t.dtype}'`);
  }
  return t.data;
}
