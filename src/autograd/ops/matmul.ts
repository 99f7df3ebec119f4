/**
 * Matrix product with torch.matmul's rules. For C = A @ B:
 *   dA = dC @ B^T,  dB = A^T @ dC
 * both in the broadcast batch shape; the engine sums batch broadcasting back.
 *
 * dtypes: floating operands (float32 and float64 mix, giving float64); two int32 operands give int32
 * (torch CPU does int matmul; here the sums are exact below 2^53 and wrap modulo 2^32 like int32);
 * bool operands, and int32 mixed with a floating operand, throw like torch.
 */
import { allocate, isFloating, promote } from '../../tensor/dtype.js';
import { floatData } from '../dtypeCheck.js';
import { jsKernels, kernels } from '../../kernels/registry.js';
import { broadcastShapes, broadcastStrides, checkSize, fmtShape, sizeOf } from '../../tensor/shape.js';
import { checkTensor } from '../check.js';
import { handOver } from '../handOver.js';
import { record } from '../record.js';
import { saveIf } from '../saved.js';
import { Tensor } from '../tensor.js';

/** `a @ b`: 1-D operands are promoted to a row (a) or a column (b) and the extra axis removed. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'matmul', 'input');
  checkTensor(b, 'matmul', 'other');
  checkDtypes(a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(
      `matmul: both operands need at least 1 dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
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
      `matmul: inner dimensions must match: a is ${fmtShape(origA.shape)} (k = ${k}) but b is ` +
        `${fmtShape(origB.shape)} (k = ${kb})`,
    );
  }
  const n = a.shape[a.ndim - 2]!;
  const m = b.shape[b.ndim - 1]!;
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dimensions)');
  const outShape = [...batch, n, m];
  checkSize(outShape, 'matmul', 'result shape');
  if (a.dtype === 'int32') return new Tensor(intMatmul(a, b, batch, sizeOf(outShape)), outShape);
  const out = allocate(promote(a.dtype, b.dtype) as 'float32' | 'float64', sizeOf(outShape));
  kernels().batchedMatmul(floatData(a, 'matmul'), a.shape, floatData(b, 'matmul', 'other'), b.shape, batch, out);
  const bs = saveIf(a.requiresGrad, b);
  const as = saveIf(b.requiresGrad, a);
  return record(new Tensor(out, outShape), 'matmul', [a, b], (g) => [
    handOver(bs ? transposedProduct(g, bs(), batch, 'NT') : null),
    handOver(as ? transposedProduct(as(), g, batch, 'TN') : null),
  ]);
}

/**
 * matmul's two gradients without a transposed copy: dA = g @ B^T ('NT', x = g [..., n, m],
 * y = B [..., k, m]) and dB = A^T @ g ('TN', x = A [..., n, k], y = g [..., n, m]), one 2-D
 * `matmulNT` / `matmulTN` per output batch, reading each operand's matrices in place (batch axes
 * broadcast by stride 0). The result has the batch shape `batch` of the forward's output; the
 * engine sums it back to the operand's shape. Same products, same summation order as
 * `g.matmul(b.transpose(-1, -2))` (test/autograd/matmul.test.ts), without materializing B^T or A^T
 * (a conv's weight gradient would copy its whole column matrix every step).
 */
function transposedProduct(x: Tensor, y: Tensor, batch: readonly number[], form: 'NT' | 'TN'): Tensor {
  const [xr, xc] = [x.shape[x.ndim - 2]!, x.shape[x.ndim - 1]!];
  const [yr, yc] = [y.shape[y.ndim - 2]!, y.shape[y.ndim - 1]!];
  // NT: out [xr, yr] = x @ y^T (sum over xc); TN: out [xc, yc] = x^T @ y (sum over xr).
  const [n, k, m] = form === 'NT' ? [xr, xc, yr] : [xc, xr, yc];
  const xd = floatData(x, 'matmul');
  const yd = floatData(y, 'matmul');
  const out = allocate(promote(x.dtype, y.dtype) as 'float32' | 'float64', sizeOf(batch) * n * m);
  const xStr = broadcastStrides(x.shape.slice(0, -2), batch);
  const yStr = broadcastStrides(y.shape.slice(0, -2), batch);
  const kernel = form === 'NT' ? kernels().matmulNT : kernels().matmulTN;
  const idx = new Array<number>(batch.length).fill(0);
  let xb = 0;
  let yb = 0;
  for (let t = 0; t < sizeOf(batch); t++) {
    const xm = xd.subarray(xb * xr * xc, (xb + 1) * xr * xc);
    const ym = yd.subarray(yb * yr * yc, (yb + 1) * yr * yc);
    kernel(xm, ym, out.subarray(t * n * m, (t + 1) * n * m), n, k, m);
    for (let d = batch.length - 1; d >= 0; d--) {
      idx[d]!++;
      xb += xStr[d]!;
      yb += yStr[d]!;
      if (idx[d]! < batch[d]!) break;
      xb -= xStr[d]! * batch[d]!;
      yb -= yStr[d]! * batch[d]!;
      idx[d] = 0;
    }
  }
  return new Tensor(out, [...batch, n, m]);
}

/** Both floating, or both int32; anything else throws like torch ("expected m1 and m2 to have the same dtype"). */
function checkDtypes(a: Tensor, b: Tensor): void {
  const ok = (isFloating(a.dtype) && isFloating(b.dtype)) || (a.dtype === 'int32' && b.dtype === 'int32');
  if (!ok) {
    throw new Error(`matmul: operands must both be floating or both int32, got '${a.dtype}' and '${b.dtype}'`);
  }
}

/** int32 @ int32 through the float64 reference kernel; the stores into Int32Array wrap modulo 2^32. */
function intMatmul(a: Tensor, b: Tensor, batch: readonly number[], size: number): Int32Array {
  const out = new Float64Array(size);
  jsKernels.batchedMatmul(Float64Array.from(a.data), a.shape, Float64Array.from(b.data), b.shape, batch, out);
  const result = new Int32Array(size);
  result.set(out);
  return result;
}
