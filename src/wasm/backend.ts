/**
 * The WebAssembly SIMD calls of the norm and matmul kernels, running norm_reduce.wat,
 * norm_elementwise.wat and matmul.wat. Each has the parameters of the TypeScript kernel of its
 * name and returns true when done, false when the TypeScript kernel must run instead. When to call
 * them (float32 data, big enough), the fallback, and BatchNorm's composition live in the registry
 * (src/kernels/registry.ts); nothing here imports a TypeScript kernel (only normCompose.ts's merge of
 * per-run moments, which the composition on both backends shares).
 *
 * Each call lays its buffers out in the wasm memory (runtime.ts) and streams x (and dy) through
 * it in chunks of whole runs, about 64 Ki elements each so that a chunk stays in L2: copy the
 * chunk in, run one exported function over its runs, copy its output back (outputs overwrite the
 * inputs in the arena). Reductions add chunk after chunk into their zeroed outputs. The one kernel
 * that needs the whole tensor at once, moments when a statistic spans several runs (GroupNorm's
 * consecutive runs: every mean before the second pass), takes x in one piece. BatchNorm's layout,
 * two passes over runs spread across the batch, keeps x (and dy) resident for both passes up to
 * RESIDENT_ELEMENTS (`normForwardResident`, `normBackwardResident`). A call whose
 * statistics would not survive rounding to float32 (a standard deviation beyond float32 range)
 * returns false.
 *
 * Numerics (docs/wasm.md): reductions accumulate in float64 like the reference; the elementwise
 * passes are float32 with the mean split as hi + lo; matmul accumulates in float32.
 *
 * What each function equals: the reference of the same formula (src/tensor/kernels/normReference.ts:
 * `reduceSum` = sumReference, `moments` = momentsReference, `normalizeAffine` = normalizeReference,
 * `normBackwardReduce` = backwardSumsReference, `normBackwardInput` = backwardInputReference,
 * `normForward` = normForwardReference, `normBackward` = normBackwardReference), within the bounds
 * of test/tensor/normLayouts.test.ts, which runs them all on the one layout table.
 */
import type { FloatArray } from '../tensor/dtype.js';
import { mergesRuns, runsPerStatistic, runsPlan, type AxisPlan } from '../tensor/kernels/axisPlan.js';
import { mergeRunMoments } from '../tensor/kernels/normCompose.js';
import { broadcastStrides, sizeOf, type Shape } from '../tensor/shape.js';
import { wasmRuntime, type Arena, type MatmulExports, type NormExports } from './runtime.js';

export { wasmSimdSupported } from './runtime.js';

const F32_MIN_NORMAL = 2 ** -126;

/** True when rounding v to float32 would overflow a finite value to infinity. */
function overflowsF32(v: number): boolean {
  return Number.isFinite(v) && !Number.isFinite(Math.fround(v));
}

/** True when v would lose its precision in float32 (out of range, or below the normal range). */
function leavesF32Range(v: number): boolean {
  return overflowsF32(v) || (v !== 0 && Math.abs(v) < F32_MIN_NORMAL);
}

/**
 * Elements per chunk when a call streams its runs through the arena: 64 Ki float32 (256 KiB) per
 * array keeps a chunk's inputs and outputs in L2 while it is copied in, processed and copied out.
 */
const CHUNK_ELEMENTS = 1 << 16;

/**
 * Elements up to which a composed norm call (BatchNorm's layout: a statistic over runs spread across
 * the batch, so its two passes cannot share a chunk) copies x (and dy) into the arena once for both
 * passes instead of once per pass (`normForwardResident`, `normBackwardResident`). 4 Mi float32 is
 * 16 MiB per array: the arena then grows to at most 32 MiB for this (it keeps its high-water mark);
 * bigger tensors stream chunk by chunk through the unfused calls.
 */
export const RESIDENT_ELEMENTS = 1 << 22;

/** Where a call's run data lives: x (and dy) for one chunk of whole runs, and the run tables. */
interface RunBuffers {
  readonly x: number;
  readonly dy: number;
  readonly runStat: number;
  readonly runParam: number;
  /** Runs per chunk: all of them when the kernel needs the whole tensor at once. */
  readonly runsPerChunk: number;
}

/** Reserves the run buffers of a call: chunks of about CHUNK_ELEMENTS when `chunked`, else all of x. */
function allocRuns(arena: Arena, plan: AxisPlan, opts: { withDy: boolean; chunked: boolean }): RunBuffers {
  const nRuns = plan.runStat.length;
  const runsPerChunk = opts.chunked
    ? Math.max(1, Math.min(nRuns, Math.floor(CHUNK_ELEMENTS / Math.max(plan.inner, 1))))
    : nRuns;
  const chunkBytes = runsPerChunk * plan.inner * 4;
  return {
    x: arena.alloc(chunkBytes),
    dy: opts.withDy ? arena.alloc(chunkBytes) : -1,
    runStat: arena.alloc(nRuns * 4),
    runParam: arena.alloc(nRuns * 4),
    runsPerChunk,
  };
}

/**
 * Runs a kernel over the plan's runs one chunk at a time: copies the chunk of x (and dy) in, calls
 * `kernel(firstRun, runs)`, and copies the chunk's result back from `output.from` into `output.into`.
 * Kernels that accumulate (sums) simply add chunk after chunk into their zeroed outputs.
 */
function streamRuns(
  arena: Arena,
  plan: AxisPlan,
  at: RunBuffers,
  input: { x: FloatArray; dy?: FloatArray },
  kernel: (firstRun: number, runs: number) => void,
  output?: { into: FloatArray; from: number },
): void {
  const nRuns = plan.runStat.length;
  arena.i32(at.runStat, nRuns).set(plan.runStat);
  arena.i32(at.runParam, nRuns).set(plan.runParam);
  for (let first = 0; first < nRuns; first += at.runsPerChunk) {
    const runs = Math.min(at.runsPerChunk, nRuns - first);
    const begin = first * plan.inner;
    const end = begin + runs * plan.inner;
    arena.f32(at.x, end - begin).set(input.x.subarray(begin, end));
    if (input.dy !== undefined) arena.f32(at.dy, end - begin).set(input.dy.subarray(begin, end));
    kernel(first, runs);
    if (output !== undefined) output.into.set(arena.f32(output.from, end - begin), begin);
  }
}

/** Copies a weight or bias in, or `size` copies of `missing` (1 for a weight, 0 for a bias) when null. */
function putParam(arena: Arena, at: number, values: FloatArray | null, size: number, missing: number): void {
  if (values === null) arena.f32(at, size).fill(missing);
  else arena.f32(at, size).set(values.subarray(0, size));
}

/** Addresses of the float32 statistics of an elementwise pass: mean = hi + lo, and rstd. */
interface SplitStats {
  readonly hi: number;
  readonly lo: number;
  readonly rstd: number;
}

function allocSplitStats(arena: Arena, statSize: number): SplitStats {
  return { hi: arena.alloc(statSize * 4), lo: arena.alloc(statSize * 4), rstd: arena.alloc(statSize * 4) };
}

/**
 * Writes, for every statistic s, hi[s] = f32(mean[s]), lo[s] = f32(mean[s] - hi[s]) and
 * rstd32[s] = f32(rstd[s]). False when a value would leave the float32 range, in which case the
 * caller runs the TypeScript kernel.
 */
function putSplitStats(
  arena: Arena,
  at: SplitStats,
  mean: Float64Array,
  rstd: Float64Array,
  statSize: number,
): boolean {
  const hi = arena.f32(at.hi, statSize);
  const lo = arena.f32(at.lo, statSize);
  const rs = arena.f32(at.rstd, statSize);
  for (let s = 0; s < statSize; s++) {
    const m = mean[s]!;
    const r = rstd[s]!;
    if (overflowsF32(m) || leavesF32Range(r)) return false;
    const h = Math.fround(m);
    hi[s] = h;
    lo[s] = m - h;
    rs[s] = r;
  }
  return true;
}

/**
 * Addresses of the backward sums, one block: [sumDxhat, sumDxhatXhat] per statistic, [dweight, dbias]
 * per parameter.
 */
interface BackwardSums {
  readonly mean: number;
  readonly rstd: number;
  readonly sumDxhat: number;
  readonly sumDxhatXhat: number;
  readonly dweight: number;
  readonly dbias: number;
  readonly end: number;
}

function allocBackwardSums(arena: Arena, statSize: number, paramSize: number): BackwardSums {
  return {
    mean: arena.alloc(statSize * 8),
    rstd: arena.alloc(statSize * 8),
    sumDxhat: arena.alloc(statSize * 8),
    sumDxhatXhat: arena.alloc(statSize * 8),
    dweight: arena.alloc(paramSize * 8),
    dbias: arena.alloc(paramSize * 8),
    end: arena.alloc(0),
  };
}

/** After `commit`: copies the float64 statistics in and zeroes the four sums. */
function putBackwardSums(
  arena: Arena,
  at: BackwardSums,
  mean: Float64Array,
  rstd: Float64Array,
  statSize: number,
): void {
  arena.f64(at.mean, statSize).set(mean.subarray(0, statSize));
  arena.f64(at.rstd, statSize).set(rstd.subarray(0, statSize));
  arena.f64(at.sumDxhat, (at.end - at.sumDxhat) / 8).fill(0);
}

/** Copies `length` float64 sums out of the arena into `dst` (zero beyond), when `dst` is wanted. */
function copySumsOut(arena: Arena, dst: Float64Array | null, from: number, length: number): void {
  if (dst === null) return;
  dst.fill(0);
  dst.set(arena.f64(from, Math.min(length, dst.length)));
}

/**
 * The unfused passes over `runs` runs from `first` of the x (and dy) at `at` (a chunk, or the whole
 * tensor when resident), with the plan's run tables: normalize writes y over x, backward_input dx
 * over dy. Shared by the streamed calls and the resident ones.
 */
function normalizeRuns(
  norm: NormExports,
  plan: AxisPlan,
  at: RunBuffers,
  stats: SplitStats,
  param: { w: number; b: number },
  first: number,
  runs: number,
): void {
  const { inner, innerStat, innerParam } = plan;
  const [runStat, runParam] = [at.runStat + 4 * first, at.runParam + 4 * first];
  norm.normalize(
    at.x,
    at.x,
    inner,
    runs,
    runStat,
    runParam,
    innerStat,
    innerParam,
    stats.hi,
    stats.lo,
    stats.rstd,
    param.w,
    param.b,
  );
}

function backwardReduceRuns(
  norm: NormExports,
  plan: AxisPlan,
  at: RunBuffers,
  sums: BackwardSums,
  wAt: number,
  flags: number,
  first: number,
  runs: number,
): void {
  const { inner, innerStat, innerParam } = plan;
  const [runStat, runParam] = [at.runStat + 4 * first, at.runParam + 4 * first];
  norm.backward_reduce(
    at.x,
    at.dy,
    inner,
    runs,
    runStat,
    runParam,
    innerStat,
    innerParam,
    sums.mean,
    sums.rstd,
    wAt,
    sums.sumDxhat,
    sums.sumDxhatXhat,
    sums.dweight,
    sums.dbias,
    flags,
  );
}

function backwardInputRuns(
  norm: NormExports,
  plan: AxisPlan,
  at: RunBuffers,
  stats: SplitStats,
  terms: { k1: number; k2: number; w: number; withStats: number },
  first: number,
  runs: number,
): void {
  const { inner, innerStat, innerParam } = plan;
  const [runStat, runParam] = [at.runStat + 4 * first, at.runParam + 4 * first];
  norm.backward_input(
    at.x,
    at.dy,
    at.dy,
    inner,
    runs,
    runStat,
    runParam,
    innerStat,
    innerParam,
    stats.hi,
    stats.lo,
    stats.rstd,
    terms.k1,
    terms.k2,
    terms.w,
    terms.withStats,
  );
}

/**
 * k1[s] = mean(dxhat * xhat) = sumDxhatXhat[s] / count and k2[s] = mean(dxhat) = sumDxhat[s] / count
 * (0 where a sum is not given; k2 also 0 without sumDxhatXhat), rounded to float32. False when one
 * overflows float32: the caller then hands the pass to TypeScript.
 */
function putTermStats(
  arena: Arena,
  at: { k1: number; k2: number },
  count: number,
  statSize: number,
  sumDxhat: ArrayLike<number> | null,
  sumDxhatXhat: ArrayLike<number> | null,
): boolean {
  const k1 = arena.f32(at.k1, statSize);
  const k2 = arena.f32(at.k2, statSize);
  for (let s = 0; s < statSize; s++) {
    const a = sumDxhatXhat === null ? 0 : sumDxhatXhat[s]! / count;
    const b = sumDxhatXhat === null || sumDxhat === null ? 0 : sumDxhat[s]! / count;
    if (overflowsF32(a) || overflowsF32(b)) return false;
    k1[s] = a;
    k2[s] = b;
  }
  return true;
}

/** Creates the wasm kernels; `options` set when they hand small calls to TypeScript. */
type F32 = Float32Array;
type F32OrNull = Float32Array | null;

/**
 * The wasm calls, one per kernel, with the parameters of the TypeScript kernel of the same name
 * (src/tensor/kernels/axisReduce.ts, normFused.ts, matmul.ts) and a boolean result: true when
 * done, false when the registry must run the TypeScript kernel instead (the memory could not
 * grow, or a statistic leaves the float32 range; outputs are then rewritten in full). The
 * registry (src/kernels/registry.ts) decides when to call them: float32 data, big enough
 * (`fastPath`); it also composes BatchNorm's layouts from the unfused calls.
 */
export function createWasmCalls() {
  const reduceSum = (x: F32, plan: AxisPlan, out: Float64Array): boolean => {
    const { norm, arena } = wasmRuntime();
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: false, chunked: true });
    const outAt = arena.alloc(out.length * 8);
    if (!arena.commit()) return false;
    arena.f64(outAt, out.length).fill(0);
    streamRuns(arena, plan, at, { x }, (first, runs) =>
      norm.reduce_sum(at.x, plan.inner, runs, at.runStat + 4 * first, plan.innerStat, outAt),
    );
    out.set(arena.f64(outAt, out.length));
    return true;
  };

  // BatchNorm's layout (runs merged per statistic) is composed by the registry from these per-run moments.
  const moments = (x: F32, plan: AxisPlan, mean: Float64Array, m2: Float64Array, centered = true): boolean => {
    const { norm, arena } = wasmRuntime();
    // When every statistic is one run, both passes happen run by run, so the runs can stream
    // through in chunks; otherwise (GroupNorm's consecutive runs) the second pass needs every mean.
    const oneRunPerStatistic = plan.innerStat === 0 && plan.inner > 0 && plan.count === plan.inner;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: false, chunked: oneRunPerStatistic });
    const meanAt = arena.alloc(mean.length * 8);
    const m2At = arena.alloc(m2.length * 8);
    if (!arena.commit()) return false;
    arena.f64(meanAt, mean.length).fill(0);
    arena.f64(m2At, m2.length).fill(0);
    streamRuns(arena, plan, at, { x }, (first, runs) =>
      norm.moments(
        at.x,
        plan.inner,
        runs,
        at.runStat + 4 * first,
        plan.innerStat,
        plan.statSize,
        plan.count,
        centered ? 1 : 0,
        meanAt,
        m2At,
      ),
    );
    mean.set(arena.f64(meanAt, mean.length));
    m2.set(arena.f64(m2At, m2.length));
    return true;
  };

  const normalizeAffine = (
    x: F32,
    plan: AxisPlan,
    mean: Float64Array,
    rstd: Float64Array,
    weight: F32OrNull,
    bias: F32OrNull,
    y: F32,
  ): boolean => {
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize } = plan;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: false, chunked: true });
    const stats = allocSplitStats(arena, statSize);
    const wAt = arena.alloc(paramSize * 4);
    const bAt = arena.alloc(paramSize * 4);
    if (!arena.commit() || !putSplitStats(arena, stats, mean, rstd, statSize)) return false;
    putParam(arena, wAt, weight, paramSize, 1);
    putParam(arena, bAt, bias, paramSize, 0);
    // y overwrites x in the arena, chunk by chunk.
    const param = { w: wAt, b: bAt };
    streamRuns(arena, plan, at, { x }, (first, runs) => normalizeRuns(norm, plan, at, stats, param, first, runs), {
      into: y,
      from: at.x,
    });
    return true;
  };

  const normBackwardReduce = (
    x: F32,
    dy: F32,
    plan: AxisPlan,
    mean: Float64Array,
    rstd: Float64Array,
    weight: F32OrNull,
    sumDxhat: Float64Array | null,
    sumDxhatXhat: Float64Array | null,
    dweight: Float64Array | null,
    dbias: Float64Array | null,
  ): boolean => {
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize } = plan;
    const wantStat = sumDxhat !== null || sumDxhatXhat !== null;
    const wantParam = dweight !== null || dbias !== null;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: true, chunked: true });
    const wAt = arena.alloc(paramSize * 4);
    const sums = allocBackwardSums(arena, statSize, paramSize);
    if (!arena.commit()) return false;
    putBackwardSums(arena, sums, mean, rstd, statSize);
    putParam(arena, wAt, weight, paramSize, 1);
    const flags = (wantStat ? 1 : 0) | (wantParam ? 2 : 0);
    streamRuns(arena, plan, at, { x, dy }, (first, runs) =>
      backwardReduceRuns(norm, plan, at, sums, wAt, flags, first, runs),
    );
    copySumsOut(arena, sumDxhat, sums.sumDxhat, statSize);
    copySumsOut(arena, sumDxhatXhat, sums.sumDxhatXhat, statSize);
    copySumsOut(arena, dweight, sums.dweight, paramSize);
    copySumsOut(arena, dbias, sums.dbias, paramSize);
    return true;
  };

  const normBackwardInput = (
    x: F32,
    dy: F32,
    plan: AxisPlan,
    mean: Float64Array,
    rstd: Float64Array,
    weight: F32OrNull,
    sumDxhat: Float64Array | null,
    sumDxhatXhat: Float64Array | null,
    dx: F32,
  ): boolean => {
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize, count } = plan;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: true, chunked: true });
    const stats = allocSplitStats(arena, statSize);
    const k1At = arena.alloc(statSize * 4);
    const k2At = arena.alloc(statSize * 4);
    const wAt = arena.alloc(paramSize * 4);
    if (!arena.commit() || !putSplitStats(arena, stats, mean, rstd, statSize)) return false;
    if (!putTermStats(arena, { k1: k1At, k2: k2At }, count, statSize, sumDxhat, sumDxhatXhat)) return false;
    putParam(arena, wAt, weight, paramSize, 1);
    // dx overwrites dy in the arena, chunk by chunk.
    const terms = { k1: k1At, k2: k2At, w: wAt, withStats: sumDxhatXhat === null ? 0 : 1 };
    streamRuns(
      arena,
      plan,
      at,
      { x, dy },
      (first, runs) => backwardInputRuns(norm, plan, at, stats, terms, first, runs),
      {
        into: dx,
        from: at.dy,
      },
    );
    return true;
  };

  // -------------------------------------------------------------------------------------------
  // Fused kernels. When each statistic is a block of consecutive runs (LayerNorm, RMSNorm,
  // InstanceNorm, GroupNorm), x (and dy) stream through the arena in chunks of whole statistics,
  // each copied in once: both exported functions run on the chunk in place, and the output is
  // copied out once. The chunk's run table is chunk-local (statistic 0 = the chunk's first), and
  // the per-statistic buffers are addressed from the chunk's first statistic. Other layouts
  // (BatchNorm) compose the unfused kernels above.
  // -------------------------------------------------------------------------------------------

  /** Runs per chunk (a whole number of statistics) and the chunk-local statistic of each run. */
  const statChunks = (arena: Arena, plan: AxisPlan, k: number, withDy: boolean) => {
    const statsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / (k * plan.inner)));
    const runsPerChunk = Math.min(plan.runStat.length, statsPerChunk * k);
    const chunkBytes = runsPerChunk * plan.inner * 4;
    return {
      runsPerChunk,
      x: arena.alloc(chunkBytes),
      dy: withDy ? arena.alloc(chunkBytes) : -1,
      localStat: arena.alloc(runsPerChunk * 4),
      runParam: arena.alloc(plan.runStat.length * 4),
    };
  };
  type StatChunks = ReturnType<typeof statChunks>;

  /** Writes the run tables, then calls `body(firstRun, runs, firstStat, stats)` per chunk. */
  const forEachStatChunk = (
    arena: Arena,
    plan: AxisPlan,
    k: number,
    at: StatChunks,
    body: (firstRun: number, runs: number, firstStat: number, stats: number) => void,
  ): void => {
    const nRuns = plan.runStat.length;
    const local = arena.i32(at.localStat, at.runsPerChunk);
    for (let r = 0; r < at.runsPerChunk; r++) local[r] = Math.floor(r / k);
    arena.i32(at.runParam, nRuns).set(plan.runParam);
    for (let first = 0; first < nRuns; first += at.runsPerChunk) {
      const runs = Math.min(at.runsPerChunk, nRuns - first);
      body(first, runs, first / k, runs / k);
    }
  };

  // Consecutive runs per statistic only (runsPerStatistic(plan) > 0); the registry composes BatchNorm.
  const normForward = (
    x: F32,
    plan: AxisPlan,
    centered: boolean,
    eps: number,
    weight: F32OrNull,
    bias: F32OrNull,
    y: F32,
    mean: Float64Array,
    variance: Float64Array,
    rstd: Float64Array,
  ): boolean => {
    const k = runsPerStatistic(plan);
    const { statSize, paramSize, count, inner } = plan;
    if (k === 0) return false;
    const { norm, arena } = wasmRuntime();
    arena.reset();
    const at = statChunks(arena, plan, k, false);
    const meanAt = arena.alloc(statSize * 8);
    const m2At = arena.alloc(statSize * 8);
    const stats = allocSplitStats(arena, statSize);
    const wAt = arena.alloc(paramSize * 4);
    const bAt = arena.alloc(paramSize * 4);
    if (!arena.commit()) return false;
    arena.f64(meanAt, statSize).fill(0);
    arena.f64(m2At, statSize).fill(0);
    putParam(arena, wAt, weight, paramSize, 1);
    putParam(arena, bAt, bias, paramSize, 0);
    // Set when a chunk's statistics leave the float32 range: y then comes from the TypeScript kernel.
    let inRange = true;
    forEachStatChunk(arena, plan, k, at, (first, runs, s0, n) => {
      const begin = first * inner;
      const end = begin + runs * inner;
      arena.f32(at.x, end - begin).set(x.subarray(begin, end));
      norm.moments(at.x, inner, runs, at.localStat, 0, n, count, centered ? 1 : 0, meanAt + 8 * s0, m2At + 8 * s0);
      const m = arena.f64(meanAt + 8 * s0, n);
      const m2 = arena.f64(m2At + 8 * s0, n);
      for (let i = 0; i < n; i++) {
        mean[s0 + i] = m[i]!;
        variance[s0 + i] = m2[i]! / count;
        rstd[s0 + i] = 1 / Math.sqrt(variance[s0 + i]! + eps);
      }
      if (!inRange) return;
      const chunkStats = { hi: stats.hi + 4 * s0, lo: stats.lo + 4 * s0, rstd: stats.rstd + 4 * s0 };
      if (!putSplitStats(arena, chunkStats, mean.subarray(s0), rstd.subarray(s0), n)) {
        inRange = false;
        return;
      }
      // y overwrites the chunk of x in the arena.
      norm.normalize(
        at.x,
        at.x,
        inner,
        runs,
        at.localStat,
        at.runParam + 4 * first,
        0,
        plan.innerParam,
        chunkStats.hi,
        chunkStats.lo,
        chunkStats.rstd,
        wAt,
        bAt,
      );
      y.set(arena.f32(at.x, end - begin), begin);
    });
    return inRange;
  };

  // Consecutive runs per statistic only (runsPerStatistic(plan) > 0); the registry composes BatchNorm.
  const normBackward = (
    x: F32,
    dy: F32,
    plan: AxisPlan,
    mean: Float64Array,
    rstd: Float64Array,
    weight: F32OrNull,
    statsMode: 'centered' | 'rms' | 'constant',
    dx: F32 | null,
    dweight: Float64Array | null,
    dbias: Float64Array | null,
  ): boolean => {
    const k = runsPerStatistic(plan);
    const { statSize, paramSize, count, inner } = plan;
    if (k === 0) return false;
    const wantStat = dx !== null && statsMode !== 'constant';
    const wantParam = dweight !== null || dbias !== null;
    const { norm, arena } = wasmRuntime();
    arena.reset();
    const at = statChunks(arena, plan, k, true);
    const stats = allocSplitStats(arena, statSize);
    const k1At = arena.alloc(statSize * 4);
    const k2At = arena.alloc(statSize * 4);
    const wAt = arena.alloc(paramSize * 4);
    const sums = allocBackwardSums(arena, statSize, paramSize);
    if (!arena.commit() || (dx !== null && !putSplitStats(arena, stats, mean, rstd, statSize))) return false;
    putBackwardSums(arena, sums, mean, rstd, statSize);
    putParam(arena, wAt, weight, paramSize, 1);
    const sumDxhat = arena.f64(sums.sumDxhat, statSize);
    const sumDxhatXhat = arena.f64(sums.sumDxhatXhat, statSize);
    const k1 = arena.f32(k1At, statSize);
    const k2 = arena.f32(k2At, statSize);
    // Set when a chunk's dx terms overflow float32: dx then comes from the TypeScript kernel.
    let inRange = true;
    forEachStatChunk(arena, plan, k, at, (first, runs, s0, n) => {
      const begin = first * inner;
      const end = begin + runs * inner;
      arena.f32(at.x, end - begin).set(x.subarray(begin, end));
      arena.f32(at.dy, end - begin).set(dy.subarray(begin, end));
      norm.backward_reduce(
        at.x,
        at.dy,
        inner,
        runs,
        at.localStat,
        at.runParam + 4 * first,
        0,
        plan.innerParam,
        sums.mean + 8 * s0,
        sums.rstd + 8 * s0,
        wAt,
        sums.sumDxhat + 8 * s0,
        sums.sumDxhatXhat + 8 * s0,
        sums.dweight,
        sums.dbias,
        (wantStat ? 1 : 0) | (wantParam ? 2 : 0),
      );
      if (dx === null || !inRange) return;
      // k1 = mean(dxhat * xhat), k2 = mean(dxhat): the two terms' statistics, rounded to float32.
      for (let s = s0; s < s0 + n; s++) {
        const a = statsMode === 'constant' ? 0 : sumDxhatXhat[s]! / count;
        const b = statsMode === 'centered' ? sumDxhat[s]! / count : 0;
        if (overflowsF32(a) || overflowsF32(b)) inRange = false;
        k1[s] = a;
        k2[s] = b;
      }
      if (!inRange) return;
      // dx overwrites the chunk of dy in the arena.
      norm.backward_input(
        at.x,
        at.dy,
        at.dy,
        inner,
        runs,
        at.localStat,
        at.runParam + 4 * first,
        0,
        plan.innerParam,
        stats.hi + 4 * s0,
        stats.lo + 4 * s0,
        stats.rstd + 4 * s0,
        k1At + 4 * s0,
        k2At + 4 * s0,
        wAt,
        statsMode === 'constant' ? 0 : 1,
      );
      dx.set(arena.f32(at.dy, end - begin), begin);
    });
    // dx's terms left the float32 range: the TypeScript kernel redoes the call (rare).
    if (!inRange) return false;
    copySumsOut(arena, dweight, sums.dweight, paramSize);
    copySumsOut(arena, dbias, sums.dbias, paramSize);
    return true;
  };

  const batchedMatmul = (a: F32, aShape: Shape, b: F32, bShape: Shape, outBatch: Shape, out: F32): boolean => {
    const n = aShape[aShape.length - 2]!;
    const k = aShape[aShape.length - 1]!;
    const m = bShape[bShape.length - 1]!;
    const batches = sizeOf(outBatch);
    const { matmul, arena } = wasmRuntime();
    const bMatrices = sizeOf(bShape.slice(0, -2));
    const packed = Math.ceil(m / 8) * 8 * k; // floats per packed b matrix
    arena.reset();
    const aAt = arena.alloc(a.length * 4);
    const bAt = arena.alloc(b.length * 4);
    const bpAt = arena.alloc(bMatrices * packed * 4);
    const cAt = arena.alloc(batches * n * m * 4);
    if (!arena.commit()) return false;
    arena.f32(aAt, a.length).set(a);
    arena.f32(bAt, b.length).set(b);
    for (let j = 0; j < bMatrices; j++) matmul.pack_b(bAt + j * k * m * 4, k, m, bpAt + j * packed * 4);
    // Output batch t reads a-matrix sum_d idx[d] * aStride[d] and b-matrix likewise (broadcast: stride 0).
    const aStride = broadcastStrides(aShape.slice(0, -2), outBatch);
    const bStride = broadcastStrides(bShape.slice(0, -2), outBatch);
    for (let t = 0; t < batches; t++) {
      let rest = t;
      let aIndex = 0;
      let bIndex = 0;
      for (let d = outBatch.length - 1; d >= 0; d--) {
        const i = rest % outBatch[d]!;
        rest = (rest - i) / outBatch[d]!;
        aIndex += i * aStride[d]!;
        bIndex += i * bStride[d]!;
      }
      matmul.gemm(aAt + aIndex * n * k * 4, bpAt + bIndex * packed * 4, cAt + t * n * m * 4, n, k, m);
    }
    out.set(arena.f32(cAt, batches * n * m));
    return true;
  };

  /**
   * One 2-D product c [n, m] = a' b' (k terms) from the operands a and b as given: both are
   * copied in whole, then `prepare` packs b' into `bp` and returns where a' [n, k] lies (a's copy
   * itself, or a transposed copy at `scratch`). NT and TN differ only in `prepare`.
   */
  const gemm2d = (
    a: F32,
    b: F32,
    out: F32,
    n: number,
    k: number,
    m: number,
    prepare: (m: MatmulExports, at: { a: number; b: number; bp: number; scratch: number }) => number,
  ): boolean => {
    const { matmul, arena } = wasmRuntime();
    arena.reset();
    const at = {
      a: arena.alloc(n * k * 4),
      b: arena.alloc(k * m * 4),
      bp: arena.alloc(Math.ceil(m / 8) * 8 * k * 4),
      scratch: arena.alloc(n * k * 4),
    };
    const cAt = arena.alloc(n * m * 4);
    if (!arena.commit()) return false;
    arena.f32(at.a, n * k).set(a.subarray(0, n * k));
    arena.f32(at.b, k * m).set(b.subarray(0, k * m));
    matmul.gemm(prepare(matmul, at), at.bp, cAt, n, k, m);
    out.set(arena.f32(cAt, n * m));
    return true;
  };

  // c = a b^T, a [n, k], b [m, k]: the panels of b^T are packed straight from b.
  const matmulNT = (a: F32, b: F32, out: F32, n: number, k: number, m: number): boolean =>
    gemm2d(a, b, out, n, k, m, (mm, at) => {
      mm.pack_bt(at.b, k, m, at.bp);
      return at.a;
    });

  // c = a^T b, a [k, n], b [k, m]: b is packed as usual, a^T [n, k] written to scratch.
  const matmulTN = (a: F32, b: F32, out: F32, n: number, k: number, m: number): boolean =>
    gemm2d(a, b, out, n, k, m, (mm, at) => {
      mm.pack_b(at.b, k, m, at.bp);
      wasmRuntime().matmul.transpose(at.a, k, n, at.scratch);
      return at.scratch;
    });

  // -------------------------------------------------------------------------------------------
  // Resident composed kernels. Where a statistic spans runs spread over the batch (BatchNorm), the
  // forward and backward are two passes each over the whole tensor (normCompose.ts). Up to
  // RESIDENT_ELEMENTS, x (and dy) are copied into the arena once and both passes run on that copy,
  // the same exported functions on the same data as the composed unfused calls above, so the
  // results are the same bits (test/wasm/normResident.test.ts). False when the tensor is bigger,
  // the memory cannot grow, or a statistic leaves the float32 range: the registry then composes the
  // unfused calls (which stream, or hand the pass to TypeScript).
  // -------------------------------------------------------------------------------------------

  /** Reserves x (and dy) whole and the run tables; null when the tensor is over RESIDENT_ELEMENTS. */
  const allocResident = (arena: Arena, plan: AxisPlan, withDy: boolean): RunBuffers | null =>
    plan.size > RESIDENT_ELEMENTS ? null : allocRuns(arena, plan, { withDy, chunked: false });

  /** Writes the run tables and copies x (and dy) in whole. */
  const putResident = (arena: Arena, plan: AxisPlan, at: RunBuffers, x: F32, dy?: F32): void => {
    const nRuns = plan.runStat.length;
    arena.i32(at.runStat, nRuns).set(plan.runStat);
    arena.i32(at.runParam, nRuns).set(plan.runParam);
    arena.f32(at.x, plan.size).set(x.subarray(0, plan.size));
    if (dy !== undefined) arena.f32(at.dy, plan.size).set(dy.subarray(0, plan.size));
  };

  // composeNormForward on a resident x: moments (per run, merged, as momentsByRuns), then normalize.
  const normForwardResident = (
    ...[x, plan, centered, eps, weight, bias, y, mean, variance, rstd]: Parameters<typeof normForward>
  ): boolean => {
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize, inner } = plan;
    const nRuns = plan.runStat.length;
    // BatchNorm's moments are each run's, merged; other layouts take the plan's moments whole.
    const merges = mergesRuns(plan, centered);
    const momentPlan = merges ? runsPlan(plan) : plan;
    arena.reset();
    const at = allocResident(arena, plan, false);
    if (at === null) return false;
    const momentStatAt = arena.alloc(nRuns * 4);
    const meanAt = arena.alloc(momentPlan.statSize * 8);
    const m2At = arena.alloc(momentPlan.statSize * 8);
    const stats = allocSplitStats(arena, statSize);
    const wAt = arena.alloc(paramSize * 4);
    const bAt = arena.alloc(paramSize * 4);
    if (!arena.commit()) return false;
    putResident(arena, plan, at, x);
    arena.i32(momentStatAt, nRuns).set(momentPlan.runStat);
    arena.f64(meanAt, momentPlan.statSize).fill(0);
    arena.f64(m2At, momentPlan.statSize).fill(0);
    const { innerStat, count } = momentPlan;
    norm.moments(
      at.x,
      inner,
      nRuns,
      momentStatAt,
      innerStat,
      momentPlan.statSize,
      count,
      centered ? 1 : 0,
      meanAt,
      m2At,
    );
    const m = arena.f64(meanAt, momentPlan.statSize);
    const m2 = arena.f64(m2At, momentPlan.statSize);
    if (merges) mergeRunMoments(plan, m, m2, mean, variance);
    else {
      mean.set(m.subarray(0, mean.length));
      variance.set(m2.subarray(0, variance.length));
    }
    for (let s = 0; s < statSize; s++) {
      variance[s] = variance[s]! / plan.count;
      rstd[s] = 1 / Math.sqrt(variance[s]! + eps);
    }
    if (!putSplitStats(arena, stats, mean, rstd, statSize)) return false;
    putParam(arena, wAt, weight, paramSize, 1);
    putParam(arena, bAt, bias, paramSize, 0);
    // y overwrites x in the arena.
    normalizeRuns(norm, plan, at, stats, { w: wAt, b: bAt }, 0, nRuns);
    y.set(arena.f32(at.x, plan.size));
    return true;
  };

  // composeNormBackward on resident x and dy: backward_reduce (the sums wanted), then backward_input.
  const normBackwardResident = (
    ...[x, dy, plan, mean, rstd, weight, statsMode, dx, dweight, dbias]: Parameters<typeof normBackward>
  ): boolean => {
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize, count } = plan;
    const nRuns = plan.runStat.length;
    // Which sums composeNormBackward asks for.
    const wantSumDxhat = dx !== null && statsMode === 'centered';
    const wantSumDxhatXhat = dx !== null && statsMode !== 'constant';
    const wantStat = wantSumDxhat || wantSumDxhatXhat;
    const wantParam = dweight !== null || dbias !== null;
    arena.reset();
    const at = allocResident(arena, plan, true);
    if (at === null) return false;
    const stats = allocSplitStats(arena, statSize);
    const k1At = arena.alloc(statSize * 4);
    const k2At = arena.alloc(statSize * 4);
    const wAt = arena.alloc(paramSize * 4);
    const sums = allocBackwardSums(arena, statSize, paramSize);
    if (!arena.commit() || (dx !== null && !putSplitStats(arena, stats, mean, rstd, statSize))) return false;
    putResident(arena, plan, at, x, dy);
    putBackwardSums(arena, sums, mean, rstd, statSize);
    putParam(arena, wAt, weight, paramSize, 1);
    if (wantStat || wantParam) {
      backwardReduceRuns(norm, plan, at, sums, wAt, (wantStat ? 1 : 0) | (wantParam ? 2 : 0), 0, nRuns);
    }
    if (dx !== null) {
      // The sums composeNormBackward would hand on: only those it asks for.
      const sumDxhat = wantSumDxhat ? arena.f64(sums.sumDxhat, statSize) : null;
      const sumDxhatXhat = wantSumDxhatXhat ? arena.f64(sums.sumDxhatXhat, statSize) : null;
      if (!putTermStats(arena, { k1: k1At, k2: k2At }, count, statSize, sumDxhat, sumDxhatXhat)) return false;
      // dx overwrites dy in the arena.
      const terms = { k1: k1At, k2: k2At, w: wAt, withStats: wantSumDxhatXhat ? 1 : 0 };
      backwardInputRuns(norm, plan, at, stats, terms, 0, nRuns);
      dx.set(arena.f32(at.dy, plan.size));
    }
    copySumsOut(arena, dweight, sums.dweight, paramSize);
    copySumsOut(arena, dbias, sums.dbias, paramSize);
    return true;
  };

  return {
    reduceSum,
    moments,
    normalizeAffine,
    normBackwardReduce,
    normBackwardInput,
    normForward,
    normBackward,
    batchedMatmul,
    matmulNT,
    matmulTN,
    normForwardResident,
    normBackwardResident,
  };
}

/** The wasm calls of the norm and matmul kernels (see `createWasmCalls`). */
export type WasmCalls = ReturnType<typeof createWasmCalls>;
