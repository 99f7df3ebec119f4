/**
 * The WebAssembly SIMD backend: every function of `Kernels` (src/tensor/backend.ts), with the
 * semantics of the reference kernels (normReference.ts), running norm_reduce.wat, norm_elementwise.wat and
 * matmul.wat.
 *
 * Each call lays its buffers out in the wasm memory (runtime.ts) and streams x (and dy) through
 * it in chunks of whole runs, about 64 Ki elements each so that a chunk stays in L2: copy the
 * chunk in, run one exported function over its runs, copy its output back (outputs overwrite the
 * inputs in the arena). Reductions add chunk after chunk into their zeroed outputs. The one kernel
 * that needs the whole tensor at once, moments when a statistic spans several runs (BatchNorm:
 * every mean before the second pass), takes x in one piece.
 *
 * Float64 data (gradcheck), mixed float32/float64 arguments, empty tensors, and calls smaller than
 * `minSize` elements (where the copies cost more than they save) go to the TypeScript kernels
 * instead, as does a call whose statistics would not survive rounding to float32 (a standard
 * deviation beyond float32 range).
 *
 * Numerics (docs/wasm.md): reductions accumulate in float64 like the reference; the elementwise
 * passes are float32 with the mean split as hi + lo; matmul accumulates in float32.
 *
 * What each function equals: the reference of the same formula (src/tensor/kernels/normReference.ts:
 * `reduceSum` = sumReference, `moments` = momentsReference, `normalizeAffine` = normalizeReference,
 * `normBackwardReduce` = backwardSumsReference, `normBackwardInput` = backwardInputReference,
 * `normForward` = normForwardReference, `normBackward` = normBackwardReference), within the bounds
 * of test/tensor/normLayouts.test.ts, which runs them all on the one layout table. BatchNorm's
 * layouts are put together as the TypeScript kernels do (src/tensor/kernels/normCompose.ts).
 */
import type { Kernels } from '../tensor/backend.js';
import type { FloatArray } from '../tensor/dtype.js';
import { mergesRuns, runsPerStatistic, type AxisPlan } from '../tensor/kernels/axisPlan.js';
import * as js from '../tensor/kernels/axisReduce.js';
import {
  composeNormBackward,
  composeNormForward,
  momentsByRuns,
  type UnfusedNormKernels,
} from '../tensor/kernels/normCompose.js';
import * as jsFused from '../tensor/kernels/normFused.js';
import {
  batchedMatmul as refBatchedMatmul,
  matmulNT as refMatmulNT,
  matmulTN as refMatmulTN,
} from '../tensor/kernels/matmul.js';
import { broadcastStrides, sizeOf } from '../tensor/shape.js';
import { wasmRuntime, type Arena, type MatmulExports } from './runtime.js';

export { wasmSimdSupported } from './runtime.js';

/** When the wasm kernels take over from the TypeScript ones. */
export interface WasmKernelOptions {
  /** Norm kernels on fewer elements than this run in TypeScript. */
  readonly minSize?: number;
  /** Matmuls with fewer multiply-adds than this run in TypeScript. */
  readonly minMacs?: number;
}

/**
 * Defaults: below these the copies and the call cost more than the SIMD saves (measured: the
 * TypeScript and wasm kernels break even near 256 elements and near 512 multiply-adds).
 */
export const DEFAULT_MIN_SIZE = 256;
export const DEFAULT_MIN_MACS = 512;

const F32_MIN_NORMAL = 2 ** -126;

/** True when rounding v to float32 would overflow a finite value to infinity. */
function overflowsF32(v: number): boolean {
  return Number.isFinite(v) && !Number.isFinite(Math.fround(v));
}

/** True when v would lose its precision in float32 (out of range, or below the normal range). */
function leavesF32Range(v: number): boolean {
  return overflowsF32(v) || (v !== 0 && Math.abs(v) < F32_MIN_NORMAL);
}

function isF32(a: FloatArray | null): boolean {
  return a === null || a instanceof Float32Array;
}

/**
 * Elements per chunk when a call streams its runs through the arena: 64 Ki float32 (256 KiB) per
 * array keeps a chunk's inputs and outputs in L2 while it is copied in, processed and copied out.
 */
const CHUNK_ELEMENTS = 1 << 16;

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

/** Creates the wasm kernels; `options` set when they hand small calls to TypeScript. */
export function createWasmKernels(options: WasmKernelOptions = {}): Kernels {
  const minSize = options.minSize ?? DEFAULT_MIN_SIZE;
  const minMacs = options.minMacs ?? DEFAULT_MIN_MACS;
  // Empty tensors too: the TypeScript kernels' 0 / 0 statistics need no wasm.
  const tooSmall = (plan: AxisPlan): boolean => plan.size === 0 || plan.size < minSize;

  const reduceSum: Kernels['reduceSum'] = (x, plan, out) => {
    if (!(x instanceof Float32Array) || tooSmall(plan)) return js.reduceSum(x, plan, out);
    const { norm, arena } = wasmRuntime();
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: false, chunked: true });
    const outAt = arena.alloc(out.length * 8);
    if (!arena.commit()) return js.reduceSum(x, plan, out);
    arena.f64(outAt, out.length).fill(0);
    streamRuns(arena, plan, at, { x }, (first, runs) =>
      norm.reduce_sum(at.x, plan.inner, runs, at.runStat + 4 * first, plan.innerStat, outAt),
    );
    out.set(arena.f64(outAt, out.length));
  };

  const moments: Kernels['moments'] = (x, plan, mean, m2, centered = true) => {
    if (!(x instanceof Float32Array) || tooSmall(plan)) return js.moments(x, plan, mean, m2, centered);
    // BatchNorm: each run's moments in wasm (streamed in chunks), merged per statistic as the TS kernel does.
    if (mergesRuns(plan, centered)) return momentsByRuns({ moments }, x, plan, mean, m2);
    const { norm, arena } = wasmRuntime();
    // When every statistic is one run, both passes happen run by run, so the runs can stream
    // through in chunks; otherwise (GroupNorm's consecutive runs) the second pass needs every mean.
    const oneRunPerStatistic = plan.innerStat === 0 && plan.inner > 0 && plan.count === plan.inner;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: false, chunked: oneRunPerStatistic });
    const meanAt = arena.alloc(mean.length * 8);
    const m2At = arena.alloc(m2.length * 8);
    if (!arena.commit()) return js.moments(x, plan, mean, m2, centered);
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
  };

  const normalizeAffine: Kernels['normalizeAffine'] = (x, plan, mean, rstd, weight, bias, y) => {
    const fallback = (): void => js.normalizeAffine(x, plan, mean, rstd, weight, bias, y);
    if (!(isF32(x) && isF32(y) && isF32(weight) && isF32(bias)) || tooSmall(plan)) return fallback();
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize } = plan;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: false, chunked: true });
    const stats = allocSplitStats(arena, statSize);
    const wAt = arena.alloc(paramSize * 4);
    const bAt = arena.alloc(paramSize * 4);
    if (!arena.commit() || !putSplitStats(arena, stats, mean, rstd, statSize)) return fallback();
    putParam(arena, wAt, weight, paramSize, 1);
    putParam(arena, bAt, bias, paramSize, 0);
    // y overwrites x in the arena, chunk by chunk.
    streamRuns(
      arena,
      plan,
      at,
      { x },
      (first, runs) =>
        norm.normalize(
          at.x,
          at.x,
          plan.inner,
          runs,
          at.runStat + 4 * first,
          at.runParam + 4 * first,
          plan.innerStat,
          plan.innerParam,
          stats.hi,
          stats.lo,
          stats.rstd,
          wAt,
          bAt,
        ),
      { into: y, from: at.x },
    );
  };

  const normBackwardReduce: Kernels['normBackwardReduce'] = (
    x,
    dy,
    plan,
    mean,
    rstd,
    weight,
    sumDxhat,
    sumDxhatXhat,
    dweight,
    dbias,
  ) => {
    const fallback = (): void =>
      js.normBackwardReduce(x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dweight, dbias);
    if (!(isF32(x) && isF32(dy) && isF32(weight)) || tooSmall(plan)) return fallback();
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize } = plan;
    const wantStat = sumDxhat !== null || sumDxhatXhat !== null;
    const wantParam = dweight !== null || dbias !== null;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: true, chunked: true });
    const wAt = arena.alloc(paramSize * 4);
    const sums = allocBackwardSums(arena, statSize, paramSize);
    if (!arena.commit()) return fallback();
    putBackwardSums(arena, sums, mean, rstd, statSize);
    putParam(arena, wAt, weight, paramSize, 1);
    streamRuns(arena, plan, at, { x, dy }, (first, runs) =>
      norm.backward_reduce(
        at.x,
        at.dy,
        plan.inner,
        runs,
        at.runStat + 4 * first,
        at.runParam + 4 * first,
        plan.innerStat,
        plan.innerParam,
        sums.mean,
        sums.rstd,
        wAt,
        sums.sumDxhat,
        sums.sumDxhatXhat,
        sums.dweight,
        sums.dbias,
        (wantStat ? 1 : 0) | (wantParam ? 2 : 0),
      ),
    );
    copySumsOut(arena, sumDxhat, sums.sumDxhat, statSize);
    copySumsOut(arena, sumDxhatXhat, sums.sumDxhatXhat, statSize);
    copySumsOut(arena, dweight, sums.dweight, paramSize);
    copySumsOut(arena, dbias, sums.dbias, paramSize);
  };

  const normBackwardInput: Kernels['normBackwardInput'] = (
    x,
    dy,
    plan,
    mean,
    rstd,
    weight,
    sumDxhat,
    sumDxhatXhat,
    dx,
  ) => {
    const fallback = (): void => js.normBackwardInput(x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dx);
    if (!(isF32(x) && isF32(dy) && isF32(weight) && isF32(dx)) || tooSmall(plan)) return fallback();
    const { norm, arena } = wasmRuntime();
    const { statSize, paramSize, count } = plan;
    arena.reset();
    const at = allocRuns(arena, plan, { withDy: true, chunked: true });
    const stats = allocSplitStats(arena, statSize);
    const k1At = arena.alloc(statSize * 4);
    const k2At = arena.alloc(statSize * 4);
    const wAt = arena.alloc(paramSize * 4);
    if (!arena.commit() || !putSplitStats(arena, stats, mean, rstd, statSize)) return fallback();
    // k1 = mean(dxhat * xhat), k2 = mean(dxhat): the two terms' statistics, rounded to float32.
    const k1 = arena.f32(k1At, statSize);
    const k2 = arena.f32(k2At, statSize);
    for (let s = 0; s < statSize; s++) {
      const a = sumDxhatXhat === null ? 0 : sumDxhatXhat[s]! / count;
      const b = sumDxhatXhat === null || sumDxhat === null ? 0 : sumDxhat[s]! / count;
      if (overflowsF32(a) || overflowsF32(b)) return fallback();
      k1[s] = a;
      k2[s] = b;
    }
    putParam(arena, wAt, weight, paramSize, 1);
    // dx overwrites dy in the arena, chunk by chunk.
    streamRuns(
      arena,
      plan,
      at,
      { x, dy },
      (first, runs) =>
        norm.backward_input(
          at.x,
          at.dy,
          at.dy,
          plan.inner,
          runs,
          at.runStat + 4 * first,
          at.runParam + 4 * first,
          plan.innerStat,
          plan.innerParam,
          stats.hi,
          stats.lo,
          stats.rstd,
          k1At,
          k2At,
          wAt,
          sumDxhatXhat === null ? 0 : 1,
        ),
      { into: dx, from: at.dy },
    );
  };

  // -------------------------------------------------------------------------------------------
  // Fused kernels. When each statistic is a block of consecutive runs (LayerNorm, RMSNorm,
  // InstanceNorm, GroupNorm), x (and dy) stream through the arena in chunks of whole statistics,
  // each copied in once: both exported functions run on the chunk in place, and the output is
  // copied out once. The chunk's run table is chunk-local (statistic 0 = the chunk's first), and
  // the per-statistic buffers are addressed from the chunk's first statistic. Other layouts
  // (BatchNorm) compose the unfused kernels above.
  // -------------------------------------------------------------------------------------------

  const unfused: UnfusedNormKernels = { moments, normalizeAffine, normBackwardReduce, normBackwardInput };

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

  const normForward: Kernels['normForward'] = (x, plan, centered, eps, weight, bias, y, mean, variance, rstd) => {
    const fallback = (): void => jsFused.normForward(x, plan, centered, eps, weight, bias, y, mean, variance, rstd);
    if (!(isF32(x) && isF32(y) && isF32(weight) && isF32(bias)) || tooSmall(plan)) return fallback();
    const k = runsPerStatistic(plan);
    const { statSize, paramSize, count, inner } = plan;
    // BatchNorm: every mean before the second pass, so the unfused kernels.
    if (k === 0) return composeNormForward(unfused, x, plan, centered, eps, weight, bias, y, mean, variance, rstd);
    const { norm, arena } = wasmRuntime();
    arena.reset();
    const at = statChunks(arena, plan, k, false);
    const meanAt = arena.alloc(statSize * 8);
    const m2At = arena.alloc(statSize * 8);
    const stats = allocSplitStats(arena, statSize);
    const wAt = arena.alloc(paramSize * 4);
    const bAt = arena.alloc(paramSize * 4);
    if (!arena.commit()) return fallback();
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
    if (!inRange) js.normalizeAffine(x, plan, mean, rstd, weight, bias, y);
  };

  const normBackward: Kernels['normBackward'] = (x, dy, plan, mean, rstd, weight, statsMode, dx, dweight, dbias) => {
    const fallback = (): void => jsFused.normBackward(x, dy, plan, mean, rstd, weight, statsMode, dx, dweight, dbias);
    if (!(isF32(x) && isF32(dy) && isF32(weight) && isF32(dx)) || tooSmall(plan)) return fallback();
    const k = runsPerStatistic(plan);
    const { statSize, paramSize, count, inner } = plan;
    // BatchNorm: every statistic's sums before dx, so the unfused kernels.
    if (k === 0) return composeNormBackward(unfused, x, dy, plan, mean, rstd, weight, statsMode, dx, dweight, dbias);
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
    if (!arena.commit() || (dx !== null && !putSplitStats(arena, stats, mean, rstd, statSize))) return fallback();
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
    copySumsOut(arena, dweight, sums.dweight, paramSize);
    copySumsOut(arena, dbias, sums.dbias, paramSize);
    if (dx !== null && !inRange) {
      const s1 = statsMode === 'centered' ? Float64Array.from(sumDxhat) : null;
      const s2 = statsMode === 'constant' ? null : Float64Array.from(sumDxhatXhat);
      js.normBackwardInput(x, dy, plan, mean, rstd, weight, s1, s2, dx);
    }
  };

  const batchedMatmul: Kernels['batchedMatmul'] = (a, aShape, b, bShape, outBatch, out) => {
    const n = aShape[aShape.length - 2]!;
    const k = aShape[aShape.length - 1]!;
    const m = bShape[bShape.length - 1]!;
    const batches = sizeOf(outBatch);
    const fallback = (): void => refBatchedMatmul(a, aShape, b, bShape, outBatch, out);
    if (!(isF32(a) && isF32(b) && isF32(out)) || batches * n * k * m < minMacs) return fallback();
    const { matmul, arena } = wasmRuntime();
    const bMatrices = sizeOf(bShape.slice(0, -2));
    const packed = Math.ceil(m / 8) * 8 * k; // floats per packed b matrix
    arena.reset();
    const aAt = arena.alloc(a.length * 4);
    const bAt = arena.alloc(b.length * 4);
    const bpAt = arena.alloc(bMatrices * packed * 4);
    const cAt = arena.alloc(batches * n * m * 4);
    if (!arena.commit()) return fallback();
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
  };

  /**
   * One 2-D product c [n, m] = a' b' (k terms) from the operands a and b as given: both are
   * copied in whole, then `prepare` packs b' into `bp` and returns where a' [n, k] lies (a's copy
   * itself, or a transposed copy at `scratch`). NT and TN differ only in `prepare`.
   */
  const gemm2d = (
    a: FloatArray,
    b: FloatArray,
    out: FloatArray,
    n: number,
    k: number,
    m: number,
    prepare: (m: MatmulExports, at: { a: number; b: number; bp: number; scratch: number }) => number,
    fallback: () => void,
  ): void => {
    if (!(isF32(a) && isF32(b) && isF32(out)) || n * k * m < minMacs) return fallback();
    const { matmul, arena } = wasmRuntime();
    arena.reset();
    const at = {
      a: arena.alloc(n * k * 4),
      b: arena.alloc(k * m * 4),
      bp: arena.alloc(Math.ceil(m / 8) * 8 * k * 4),
      scratch: arena.alloc(n * k * 4),
    };
    const cAt = arena.alloc(n * m * 4);
    if (!arena.commit()) return fallback();
    arena.f32(at.a, n * k).set(a.subarray(0, n * k));
    arena.f32(at.b, k * m).set(b.subarray(0, k * m));
    matmul.gemm(prepare(matmul, at), at.bp, cAt, n, k, m);
    out.set(arena.f32(cAt, n * m));
  };

  // c = a b^T, a [n, k], b [m, k]: the panels of b^T are packed straight from b.
  const matmulNT: Kernels['matmulNT'] = (a, b, out, n, k, m) =>
    gemm2d(
      a,
      b,
      out,
      n,
      k,
      m,
      (mm, at) => {
        mm.pack_bt(at.b, k, m, at.bp);
        return at.a;
      },
      () => refMatmulNT(a, b, out, n, k, m),
    );

  // c = a^T b, a [k, n], b [k, m]: b is packed as usual, a^T [n, k] written to scratch.
  const matmulTN: Kernels['matmulTN'] = (a, b, out, n, k, m) =>
    gemm2d(
      a,
      b,
      out,
      n,
      k,
      m,
      (mm, at) => {
        mm.pack_b(at.b, k, m, at.bp);
        mm.transpose(at.a, k, n, at.scratch);
        return at.scratch;
      },
      () => refMatmulTN(a, b, out, n, k, m),
    );

  return {
    name: 'wasm',
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
  };
}

/** The wasm backend as registered under `'wasm'`. */
export const wasmKernels: Kernels = createWasmKernels();
