/**
 * The row blocks of the wasm backward reduction (`$bwd_reduce_rows2` in src/wasm/norm_reduce.wat):
 * LayerNorm and RMSNorm runs, whose statistic is fixed and whose parameter advances along the run,
 * taken two rows at a time, with the last odd row of a call (or of a chunk) left to the one-row
 * kernel and an odd first column done in scalars. Checked against the reference kernels
 * (src/tensor/kernels/normReference.ts `backwardSumsReference`), not against the fast TS kernels:
 *   sumDxhat[s] = sum dy w,  sumDxhatXhat[s] = sum dy w xhat,  dweight[j] = sum dy xhat,  dbias[j] = sum dy
 * with xhat = (x - mean) rstd, w = weight (1 when absent), every product and sum float64.
 *
 * Two ways in: `normBackwardReduce` of the wasm kernels called directly (row counts 1-9 so that
 * blocks and a leftover row both occur, row lengths 1-13 and 768 so that the odd first column and
 * the two-column steps both occur, and enough rows to stream several chunks of about 64 Ki
 * elements, each ending on an odd row), and nn.LayerNorm / nn.RMSNorm forward and backward under
 * the wasm backend (the fused normBackward, which calls the same wasm function per chunk).
 *
 * Tolerances:
 *   - direct calls: the kernel and the reference compute every term the same way in float64 from the
 *     same float32 inputs and float64 statistics, so only the order of the additions differs (the
 *     block adds two rows before memory, the loops keep two lanes). Reordering a float64 sum of
 *     n terms moves it by at most about n 2^-53 sum|terms|, under 1e-13 sum|terms| for n <= 768; the
 *     bound is 1e-12 sum|terms|, the one test/wasm/norm.test.ts uses. A term lost, doubled or sent
 *     to the wrong row or column is off by about |term|, far outside it.
 *   - layers: the mean and rstd are the layer's own (wasm float64 moments), not the reference's.
 *     A float64 mean of n values errs by at most n 2^-53 mean|x|, which moves xhat by rstd times
 *     that (the variance moves only by its square): xhatErr, 1e-7 for mean 1e4, std 1e-2, n = 768.
 *     The gradients are float32, rounded from float64 sums (u = 2^-24; 2u for margin):
 *       weight.grad: 2u |ref| + sum |g| xhatErr + 1e-12 sum|terms|,
 *       bias.grad:   2u |ref| + 1e-12 sum|terms|,
 *       x.grad:      8u rstd (|g w| + |xhat k1| + |k2|) + 2u |dx| + rstd (|k1| + 2 mean|g w|) xhatErr,
 *     the last being the float32 elementwise pass's bound from test/wasm/norm.test.ts (k1 =
 *     mean(g w xhat), k2 = mean(g w) or 0) plus what xhatErr does to xhat k1 and to k1 and k2.
 *     Measured errors use 10-40% of these bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, nn, setBackend, tensor } from '../../src/index.js';
import { planAxes, type AxisPlan } from '../../src/tensor/kernels/axisPlan.js';
import {
  backwardInputReference,
  backwardSumsReference,
  indexOfAxes,
  momentsReference,
} from '../../src/tensor/kernels/normReference.js';
import { createWasmKernels, wasmSimdSupported } from '../../src/kernels/registry.js';
import { U32, expectWithin, normalF32 } from './support.js';

/** Every call in wasm, however small. */
const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });
const U64 = 2 ** -53;

interface Data {
  rows: number;
  inner: number;
  x: Float32Array;
  dy: Float32Array;
  weight: Float32Array | null;
}

function dataFor(rows: number, inner: number, seed: number, withWeight: boolean, mean = 0.5, std = 2): Data {
  return {
    rows,
    inner,
    x: normalF32(rows * inner, seed, mean, std),
    dy: normalF32(rows * inner, seed + 1),
    weight: withWeight ? normalF32(inner, seed + 2, 1, 0.5) : null,
  };
}

/** Float64 two-pass mean (0 when not centered) and rstd of each row, from the reference kernels. */
function rowStatistics(d: Data, centered: boolean, eps: number): { mean: Float64Array; rstd: Float64Array } {
  const index = indexOfAxes([d.rows, d.inner], [1], [1]);
  const mean = new Float64Array(d.rows);
  const m2 = new Float64Array(d.rows);
  momentsReference(d.x, index, mean, m2, centered);
  return { mean, rstd: m2.map((v) => 1 / Math.sqrt(v / d.inner + eps)) };
}

/**
 * The four sums from the reference kernels (one statistic per row, or one for all rows), and the
 * sums of their terms' absolute values, which scale the bounds.
 */
function reference(d: Data, mean: Float64Array, rstd: Float64Array, oneStatistic: boolean) {
  const index = indexOfAxes([d.rows, d.inner], oneStatistic ? [0, 1] : [1], [1]);
  const f64 = (n: number): Float64Array => new Float64Array(n);
  const statSize = index.statSize;
  const sums = { sumDxhat: f64(statSize), sumDxhatXhat: f64(statSize), dweight: f64(d.inner), dbias: f64(d.inner) };
  backwardSumsReference(d.x, d.dy, index, mean, rstd, d.weight, sums);
  const abs = { sumDxhat: f64(statSize), sumDxhatXhat: f64(statSize), dweight: f64(d.inner), dbias: f64(d.inner) };
  for (let i = 0; i < d.x.length; i++) {
    const s = index.stat[i]!;
    const j = index.param[i]!;
    const dy = Math.abs(d.dy[i]!);
    const xhat = Math.abs((d.x[i]! - mean[s]!) * rstd[s]!);
    const w = d.weight === null ? 1 : Math.abs(d.weight[j]!);
    abs.sumDxhat[s] += dy * w;
    abs.sumDxhatXhat[s] += dy * w * xhat;
    abs.dweight[j] += dy * xhat;
    abs.dbias[j] += dy;
  }
  return { sums, abs };
}

type SumName = 'sumDxhat' | 'sumDxhatXhat' | 'dweight' | 'dbias';
const SUM_NAMES: readonly SumName[] = ['sumDxhat', 'sumDxhatXhat', 'dweight', 'dbias'];

/**
 * wasm normBackwardReduce on `d` viewed as [rows, inner] (LayerNorm: one statistic per row) or with
 * every row in one statistic (`oneStatistic`: the block's two rows then add into the same sums),
 * against the reference within 1e-12 sum|terms|.
 */
function checkDirect(d: Data, opts: { centered: boolean; oneStatistic?: boolean }, label: string): void {
  const { rows, inner } = d;
  const oneStatistic = opts.oneStatistic ?? false;
  // The row layout: runs of `inner`, statistic fixed along a run, parameter from 0 advancing.
  const plan: AxisPlan = {
    size: rows * inner,
    statSize: oneStatistic ? 1 : rows,
    count: oneStatistic ? rows * inner : inner,
    paramSize: inner,
    inner,
    innerStat: 0,
    innerParam: 1,
    runStat: Int32Array.from({ length: rows }, (_, r) => (oneStatistic ? 0 : r)),
    runParam: new Int32Array(rows),
  };
  // Which is what LayerNorm plans (one statistic per row) and a norm over all axes with a weight
  // over the last, except for rows of one element, planned as something else (their parameter is
  // fixed): the row loop under test then runs on the plan above, which means the same.
  if (inner > 1) expect(planAxes([rows, inner], oneStatistic ? [0, 1] : [1], [1])).toEqual(plan);
  let { mean, rstd } = rowStatistics(d, opts.centered, 1e-5);
  if (oneStatistic) {
    // One statistic: any mean and rstd will do for the sums; take row 0's.
    mean = mean.subarray(0, 1);
    rstd = rstd.subarray(0, 1);
  }
  const { sums, abs } = reference(d, mean, rstd, oneStatistic);
  // Outputs are overwritten, not accumulated: start them at 7.
  const out = {
    sumDxhat: new Float64Array(plan.statSize).fill(7),
    sumDxhatXhat: new Float64Array(plan.statSize).fill(7),
    dweight: new Float64Array(inner).fill(7),
    dbias: new Float64Array(inner).fill(7),
  };
  wasm.normBackwardReduce(
    d.x,
    d.dy,
    plan,
    mean,
    rstd,
    d.weight,
    out.sumDxhat,
    out.sumDxhatXhat,
    out.dweight,
    out.dbias,
  );
  for (const name of SUM_NAMES) {
    expectWithin(out[name], sums[name], (k) => 1e-12 * abs[name][k]!, `${label} ${name}`);
  }
}

describe.skipIf(!wasmSimdSupported)('wasm backward_reduce row blocks: direct calls vs a float64 reference', () => {
  const ROWS = [1, 2, 3, 4, 5, 7, 9];
  const INNERS = [1, 3, 4, 5, 8, 13, 768];
  for (const inner of INNERS) {
    for (const withWeight of [true, false]) {
      it(`rows ${ROWS.join(', ')} of ${inner}, ${withWeight ? 'weight' : 'no weight'}`, () => {
        for (const rows of ROWS) {
          const label = `[${rows}, ${inner}]`;
          const data = (seed: number, mean?: number, std?: number): Data =>
            dataFor(rows, inner, seed * rows + inner, withWeight, mean, std);
          checkDirect(data(11), { centered: true }, `${label} LayerNorm`);
          checkDirect(data(13), { centered: false }, `${label} RMSNorm`);
          checkDirect(data(17), { centered: true, oneStatistic: true }, `${label} one statistic`);
          checkDirect(data(19, 1e4, 1e-2), { centered: true }, `${label} mean 1e4, std 1e-2`);
        }
      });
    }
  }

  // Chunks of floor(65536 / inner) runs: 85 of 768, 5041 of 13, 13107 of 5 (all odd, so each chunk
  // ends on a row left to the one-row kernel), then a short last chunk.
  for (const [rows, inner] of [
    [2 * 85 + 3, 768],
    [5041 + 4, 13],
    [13107 + 2, 5],
  ] as const) {
    for (const withWeight of [true, false]) {
      it(`[${rows}, ${inner}] in several chunks, ${withWeight ? 'weight' : 'no weight'}`, () => {
        checkDirect(dataFor(rows, inner, 3, withWeight), { centered: true }, `[${rows}, ${inner}]`);
        const hard = dataFor(rows, inner, 5, withWeight, 1e4, 1e-2);
        checkDirect(hard, { centered: true }, `[${rows}, ${inner}] mean 1e4, std 1e-2`);
      });
    }
  }
});

/** nn.LayerNorm or nn.RMSNorm over the last axis: forward, then backward of sum(y * dy). */
function checkLayer(
  kind: 'LayerNorm' | 'RMSNorm',
  shape: readonly number[],
  withWeight: boolean,
  mean: number,
  std: number,
): void {
  const inner = shape[shape.length - 1]!;
  const rows = shape.reduce((a, b) => a * b, 1) / inner;
  const d = dataFor(rows, inner, rows + inner, withWeight, mean, std);
  const centered = kind === 'LayerNorm';
  const eps = centered ? 1e-5 : 2 ** -23; // RMSNorm's default: float32's machine epsilon
  const opts = { elementwiseAffine: withWeight };
  const layer = centered ? new nn.LayerNorm(inner, opts) : new nn.RMSNorm(inner, opts);
  if (d.weight !== null) layer.weight!.data.set(d.weight);
  const x = tensor(d.x, shape, { requiresGrad: true });
  layer.forward(x).mul(tensor(d.dy, shape)).sum().backward();

  const { mean: m, rstd } = rowStatistics(d, centered, eps);
  const { sums, abs } = reference(d, m, rstd, false);
  // How far the layer's own float64 statistics may move each row's xhat (see the header).
  const xhatErr = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let absX = 0;
    for (let j = 0; j < inner; j++) absX += Math.abs(d.x[r * inner + j]!);
    xhatErr[r] = rstd[r]! * inner * U64 * (absX / inner);
  }
  const label = `${kind} [${shape}]${withWeight ? '' : ' no weight'}`;
  if (withWeight) {
    const errDw = new Float64Array(inner);
    for (let i = 0; i < d.x.length; i++) errDw[i % inner] += Math.abs(d.dy[i]!) * xhatErr[Math.floor(i / inner)]!;
    const dwBound = (j: number): number => 2 * U32 * Math.abs(sums.dweight[j]!) + errDw[j]! + 1e-12 * abs.dweight[j]!;
    expectWithin(layer.weight!.grad!.data, sums.dweight, dwBound, `${label} weight.grad`);
    if (centered) {
      const dbBound = (j: number): number => 2 * U32 * Math.abs(sums.dbias[j]!) + 1e-12 * abs.dbias[j]!;
      expectWithin((layer as nn.LayerNorm).bias!.grad!.data, sums.dbias, dbBound, `${label} bias.grad`);
    }
  }
  // dx from the reference; the bound from its terms: k1 = mean(dxhat xhat), k2 = mean(dxhat) (0: RMS).
  const dx = new Float64Array(d.x.length);
  const index = indexOfAxes([rows, inner], [1], [1]);
  backwardInputReference(
    d.x,
    d.dy,
    index,
    m,
    rstd,
    d.weight,
    centered ? 'centered' : 'rms',
    sums.sumDxhat,
    sums.sumDxhatXhat,
    dx,
  );
  const bound = new Float64Array(d.x.length);
  for (let r = 0; r < rows; r++) {
    const k1 = sums.sumDxhatXhat[r]! / inner;
    const k2 = centered ? sums.sumDxhat[r]! / inner : 0;
    const meanAbsGw = abs.sumDxhat[r]! / inner;
    for (let j = 0; j < inner; j++) {
      const i = r * inner + j;
      const gw = d.dy[i]! * (d.weight === null ? 1 : d.weight[j]!);
      const xhat = (d.x[i]! - m[r]!) * rstd[r]!;
      bound[i] =
        8 * U32 * rstd[r]! * (Math.abs(gw) + Math.abs(xhat * k1) + Math.abs(k2)) +
        2 * U32 * Math.abs(dx[i]!) +
        rstd[r]! * (Math.abs(k1) + 2 * meanAbsGw) * xhatErr[r]!;
    }
  }
  expectWithin(x.grad!.data, dx, (i) => bound[i]!, `${label} x.grad`);
}

describe.skipIf(!wasmSimdSupported)('wasm backward_reduce row blocks: nn.LayerNorm and nn.RMSNorm', () => {
  let previous = '';
  beforeAll(() => {
    previous = getBackend();
    setBackend('wasm');
  });
  afterAll(() => setBackend(previous));

  // Chunks of whole statistics (rows): 85 rows of 768, 5041 of 13, 13107 of 5, with a short last
  // chunk; and calls of a single chunk with an odd row count.
  const SHAPES: readonly (readonly number[])[] = [
    [3, 59, 768],
    [5045, 13],
    [13109, 5],
    [9, 37],
    [7, 64],
  ];
  for (const kind of ['LayerNorm', 'RMSNorm'] as const) {
    for (const shape of SHAPES) {
      for (const withWeight of [true, false]) {
        it(`${kind} [${shape}], ${withWeight ? 'affine' : 'no affine'}, plain and mean 1e4 / std 1e-2 data`, () => {
          checkLayer(kind, shape, withWeight, 0.5, 2);
          checkLayer(kind, shape, withWeight, 1e4, 1e-2);
        });
      }
    }
  }
});
