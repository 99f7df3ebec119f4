/**
 * The axis-reduction kernel: the one piece of code that computes statistics over any set of axes.
 *
 * Everything in typegrad that reduces runs here: `sum`, `mean`, `var`, `max`, the sum that undoes
 * broadcasting in backward, and all five normalization layers, forward (statistics, then
 * normalize + affine) and backward (the four reductions, then one elementwise pass).
 *
 * ## The view
 * A contiguous tensor `x` is read through two index maps, fixed by a plan:
 *   - the *statistic* index `s`: the position among the kept axes (the reduced axes contribute 0).
 *     Every element with the same `s` is reduced into statistic `s`;
 *   - the *parameter* index `p`: the position in a weight/bias that spans some axes (others: 0).
 * Adjacent axes whose two maps are both contiguous across them are merged, and size-1 axes dropped,
 * so common cases become a handful of long contiguous runs. The plan lists, for every run of the
 * innermost merged axis, its statistic and parameter offsets; along a run both indices advance by
 * 0 or 1. The x offset of run `r` is simply `r * inner`, because runs follow memory order.
 *
 * ## How each norm maps onto it (x shape -> statistic per ..., parameter per ...)
 *   BatchNorm    [N, C, *]      reduce {N, *}        stats [C]         weight [C]   (runs of H*W)
 *   LayerNorm    [*, F...]      reduce {F...}        stats [*]         weight [F...]
 *   InstanceNorm [N, C, *]      reduce {*}           stats [N, C]      weight [C]
 *   GroupNorm    [N, G, C/G, *] reduce {C/G, *}      stats [N, G]      weight [G, C/G] = [C]
 *   RMSNorm      [*, F...]      reduce {F...}        mean square [*]   weight [F...]
 *   sum/mean/var [any]          reduce {axes}        stats [kept]      none
 *
 * ## Numerics
 * Accumulators are float64 (JS numbers); variance is two-pass: the mean first, then the sum of
 * squared deviations, never E[x^2] - E[x]^2. Statistics stay float64 (`Float64Array`) until they are
 * applied to an element, and only the final result is rounded to the output's type.
 *
 * ## Speed
 * Each kernel special-cases the runs whose statistic is fixed (innerStat 0: every norm but
 * BatchNorm1d on (N, C)) so that the hot loop reads its statistics once per run and indexes
 * without multiplying, and long sums keep four partial sums (`sumRun`, `sumSquaredDeviationsRun`):
 * one float64 accumulator makes every addition wait for the previous one. bench/kernels.bench.ts
 * measures the gain; test/tensor/axisReduce.test.ts checks every layout against a float64
 * reference. A WebAssembly SIMD version of each kernel lives in src/wasm (docs/wasm.md).
 * The norm op calls the fused `normForward` and `normBackward` (at the end of this file), which do
 * each statistic whole while it is in cache and are tested bit for bit against the unfused
 * kernels (test/tensor/axisReduceFused.test.ts).
 *
 * ## Purity
 * Every function here is pure over typed arrays (`Float32Array | Float64Array`): it knows nothing
 * of tensors or graphs, allocates nothing in its loops, and writes only its output arguments, so a
 * faster implementation can stand in for any of them.
 *
 * The backward math is derived in docs/derivations/normalization.md.
 */
import type { FloatArray } from '../dtype.js';
import type { Shape } from '../shape.js';

/** How a contiguous tensor is read as runs of (statistic, parameter) indices. */
export interface AxisPlan {
  /** Elements of x. */
  readonly size: number;
  /** Number of statistics: the product of the kept axes. */
  readonly statSize: number;
  /** Elements reduced into each statistic: `size / statSize` (0 for an empty tensor). */
  readonly count: number;
  /** Number of parameters: the product of the parameter axes. */
  readonly paramSize: number;
  /** Length of each run (the innermost merged axis). */
  readonly inner: number;
  /** Statistic stride along a run: 0 (reduced innermost axis) or 1 (kept innermost axis). */
  readonly innerStat: number;
  /** Parameter stride along a run: 0 or 1. */
  readonly innerParam: number;
  /** `runStat[r]`: statistic index at the start of run r. Length: number of runs. */
  readonly runStat: Int32Array;
  /** `runParam[r]`: parameter index at the start of run r. */
  readonly runParam: Int32Array;
}

const planCache = new Map<string, AxisPlan>();
const PLAN_CACHE_LIMIT = 128;

/**
 * Plans a reduction of a contiguous tensor of `shape` over `reducedAxes` (sorted, non-negative),
 * with parameters spanning `paramAxes` (sorted, non-negative; may be empty). Plans are cached.
 */
export function planAxes(shape: Shape, reducedAxes: readonly number[], paramAxes: readonly number[] = []): AxisPlan {
  const key = `${shape.join(',')}|${reducedAxes.join(',')}|${paramAxes.join(',')}`;
  let plan = planCache.get(key);
  if (plan === undefined) {
    plan = buildPlan(shape, reducedAxes, paramAxes);
    if (planCache.size >= PLAN_CACHE_LIMIT) planCache.delete(planCache.keys().next().value!);
    planCache.set(key, plan);
  }
  return plan;
}

function buildPlan(shape: Shape, reducedAxes: readonly number[], paramAxes: readonly number[]): AxisPlan {
  const ndim = shape.length;
  const reduced = new Array<boolean>(ndim).fill(false);
  for (const a of reducedAxes) reduced[a] = true;
  const spanned = new Array<boolean>(ndim).fill(false);
  for (const a of paramAxes) spanned[a] = true;

  // Row-major strides of the statistic and parameter indices, 0 along axes they do not depend on.
  const statStride = new Array<number>(ndim).fill(0);
  const paramStride = new Array<number>(ndim).fill(0);
  let statSize = 1;
  let paramSize = 1;
  let size = 1;
  for (let i = ndim - 1; i >= 0; i--) {
    const d = shape[i]!;
    size *= d;
    if (!reduced[i]) {
      statStride[i] = statSize;
      statSize *= d;
    }
    if (spanned[i]) {
      paramStride[i] = paramSize;
      paramSize *= d;
    }
  }

  // Merge: drop size-1 axes; fuse axis i into its inner neighbour when both maps stay linear.
  const dims: number[] = [];
  const sStr: number[] = [];
  const pStr: number[] = [];
  for (let i = 0; i < ndim; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    dims.push(d);
    sStr.push(statStride[i]!);
    pStr.push(paramStride[i]!);
  }
  for (let i = dims.length - 2; i >= 0; i--) {
    const d = dims[i + 1]!;
    if (sStr[i] === sStr[i + 1]! * d && pStr[i] === pStr[i + 1]! * d) {
      dims[i] = dims[i]! * d;
      sStr[i] = sStr[i + 1]!;
      pStr[i] = pStr[i + 1]!;
      dims.splice(i + 1, 1);
      sStr.splice(i + 1, 1);
      pStr.splice(i + 1, 1);
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    sStr.push(0);
    pStr.push(0);
  }

  const last = dims.length - 1;
  const inner = size === 0 ? 0 : dims[last]!;
  const numRuns = inner === 0 ? 0 : size / inner;
  const runStat = new Int32Array(numRuns);
  const runParam = new Int32Array(numRuns);
  // Odometer over the outer merged axes, in memory order.
  const idx = new Array<number>(last).fill(0);
  let s = 0;
  let p = 0;
  for (let r = 0; r < numRuns; r++) {
    runStat[r] = s;
    runParam[r] = p;
    for (let k = last - 1; k >= 0; k--) {
      idx[k]!++;
      s += sStr[k]!;
      p += pStr[k]!;
      if (idx[k]! < dims[k]!) break;
      s -= sStr[k]! * dims[k]!;
      p -= pStr[k]! * dims[k]!;
      idx[k] = 0;
    }
  }
  return {
    size,
    statSize,
    count: statSize === 0 ? 0 : size / statSize,
    paramSize,
    inner,
    innerStat: sStr[last]!,
    innerParam: pStr[last]!,
    runStat,
    runParam,
  };
}

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

/** Sum of `x[x0 .. x0 + n)` in float64, with four partial sums (added in a fixed order). */
function sumRun(x: FloatArray, x0: number, n: number): number {
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
function sumSquaredDeviationsRun(x: FloatArray, x0: number, n: number, m: number): number {
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
  if (mergesRuns(plan, centered)) {
    // A statistic spans scattered runs (BatchNorm): two passes per run while it is in cache, then merge.
    const perRun = runsPlan(plan);
    const runMean = new Float64Array(perRun.statSize);
    const runM2 = new Float64Array(perRun.statSize);
    moments(x, perRun, runMean, runM2);
    mergeRunMoments(plan, runMean, runM2, mean, m2);
    return;
  }
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

/**
 * True when `moments` takes per-run moments and merges them: centered statistics that span several
 * runs which are not consecutive in memory (BatchNorm: one channel's runs are spread over the
 * batch). Such a statistic cannot be held in cache for a second pass over all its elements.
 */
export function mergesRuns(plan: AxisPlan, centered: boolean): boolean {
  const { inner, innerStat, count } = plan;
  return centered && innerStat === 0 && inner > 0 && count > inner && runsPerStatistic(plan) === 0;
}

const runsPlans = new WeakMap<AxisPlan, AxisPlan>();

/**
 * The plan that reads the same runs with every run its own statistic (`runStat[r] = r`): what
 * `moments` uses to take each run's moments before merging them. Cached per plan.
 */
export function runsPlan(plan: AxisPlan): AxisPlan {
  let perRun = runsPlans.get(plan);
  if (perRun === undefined) {
    const runs = plan.runStat.length;
    perRun = { ...plan, statSize: runs, count: plan.inner, innerStat: 0, runStat: Int32Array.from({ length: runs }, (_, r) => r) };
    runsPlans.set(plan, perRun);
  }
  return perRun;
}

/**
 * Merges per-run moments (`runMean[r]`, `runM2[r]` over `plan.inner` elements each) into per-statistic
 * moments, run by run, with the pairwise update of Chan, Golub & LeVeque (exact in exact arithmetic,
 * and stable: no E[x^2] - E[x]^2):
 *   n = na + nb,  delta = mean_b - mean_a,  mean = mean_a + delta * nb / n,
 *   M2 = M2_a + M2_b + delta^2 * na * nb / n
 */
export function mergeRunMoments(plan: AxisPlan, runMean: Float64Array, runM2: Float64Array, mean: Float64Array, m2: Float64Array): void {
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
function normalizeRunFixed(x: FloatArray, y: FloatArray, x0: number, n: number, m: number, scale: number, shift: number): void {
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
      // Statistic and parameter fixed along the run: two sums, sum g and sum g * xhat; the
      // statistic pair is weight[p] times them (dxhat = g * weight[p] with weight[p] fixed).
      const m = mean[s0]!;
      const rs = rstd[s0]!;
      let sumG = 0;
      let sumGXhat = 0;
      for (let j = 0; j < inner; j++) {
        const g = dy[x0 + j]!;
        sumG += g;
        sumGXhat += g * (x[x0 + j]! - m) * rs;
      }
      const w = weight === null ? 1 : weight[p0]!;
      if (sumDxhat !== null) sumDxhat[s0] += w * sumG;
      if (sumDxhatXhat !== null) sumDxhatXhat[s0] += w * sumGXhat;
      if (dweight !== null) dweight[p0] += sumGXhat;
      if (dbias !== null) dbias[p0] += sumG;
    } else if (innerStat === 0) {
      // Statistic fixed, parameter advancing (LayerNorm, RMSNorm): the statistic sums in locals.
      const m = mean[s0]!;
      const rs = rstd[s0]!;
      let sumD = 0;
      let sumDXhat = 0;
      for (let j = 0; j < inner; j++) {
        const p = p0 + j;
        const g = dy[x0 + j]!;
        const xhat = (x[x0 + j]! - m) * rs;
        const dxhat = weight === null ? g : g * weight[p]!;
        sumD += dxhat;
        sumDXhat += dxhat * xhat;
        if (dweight !== null) dweight[p] += g * xhat;
        if (dbias !== null) dbias[p] += g;
      }
      if (sumDxhat !== null) sumDxhat[s0] += sumD;
      if (sumDxhatXhat !== null) sumDxhatXhat[s0] += sumDXhat;
    } else {
      // Statistic advancing (BatchNorm1d on (N, C)).
      for (let j = 0; j < inner; j++) {
        const s = s0 + j;
        const p = p0 + j * innerParam;
        const g = dy[x0 + j]!;
        const xhat = (x[x0 + j]! - mean[s]!) * rstd[s]!;
        const dxhat = weight === null ? g : g * weight[p]!;
        if (sumDxhat !== null) sumDxhat[s] += dxhat;
        if (sumDxhatXhat !== null) sumDxhatXhat[s] += dxhat * xhat;
        if (dweight !== null) dweight[p] += g * xhat;
        if (dbias !== null) dbias[p] += g;
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
          const g = dy[x0 + j]!;
          const dxhat = weight === null ? g : g * weight[p0 + j]!; // term: dxhat
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
        const g = dy[x0 + j]!;
        const dxhat = weight === null ? g : g * weight[p]!;
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

// ---------------------------------------------------------------------------------------------
// Fused kernels: the forward (statistics + normalize) and the backward (reduce + input) in one call.
//
// When every statistic's elements are contiguous (consecutive runs with a fixed statistic:
// LayerNorm, RMSNorm, InstanceNorm, GroupNorm) each statistic is handled whole while it is in L1:
//   forward   pass 1 mean, pass 2 sum of squared deviations (two-pass), pass 3 y;
//   backward  pass 1 the four sums, pass 2 dx.
// Other layouts (BatchNorm: a statistic spans the whole batch) compose the unfused kernels above.
// Each fused loop adds in the same order as the unfused kernels, so the results are identical.
// ---------------------------------------------------------------------------------------------

/** How a backward treats the statistics: computed from x (centered or RMS) or given (constants). */
export type NormStatsMode = 'centered' | 'rms' | 'constant';

/**
 * Runs per statistic when each statistic is a block of consecutive runs (statistic s = runs
 * [s * k, (s + 1) * k)), else 0. LayerNorm, RMSNorm, InstanceNorm: k = 1; GroupNorm: k = C/G.
 */
export function runsPerStatistic(plan: AxisPlan): number {
  const { inner, innerStat, count, runStat } = plan;
  if (innerStat !== 0 || inner === 0 || count % inner !== 0) return 0;
  const k = count / inner;
  for (let r = 0; r < runStat.length; r++) if (runStat[r] !== Math.floor(r / k)) return 0;
  return k;
}

/** The unfused kernels that a fused call composes on other layouts: these, or a faster backend's. */
export interface UnfusedNormKernels {
  readonly moments: typeof moments;
  readonly normalizeAffine: typeof normalizeAffine;
  readonly normBackwardReduce: typeof normBackwardReduce;
  readonly normBackwardInput: typeof normBackwardInput;
}

const unfusedKernels: UnfusedNormKernels = { moments, normalizeAffine, normBackwardReduce, normBackwardInput };

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
  if (k === 0) return composeNormForward(unfusedKernels, x, plan, centered, eps, weight, bias, y, mean, variance, rstd);
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
  if (k === 0) return composeNormBackward(unfusedKernels, x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias);
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
        // Weight fixed along the run: sum g and sum g * xhat, scaled by the weight afterwards.
        let sumG = 0;
        let sumGXhat = 0;
        for (let j = 0; j < inner; j++) {
          const g = dy[x0 + j]!;
          sumG += g;
          sumGXhat += g * (x[x0 + j]! - m) * rs;
        }
        sumDxhat += w[p0]! * sumG;
        sumDxhatXhat += w[p0]! * sumGXhat;
        dw[p0] += sumGXhat;
        db[p0] += sumG;
      } else {
        // Weight advancing (LayerNorm, RMSNorm). Two elements a step, added in element order.
        let sumD = 0;
        let sumDXhat = 0;
        let j = 0;
        for (; j + 2 <= inner; j += 2) {
          const i = x0 + j;
          const p = p0 + j;
          const g0 = dy[i]!;
          const g1 = dy[i + 1]!;
          const xhat0 = (x[i]! - m) * rs;
          const xhat1 = (x[i + 1]! - m) * rs;
          const dxhat0 = g0 * w[p]!;
          const dxhat1 = g1 * w[p + 1]!;
          sumD += dxhat0;
          sumD += dxhat1;
          sumDXhat += dxhat0 * xhat0;
          sumDXhat += dxhat1 * xhat1;
          dw[p] += g0 * xhat0;
          dw[p + 1] += g1 * xhat1;
          db[p] += g0;
          db[p + 1] += g1;
        }
        for (; j < inner; j++) {
          const p = p0 + j;
          const g = dy[x0 + j]!;
          const xhat = (x[x0 + j]! - m) * rs;
          const dxhat = g * w[p]!;
          sumD += dxhat;
          sumDXhat += dxhat * xhat;
          dw[p] += g * xhat;
          db[p] += g;
        }
        sumDxhat += sumD;
        sumDxhatXhat += sumDXhat;
      }
    }
    if (dx === null) continue;
    // Pass 2: dx = rstd * (dxhat - xhat * mean(dxhat * xhat) - mean(dxhat)), the last two terms
    // dropped for constant statistics and the last for RMSNorm.
    const k1 = stats === 'constant' ? 0 : sumDxhatXhat / count; // mean(dxhat * xhat)
    const k2 = stats === 'centered' ? sumDxhat / count : 0; // mean(dxhat)
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
        for (let j = 0; j < inner; j++) dx[x0 + j] = rs * (dy[x0 + j]! * wp - (x[x0 + j]! - m) * rs * k1 - k2);
      } else {
        // Four elements a step, as in the forward.
        let j = 0;
        for (; j + 4 <= inner; j += 4) {
          const i = x0 + j;
          const p = p0 + j;
          const d0 = rs * (dy[i]! * w[p]! - (x[i]! - m) * rs * k1 - k2);
          const d1 = rs * (dy[i + 1]! * w[p + 1]! - (x[i + 1]! - m) * rs * k1 - k2);
          const d2 = rs * (dy[i + 2]! * w[p + 2]! - (x[i + 2]! - m) * rs * k1 - k2);
          const d3 = rs * (dy[i + 3]! * w[p + 3]! - (x[i + 3]! - m) * rs * k1 - k2);
          dx[i] = d0;
          dx[i + 1] = d1;
          dx[i + 2] = d2;
          dx[i + 3] = d3;
        }
        for (; j < inner; j++) dx[x0 + j] = rs * (dy[x0 + j]! * w[p0 + j]! - (x[x0 + j]! - m) * rs * k1 - k2);
      }
    }
  }
}
