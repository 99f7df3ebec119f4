/**
 * Softmax and log-softmax over the rows of a contiguous [rows, n] view (the last axis), forward
 * and backward, each row in one call: the reference the wasm kernels (elementwise.wat) are tested
 * against, and the TypeScript backend's kernel. float64 throughout, rounded on store:
 *
 *   m = max_j x[j]   (NaN if any is NaN)          s = sum_j e^(x[j] - m)
 *   softmax:     y[j] = e^(x[j] - m) / s          dx[j] = y[j] (dy[j] - sum_k dy[k] y[k])
 *   logSoftmax:  y[j] = (x[j] - m) - ln s         dx[j] = dy[j] - e^(y[j]) sum_k dy[k]
 *
 * Subtracting m first keeps e^(x - m) <= 1 (no overflow); a row holding +Infinity or only
 * -Infinity gives NaN, as torch does. Derivation: docs/derivations/small-models.md.
 */
import type { FloatArray } from '../dtype.js';

/** `out` = softmax (or with `log`, log-softmax) of each row of `x` ([rows, n], contiguous). */
export function softmaxRows(x: FloatArray, rows: number, n: number, log: boolean, out: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const x0 = r * n;
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = x[x0 + j]!;
      if (v > m || Number.isNaN(v)) m = v;
    }
    let s = 0;
    if (log) {
      for (let j = 0; j < n; j++) s += Math.exp(x[x0 + j]! - m);
      const ls = Math.log(s);
      for (let j = 0; j < n; j++) out[x0 + j] = x[x0 + j]! - m - ls;
    } else {
      // e^(x - m) is stored (rounded to out's type), then divided: one exp per element
      for (let j = 0; j < n; j++) {
        const e = Math.exp(x[x0 + j]! - m);
        out[x0 + j] = e;
        s += e;
      }
      for (let j = 0; j < n; j++) out[x0 + j] = out[x0 + j]! / s;
    }
  }
}

/** `dx` of softmaxRows from its output `y` and the gradient `dy` of y (all [rows, n]). */
export function softmaxBackwardRows(
  y: FloatArray,
  dy: FloatArray,
  rows: number,
  n: number,
  log: boolean,
  dx: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const x0 = r * n;
    let s = 0;
    if (log) {
      for (let j = 0; j < n; j++) s += dy[x0 + j]!;
      for (let j = 0; j < n; j++) dx[x0 + j] = dy[x0 + j]! - Math.exp(y[x0 + j]!) * s;
    } else {
      for (let j = 0; j < n; j++) s += dy[x0 + j]! * y[x0 + j]!;
      for (let j = 0; j < n; j++) dx[x0 + j] = y[x0 + j]! * (dy[x0 + j]! - s);
    }
  }
}
