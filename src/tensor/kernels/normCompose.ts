/**
 * Orchestration shared by the fast kernels: how the unfused kernels are put together where a
 * statistic does not sit in one block of memory. The TypeScript kernels (./axisReduce.ts,
 * ./normFused.ts) and the wasm backend (src/wasm/backend.ts) both call these with their own
 * kernels, so the order of the steps, and therefore the numbers, is the same on both.
 *
 *   momentsByRuns        BatchNorm's moments: each run's two-pass moments while it is in cache,
 *                        then merged per statistic (Chan, Golub & LeVeque);
 *   composeNormForward   moments, then variance and rstd, then normalizeAffine;
 *   composeNormBackward  normBackwardReduce (only the sums wanted), then normBackwardInput.
 *
 * What they compute is ./normReference.ts's `momentsReference`, `normForwardReference` and
 * `normBackwardReference` (test/tensor/normLayouts.test.ts).
 */
import type { FloatArray } from '../dtype.js';
import { runsPlan, type AxisPlan } from './axisPlan.js';
import type { moments, normalizeAffine, normBackwardInput, normBackwardReduce } from './axisReduce.js';
import type { normBackward, normForward } from './normFused.js';

/** The unfused kernels that a fused call composes on other layouts: ./axisReduce.ts's, or wasm's. */
export interface UnfusedNormKernels {
  readonly moments: typeof moments;
  readonly normalizeAffine: typeof normalizeAffine;
  readonly normBackwardReduce: typeof normBackwardReduce;
  readonly normBackwardInput: typeof normBackwardInput;
}

/** `normForward` as moments, then variance and rstd per statistic, then normalizeAffine. */
export function composeNormForward(
  k: UnfusedNormKernels,
  ...[x, plan, centered, eps, weight, bias, y, mean, variance, rstd]: Parameters<typeof normForward>
): void {
  k.moments(x, plan, mean, variance, centered);
  for (let s = 0; s < plan.statSize; s++) {
    variance[s] = variance[s]! / plan.count;
    rstd[s] = 1 / Math.sqrt(variance[s]! + eps);
  }
  k.normalizeAffine(x, plan, mean, rstd, weight, bias, y);
}

/** `normBackward` as normBackwardReduce (only the sums wanted), then normBackwardInput. */
export function composeNormBackward(
  k: UnfusedNormKernels,
  ...[x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias]: Parameters<typeof normBackward>
): void {
  const sumDxhat = dx !== null && stats === 'centered' ? new Float64Array(plan.statSize) : null;
  const sumDxhatXhat = dx !== null && stats !== 'constant' ? new Float64Array(plan.statSize) : null;
  if (sumDxhat || sumDxhatXhat || dweight || dbias) {
    k.normBackwardReduce(x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dweight, dbias);
  }
  if (dx !== null) k.normBackwardInput(x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dx);
}

/**
 * Moments of statistics that span scattered runs (`mergesRuns(plan, true)`: BatchNorm), with
 * `k.moments` taking each run's moments on `runsPlan(plan)` and `mergeRunMoments` merging them.
 */
export function momentsByRuns(
  k: Pick<UnfusedNormKernels, 'moments'>,
  x: FloatArray,
  plan: AxisPlan,
  mean: Float64Array,
  m2: Float64Array,
): void {
  const perRun = runsPlan(plan);
  const runMean = new Float64Array(perRun.statSize);
  const runM2 = new Float64Array(perRun.statSize);
  k.moments(x, perRun, runMean, runM2, true);
  mergeRunMoments(plan, runMean, runM2, mean, m2);
}

/**
 * Merges per-run moments (`runMean[r]`, `runM2[r]` over `plan.inner` elements each) into
 * per-statistic moments, run by run, with the pairwise update of Chan, Golub & LeVeque (exact in exact arithmetic,
 * and stable: no E[x^2] - E[x]^2):
 *   n = na + nb,  delta = mean_b - mean_a,  mean = mean_a + delta * nb / n,
 *   M2 = M2_a + M2_b + delta^2 * na * nb / n
 */
export function mergeRunMoments(
  plan: AxisPlan,
  runMean: Float64Array,
  runM2: Float64Array,
  mean: Float64Array,
  m2: Float64Array,
): void {
  const { inner: nb, runStat } = plan;
  const merged = new Float64Array(mean.length); // elements merged so far, per statistic
  mean.fill(0);
  m2.fill(0);
  for (let r = 0; r < runStat.length; r++) {
    const s = runStat[r]!;
    const na = merged[s]!;
    const n = na + nb;
    const delta = runMean[r]! - mean[s]!;
    mean[s] += (delta * nb) / n;
    m2[s] += runM2[r]! + (delta * delta * na * nb) / n;
    merged[s] = n;
  }
}
