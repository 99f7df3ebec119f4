/**
 * The fused norm kernels (normForward, normBackward in src/tensor/kernels/normFused.ts) against the
 * unfused compositions they replace in the norm op: moments, then variance and rstd,
 * then normalizeAffine; normBackwardReduce, then normBackwardInput.
 *
 * Tolerance: none. The fused loops add the same terms in the same order as the unfused kernels
 * (per run, then run after run into the statistic), so every result is bit-for-bit the same; the
 * comparison treats -0 and +0 as equal (a missing bias adds 0.0 in one and nothing in the other).
 */
import { describe, expect, it } from 'vitest';
import { runsPerStatistic, type AxisPlan } from '../../src/tensor/kernels/axisPlan.js';
import * as unfused from '../../src/tensor/kernels/axisReduce.js';
import * as fused from '../../src/tensor/kernels/normFused.js';
import type { NormStatsMode } from '../../src/tensor/kernels/normReference.js';
import { LAYOUTS, normalF32, planOf, type Layout } from '../wasm/support.js';

const EPS = 1e-5;
/** The TypeScript kernels: unfused (axisReduce.ts) and fused (normFused.ts). */
const ref = { ...unfused, ...fused, runsPerStatistic };

/** Index of the first element where a and b differ (NaN equals NaN), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) return i;
  }
  return -1;
}

function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  const i = firstDifference(actual, expected);
  expect(i, `${label}: element ${i}: ${actual[i]} vs ${expected[i]}`).toBe(-1);
}

interface Data {
  x: Float32Array | Float64Array;
  dy: Float32Array | Float64Array;
  weight: Float32Array | Float64Array | null;
  bias: Float32Array | Float64Array | null;
}

function dataFor(plan: AxisPlan, seed: number, affine: boolean, mean: number, std: number, f64: boolean): Data {
  const cast = (a: Float32Array): Float32Array | Float64Array => (f64 ? Float64Array.from(a) : a);
  return {
    x: cast(normalF32(plan.size, seed, mean, std)),
    dy: cast(normalF32(plan.size, seed + 1)),
    weight: affine ? cast(normalF32(plan.paramSize, seed + 2, 1, 0.5)) : null,
    bias: affine ? cast(normalF32(plan.paramSize, seed + 3)) : null,
  };
}

/** The forward as the norm op computed it before fusion. */
function unfusedForward(x: Data['x'], plan: AxisPlan, centered: boolean, weight: Data['weight'], bias: Data['bias']) {
  const mean = new Float64Array(plan.statSize);
  const variance = new Float64Array(plan.statSize);
  ref.moments(x, plan, mean, variance, centered);
  for (let s = 0; s < plan.statSize; s++) variance[s] = variance[s]! / plan.count;
  const rstd = variance.map((v) => 1 / Math.sqrt(v + EPS));
  const y = x instanceof Float32Array ? new Float32Array(plan.size) : new Float64Array(plan.size);
  ref.normalizeAffine(x, plan, mean, rstd, weight, bias, y);
  return { mean, variance, rstd, y };
}

function fusedForward(x: Data['x'], plan: AxisPlan, centered: boolean, weight: Data['weight'], bias: Data['bias']) {
  const mean = new Float64Array(plan.statSize);
  const variance = new Float64Array(plan.statSize);
  const rstd = new Float64Array(plan.statSize);
  const y = x instanceof Float32Array ? new Float32Array(plan.size) : new Float64Array(plan.size);
  ref.normForward(x, plan, centered, EPS, weight, bias, y, mean, variance, rstd);
  return { mean, variance, rstd, y };
}

interface Wanted {
  dx: boolean;
  dweight: boolean;
  dbias: boolean;
}

/** The backward as the norm op computed it before fusion. */
function unfusedBackward(
  d: Data,
  plan: AxisPlan,
  mean: Float64Array,
  rstd: Float64Array,
  stats: NormStatsMode,
  want: Wanted,
) {
  const sumDxhat = want.dx && stats === 'centered' ? new Float64Array(plan.statSize) : null;
  const sumDxhatXhat = want.dx && stats !== 'constant' ? new Float64Array(plan.statSize) : null;
  const dweight = want.dweight ? new Float64Array(plan.paramSize) : null;
  const dbias = want.dbias ? new Float64Array(plan.paramSize) : null;
  ref.normBackwardReduce(d.x, d.dy, plan, mean, rstd, d.weight, sumDxhat, sumDxhatXhat, dweight, dbias);
  const dx = want.dx ? new Float32Array(plan.size) : null;
  if (dx) ref.normBackwardInput(d.x, d.dy, plan, mean, rstd, d.weight, sumDxhat, sumDxhatXhat, dx);
  return { dx, dweight, dbias };
}

function fusedBackward(
  d: Data,
  plan: AxisPlan,
  mean: Float64Array,
  rstd: Float64Array,
  stats: NormStatsMode,
  want: Wanted,
) {
  const dx = want.dx ? new Float32Array(plan.size) : null;
  const dweight = want.dweight ? new Float64Array(plan.paramSize).fill(7) : null; // overwritten, not accumulated
  const dbias = want.dbias ? new Float64Array(plan.paramSize).fill(7) : null;
  ref.normBackward(d.x, d.dy, plan, mean, rstd, d.weight, stats, dx, dweight, dbias);
  return { dx, dweight, dbias };
}

function checkLayout(layout: Layout, d: Data, centered: boolean): void {
  const plan = planOf(layout);
  const a = unfusedForward(d.x, plan, centered, d.weight, d.bias);
  const b = fusedForward(d.x, plan, centered, d.weight, d.bias);
  for (const k of ['mean', 'variance', 'rstd', 'y'] as const) expectSame(b[k], a[k], `${layout.name} forward ${k}`);
  const wants: Wanted[] = [
    { dx: true, dweight: true, dbias: true },
    { dx: true, dweight: false, dbias: false },
    { dx: false, dweight: true, dbias: true },
  ];
  for (const stats of ['centered', 'rms', 'constant'] as const) {
    for (const want of wants) {
      const u = unfusedBackward(d, plan, a.mean, a.rstd, stats, want);
      const f = fusedBackward(d, plan, a.mean, a.rstd, stats, want);
      for (const k of ['dx', 'dweight', 'dbias'] as const) {
        expect(f[k] === null).toBe(u[k] === null);
        if (f[k] && u[k]) expectSame(f[k], u[k], `${layout.name} backward (${stats}) ${k}`);
      }
    }
  }
}

describe('normForward and normBackward equal the unfused reference compositions', () => {
  for (const layout of LAYOUTS) {
    for (const affine of [true, false]) {
      for (const centered of [true, false]) {
        it(`${layout.name} [${layout.shape}], ${affine ? 'affine' : 'no affine'}, ${centered ? 'centered' : 'RMS'}`, () => {
          const plan = planOf(layout);
          checkLayout(layout, dataFor(plan, 3, affine, 0.5, 2, false), centered);
          checkLayout(layout, dataFor(plan, 5, affine, 1e6, 1, false), centered); // hard data
          checkLayout(layout, dataFor(plan, 9, affine, 0.5, 2, true), centered); // float64 (gradcheck)
        });
      }
    }
  }

  it('GroupNorm with several runs per statistic and InstanceNorm take the per-statistic path', () => {
    expect(ref.runsPerStatistic(planOf({ name: 'gn', shape: [2, 3, 2, 17], reduced: [2, 3], params: [1, 2] }))).toBe(2);
    expect(ref.runsPerStatistic(planOf({ name: 'ln', shape: [5, 13], reduced: [1], params: [1] }))).toBe(1);
    expect(ref.runsPerStatistic(planOf({ name: 'in', shape: [3, 4, 5, 5], reduced: [2, 3], params: [1] }))).toBe(1);
    expect(ref.runsPerStatistic(planOf({ name: 'bn', shape: [3, 5, 7, 3], reduced: [0, 2, 3], params: [1] }))).toBe(0);
    expect(ref.runsPerStatistic(planOf({ name: 'bn1d', shape: [6, 7], reduced: [0], params: [1] }))).toBe(0);
  });

  it('a perturbation of one element breaks the equality (the comparison has power)', () => {
    for (const layout of [LAYOUTS[5]!, LAYOUTS[10]!, LAYOUTS[0]!]) {
      const plan = planOf(layout);
      const d = dataFor(plan, 3, true, 0.5, 2, false);
      const a = unfusedForward(d.x, plan, true, d.weight, d.bias);
      const x2 = Float32Array.from(d.x);
      x2[plan.size >> 1] = x2[plan.size >> 1]! * (1 + 2 ** -20);
      const b = fusedForward(x2, plan, true, d.weight, d.bias);
      expect(firstDifference(b.y, a.y)).toBeGreaterThanOrEqual(0);
      expect(firstDifference(b.mean, a.mean)).toBeGreaterThanOrEqual(0);
      const dy2 = Float32Array.from(d.dy);
      dy2[1] = dy2[1]! + 2 ** -10;
      const want = { dx: true, dweight: true, dbias: true };
      const u = unfusedBackward(d, plan, a.mean, a.rstd, 'centered', want);
      const f = fusedBackward({ ...d, dy: dy2 }, plan, a.mean, a.rstd, 'centered', want);
      expect(firstDifference(f.dx!, u.dx!)).toBeGreaterThanOrEqual(0);
      expect(firstDifference(f.dbias!, u.dbias!)).toBeGreaterThanOrEqual(0);
    }
  });
});
