/**
 * The plan: which elements of a tensor share a statistic, and which share a parameter.
 *
 * A contiguous tensor `x` is read through two index maps:
 *   - the *statistic* index `s`: the position among the kept axes (the reduced axes contribute 0).
 *     Every element with the same `s` is reduced into statistic `s`;
 *   - the *parameter* index `p`: the position in a weight/bias that spans some axes (others: 0).
 * Adjacent axes whose two maps are both contiguous across them are merged, and size-1 axes dropped,
 * so common cases become a handful of long contiguous runs. The plan lists, for every run of the
 * innermost merged axis, its statistic and parameter offsets; along a run both indices advance by
 * 0 or 1. The x offset of run `r` is simply `r * inner`, because runs follow memory order.
 *
 * How each norm maps onto a plan is the table in ./axisReduce.ts. The reference kernels
 * (./normReference.ts) read a plan as one (statistic, parameter) pair per element
 * (`elementIndex`); the fast kernels walk its runs. Besides `planAxes`, this file answers the
 * layout questions the fast kernels branch on: does each statistic own a block of consecutive runs
 * (`runsPerStatistic`: the fused kernels' condition) and does it span scattered runs
 * (`mergesRuns`: BatchNorm, whose moments are taken per run and merged).
 * test/tensor/axisReduce.test.ts checks every plan element by element against `indexOfAxes`.
 */
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

const runsPerStatisticOf = new WeakMap<AxisPlan, number>();

/**
 * Runs per statistic when each statistic is a block of consecutive runs (statistic s = runs
 * [s * k, (s + 1) * k)), else 0. LayerNorm, RMSNorm, InstanceNorm: k = 1; GroupNorm: k = C/G.
 * Cached per plan: every fused norm call asks twice (the registry and the kernel), and the answer
 * reads every run (4096 for a LayerNorm on [8, 512, 768]).
 */
export function runsPerStatistic(plan: AxisPlan): number {
  let k = runsPerStatisticOf.get(plan);
  if (k === undefined) {
    k = consecutiveRuns(plan);
    runsPerStatisticOf.set(plan, k);
  }
  return k;
}

function consecutiveRuns(plan: AxisPlan): number {
  const { inner, innerStat, count, runStat } = plan;
  if (innerStat !== 0 || inner === 0 || count % inner !== 0) return 0;
  const k = count / inner;
  for (let r = 0; r < runStat.length; r++) if (runStat[r] !== Math.floor(r / k)) return 0;
  return k;
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
    perRun = {
      ...plan,
      statSize: runs,
      count: plan.inner,
      innerStat: 0,
      runStat: Int32Array.from({ length: runs }, (_, r) => r),
    };
    runsPlans.set(plan, perRun);
  }
  return perRun;
}
