/**
 * The wasm axis-reduction kernels (src/wasm/norm_reduce.wat, norm_elementwise.wat) against the
 * TypeScript reference kernels (src/tensor/kernels/axisReduce.ts) on every norm layout, on random
 * plans, on hard data, across chunk boundaries, and with NaN and infinities. The kernels are
 * created with no size threshold, so every call runs in wasm.
 *
 * Tolerances, per element (u = 2^-24, float32's unit roundoff):
 *   - reduceSum, moments, normBackwardReduce: both sides are float64 and differ only in the order
 *     of their additions (the wasm loops keep 2-8 partial sums), so |diff| <= 1e-12 * sum|terms|.
 *   - normalizeAffine: wasm computes in float32 with mean = hi + lo: about six roundings of the
 *     largest term, so |diff| <= 8u (|xhat * w| + |b|) + 2u |y| + u^2 |mean| rstd |w|.
 *   - normBackwardInput: float32 as well: |diff| <= 8u rstd (|dy w| + |xhat k1| + |k2|) + 2u |dx|.
 * And the spec for hard data (mean 1e6, std 1 and the like): after normalization, within 2e-5
 * absolute of a float64 normalization computed here from the definition.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/tensor/kernels/axisReduce.js';
import type { AxisPlan } from '../../src/tensor/kernels/axisReduce.js';
import { elementIndex } from '../../src/tensor/kernels/normReference.js';
import { createWasmKernels } from '../../src/kernels/registry.js';
import { LAYOUTS, U32, expectWithin, normalF32, planOf, statistics64, type Layout } from './support.js';

const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });
const EPS = 1e-5;

interface Inputs {
  x: Float32Array;
  dy: Float32Array;
  weight: Float32Array | null;
  bias: Float32Array | null;
  centered: boolean;
}

/** Runs all five kernels on both backends and checks the wasm results within the bounds above. */
function checkAllKernels(plan: AxisPlan, inp: Inputs, label: string): void {
  const { x, dy, weight, bias, centered } = inp;
  const { statSize, paramSize, count } = plan;
  const { stat, param } = elementIndex(plan);
  const f64 = (n: number): Float64Array => new Float64Array(n);

  // reduceSum
  const sumRef = f64(statSize);
  const sumWasm = f64(statSize);
  ref.reduceSum(x, plan, sumRef);
  wasm.reduceSum(x, plan, sumWasm);
  const absSum = f64(statSize);
  for (let i = 0; i < plan.size; i++) absSum[stat[i]!] += Math.abs(x[i]!);
  expectWithin(sumWasm, sumRef, (s) => 1e-12 * absSum[s]!, `${label} reduceSum`);

  // moments
  const meanRef = f64(statSize);
  const m2Ref = f64(statSize);
  const meanWasm = f64(statSize);
  const m2Wasm = f64(statSize);
  ref.moments(x, plan, meanRef, m2Ref, centered);
  wasm.moments(x, plan, meanWasm, m2Wasm, centered);
  expectWithin(meanWasm, meanRef, (s) => (1e-12 * absSum[s]!) / count, `${label} moments mean`);
  expectWithin(m2Wasm, m2Ref, (s) => 1e-12 * m2Ref[s]! + count * (1e-15 * meanRef[s]!) ** 2, `${label} moments m2`);

  // normalizeAffine, from the reference statistics
  const rstd = m2Ref.map((m2) => 1 / Math.sqrt(m2 / count + EPS));
  const yRef = new Float32Array(plan.size);
  const yWasm = new Float32Array(plan.size);
  ref.normalizeAffine(x, plan, meanRef, rstd, weight, bias, yRef);
  wasm.normalizeAffine(x, plan, meanRef, rstd, weight, bias, yWasm);
  const w = (i: number): number => (weight === null ? 1 : weight[param[i]!]!);
  const b = (i: number): number => (bias === null ? 0 : bias[param[i]!]!);
  const xhat = (i: number): number => (x[i]! - meanRef[stat[i]!]!) * rstd[stat[i]!]!;
  expectWithin(
    yWasm,
    yRef,
    (i) =>
      8 * U32 * (Math.abs(xhat(i) * w(i)) + Math.abs(b(i))) +
      2 * U32 * Math.abs(yRef[i]!) +
      U32 * U32 * Math.abs(meanRef[stat[i]!]! * rstd[stat[i]!]! * w(i)),
    `${label} normalizeAffine`,
  );

  // normBackwardReduce
  const outs = (): [Float64Array, Float64Array, Float64Array, Float64Array] => [
    f64(statSize),
    f64(statSize),
    f64(paramSize),
    f64(paramSize),
  ];
  const redRef = outs();
  const redWasm = outs();
  ref.normBackwardReduce(x, dy, plan, meanRef, rstd, weight, ...redRef);
  wasm.normBackwardReduce(x, dy, plan, meanRef, rstd, weight, ...redWasm);
  const absTerms = outs();
  for (let i = 0; i < plan.size; i++) {
    const g = Math.abs(dy[i]!);
    absTerms[0][stat[i]!] += g * Math.abs(w(i));
    absTerms[1][stat[i]!] += g * Math.abs(w(i) * xhat(i));
    absTerms[2][param[i]!] += g * Math.abs(xhat(i));
    absTerms[3][param[i]!] += g;
  }
  ['sumDxhat', 'sumDxhatXhat', 'dweight', 'dbias'].forEach((name, k) =>
    expectWithin(redWasm[k]!, redRef[k]!, (s) => 1e-12 * absTerms[k]![s]!, `${label} normBackwardReduce ${name}`),
  );

  // normBackwardInput: statistics from x (centered or RMSNorm), and constant statistics (eval)
  const sumDxhat = centered ? redRef[0] : null;
  for (const [mode, s1, s2] of [
    ['train', sumDxhat, redRef[1]],
    ['eval', null, null],
  ] as const) {
    const dxRef = new Float32Array(plan.size);
    const dxWasm = new Float32Array(plan.size);
    ref.normBackwardInput(x, dy, plan, meanRef, rstd, weight, s1, s2, dxRef);
    wasm.normBackwardInput(x, dy, plan, meanRef, rstd, weight, s1, s2, dxWasm);
    const k1 = (s: number): number => (s2 === null ? 0 : s2[s]! / count);
    const k2 = (s: number): number => (s1 === null ? 0 : s1[s]! / count);
    expectWithin(
      dxWasm,
      dxRef,
      (i) => {
        const s = stat[i]!;
        const terms = Math.abs(dy[i]! * w(i)) + (s2 === null ? 0 : Math.abs(xhat(i) * k1(s))) + Math.abs(k2(s));
        return 8 * U32 * rstd[s]! * terms + 2 * U32 * Math.abs(dxRef[i]!);
      },
      `${label} normBackwardInput (${mode})`,
    );
  }
}

function inputsFor(
  layout: Layout,
  seed: number,
  opts: { affine: boolean; centered: boolean; mean?: number; std?: number },
): Inputs {
  const plan = planOf(layout);
  return {
    x: normalF32(plan.size, seed, opts.mean ?? 0.5, opts.std ?? 2),
    dy: normalF32(plan.size, seed + 1),
    weight: opts.affine ? normalF32(plan.paramSize, seed + 2, 1, 0.5) : null,
    bias: opts.affine ? normalF32(plan.paramSize, seed + 3) : null,
    centered: opts.centered,
  };
}

describe('wasm norm kernels vs the TypeScript reference, every layout', () => {
  for (const layout of LAYOUTS) {
    for (const affine of [true, false]) {
      for (const centered of [true, false]) {
        const what = `${affine ? 'affine' : 'no affine'}, ${centered ? 'centered' : 'RMS (not centered)'}`;
        it(`${layout.name} [${layout.shape}], ${what}`, () => {
          checkAllKernels(planOf(layout), inputsFor(layout, 7, { affine, centered }), layout.name);
        });
      }
    }
  }
});

describe('wasm norm kernels streaming many chunks through the arena (64 Ki elements each)', () => {
  const BIG: Layout[] = [
    { name: 'BatchNorm2d, statistics across chunks', shape: [4, 3, 40_000], reduced: [0, 2], params: [1] },
    { name: 'LayerNorm, many rows per chunk', shape: [300, 1001], reduced: [1], params: [1] },
    { name: 'BatchNorm1d (N,C), the run keeps C', shape: [20_000, 7], reduced: [0], params: [1] },
    { name: 'one run longer than a chunk', shape: [2, 70_001], reduced: [1], params: [1] },
  ];
  for (const layout of BIG) {
    for (const centered of [true, false]) {
      it(`${layout.name} [${layout.shape}], ${centered ? 'centered' : 'not centered'}`, () => {
        checkAllKernels(planOf(layout), inputsFor(layout, 41, { affine: true, centered }), layout.name);
      });
    }
  }
});

describe('wasm norm kernels on random plans (fast-check)', () => {
  const planArb = fc.array(fc.integer({ min: 1, max: 11 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      reduced: fc.subarray(shape.map((_, i) => i)),
      params: fc.subarray(shape.map((_, i) => i)),
      affine: fc.boolean(),
      centered: fc.boolean(),
      seed: fc.nat(1000),
    }),
  );

  it('matches the reference on every kernel', () => {
    fc.assert(
      fc.property(planArb, ({ shape, reduced, params, affine, centered, seed }) => {
        const layout: Layout = {
          name: `random [${shape}] reduce {${reduced}} params {${params}}`,
          shape,
          reduced,
          params,
        };
        checkAllKernels(planOf(layout), inputsFor(layout, seed, { affine, centered }), layout.name);
      }),
      { numRuns: 150 },
    );
  });
});

describe('wasm norm kernels on hard data', () => {
  const DATA = [
    { name: 'mean 1e6, std 1', mean: 1e6, std: 1 },
    { name: 'mean 1e4, std 1e-2', mean: 1e4, std: 1e-2 },
    { name: 'mean -3e5, std 3', mean: -3e5, std: 3 },
    { name: 'constant 1e6', mean: 1e6, std: 0 },
    { name: 'constant 0.1', mean: 0.1, std: 0 },
  ];
  const layouts = LAYOUTS.filter((l) => planOf(l).size > 0);

  for (const data of DATA) {
    for (const layout of layouts) {
      it(`${data.name}: ${layout.name} normalizes to within 2e-5 of float64`, () => {
        const plan = planOf(layout);
        const x = normalF32(plan.size, 11, data.mean, data.std);
        const weight = normalF32(plan.paramSize, 12, 1, 0.5);
        const bias = normalF32(plan.paramSize, 13);
        const { mean, variance, stat } = statistics64(x, layout, true);
        const { param } = elementIndex(plan);

        const meanWasm = new Float64Array(plan.statSize);
        const m2Wasm = new Float64Array(plan.statSize);
        wasm.moments(x, plan, meanWasm, m2Wasm, true);
        expectWithin(meanWasm, mean, (s) => 1e-13 * Math.abs(mean[s]!) + 1e-13, 'mean');
        expectWithin(
          m2Wasm.map((m2) => m2 / plan.count),
          variance,
          (s) => 1e-9 * variance[s]! + 1e-15,
          'variance',
        );

        const rstdWasm = m2Wasm.map((m2) => 1 / Math.sqrt(m2 / plan.count + EPS));
        const y = new Float32Array(plan.size);
        wasm.normalizeAffine(x, plan, meanWasm, rstdWasm, weight, bias, y);
        const y64 = Array.from(
          x,
          (v, i) =>
            ((v - mean[stat[i]!]!) / Math.sqrt(variance[stat[i]!]! + EPS)) * weight[param[i]!]! + bias[param[i]!]!,
        );
        expectWithin(y, y64, () => 2e-5, 'normalized output vs float64');

        // And the backward kernels on the same data, against the reference.
        checkAllKernels(
          plan,
          { x, dy: normalF32(plan.size, 14), weight, bias, centered: true },
          `${data.name} ${layout.name}`,
        );
      });
    }
  }
});

describe('wasm norm kernels with NaN and infinities', () => {
  for (const layout of [LAYOUTS[0]!, LAYOUTS[2]!, LAYOUTS[6]!, LAYOUTS[10]!]) {
    it(`${layout.name}: NaN and +-Inf propagate as in the reference`, () => {
      const inp = inputsFor(layout, 21, { affine: true, centered: true });
      const n = inp.x.length;
      inp.x[3] = NaN;
      inp.x[Math.floor(n / 2)] = Infinity;
      inp.x[n - 2] = -Infinity;
      inp.dy[5] = NaN;
      checkAllKernels(planOf(layout), inp, layout.name);
    });
  }

  it('eval-mode backward keeps dx finite where x is infinite (the xhat term is masked, not multiplied by 0)', () => {
    const layout = LAYOUTS[6]!; // LayerNorm rows
    const plan = planOf(layout);
    const x = normalF32(plan.size, 31);
    x[10] = Infinity;
    const dy = normalF32(plan.size, 32);
    const weight = normalF32(plan.paramSize, 33, 1, 0.5);
    const mean = new Float64Array(plan.statSize).fill(0.25);
    const rstd = new Float64Array(plan.statSize).fill(2);
    const dx = new Float32Array(plan.size);
    wasm.normBackwardInput(x, dy, plan, mean, rstd, weight, null, null, dx);
    expect(Number.isFinite(dx[10]!)).toBe(true);
    expect(dx[10]).toBeCloseTo(2 * dy[10]! * weight[10 % plan.paramSize]!, 5);
  });
});
