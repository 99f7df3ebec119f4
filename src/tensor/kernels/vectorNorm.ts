/**
 * Vector p-norms over any set of axes (torch.linalg.vector_norm), on the axis-reduction plan of
 * ./axisReduce.ts: statistic `s` of the plan collects every element that the norm reduces.
 *
 *   p = inf     max |x|          p = -inf   min |x|
 *   p = 0       number of x != 0 (NaN counts)
 *   otherwise   (sum |x|^p)^(1/p), the sum accumulated in float64 (no float32 |x|^p overflows)
 *
 * NaN propagates through every case but p = 0. Pure over typed arrays; writes only `out`.
 */
import type { FloatArray } from '../dtype.js';
import type { AxisPlan } from './axisReduce.js';

/** `out[s]` = the p-norm of statistic s. `out` has length `plan.statSize`. */
export function reduceVectorNorm(x: FloatArray, plan: AxisPlan, p: number, out: Float64Array): void {
  const { inner, innerStat, runStat } = plan;
  out.fill(p === -Infinity ? Infinity : 0);
  for (let r = 0; r < runStat.length; r++) {
    const s0 = runStat[r]!;
    const x0 = r * inner;
    for (let j = 0; j < inner; j++) {
      const s = s0 + j * innerStat;
      const v = Math.abs(x[x0 + j]!);
      if (p === Infinity) {
        if (v > out[s]! || Number.isNaN(v)) out[s] = v;
      } else if (p === -Infinity) {
        if (v < out[s]! || Number.isNaN(v)) out[s] = v;
      } else if (p === 0) {
        out[s] += v !== 0 ? 1 : 0;
      } else if (p === 1) {
        out[s] += v;
      } else if (p === 2) {
        out[s] += v * v;
      } else {
        out[s] += v ** p;
      }
    }
  }
  if (p === 2) for (let s = 0; s < out.length; s++) out[s] = Math.sqrt(out[s]!);
  else if (Number.isFinite(p) && p !== 0 && p !== 1) for (let s = 0; s < out.length; s++) out[s] = out[s]! ** (1 / p);
}
