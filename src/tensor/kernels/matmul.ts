/**
 * Matrix multiplication: `out[b] = a[b] @ b[b]` for every batch index, batch dims broadcast.
 *
 * The 2-D kernel walks i, then k, then j: each row of `a` scales rows of `b` into a float64 row
 * accumulator, so both operands stream contiguously and the sum is kept in double precision.
 *
 * `matmulNT` and `matmulTN` read one operand transposed in place (Linear: y = x W^T, dW = dy^T x),
 * so no transposed copy is ever made.
 */
import type { FloatArray } from '../dtype.js';
import { broadcastStrides, sizeOf, type Shape } from '../shape.js';

/**
 * `out[n, m] = sum_k a[aOff + n*K + k] * b[bOff + k*M + m]` for one (n x K) @ (K x M) product.
 * `acc` is scratch of length >= M.
 */
export function gemm(
  a: FloatArray,
  aOff: number,
  b: FloatArray,
  bOff: number,
  out: FloatArray,
  outOff: number,
  n: number,
  k: number,
  m: number,
  acc: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) acc[j] = 0;
    const aRow = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const aip = a[aRow + p]!;
      const bRow = bOff + p * m;
      for (let j = 0; j < m; j++) acc[j] += aip * b[bRow + j]!;
    }
    const oRow = outOff + i * m;
    for (let j = 0; j < m; j++) out[oRow + j] = acc[j]!;
  }
}

/**
 * Batched matmul of `a` [...batchA, n, k] by `b` [...batchB, k, m] into `out`
 * [...broadcast(batchA, batchB), n, m]. Shapes must already be validated (both rank >= 2).
 */
export function batchedMatmul(
  a: FloatArray,
  aShape: Shape,
  b: FloatArray,
  bShape: Shape,
  outBatch: Shape,
  out: FloatArray,
): void {
  const n = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const m = bShape[bShape.length - 1]!;
  const aBatchStr = broadcastStrides(aShape.slice(0, -2), outBatch);
  const bBatchStr = broadcastStrides(bShape.slice(0, -2), outBatch);
  const batches = sizeOf(outBatch);
  const acc = new Float64Array(m);
  const idx = new Array<number>(outBatch.length).fill(0);
  let aB = 0;
  let bB = 0;
  for (let t = 0; t < batches; t++) {
    gemm(a, aB * n * k, b, bB * k * m, out, t * n * m, n, k, m, acc);
    for (let d = outBatch.length - 1; d >= 0; d--) {
      idx[d]!++;
      aB += aBatchStr[d]!;
      bB += bBatchStr[d]!;
      if (idx[d]! < outBatch[d]!) break;
      aB -= aBatchStr[d]! * outBatch[d]!;
      bB -= bBatchStr[d]! * outBatch[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * `out = a @ b^T` for a [n, k] and b [m, k] (NT): out[i, j] = sum_p a[i, p] * b[j, p].
 * Row i of a and row j of b are both contiguous, so each output is one float64 dot product.
 */
export function matmulNT(a: FloatArray, b: FloatArray, out: FloatArray, n: number, k: number, m: number): void {
  for (let i = 0; i < n; i++) {
    const aRow = i * k;
    for (let j = 0; j < m; j++) {
      const bRow = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[aRow + p]! * b[bRow + p]!;
      out[i * m + j] = sum;
    }
  }
}

/**
 * `out = a^T @ b` for a [k, n] and b [k, m] (TN): out[i, j] = sum_p a[p, i] * b[p, j].
 * Like `gemm`: a[p, i] scales row p of b into a float64 row accumulator.
 */
export function matmulTN(a: FloatArray, b: FloatArray, out: FloatArray, n: number, k: number, m: number): void {
  const acc = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const api = a[p * n + i]!;
      for (let j = 0; j < m; j++) acc[j] += api * b[p * m + j]!;
    }
    for (let j = 0; j < m; j++) out[i * m + j] = acc[j]!;
  }
}
