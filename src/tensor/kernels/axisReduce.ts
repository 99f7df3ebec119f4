/**
 * The axis-reduction kernel: the one piece of code that computes statistics over any set of axes.
 *
 * Everything in typegrad that reduces runs here: `sum`, `mean`, `var`, `max`, the sum that undoes
 * broadcasting in backward, and all five normalization layers, forward (statistics, then
 * normalize + affine) and backward (the four reductions, then one elementwise pass).
 *
 * ## How each norm maps onto it (x shape -> statistic per ..., parameter per ...)
 *   BatchNorm    [N, C, *]      reduce {N, *}        stats [C]         weight [C]   (runs of H*W)
 *   LayerNorm    [*, F...]      reduce {F...}        stats [*]         weight [F...]
 *   InstanceNorm [N, C, *]      reduce {*}           stats [N, C]      weight [C]
 *   GroupNorm    [N, G, C/G, *] reduce {C/G, *}      stats [N, G]      weight [G, C/G] = [C]
 *   RMSNorm      [*, F...]      reduce {F...}        mean square [*]   weight [F...]
 *   sum/mean/var [any]          reduce {axes}        stats [kept]      none
 *
 * ## The files, in reading order
 *   ./axisPlan.ts       the plan: which elements share a statistic and a parameter, as runs of
 *                       consecutive elements (`planAxes`, `AxisPlan`);
 *   ./normReference.ts  the reference: one plain loop per formula, every gradient term labelled.
 *                       What every other kernel equals; read it first;
 *   this file           the fast unfused TypeScript kernels: `reduceSum`, `reduceMax`, `moments`,
 *                       `normalizeAffine`, `normBackwardReduce`, `normBackwardInput`;
 *   ./normFused.ts      the fused `normForward` / `normBackward` the norm op calls;
 *   ./normCompose.ts    how the unfused kernels are put together (BatchNorm), shared with wasm;
 *   src/wasm/           the WebAssembly SIMD kernels (docs/wasm.md), the default backend.
 *
 * Each kernel here equals the reference function of the same formula: `reduceSum` =
 * `sumReference`, `moments` = `momentsReference`, `normalizeAffine` = `normalizeReference`,
 * `normBackwardReduce` = `backwardSumsReference`, `normBackwardInput` = `backwardInputReference`
 * (test/tensor/axisReduce.test.ts, float64, and test/tensor/normLayouts.test.ts, float32).
 *
 * ## Numerics
 * Accumulators are float64 (JS numbers); variance is two-pass: the mean first, then the sum of
 * squared deviations, never E[x^2] - E[x]^2. Statistics stay float64 (`Float64Array`) until they are
 * applied to an element, and only the final result is rounded to the output's type.
 *
 * ## Speed
 * Where the reference has one loop over elements, these kernels walk the plan's runs and branch on
 * three layouts: statistic and parameter fixed along the run (BatchNorm2d, GroupNorm,
 * InstanceNorm), statistic fixed and parameter advancing (LayerNorm, RMSNorm), and statistic
 * advancing (BatchNorm1d on (N, C)). A fixed statistic is read once per run and indexed without
 * multiplying, and long sums keep four partial sums (`sumRun`, `sumSquaredDeviationsRun`): one
 * float64 accumulator makes every addition wait for the previous one. bench/kernels.bench.ts
 * measures the gain.
 *
 * ## Purity
 * Every function here is pure over typed arrays (`Float32Array | Float64Array`): it knows nothing
 * of tensors or graphs, allocates nothing in its loops, and writes only its output arguments, so a
 * faster implementation can stand in for any of them.
 *
 * The backward math is derived in docs/derivations/normalization.md.
 */
import type { FloatArray } from '../dtype.js';
import { mergesRuns, type AxisPlan } from './axisPlan.js';
import { momentsByRuns } from './normCompose.js';

// The plan is imported with the kernels by every op that reduces.
export { planAxes, type AxisPlan } from './axisPlan.js';

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

/** Sum of `x[x0 .. x0 + n)` in float64, with four partial sums (added in a fixed order). */
export function sumRun(x: FloatArray, x0: number, n: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    a0 += x[x0 + j]!;
    a1 += x[x0 + j + 1]!;
    a2 += x[x0 + j + 2]!;
    a3 += x[x0 + j + 3]!;
  }
  for (; j < n; j++) a0 += x[x0 + j]!;
  return a0 + a1 + (a2 + a3);
}

/** Sum of `(x[i] - m)^2` over `x[x0 .. x0 + n)` in float64, with four partial sums. */
export function sumSquaredDeviationsRun(x: FloatArray, x0: number, n: number, m: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const d0 = x[x0 + j]! - m;
    const d1 = x[x0 + j + 1]! - m;
    const d2 = x[x0 + j + 2]! - m;
    const d3 = x[x0 + j + 3]! - m;
    a0 += d0 * d0;
    a1 += d1 * d1;
    a2 += d2 * d2;
    a3 += d3 * d3;
  }
  for (; j < n; j++) {
    const d = x[x0 + j]! - m;
    a0 += d * d;
  }
  return a0 + a1 + (a2 + a3);
}

/** `out[s] = sum of x over statistic s`. `out` has length `plan.statSize`. */
export function reduceSum(x: FloatArray, plan: AxisPlan, out: Float64Array): void {
  const { inner, innerStat, runStat } = plan;
  out.fill(0);
  for (let r = 0; r < runStat.length; r++) {
    const s0 = runStat[r]!;
    const x0 = r * inner;
    if (innerStat === 0) {
      out[s0] += sumRun(x, x0, inner);
    } else {
      for (let j = 0; j < inner; j++) out[s0 + j] += x[x0 + j]!;
    }
  }
}

/** `out[s] = max of x over statistic s` (NaN propagates, like torch.amax). */
export function reduceMax(x: FloatArray, plan: AxisPlan, out: Float64Array): void {
  const { inner, innerStat, runStat } = plan;
  out.fill(-Infinity);
  for (let r = 0; r < runStat.length; r++) {
    const s0 = runStat[r]!;
    const x0 = r * inner;
    for (let j = 0; j < inner; j++) {
      const s = s0 + j * innerStat;
      const v = x[x0 + j]!;
      if (v > out[s]! || Number.isNaN(v)) out[s] = v;
    }
  }
}

/**
 * Moments per statistic, two-pass in float64.
 * `centered`: `mean[s]` = the mean and `m2[s]` = sum of squared deviations from it.
 * not centered (RMSNorm): `mean[s]` = 0 and `m2[s]` = sum of squares.
 * Biased variance is `m2 / count`; the unbiased one `m2 / (count - 1)`.
 */
export function moments(x: FloatArray, plan: AxisPlan, mean: Float64Array, m2: Float64Array, centered = true): void {
  const { inner, innerStat, runStat, count } = plan;
  // A statistic spans scattered runs (BatchNorm): two passes per run while it is in cache, then merge.
  if (mergesRuns(plan, centered)) return momentsByRuns({ moments }, x, plan, mean, m2);
  if (centered) {
    reduceSum(x, plan, mean);
    for (let s = 0; s < mean.length; s++) mean[s] = mean[s]! / count;
  } else {
    mean.fill(0);
  }
  m2.fill(0);
  for (let r = 0; r < runStat.length; r++) {
    const s0 = runStat[r]!;
    const x0 = r * inner;
    if (innerStat === 0) {
      m2[s0] += sumSquaredDeviationsRun(x, x0, inner, mean[s0]!);
    } else {
      for (let j = 0; j < inner; j++) {
        const d = x[x0 + j]! - mean[s0 + j]!;
        m2[s0 + j] += d * d;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Normalization, forward: y = (x - mean[s]) * rstd[s] * weight[p] + bias[p]
// ---------------------------------------------------------------------------------------------

/**
 * `y = (x - m) * scale + shift` over the run `[x0, x0 + n)`: the normalize pass of a run whose
 * statistic and parameter are both fixed (BatchNorm2d, GroupNorm, InstanceNorm), with
 * scale = rstd * weight and shift = bias. Eight elements a step, all eight loaded before any is
 * stored: V8 then keeps the loop in registers (measured 0.74 vs 1.1 ns per element for the
 * one-element loop). Each element's formula is the one-element loop's, so results are identical.
 */
export function normalizeRunFixed(
  x: FloatArray,
  y: FloatArray,
  x0: number,
  n: number,
  m: number,
  scale: number,
  shift: number,
): void {
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const i = x0 + j;
    const a0 = x[i]!;
    const a1 = x[i + 1]!;
    const a2 = x[i + 2]!;
    const a3 = x[i + 3]!;
    const a4 = x[i + 4]!;
    const a5 = x[i + 5]!;
    const a6 = x[i + 6]!;
    const a7 = x[i + 7]!;
    y[i] = (a0 - m) * scale + shift;
    y[i + 1] = (a1 - m) * scale + shift;
    y[i + 2] = (a2 - m) * scale + shift;
    y[i + 3] = (a3 - m) * scale + shift;
    y[i + 4] = (a4 - m) * scale + shift;
    y[i + 5] = (a5 - m) * scale + shift;
    y[i + 6] = (a6 - m) * scale + shift;
    y[i + 7] = (a7 - m) * scale + shift;
  }
  for (; j < n; j++) y[x0 + j] = (x[x0 + j]! - m) * scale + shift;
}

/**
 * Applies float64 statistics and an optional affine transform:
 * `y = (x - mean[s]) * rstd[s] * weight[p] + bias[p]` (weight 1 and bias 0 when null).
 * Shapes: x, y [size]; mean, rstd [statSize]; weight, bias [paramSize] or null.
 */
export function normalizeAffine(
  x: FloatArray,
  plan: AxisPlan,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  bias: FloatArray | null,
  y: FloatArray,
): void {
  const { inner, innerStat, innerParam, runStat, runParam } = plan;
  for (let r = 0; r < runStat.length; r++) {
    const s0 = runStat[r]!;
    const p0 = runParam[r]!;
    const x0 = r * inner;
    if (innerStat === 0 && innerParam === 0) {
      // Statistic and parameter fixed along the run (BatchNorm2d, GroupNorm, InstanceNorm):
      // y = (x - mean) * scale + shift, with scale = rstd * weight and shift = bias.
      const scale = weight === null ? rstd[s0]! : rstd[s0]! * weight[p0]!;
      normalizeRunFixed(x, y, x0, inner, mean[s0]!, scale, bias === null ? 0 : bias[p0]!);
    } else if (innerStat === 0) {
      // Statistic fixed, parameter advancing (LayerNorm, RMSNorm).
      const m = mean[s0]!;
      const rs = rstd[s0]!;
      for (let j = 0; j < inner; j++) {
        const xhat = (x[x0 + j]! - m) * rs;
        y[x0 + j] = (weight === null ? xhat : xhat * weight[p0 + j]!) + (bias === null ? 0 : bias[p0 + j]!);
      }
    } else {
      // Statistic advancing (BatchNorm1d on (N, C)).
      for (let j = 0; j < inner; j++) {
        const s = s0 + j;
        const p = p0 + j * innerParam;
        const xhat = (x[x0 + j]! - mean[s]!) * rstd[s]!;
        y[x0 + j] = (weight === null ? xhat : xhat * weight[p]!) + (bias === null ? 0 : bias[p]!);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Normalization, backward. With xhat = (x - mean) * rstd and dxhat = dy * weight:
//   dbias[p]   = sum over elements with parameter p of dy
//   dweight[p] = sum over elements with parameter p of dy * xhat
//   dx = rstd * (dxhat - mean_s(dxhat) - xhat * mean_s(dxhat * xhat))   (statistics from x)
//   dx = rstd * (dxhat - xhat * mean_s(dxhat * xhat))                  (RMSNorm: not centered)
//   dx = rstd * dxhat                                                  (statistics are constants)
// See docs/derivations/normalization.md.
// ---------------------------------------------------------------------------------------------

/**
 * The backward reductions, one pass over x and dy.
 * Writes per statistic `sumDxhat[s]` and `sumDxhatXhat[s]`, and per parameter `dweight[p]`, `dbias[p]`.
 * Any output may be null when it is not needed. Outputs are overwritten, not accumulated.
 */
export function normBackwardReduce(
  x: FloatArray,
  dy: FloatArray,
  plan: AxisPlan,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  sumDxhat: Float64Array | null,
  sumDxhatXhat: Float64Array | null,
  dweight: Float64Array | null,
  dbias: Float64Array | null,
): void {
  const { inner, innerStat, innerParam, runStat, runParam } = plan;
  sumDxhat?.fill(0);
  sumDxhatXhat?.fill(0);
  dweight?.fill(0);
  dbias?.fill(0);
  for (let r = 0; r < runStat.length; r++) {
    const s0 = runStat[r]!;
    const p0 = runParam[r]!;
    const x0 = r * inner;
    if (innerStat === 0 && innerParam === 0) {
      // Statistic and parameter fixed along the run: two sums, sum dy and sum dy * xhat; the
      // statistic pair is weight[p] times them (dxhat = dy * weight[p] with weight[p] fixed).
      const m = mean[s0]!;
      const rs = rstd[s0]!;
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let j = 0; j < inner; j++) {
        const dyj = dy[x0 + j]!;
        sumDy += dyj;
        sumDyXhat += dyj * (x[x0 + j]! - m) * rs;
      }
      const w = weight === null ? 1 : weight[p0]!;
      if (sumDxhat !== null) sumDxhat[s0] += w * sumDy;
      if (sumDxhatXhat !== null) sumDxhatXhat[s0] += w * sumDyXhat;
      if (dweight !== null) dweight[p0] += sumDyXhat;
      if (dbias !== null) dbias[p0] += sumDy;
    } else if (innerStat === 0) {
      // Statistic fixed, parameter advancing (LayerNorm, RMSNorm): the statistic sums in locals.
      const m = mean[s0]!;
      const rs = rstd[s0]!;
      let sumD = 0;
      let sumDXhat = 0;
      for (let j = 0; j < inner; j++) {
        const p = p0 + j;
        const dyj = dy[x0 + j]!;
        const xhat = (x[x0 + j]! - m) * rs;
        const dxhat = weight === null ? dyj : dyj * weight[p]!;
        sumD += dxhat;
        sumDXhat += dxhat * xhat;
        if (dweight !== null) dweight[p] += dyj * xhat;
        if (dbias !== null) dbias[p] += dyj;
      }
      if (sumDxhat !== null) sumDxhat[s0] += sumD;
      if (sumDxhatXhat !== null) sumDxhatXhat[s0] += sumDXhat;
    } else {
      // Statistic advancing (BatchNorm1d on (N, C)).
      for (let j = 0; j < inner; j++) {
        const s = s0 + j;
        const p = p0 + j * innerParam;
        const dyj = dy[x0 + j]!;
        const xhat = (x[x0 + j]! - mean[s]!) * rstd[s]!;
        const dxhat = weight === null ? dyj : dyj * weight[p]!;
        if (sumDxhat !== null) sumDxhat[s] += dxhat;
        if (sumDxhatXhat !== null) sumDxhatXhat[s] += dxhat * xhat;
        if (dweight !== null) dweight[p] += dyj * xhat;
        if (dbias !== null) dbias[p] += dyj;
      }
    }
  }
}

/**
 * The elementwise pass of the input gradient (see the block comment above for the three forms).
 * `sumDxhat` null: not centered (RMSNorm). Both sums null: statistics are constants (eval mode).
 */
export function normBackwardInput(
  x: FloatArray,
  dy: FloatArray,
  plan: AxisPlan,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  sumDxhat: Float64Array | null,
  sumDxhatXhat: Float64Array | null,
  dx: FloatArray,
): void {
  const { inner, innerStat, innerParam, runStat, runParam, count } = plan;
  for (let r = 0; r < runStat.length; r++) {
    const s0 = runStat[r]!;
    const p0 = runParam[r]!;
    const x0 = r * inner;
    if (innerStat === 0) {
      // Statistic fixed along the run (every norm but BatchNorm1d on (N, C)): its terms once.
      const m = mean[s0]!;
      const rs = rstd[s0]!;
      const centerTerms = sumDxhatXhat !== null;
      const meanDxhatXhat = sumDxhatXhat === null ? 0 : sumDxhatXhat[s0]! / count;
      const meanDxhat = sumDxhatXhat === null || sumDxhat === null ? 0 : sumDxhat[s0]! / count;
      if (innerParam === 0) {
        // The weight is fixed too (BatchNorm2d, GroupNorm, InstanceNorm).
        const w = weight === null ? 1 : weight[p0]!;
        for (let j = 0; j < inner; j++) {
          const dxhat = dy[x0 + j]! * w; // term: dxhat
          // terms: - xhat * mean(dxhat * xhat) - mean(dxhat)
          const v = centerTerms ? dxhat - (x[x0 + j]! - m) * rs * meanDxhatXhat - meanDxhat : dxhat;
          dx[x0 + j] = rs * v;
        }
      } else {
        // The weight advances with j (LayerNorm, RMSNorm).
        for (let j = 0; j < inner; j++) {
          const dyj = dy[x0 + j]!;
          const dxhat = weight === null ? dyj : dyj * weight[p0 + j]!; // term: dxhat
          // terms: - xhat * mean(dxhat * xhat) - mean(dxhat)
          const v = centerTerms ? dxhat - (x[x0 + j]! - m) * rs * meanDxhatXhat - meanDxhat : dxhat;
          dx[x0 + j] = rs * v;
        }
      }
    } else {
      // Statistic advancing (BatchNorm1d on (N, C)).
      for (let j = 0; j < inner; j++) {
        const s = s0 + j;
        const p = p0 + j * innerParam;
        const dyj = dy[x0 + j]!;
        const dxhat = weight === null ? dyj : dyj * weight[p]!;
        let v = dxhat;
        if (sumDxhatXhat !== null) {
          const xhat = (x[x0 + j]! - mean[s]!) * rstd[s]!;
          v -= (xhat * sumDxhatXhat[s]!) / count; // term: - xhat * mean(dxhat * xhat)
          if (sumDxhat !== null) v -= sumDxhat[s]! / count; // term: - mean(dxhat)
        }
        dx[x0 + j] = rstd[s]! * v;
      }
    }
  }
}
