/**
 * Matrix product with torch.matmul's rules. For C = A @ B:
 *   dA = dC @ B^T,  dB = A^T @ dC
 * both in the broadcast batch shape; the engine sums batch broadcasting back.
 */
import { allocate, promote } from '../../tensor/dtype.js';
import { kernels } from '../../tensor/backend.js';
import { broadcastShapes, fmtShape, sizeOf } from '../../tensor/shape.js';
import { handOver } from '../handOver.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/** `a @ b`: 1-D operands are promoted to a row (a) or a column (b) and the extra axis removed. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(b instanceof Tensor)) throw new Error(`matmul: other must be a Tensor, got ${typeof b}`);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both operands need at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? a.reshape([1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? b.reshape([b.shape[0]!, 1]) : b;
  let out = matmul2(a2, b2, a, b);
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return out;
}

function matmul2(a: Tensor, b: Tensor, origA: Tensor, origB: Tensor): Tensor {
  const k = a.shape[a.ndim - 1]!;
  const kb = b.shape[b.ndim - 2]!;
  if (k !== kb) {
    throw new Error(
      `matmul: inner dimensions must match: a is ${fmtShape(origA.shape)} (k = ${k}) but b is ${fmtShape(origB.shape)} (k = ${kb})`,
    );
  }
  const n = a.shape[a.ndim - 2]!;
  const m = b.shape[b.ndim - 1]!;
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dimensions)');
  const outShape = [...batch, n, m];
  const out = allocate(promote(a.dtype, b.dtype), sizeOf(outShape));
  kernels().batchedMatmul(a.data, a.shape, b.data, b.shape, batch, out);
  return record(new Tensor(out, outShape), 'matmul', [a, b], (g) => [
    handOver(a.requiresGrad ? g.matmul(b.transpose(-1, -2)) : null),
    handOver(b.requiresGrad ? a.transpose(-1, -2).matmul(g) : null),
  ]);
}
