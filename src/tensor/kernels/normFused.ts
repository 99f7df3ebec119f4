/**
 * The fused norm kernels: the forward (statistics + normalize) and the backward (reductions + dx)
 * each in one call. These are what the norm op (src/autograd/ops/norm.ts) calls on the 'js'
 * backend.
 *
 * They equal ./normReference.ts's `normForwardReference` and `normBackwardReference` (within
 * float64 summation order: test/tensor/normLayouts.test.ts), and are bit for bit the unfused
 * kernels of ./axisReduce.ts composed (test/tensor/axisReduceFused.test.ts).
 *
 * When every statistic's elements are contiguous (consecutive runs with a fixed statistic:
 * LayerNorm, RMSNorm, InstanceNorm, GroupNorm) each statistic is handled whole while it is in L1:
 *   forward   pass 1 mean, pass 2 sum of squared deviations (two-pass), pass 3 y;
 *   backward  pass 1 the four sums, pass 2 dx.
 * Other layouts (BatchNorm: a statistic spans the whole batch) compose the unfused kernels
 * (./normCompose.ts). Each fused loop adds in the same order as the unfused kernels, so the results
 * are identical. The loops are unrolled 2, 4 or 8 wide where a benchmark showed a gain
 * (bench/kernels.bench.ts); each unrolled element's formula is the one-element loop's.
 *
 * Names: `meanDxhatXhat` = mean(dxhat * xhat) and `meanDxhat` = mean(dxhat) over a statistic, the
 * two sums of the derivation (docs/derivations/normalization.md).
 */
import type { FloatArray } from '../dtype.js';
import { runsPerStatistic, type AxisPlan } from './axisPlan.js';
import {
  moments,
  normalizeAffine,
  normalizeRunFixed,
  normBackwardInput,
  normBackwardReduce,
  sumRun,
  sumSquaredDeviationsRun,
} from './axisReduce.js';
import { composeNormBackward, composeNormForward, type UnfusedNormKernels } from './normCompose.js';
import type { NormStatsMode } from './normReference.js';

export type { NormStatsMode } from './normReference.js';

const unfusedKernels: UnfusedNormKernels = { moments, normalizeAffine, normBackwardReduce, normBackwardInput };

/** `values`, or `size` copies of `fill` when null (multiplying by 1.0 or adding 0.0 is exact). */
function orConstant(values: FloatArray | null, size: number, fill: number): FloatArray {
  return values ?? new Float32Array(size).fill(fill);
}

/**
 * The forward in one call: `mean[s]`, biased `variance[s]` (`m2 / count`), `rstd[s]` =
 * `1 / sqrt(variance + eps)` (float64, two-pass as in `moments`) and
 * `y = (x - mean) * rstd * weight + bias`, as `moments` then `normalizeAffine` would give.
 * Not centered (RMSNorm): mean 0 and variance the mean square.
 */
export function normForward(
  x: FloatArray,
  plan: AxisPlan,
  centered: boolean,
  eps: number,
  weight: FloatArray | null,
  bias: FloatArray | null,
  y: FloatArray,
  mean: Float64Array,
  variance: Float64Array,
  rstd: Float64Array,
): void {
  const k = runsPerStatistic(plan);
  const { count, statSize } = plan;
  // A statistic spans non-adjacent runs (BatchNorm): every mean is needed before pass 2.
  if (k === 0) {
    return composeNormForward(unfusedKernels, x, plan, centered, eps, weight, bias, y, mean, variance, rstd);
  }
  const { inner, innerParam, runParam, paramSize } = plan;
  const w = orConstant(weight, paramSize, 1);
  const b = orConstant(bias, paramSize, 0);
  for (let s = 0; s < statSize; s++) {
    const firstRun = s * k;
    // Pass 1: the mean, run by run (0 when not centered).
    let m = 0;
    if (centered) {
      let sum = 0;
      for (let r = firstRun; r < firstRun + k; r++) sum += sumRun(x, r * inner, inner);
      m = sum / count;
    }
    // Pass 2: the sum of squared deviations from it.
    let m2 = 0;
    for (let r = firstRun; r < firstRun + k; r++) m2 += sumSquaredDeviationsRun(x, r * inner, inner, m);
    const v = m2 / count;
    const rs = 1 / Math.sqrt(v + eps);
    mean[s] = m;
    variance[s] = v;
    rstd[s] = rs;
    // Pass 3: y, while the statistic's elements are still in cache.
    for (let r = firstRun; r < firstRun + k; r++) {
      const p0 = runParam[r]!;
      const x0 = r * inner;
      if (innerParam === 0) {
        // Parameter fixed along the run (InstanceNorm, GroupNorm): y = (x - mean) * scale + shift.
        normalizeRunFixed(x, y, x0, inner, m, rs * w[p0]!, b[p0]!);
      } else {
        // Parameter advancing (LayerNorm, RMSNorm): y = xhat * weight[p] + bias[p], four elements
        // a step (measured: 1.4x the one-element loop in V8; each element's formula is unchanged).
        let j = 0;
        for (; j + 4 <= inner; j += 4) {
          const y0 = (x[x0 + j]! - m) * rs * w[p0 + j]! + b[p0 + j]!;
          const y1 = (x[x0 + j + 1]! - m) * rs * w[p0 + j + 1]! + b[p0 + j + 1]!;
          const y2 = (x[x0 + j + 2]! - m) * rs * w[p0 + j + 2]! + b[p0 + j + 2]!;
          const y3 = (x[x0 + j + 3]! - m) * rs * w[p0 + j + 3]! + b[p0 + j + 3]!;
          y[x0 + j] = y0;
          y[x0 + j + 1] = y1;
          y[x0 + j + 2] = y2;
          y[x0 + j + 3] = y3;
        }
        for (; j < inner; j++) y[x0 + j] = (x[x0 + j]! - m) * rs * w[p0 + j]! + b[p0 + j]!;
      }
    }
  }
}

/**
 * The backward in one call, as `normBackwardReduce` then `normBackwardInput` would give:
 * `dx` (null: not wanted), `dweight[p] = sum dy * xhat`, `dbias[p] = sum dy` (null: not wanted;
 * overwritten). `stats` says which dx formula applies (see the block comment above the backward).
 */
export function normBackward(
  x: FloatArray,
  dy: FloatArray,
  plan: AxisPlan,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  stats: NormStatsMode,
  dx: FloatArray | null,
  dweight: Float64Array | null,
  dbias: Float64Array | null,
): void {
  const { statSize, paramSize, count } = plan;
  const k = runsPerStatistic(plan);
  // A statistic spans non-adjacent runs (BatchNorm): every sum is needed before dx.
  if (k === 0) {
    return composeNormBackward(unfusedKernels, x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias);
  }
  const { inner, innerParam, runParam } = plan;
  const w = orConstant(weight, paramSize, 1);
  // Unwanted parameter sums go to scratch, so that the loops need no null checks.
  const dw = dweight ?? new Float64Array(paramSize);
  const db = dbias ?? new Float64Array(paramSize);
  dw.fill(0);
  db.fill(0);
  for (let s = 0; s < statSize; s++) {
    const firstRun = s * k;
    const m = mean[s]!;
    const rs = rstd[s]!;
    // Pass 1: sum dxhat and sum dxhat * xhat for this statistic; dweight, dbias per parameter.
    let sumDxhat = 0;
    let sumDxhatXhat = 0;
    for (let r = firstRun; r < firstRun + k; r++) {
      const p0 = runParam[r]!;
      const x0 = r * inner;
      if (innerParam === 0) {
        // Weight fixed along the run: sum dy and sum dy * xhat, scaled by the weight afterwards.
        let sumDy = 0;
        let sumDyXhat = 0;
        for (let j = 0; j < inner; j++) {
          const dyj = dy[x0 + j]!;
          sumDy += dyj;
          sumDyXhat += dyj * (x[x0 + j]! - m) * rs;
        }
        sumDxhat += w[p0]! * sumDy;
        sumDxhatXhat += w[p0]! * sumDyXhat;
        dw[p0] += sumDyXhat;
        db[p0] += sumDy;
      } else {
        // Weight advancing (LayerNorm, RMSNorm). Two elements a step, added in element order.
        let sumD = 0;
        let sumDXhat = 0;
        let j = 0;
        for (; j + 2 <= inner; j += 2) {
          const i = x0 + j;
          const p = p0 + j;
          const dy0 = dy[i]!;
          const dy1 = dy[i + 1]!;
          const xhat0 = (x[i]! - m) * rs;
          const xhat1 = (x[i + 1]! - m) * rs;
          const dxhat0 = dy0 * w[p]!;
          const dxhat1 = dy1 * w[p + 1]!;
          sumD += dxhat0;
          sumD += dxhat1;
          sumDXhat += dxhat0 * xhat0;
          sumDXhat += dxhat1 * xhat1;
          dw[p] += dy0 * xhat0;
          dw[p + 1] += dy1 * xhat1;
          db[p] += dy0;
          db[p + 1] += dy1;
        }
        for (; j < inner; j++) {
          const p = p0 + j;
          const dyj = dy[x0 + j]!;
          const xhat = (x[x0 + j]! - m) * rs;
          const dxhat = dyj * w[p]!;
          sumD += dxhat;
          sumDXhat += dxhat * xhat;
          dw[p] += dyj * xhat;
          db[p] += dyj;
        }
        sumDxhat += sumD;
        sumDxhatXhat += sumDXhat;
      }
    }
    if (dx === null) continue;
    // Pass 2: dx = rstd * (dxhat - xhat * mean(dxhat * xhat) - mean(dxhat)), the last two terms
    // dropped for constant statistics and the last for RMSNorm.
    const meanDxhatXhat = stats === 'constant' ? 0 : sumDxhatXhat / count;
    const meanDxhat = stats === 'centered' ? sumDxhat / count : 0;
    for (let r = firstRun; r < firstRun + k; r++) {
      const p0 = runParam[r]!;
      const x0 = r * inner;
      if (stats === 'constant') {
        // term: dxhat only
        if (innerParam === 0) {
          const wp = w[p0]!;
          for (let j = 0; j < inner; j++) dx[x0 + j] = rs * (dy[x0 + j]! * wp);
        } else {
          for (let j = 0; j < inner; j++) dx[x0 + j] = rs * (dy[x0 + j]! * w[p0 + j]!);
        }
      } else if (innerParam === 0) {
        const wp = w[p0]!;
        for (let j = 0; j < inner; j++) {
          // terms: dxhat - xhat * mean(dxhat * xhat) - mean(dxhat)
          dx[x0 + j] = rs * (dy[x0 + j]! * wp - (x[x0 + j]! - m) * rs * meanDxhatXhat - meanDxhat);
        }
      } else {
        // Four elements a step, as in the forward.
        let j = 0;
        for (; j + 4 <= inner; j += 4) {
          const i = x0 + j;
          const p = p0 + j;
          // terms: dxhat - xhat * mean(dxhat * xhat) - mean(dxhat), four elements
          const d0 = rs * (dy[i]! * w[p]! - (x[i]! - m) * rs * meanDxhatXhat - meanDxhat);
          const d1 = rs * (dy[i + 1]! * w[p + 1]! - (x[i + 1]! - m) * rs * meanDxhatXhat - meanDxhat);
          const d2 = rs * (dy[i + 2]! * w[p + 2]! - (x[i + 2]! - m) * rs * meanDxhatXhat - meanDxhat);
          const d3 = rs * (dy[i + 3]! * w[p + 3]! - (x[i + 3]! - m) * rs * meanDxhatXhat - meanDxhat);
          dx[i] = d0;
          dx[i + 1] = d1;
          dx[i + 2] = d2;
          dx[i + 3] = d3;
        }
        for (; j < inner; j++) {
          dx[x0 + j] = rs * (dy[x0 + j]! * w[p0 + j]! - (x[x0 + j]! - m) * rs * meanDxhatXhat - meanDxhat);
        }
      }
    }
  }
}
