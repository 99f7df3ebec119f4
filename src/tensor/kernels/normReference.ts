/**
 * The reference normalization kernels: one plain loop per formula. Read this file first.
 *
 * Every norm (BatchNorm, LayerNorm, InstanceNorm, GroupNorm, RMSNorm; the table in ./axisReduce.ts)
 * is "statistics over some elements, then scale and shift". Here that is said with two integer
 * arrays: `stat[i]`, the statistic element i is reduced into, and `param[i]`, the weight and bias
 * element i uses. Each function is then one or two passes over i = 0 .. size-1, with float64
 * statistics, the variance in two passes (the mean first, then squared deviations, never
 * E[x^2] - E[x]^2), and every gradient term labelled as in docs/derivations/normalization.md:
 *
 *   forward   xhat = (x - mean[s]) * rstd[s],   y = xhat * weight[p] + bias[p]
 *   backward  dxhat = dy * weight[p]                                  (dL/dxhat)
 *             dbias[p] = sum dy,   dweight[p] = sum dy * xhat
 *             dx = rstd * (dxhat - mean_s(dxhat) - xhat * mean_s(dxhat * xhat))   'centered'
 *             dx = rstd * (dxhat - xhat * mean_s(dxhat * xhat))                   'rms' (RMSNorm)
 *             dx = rstd * dxhat                                                   'constant' (eval)
 *
 * Shapes: x, y, dy, dx [size]; mean, m2, variance, rstd, sumDxhat, sumDxhatXhat [statSize];
 * weight, bias, dweight, dbias [paramSize] (weight, bias null: 1 and 0).
 *
 * The fast kernels compute the same numbers: the TypeScript ones in ./axisReduce.ts (unfused) and
 * ./normFused.ts (what the op calls), the WebAssembly ones in src/wasm. test/tensor/normLayouts.test.ts
 * runs every fast kernel against these functions on one table of layouts; test/tensor/normReference.test.ts
 * checks these functions against finite differences and the identities of the derivation.
 * `setBackend('reference')` makes every norm layer run on this file, for stepping through in a debugger.
 */
import type { FloatArray } from '../dtype.js';
import type { Shape } from '../shape.js';
import type { AxisPlan } from './axisPlan.js';

/** How a backward treats the statistics: computed from x (centered or RMS) or given (constants). */
export type NormStatsMode = 'centered' | 'rms' | 'constant';

/** Which statistic and which parameter each element of a contiguous x belongs to. */
export interface NormIndex {
  /** `stat[i]`: the statistic of element i. [size] */
  readonly stat: Int32Array;
  /** `param[i]`: the weight/bias element of element i. [size] */
  readonly param: Int32Array;
  readonly statSize: number;
  readonly paramSize: number;
  /** Elements per statistic: size / statSize (0 for an empty x). */
  readonly count: number;
}

/** The index straight from the definition: s = position among the kept axes, p = among `paramAxes`. */
export function indexOfAxes(shape: Shape, reducedAxes: readonly number[], paramAxes: readonly number[]): NormIndex {
  const size = shape.reduce((a, d) => a * d, 1);
  const stat = new Int32Array(size);
  const param = new Int32Array(size);
  let statSize = 1;
  let paramSize = 1;
  for (let a = 0; a < shape.length; a++) {
    if (!reducedAxes.includes(a)) statSize *= shape[a]!;
    if (paramAxes.includes(a)) paramSize *= shape[a]!;
  }
  for (let i = 0; i < size; i++) {
    let rest = i; // unravel i, last axis first
    let s = 0;
    let p = 0;
    let sStride = 1;
    let pStride = 1;
    for (let a = shape.length - 1; a >= 0; a--) {
      const coord = rest % shape[a]!;
      rest = (rest - coord) / shape[a]!;
      if (!reducedAxes.includes(a)) {
        s += coord * sStride;
        sStride *= shape[a]!;
      }
      if (paramAxes.includes(a)) {
        p += coord * pStride;
        pStride *= shape[a]!;
      }
    }
    stat[i] = s;
    param[i] = p;
  }
  return { stat, param, statSize, paramSize, count: statSize === 0 ? 0 : size / statSize };
}

const planIndexes = new WeakMap<AxisPlan, NormIndex>();

/** The index a plan describes: run r, position j has s = runStat[r] + j * innerStat (likewise p). */
export function elementIndex(plan: AxisPlan): NormIndex {
  let index = planIndexes.get(plan);
  if (index !== undefined) return index;
  const stat = new Int32Array(plan.size);
  const param = new Int32Array(plan.size);
  for (let r = 0; r < plan.runStat.length; r++) {
    for (let j = 0; j < plan.inner; j++) {
      stat[r * plan.inner + j] = plan.runStat[r]! + j * plan.innerStat;
      param[r * plan.inner + j] = plan.runParam[r]! + j * plan.innerParam;
    }
  }
  index = { stat, param, statSize: plan.statSize, paramSize: plan.paramSize, count: plan.count };
  planIndexes.set(plan, index);
  return index;
}

/** `out[s]` = sum of the x with statistic s, in float64. */
export function sumReference(x: FloatArray, index: NormIndex, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < x.length; i++) out[index.stat[i]!] += x[i]!;
}

/** Two-pass moments: `mean[s]` (0 when not centered) and `m2[s]` = sum of (x - mean)^2. */
export function momentsReference(
  x: FloatArray,
  index: NormIndex,
  mean: Float64Array,
  m2: Float64Array,
  centered = true,
): void {
  const { stat, count } = index;
  mean.fill(0);
  m2.fill(0);
  if (centered) {
    for (let i = 0; i < x.length; i++) mean[stat[i]!] += x[i]!; // pass 1: the mean
    for (let s = 0; s < mean.length; s++) mean[s] = mean[s]! / count;
  }
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - mean[stat[i]!]!; // pass 2: squared deviations from it
    m2[stat[i]!] += d * d;
  }
}

/** The forward of every norm: moments, biased variance, `rstd = 1 / sqrt(variance + eps)`, then y. */
export function normForwardReference(
  x: FloatArray,
  index: NormIndex,
  centered: boolean,
  eps: number,
  weight: FloatArray | null,
  bias: FloatArray | null,
  y: FloatArray,
  mean: Float64Array,
  variance: Float64Array,
  rstd: Float64Array,
): void {
  momentsReference(x, index, mean, variance, centered); // variance holds m2 for a moment
  for (let s = 0; s < index.statSize; s++) {
    variance[s] = variance[s]! / index.count; // biased: divide by n
    rstd[s] = 1 / Math.sqrt(variance[s]! + eps);
  }
  normalizeReference(x, index, mean, rstd, weight, bias, y);
}

/** `y = xhat * weight[p] + bias[p]` with `xhat = (x - mean[s]) * rstd[s]`, given statistics. */
export function normalizeReference(
  x: FloatArray,
  index: NormIndex,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  bias: FloatArray | null,
  y: FloatArray,
): void {
  for (let i = 0; i < x.length; i++) {
    const s = index.stat[i]!;
    const p = index.param[i]!;
    const xhat = (x[i]! - mean[s]!) * rstd[s]!;
    y[i] = xhat * (weight === null ? 1 : weight[p]!) + (bias === null ? 0 : bias[p]!);
  }
}

/** The backward's one reduction pass: per statistic and per parameter sums (overwritten). */
export function backwardSumsReference(
  x: FloatArray,
  dy: FloatArray,
  index: NormIndex,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  sums: { sumDxhat: Float64Array; sumDxhatXhat: Float64Array; dweight: Float64Array; dbias: Float64Array },
): void {
  const { sumDxhat, sumDxhatXhat, dweight, dbias } = sums;
  for (const a of [sumDxhat, sumDxhatXhat, dweight, dbias]) a.fill(0);
  for (let i = 0; i < x.length; i++) {
    const s = index.stat[i]!;
    const p = index.param[i]!;
    const xhat = (x[i]! - mean[s]!) * rstd[s]!; // recomputed, not cached (as llm.c does)
    const dxhat = dy[i]! * (weight === null ? 1 : weight[p]!);
    sumDxhat[s] += dxhat;
    sumDxhatXhat[s] += dxhat * xhat;
    dweight[p] += dy[i]! * xhat;
    dbias[p] += dy[i]!;
  }
}

/** The backward's elementwise pass: dx from the two per-statistic sums, one labelled term a line. */
export function backwardInputReference(
  x: FloatArray,
  dy: FloatArray,
  index: NormIndex,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  stats: NormStatsMode,
  sumDxhat: Float64Array,
  sumDxhatXhat: Float64Array,
  dx: FloatArray,
): void {
  const n = index.count;
  for (let i = 0; i < x.length; i++) {
    const s = index.stat[i]!;
    const p = index.param[i]!;
    const dxhat = dy[i]! * (weight === null ? 1 : weight[p]!);
    let v = dxhat; // term: dxhat
    if (stats !== 'constant') {
      const xhat = (x[i]! - mean[s]!) * rstd[s]!;
      v -= xhat * (sumDxhatXhat[s]! / n); // term: - xhat * mean(dxhat * xhat)
    }
    if (stats === 'centered') v -= sumDxhat[s]! / n; // term: - mean(dxhat)
    dx[i] = rstd[s]! * v;
  }
}

/** The backward of every norm: dx (null: not wanted), `dweight`, `dbias` (null: not wanted). */
export function normBackwardReference(
  x: FloatArray,
  dy: FloatArray,
  index: NormIndex,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  stats: NormStatsMode,
  dx: FloatArray | null,
  dweight: Float64Array | null,
  dbias: Float64Array | null,
): void {
  const sums = {
    sumDxhat: new Float64Array(index.statSize),
    sumDxhatXhat: new Float64Array(index.statSize),
    dweight: dweight ?? new Float64Array(index.paramSize),
    dbias: dbias ?? new Float64Array(index.paramSize),
  };
  backwardSumsReference(x, dy, index, mean, rstd, weight, sums);
  if (dx === null) return;
  backwardInputReference(x, dy, index, mean, rstd, weight, stats, sums.sumDxhat, sums.sumDxhatXhat, dx);
}
