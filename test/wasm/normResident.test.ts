/**
 * The resident composed norm calls (normForwardResident, normBackwardResident in
 * src/wasm/backend.ts): on BatchNorm's layouts (a statistic over runs spread across the batch) they
 * copy x and dy into the arena once for both passes. They must give the same bits as the composed
 * unfused wasm calls that stream x and dy once per pass (what the backend ran before), and, through
 * the registry, agree with the TypeScript kernels; above RESIDENT_ELEMENTS the registry streams.
 *
 * Tolerances against TypeScript, per element (u = 2^-24), those of test/wasm/fused.test.ts:
 *   - mean, variance, dweight, dbias: float64 on both sides, only the order of additions differs:
 *     1e-12 * sum|terms| (variance: plus the mean's error squared);
 *   - y: float32 with mean = hi + lo: 8u (|xhat w| + |b|) + 2u |y| + u^2 |mean| rstd |w|;
 *   - dx: float32: 8u rstd (|dy w| + |xhat k1| + |k2|) + 2u |dx|.
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels } from '../../src/kernels/registry.js';
import { planAxes, runsPerStatistic, type AxisPlan } from '../../src/tensor/kernels/axisPlan.js';
import * as fused from '../../src/tensor/kernels/normFused.js';
import { composeNormBackward, composeNormForward } from '../../src/tensor/kernels/normCompose.js';
import type { NormStatsMode } from '../../src/tensor/kernels/normReference.js';
import { elementIndex } from '../../src/tensor/kernels/normReference.js';
import { createWasmCalls, RESIDENT_ELEMENTS } from '../../src/wasm/backend.js';
import { MORE_LAYOUTS } from '../tensor/layouts.js';
import { LAYOUTS, U32, expectWithin, normalF32, planOf } from './support.js';

const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });
const calls = createWasmCalls();
/** The streamed composition: one copy of x (and dy) into the arena per pass. */
const streamed = {
  moments: wasm.moments,
  normalizeAffine: wasm.normalizeAffine,
  normBackwardReduce: wasm.normBackwardReduce,
  normBackwardInput: wasm.normBackwardInput,
};
const EPS = 1e-5;
const MODES: readonly NormStatsMode[] = ['centered', 'rms', 'constant'];

interface Data {
  x: Float32Array;
  dy: Float32Array;
  weight: Float32Array | null;
  bias: Float32Array | null;
}

function dataFor(plan: AxisPlan, seed: number, affine: boolean): Data {
  return {
    x: normalF32(plan.size, seed, 0.5, 2),
    dy: normalF32(plan.size, seed + 1),
    weight: affine ? normalF32(plan.paramSize, seed + 2, 1, 0.5) : null,
    bias: affine ? normalF32(plan.paramSize, seed + 3) : null,
  };
}

interface Forward {
  y: Float32Array;
  mean: Float64Array;
  variance: Float64Array;
  rstd: Float64Array;
}

type ForwardCall = (...args: Parameters<typeof calls.normForwardResident>) => unknown;

function forward(call: ForwardCall, plan: AxisPlan, d: Data, centered: boolean): Forward {
  const out = {
    y: new Float32Array(plan.size),
    mean: new Float64Array(plan.statSize),
    variance: new Float64Array(plan.statSize),
    rstd: new Float64Array(plan.statSize),
  };
  call(d.x, plan, centered, EPS, d.weight, d.bias, out.y, out.mean, out.variance, out.rstd);
  return out;
}

interface Backward {
  dx: Float32Array | null;
  dweight: Float64Array | null;
  dbias: Float64Array | null;
}

type BackwardCall = (...args: Parameters<typeof calls.normBackwardResident>) => unknown;

function backward(
  call: BackwardCall,
  plan: AxisPlan,
  d: Data,
  f: Forward,
  mode: NormStatsMode,
  want: { dx: boolean; params: boolean },
): Backward {
  const out = {
    dx: want.dx ? new Float32Array(plan.size) : null,
    dweight: want.params ? new Float64Array(plan.paramSize) : null,
    dbias: want.params ? new Float64Array(plan.paramSize) : null,
  };
  call(d.x, d.dy, plan, f.mean, f.rstd, d.weight, mode, out.dx, out.dweight, out.dbias);
  return out;
}

/** Every array of `got` holds the same bytes as `want`'s (NaN payloads included); fast on large arrays. */
function expectSameBytes(
  got: Record<string, Float32Array | Float64Array | null>,
  want: Record<string, Float32Array | Float64Array | null>,
  label: string,
): void {
  for (const key of Object.keys(want)) {
    const a = got[key]!;
    const b = want[key]!;
    if (b === null) {
      expect(a, `${label} ${key}`).toBeNull();
      continue;
    }
    const ab = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const bb = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    let first = -1;
    for (let i = 0; i < bb.length && first < 0; i++) if (ab[i] !== bb[i]) first = i;
    expect(ab.length, `${label} ${key} length`).toBe(bb.length);
    expect(first, `${label} ${key}: first differing byte`).toBe(-1);
  }
}

const composedForward: ForwardCall = (...args) => composeNormForward(streamed, ...args);
const composedBackward: BackwardCall = (...args) => composeNormBackward(streamed, ...args);

/** The resident calls must run (true) and give the streamed composition's bits. */
function expectSameBits(plan: AxisPlan, d: Data, centered: boolean, mode: NormStatsMode): void {
  let ran = true;
  const resident = forward((...a) => (ran = calls.normForwardResident(...a)), plan, d, centered);
  expect(ran).toBe(true);
  const want = forward(composedForward, plan, d, centered);
  expectSameBytes({ ...resident }, { ...want }, 'forward');
  for (const w of [
    { dx: true, params: true },
    { dx: true, params: false },
    { dx: false, params: true },
  ]) {
    const got = backward((...a) => (ran = calls.normBackwardResident(...a)), plan, d, want, mode, w);
    expect(ran).toBe(true);
    expectSameBytes({ ...got }, { ...backward(composedBackward, plan, d, want, mode, w) }, `${mode} backward`);
  }
}

/** The registry's wasm forward and backward against the TypeScript kernels, within the bounds above. */
function expectNearTypeScript(plan: AxisPlan, d: Data, label: string): void {
  const { count, statSize } = plan;
  const { stat, param } = elementIndex(plan);
  const ref = forward(fused.normForward, plan, d, true);
  const got = forward(wasm.normForward, plan, d, true);
  const absSum = new Float64Array(statSize);
  for (let i = 0; i < plan.size; i++) absSum[stat[i]!] += Math.abs(d.x[i]!);
  expectWithin(got.mean, ref.mean, (s) => (1e-12 * absSum[s]!) / count, `${label} mean`);
  const varBound = (s: number): number => 1e-12 * ref.variance[s]! + (1e-15 * ref.mean[s]!) ** 2;
  expectWithin(got.variance, ref.variance, varBound, `${label} variance`);
  const w = (i: number): number => (d.weight === null ? 1 : d.weight[param[i]!]!);
  const b = (i: number): number => (d.bias === null ? 0 : d.bias[param[i]!]!);
  const xhat = (i: number): number => (d.x[i]! - ref.mean[stat[i]!]!) * ref.rstd[stat[i]!]!;
  const yBound = (i: number): number =>
    8 * U32 * (Math.abs(xhat(i) * w(i)) + Math.abs(b(i))) +
    2 * U32 * Math.abs(ref.y[i]!) +
    U32 * U32 * Math.abs(ref.mean[stat[i]!]! * ref.rstd[stat[i]!]! * w(i));
  expectWithin(got.y, ref.y, yBound, `${label} y`);

  const all = { dx: true, params: true };
  const refB = backward(fused.normBackward, plan, d, ref, 'centered', all);
  const gotB = backward(wasm.normBackward, plan, d, ref, 'centered', all);
  // k1 = mean(dxhat xhat), k2 = mean(dxhat) per statistic, from the float64 sums.
  const k1 = new Float64Array(statSize);
  const k2 = new Float64Array(statSize);
  const pAbs = new Float64Array(plan.paramSize);
  for (let i = 0; i < plan.size; i++) {
    const g = d.dy[i]! * w(i);
    k1[stat[i]!] += (g * xhat(i)) / count;
    k2[stat[i]!] += g / count;
    pAbs[param[i]!] += Math.abs(d.dy[i]! * xhat(i)) + Math.abs(d.dy[i]!);
  }
  const dxBound = (i: number): number => {
    const s = stat[i]!;
    const terms = Math.abs(d.dy[i]! * w(i)) + Math.abs(xhat(i) * k1[s]!) + Math.abs(k2[s]!);
    return 8 * U32 * ref.rstd[s]! * terms + 2 * U32 * Math.abs(refB.dx![i]!);
  };
  expectWithin(gotB.dx!, refB.dx!, dxBound, `${label} dx`);
  expectWithin(gotB.dweight!, refB.dweight!, (p) => 1e-12 * pAbs[p]!, `${label} dweight`);
  expectWithin(gotB.dbias!, refB.dbias!, (p) => 1e-12 * pAbs[p]!, `${label} dbias`);
}

const COMPOSED = [...LAYOUTS, ...MORE_LAYOUTS].filter((l) => {
  const plan = planOf(l);
  return runsPerStatistic(plan) === 0 && plan.size > 0;
});

describe('wasm resident norm calls: the streamed composition, bit for bit', () => {
  it('covers BatchNorm2d, BatchNorm1d (N,C) and (N,C,L)', () => {
    expect(COMPOSED.map((l) => l.name)).toEqual(
      expect.arrayContaining(['BatchNorm2d [N,C,H,W] over {N,H,W}', 'BatchNorm1d (N,C) wide', 'BatchNorm1d (N,C,L)']),
    );
  });
  for (const layout of COMPOSED) {
    for (const affine of [true, false]) {
      it(`${layout.name} ${JSON.stringify(layout.shape)}, affine ${affine}`, () => {
        const plan = planOf(layout);
        const d = dataFor(plan, 11, affine);
        for (const mode of MODES) expectSameBits(plan, d, mode !== 'rms', mode);
      });
    }
  }

  it('NaN and Inf in x and dy propagate as in the streamed calls', () => {
    const plan = planAxes([4, 3, 50], [0, 2], [1]);
    const d = dataFor(plan, 21, true);
    d.x[7] = NaN; // channel 0
    d.x[60] = Infinity; // channel 1
    d.dy[130] = -Infinity; // channel 2
    expectSameBits(plan, d, true, 'centered');
    const y = forward(wasm.normForward, plan, d, true).y;
    expect(Number.isNaN(y[8]!)).toBe(true);
  });

  it('statistics beyond float32 range: the resident call declines, the registry gives the streamed result', () => {
    const plan = planAxes([3, 2, 40], [0, 2], [1]);
    const d = dataFor(plan, 31, true);
    // Standard deviation ~3e38: rstd ~3e-39 is below float32's normal range.
    for (let i = 0; i < plan.size; i++) d.x[i] = i % 2 === 0 ? 3e38 : -3e38;
    const args = forward(composedForward, plan, d, true);
    expect(calls.normForwardResident(d.x, plan, true, EPS, d.weight, d.bias, args.y.slice(), ...fresh(plan))).toBe(
      false,
    );
    expectSameBytes({ ...forward(wasm.normForward, plan, d, true) }, { ...args }, 'forward');
    const all = { dx: true, params: true };
    const got = backward(wasm.normBackward, plan, d, args, 'centered', all);
    expectSameBytes({ ...got }, { ...backward(composedBackward, plan, d, args, 'centered', all) }, 'backward');
  });
});

function fresh(plan: AxisPlan): [Float64Array, Float64Array, Float64Array] {
  return [new Float64Array(plan.statSize), new Float64Array(plan.statSize), new Float64Array(plan.statSize)];
}

describe('wasm resident norm calls: at and above RESIDENT_ELEMENTS', () => {
  const runs = RESIDENT_ELEMENTS / 4;
  it(`[2,2,${runs}] (= the bound) runs resident and agrees with TypeScript`, () => {
    const plan = planAxes([2, 2, runs], [0, 2], [1]);
    const d = dataFor(plan, 41, true);
    expect(
      calls.normForwardResident(d.x, plan, true, EPS, d.weight, d.bias, new Float32Array(plan.size), ...fresh(plan)),
    ).toBe(true);
    expectNearTypeScript(plan, d, 'resident');
  });
  it(`[2,2,${runs + 3}] (over the bound) streams and agrees with TypeScript`, () => {
    const plan = planAxes([2, 2, runs + 3], [0, 2], [1]);
    const d = dataFor(plan, 43, true);
    expect(
      calls.normForwardResident(d.x, plan, true, EPS, d.weight, d.bias, new Float32Array(plan.size), ...fresh(plan)),
    ).toBe(false);
    const f = forward(wasm.normForward, plan, d, true);
    expectSameBytes({ ...f }, { ...forward(composedForward, plan, d, true) }, 'forward');
    expectNearTypeScript(plan, d, 'streamed');
  });
});
