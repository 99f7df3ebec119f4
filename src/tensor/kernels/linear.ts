/**
 * Linear's kernels (src/autograd/ops/linear.ts), x [n, k] (the input's leading axes flattened),
 * W [m, k], b [m]:
 *
 *   linearForward:   y  = x W^T + b       y [n, m]   (matmulNT, then addRows)
 *   linearBackward:  dx = dy W            dx [n, k]  (a plain product)
 *                    dW = dy^T x          dW [m, k]  (matmulTN: summed over all n rows at once)
 *                    db = sum_r dy[r, :]  db [m]     (sumRows: float64 sums)
 *
 * Each is the composition of the plain kernels named, so that a backend (src/wasm/linear.ts) can
 * stand in for the whole forward or backward with one call and copy each operand in once.
 */
import type { FloatArray } from '../dtype.js';
import { batchedMatmul, matmulNT, matmulTN } from './matmul.js';

/** y[r, j] += b[j] for every row r, in place. */
export function addRows(y: FloatArray, b: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) y[r * cols + j] += b[j]!;
  }
}

/** out[j] = sum_r g[r, j], accumulated in float64 row after row, then rounded into out. */
export function sumRows(g: FloatArray, rows: number, cols: number, out: FloatArray): void {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) acc[j] += g[r * cols + j]!;
  }
  out.set(acc);
}

/** y [n, m] = x [n, k] W [m, k]^T (+ b [m] when given). */
export function linearForward(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  y: FloatArray,
  n: number,
  k: number,
  m: number,
): void {
  matmulNT(x, w, y, n, k, m);
  if (b !== null) addRows(y, b, n, m);
}

/** dx = dy W, dW = dy^T x, db = column sums of dy: each written when its array is given. */
export function linearBackward(
  dy: FloatArray,
  x: FloatArray,
  w: FloatArray,
  dx: FloatArray | null,
  dW: FloatArray | null,
  db: FloatArray | null,
  n: number,
  k: number,
  m: number,
): void {
  if (dx !== null) batchedMatmul(dy, [n, m], w, [m, k], [], dx);
  if (dW !== null) matmulTN(dy, x, dW, m, n, k);
  if (db !== null) sumRows(dy, n, m, db);
}
