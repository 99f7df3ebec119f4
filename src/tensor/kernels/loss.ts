/**
 * Loss kernels: the gather/scatter of the negative log-likelihood and the softplus map.
 *
 * ## Negative log-likelihood over class indices
 * logp is read as [N, C, S] (S = product of the spatial axes, 1 for [N, C]); targets t [N, S].
 *   loss[n, s]   = -w[t] * logp[n, t, s]        (0 when t == ignoreIndex)
 *   weight[n, s] =  w[t]                         (0 when ignored; w = 1 without class weights)
 * Backward, given dloss [N, S]: the only non-zero entries are
 *   dlogp[n, t, s] = -w[t] * dloss[n, s]
 *
 * ## Softplus
 *   softplus(z) = ln(1 + e^z) = max(z, 0) + log1p(e^-|z|)    (never overflows)
 *   d/dz softplus(z) = sigmoid(z)
 */
import type { FloatArray } from '../dtype.js';

/** Sizes of an NLL problem: logp [n, c, s], targets [n, s]. */
export interface NllShape {
  readonly n: number;
  readonly c: number;
  readonly s: number;
}

/**
 * NLL forward: writes `loss[n*S + s]` and `weight[n*S + s]` (see the header). `targets` holds
 * validated class indices (or `ignoreIndex`); `classWeight` is [C] or null.
 */
export function nllForward(
  logp: FloatArray,
  targets: Int32Array,
  shape: NllShape,
  classWeight: FloatArray | null,
  ignoreIndex: number,
  loss: FloatArray,
  weight: Float64Array,
): void {
  const { n, c, s } = shape;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < s; k++) {
      const i = b * s + k;
      const t = targets[i]!;
      if (t === ignoreIndex) {
        loss[i] = 0;
        weight[i] = 0;
        continue;
      }
      const wt = classWeight === null ? 1 : classWeight[t]!;
      loss[i] = -wt * logp[(b * c + t) * s + k]!;
      weight[i] = wt;
    }
  }
}

/** NLL backward: dlogp (overwritten) is zero except dlogp[n, t, s] = -w[t] * dloss[n, s]. */
export function nllBackward(
  dloss: FloatArray,
  targets: Int32Array,
  shape: NllShape,
  classWeight: FloatArray | null,
  ignoreIndex: number,
  dlogp: FloatArray,
): void {
  const { n, c, s } = shape;
  dlogp.fill(0);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < s; k++) {
      const i = b * s + k;
      const t = targets[i]!;
      if (t === ignoreIndex) continue;
      const wt = classWeight === null ? 1 : classWeight[t]!;
      dlogp[(b * c + t) * s + k] = -wt * dloss[i]!;
    }
  }
}

/** `out[i] = softplus(z[i]) = max(z, 0) + log1p(e^-|z|)`. */
export function softplus(z: FloatArray, out: FloatArray): void {
  for (let i = 0; i < z.length; i++) {
    const v = z[i]!;
    out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}
