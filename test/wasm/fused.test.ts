/**
 * The wasm fused norm kernels (normForward, normBackward in src/wasm/backend.ts) against the
 * unfused TypeScript compositions (moments, rstd, normalizeAffine; normBackwardReduce,
 * normBackwardInput) on every norm layout, across chunk boundaries, on hard data and where the
 * statistics leave float32's range. The kernels are created with no size threshold.
 *
 * Tolerances, per element, those of test/wasm/norm.test.ts (u = 2^-24):
 *   - mean, variance, dweight, dbias: float64 on both sides, only the order of additions differs:
 *     |diff| <= 1e-12 * sum|terms| (variance: plus count * (1e-15 mean)^2 / count, the mean's error squared);
 *   - rstd: 1 / sqrt(v + eps) moves by half the relative change of v + eps, plus a float64 rounding;
 *   - y: float32 with mean = hi + lo: 8u (|xhat w| + |b|) + 2u |y| + u^2 |mean| rstd |w|;
 *   - dx: float32: 8u rstd (|dy w| + |xhat k1| + |k2|) + 2u |dx|.
 */
import { describe, expect, it } from 'vitest';
import { runsPerStatistic, type AxisPlan } from '../../src/tensor/kernels/axisPlan.js';
import * as unfused from '../../src/tensor/kernels/axisReduce.js';
import * as fused from '../../src/tensor/kernels/normFused.js';
import type { NormStatsMode } from '../../src/tensor/kernels/normReference.js';
import { elementIndex } from '../../src/tensor/kernels/normReference.js';
import { createWasmKernels } from '../../src/kernels/registry.js';
import { LAYOUTS, U32, expectWithin, normalF32, planOf, type Layout } from './support.js';

const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });
const EPS = 1e-5;
/** The TypeScript kernels: unfused (axisReduce.ts) and fused (normFused.ts). */
const ref = { ...unfused, ...fused, runsPerStatistic };

interface Data {
  x: Float32Array;
  dy: Float32Array;
  weight: Float32Array | null;
  bias: Float32Array | null;
}

/** Checks wasm normForward and normBackward against the reference compositions; throws on a miss. */
function check(plan: AxisPlan, d: Data, centered: boolean, label: string): void {
  const { statSize, paramSize, count, size } = plan;
  const { stat, param } = elementIndex(plan);
  const { x, dy, weight, bias } = d;

  // Reference forward: moments, variance, rstd, normalizeAffine.
  const mean = new Float64Array(statSize);
  const variance = new Float64Array(statSize);
  ref.moments(x, plan, mean, variance, centered);
  for (let s = 0; s < statSize; s++) variance[s] = variance[s]! / count;
  const rstd = variance.map((v) => 1 / Math.sqrt(v + EPS));
  const y = new Float32Array(size);
  ref.normalizeAffine(x, plan, mean, rstd, weight, bias, y);

  const meanW = new Float64Array(statSize);
  const varW = new Float64Array(statSize);
  const rstdW = new Float64Array(statSize);
  const yW = new Float32Array(size);
  wasm.normForward(x, plan, centered, EPS, weight, bias, yW, meanW, varW, rstdW);

  const absSum = new Float64Array(statSize);
  for (let i = 0; i < size; i++) absSum[stat[i]!] += Math.abs(x[i]!);
  const varBound = (s: number): number => (1e-12 * variance[s]! * count + count * (1e-15 * mean[s]!) ** 2) / count;
  expectWithin(meanW, mean, (s) => (1e-12 * absSum[s]!) / count, `${label} mean`);
  expectWithin(varW, variance, varBound, `${label} variance`);
  expectWithin(rstdW, rstd, (s) => rstd[s]! * (varBound(s) / (variance[s]! + EPS) + 1e-15), `${label} rstd`);
  const w = (i: number): number => (weight === null ? 1 : weight[param[i]!]!);
  const b = (i: number): number => (bias === null ? 0 : bias[param[i]!]!);
  const xhat = (i: number): number => (x[i]! - mean[stat[i]!]!) * rstd[stat[i]!]!;
  expectWithin(
    yW,
    y,
    (i) =>
      8 * U32 * (Math.abs(xhat(i) * w(i)) + Math.abs(b(i))) +
      2 * U32 * Math.abs(y[i]!) +
      U32 * U32 * Math.abs(mean[stat[i]!]! * rstd[stat[i]!]! * w(i)),
    `${label} y`,
  );

  // Backward, in each statistics mode: reference normBackwardReduce then normBackwardInput.
  for (const mode of ['centered', 'rms', 'constant'] as NormStatsMode[]) {
    const sumDxhat = mode === 'centered' ? new Float64Array(statSize) : null;
    const sumDxhatXhat = mode !== 'constant' ? new Float64Array(statSize) : null;
    const dweight = new Float64Array(paramSize);
    const dbias = new Float64Array(paramSize);
    ref.normBackwardReduce(x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dweight, dbias);
    const dx = new Float32Array(size);
    ref.normBackwardInput(x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dx);

    const dxW = new Float32Array(size);
    const dweightW = new Float64Array(paramSize).fill(7); // overwritten, not accumulated
    const dbiasW = new Float64Array(paramSize).fill(7);
    wasm.normBackward(x, dy, plan, mean, rstd, weight, mode, dxW, dweightW, dbiasW);

    const absDw = new Float64Array(paramSize);
    const absDb = new Float64Array(paramSize);
    for (let i = 0; i < size; i++) {
      absDw[param[i]!] += Math.abs(dy[i]! * xhat(i));
      absDb[param[i]!] += Math.abs(dy[i]!);
    }
    expectWithin(dweightW, dweight, (p) => 1e-12 * absDw[p]!, `${label} dweight (${mode})`);
    expectWithin(dbiasW, dbias, (p) => 1e-12 * absDb[p]!, `${label} dbias (${mode})`);
    const k1 = (s: number): number => (sumDxhatXhat === null ? 0 : sumDxhatXhat[s]! / count);
    const k2 = (s: number): number => (sumDxhat === null ? 0 : sumDxhat[s]! / count);
    expectWithin(
      dxW,
      dx,
      (i) => {
        const s = stat[i]!;
        const terms = Math.abs(dy[i]! * w(i)) + Math.abs(xhat(i) * k1(s)) + Math.abs(k2(s));
        return 8 * U32 * rstd[s]! * terms + 2 * U32 * Math.abs(dx[i]!);
      },
      `${label} dx (${mode})`,
    );

    // Only the parameter gradients (x needs none), and only dx.
    const dwOnly = new Float64Array(paramSize);
    wasm.normBackward(x, dy, plan, mean, rstd, weight, mode, null, dwOnly, null);
    expectWithin(dwOnly, dweight, (p) => 1e-12 * absDw[p]!, `${label} dweight alone (${mode})`);
    const dxOnly = new Float32Array(size);
    wasm.normBackward(x, dy, plan, mean, rstd, weight, mode, dxOnly, null, null);
    expectWithin(dxOnly, dxW, () => 0, `${label} dx alone (${mode})`); // the same wasm calls on the same data
  }
}

function dataFor(plan: AxisPlan, seed: number, affine: boolean, mean = 0.5, std = 2): Data {
  return {
    x: normalF32(plan.size, seed, mean, std),
    dy: normalF32(plan.size, seed + 1),
    weight: affine ? normalF32(plan.paramSize, seed + 2, 1, 0.5) : null,
    bias: affine ? normalF32(plan.paramSize, seed + 3) : null,
  };
}

describe('wasm fused norm kernels vs the reference compositions, every layout', () => {
  for (const layout of LAYOUTS) {
    for (const affine of [true, false]) {
      for (const centered of [true, false]) {
        it(`${layout.name} [${layout.shape}], ${affine ? 'affine' : 'no affine'}, ${centered ? 'centered' : 'RMS'}`, () => {
          const plan = planOf(layout);
          check(plan, dataFor(plan, 11, affine), centered, layout.name);
          check(plan, dataFor(plan, 13, affine, 1e6, 1), centered, `${layout.name}, mean 1e6 std 1`);
        });
      }
    }
  }
});

describe('wasm fused norm kernels across chunks of whole statistics (64 Ki elements each)', () => {
  const BIG: Layout[] = [
    { name: 'LayerNorm, many rows per chunk', shape: [300, 1001], reduced: [1], params: [1] },
    { name: 'GroupNorm, statistics of 3 runs across chunks', shape: [4, 7, 3, 1111], reduced: [2, 3], params: [1, 2] },
    { name: 'InstanceNorm, one statistic longer than a chunk', shape: [1, 3, 70_001], reduced: [2], params: [1] },
    { name: 'BatchNorm2d (composed)', shape: [4, 3, 40_000], reduced: [0, 2], params: [1] },
  ];
  for (const layout of BIG) {
    it(`${layout.name} [${layout.shape}]`, () => {
      const plan = planOf(layout);
      check(plan, dataFor(plan, 41, true), true, layout.name);
      check(plan, dataFor(plan, 43, true, 1e6, 1), false, `${layout.name}, mean 1e6 std 1, RMS`);
    });
  }
});

describe('wasm fused norm kernels, edge cases', () => {
  it('statistics beyond float32 range fall back to the reference (identical results)', () => {
    const layout: Layout = { name: 'LayerNorm', shape: [40, 17], reduced: [1], params: [1] };
    const plan = planOf(layout);
    const d = dataFor(plan, 5, true, 0, 1e38); // variance ~1e76: rstd below float32's normal range
    const y = new Float32Array(plan.size);
    const yW = new Float32Array(plan.size);
    const stats = (): Float64Array[] => [0, 1, 2].map(() => new Float64Array(plan.statSize));
    const [m, v, r] = stats() as [Float64Array, Float64Array, Float64Array];
    const [mW, vW, rW] = stats() as [Float64Array, Float64Array, Float64Array];
    ref.normForward(d.x, plan, true, EPS, d.weight, d.bias, y, m, v, r);
    wasm.normForward(d.x, plan, true, EPS, d.weight, d.bias, yW, mW, vW, rW);
    expectWithin(yW, y, () => 0, 'y beyond float32 range'); // both from ref.normalizeAffine
  });

  it('a perturbation breaks the comparison (the bounds have power)', () => {
    for (const layout of [LAYOUTS[6]!, LAYOUTS[10]!, LAYOUTS[0]!]) {
      const plan = planOf(layout);
      const d = dataFor(plan, 3, true);
      const x2 = Float32Array.from(d.x);
      x2[plan.size >> 1] = x2[plan.size >> 1]! + 1e-3;
      const y = new Float32Array(plan.size);
      const yW = new Float32Array(plan.size);
      const f64 = (): Float64Array => new Float64Array(plan.statSize);
      const [m, v, r] = [f64(), f64(), f64()];
      ref.normForward(d.x, plan, true, EPS, d.weight, d.bias, y, m, v, r);
      wasm.normForward(x2, plan, true, EPS, d.weight, d.bias, yW, f64(), f64(), f64());
      expect(() => expectWithin(yW, y, (i) => 8 * U32 * (Math.abs(y[i]!) + 1), 'perturbed y')).toThrow(/out of bound/);
      const dx = new Float32Array(plan.size);
      const dxW = new Float32Array(plan.size);
      ref.normBackward(d.x, d.dy, plan, m, r, d.weight, 'centered', dx, null, null);
      wasm.normBackward(x2, d.dy, plan, m, r, d.weight, 'centered', dxW, null, null);
      expect(() => expectWithin(dxW, dx, (i) => 8 * U32 * (Math.abs(dx[i]!) + 1), 'perturbed dx')).toThrow(
        /out of bound/,
      );
    }
  });
});
