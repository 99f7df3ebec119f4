/**
 * The axis-reduction kernel (src/tensor/kernels/axisReduce.ts): how planAxes merges axes for each
 * normalization layer, and every unfused kernel in float64 against the reference kernels
 * (src/tensor/kernels/normReference.ts) on a per-element index taken straight from the axes
 * (`indexOfAxes`), and the backward against central differences of the reference forward.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  moments,
  normalizeAffine,
  normBackwardInput,
  normBackwardReduce,
  planAxes,
  reduceMax,
  reduceSum,
  type AxisPlan,
} from '../../src/tensor/kernels/axisReduce.js';
import type { FloatArray } from '../../src/tensor/dtype.js';
import {
  backwardInputReference,
  backwardSumsReference,
  elementIndex,
  indexOfAxes,
  momentsReference,
  normalizeReference,
  normForwardReference,
  sumReference,
  type NormIndex,
} from '../../src/tensor/kernels/normReference.js';
import { expectClose } from '../helpers.js';
import { shapeArb } from './arbitraries.js';
import { numel, randomValues } from './reference.js';

// ---------------------------------------------------------------------------------------------
// The reference (src/tensor/kernels/normReference.ts), on a per-element index
// ---------------------------------------------------------------------------------------------

interface NormCase {
  name: string;
  shape: number[];
  reduced: number[];
  params: number[];
}

/** The view each layer hands the kernel (the table in the kernel's header). */
const NORM_CASES: NormCase[] = [
  { name: 'BatchNorm2d [N,C,H,W] over {N,H,W}', shape: [2, 3, 4, 5], reduced: [0, 2, 3], params: [1] },
  { name: 'BatchNorm1d [N,C] over {N}', shape: [4, 3], reduced: [0], params: [1] },
  { name: 'LayerNorm [B,T,F] over {F}', shape: [2, 3, 4], reduced: [2], params: [2] },
  { name: 'LayerNorm [N,C,H,W] over {H,W}', shape: [2, 3, 4, 5], reduced: [2, 3], params: [2, 3] },
  { name: 'InstanceNorm2d [N,C,H,W] over {H,W}', shape: [2, 3, 4, 5], reduced: [2, 3], params: [1] },
  { name: 'GroupNorm [N,G,C/G,HW] over {C/G,HW}', shape: [2, 2, 3, 5], reduced: [2, 3], params: [1, 2] },
  { name: 'sum over {1,3}, no params', shape: [2, 3, 4, 5], reduced: [1, 3], params: [] },
  { name: 'BatchNorm2d with N=H=1', shape: [1, 3, 1, 4], reduced: [0, 2, 3], params: [1] },
];

/** The per-element index straight from the axes (not from the plan). */
function referenceMaps(c: NormCase): NormIndex {
  return indexOfAxes(c.shape, c.reduced, c.params);
}

/** The reference's two-pass moments of float64 data. */
function refMoments(x: FloatArray, m: NormIndex, centered: boolean): { mean: Float64Array; m2: Float64Array } {
  const mean = new Float64Array(m.statSize);
  const m2 = new Float64Array(m.statSize);
  momentsReference(x, m, mean, m2, centered);
  return { mean, m2 };
}

/** The reference forward with statistics from x (biased variance), as a training norm does. */
function refNormForward(
  x: ArrayLike<number>,
  m: NormIndex,
  centered: boolean,
  eps: number,
  w: FloatArray | null,
  b: FloatArray | null,
): number[] {
  const y = new Float64Array(x.length);
  const stats = [0, 1, 2].map(() => new Float64Array(m.statSize)) as [Float64Array, Float64Array, Float64Array];
  normForwardReference(Float64Array.from(x), m, centered, eps, w, b, y, ...stats);
  return [...y];
}

/** d/dx of sum(dy * y(x)) by central differences of the float64 forward above. */
function numericInputGrad(x: number[], dy: number[], f: (x: number[]) => number[]): number[] {
  const h = 1e-6;
  const dot = (y: number[]): number => y.reduce((s, v, i) => s + v * dy[i]!, 0);
  return x.map((_, i) => {
    const plus = x.slice();
    plus[i]! += h;
    const minus = x.slice();
    minus[i]! -= h;
    return (dot(f(plus)) - dot(f(minus))) / (2 * h);
  });
}

const EPS = 1e-5;

/** Kernel-ready inputs for a case: x, dy, weight, bias and the float64 statistics. */
function setup(c: NormCase, centered = true) {
  const plan = planAxes(c.shape, c.reduced, c.params);
  const maps = referenceMaps(c);
  const x = Float64Array.from(randomValues(plan.size, 1, { maxAbs: 2 }));
  const dy = Float64Array.from(randomValues(plan.size, 2));
  const weight = Float64Array.from(randomValues(plan.paramSize, 3, { minAbs: 0.5, maxAbs: 1.5 }));
  const bias = Float64Array.from(randomValues(plan.paramSize, 4));
  const mean = new Float64Array(plan.statSize);
  const m2 = new Float64Array(plan.statSize);
  moments(x, plan, mean, m2, centered);
  const rstd = m2.map((v) => 1 / Math.sqrt(v / plan.count + EPS));
  return { plan, maps, x, dy, weight, bias, mean, rstd };
}

// Kernels and references both accumulate in float64 in different orders: agreement to 1e-12
// relative (plus 1e-12 absolute for values that cancel to ~0) leaves ~3 digits of headroom.
const F64 = { rtol: 1e-12, atol: 1e-12 };

// ---------------------------------------------------------------------------------------------
// planAxes
// ---------------------------------------------------------------------------------------------

describe('planAxes merges axes into runs', () => {
  const layout = (p: AxisPlan) => ({
    size: p.size,
    statSize: p.statSize,
    count: p.count,
    paramSize: p.paramSize,
    inner: p.inner,
    innerStat: p.innerStat,
    innerParam: p.innerParam,
    runStat: [...p.runStat],
    runParam: [...p.runParam],
  });

  it('BatchNorm [N,C,H,W] over {0,2,3}: one run of H*W per (n, c), statistic and weight per c', () => {
    expect(layout(planAxes([2, 3, 4, 5], [0, 2, 3], [1]))).toEqual({
      size: 120,
      statSize: 3,
      count: 40,
      paramSize: 3,
      inner: 20,
      innerStat: 0,
      innerParam: 0,
      runStat: [0, 1, 2, 0, 1, 2],
      runParam: [0, 1, 2, 0, 1, 2],
    });
  });

  it('LayerNorm [B,T,F] over {F}: rows of F, weight along the run', () => {
    expect(layout(planAxes([2, 3, 4], [2], [2]))).toEqual({
      size: 24,
      statSize: 6,
      count: 4,
      paramSize: 4,
      inner: 4,
      innerStat: 0,
      innerParam: 1,
      runStat: [0, 1, 2, 3, 4, 5],
      runParam: [0, 0, 0, 0, 0, 0],
    });
  });

  it('LayerNorm over two trailing axes merges them into one run (weight [H,W] is contiguous)', () => {
    const p = layout(planAxes([2, 3, 4, 5], [2, 3], [2, 3]));
    expect([p.inner, p.innerParam, p.runStat, p.runParam]).toEqual([20, 1, [0, 1, 2, 3, 4, 5], [0, 0, 0, 0, 0, 0]]);
  });

  it('InstanceNorm [N,C,H*W] over {2}: a statistic per (n, c), weight per c', () => {
    expect(layout(planAxes([2, 3, 20], [2], [1]))).toEqual({
      size: 120,
      statSize: 6,
      count: 20,
      paramSize: 3,
      inner: 20,
      innerStat: 0,
      innerParam: 0,
      runStat: [0, 1, 2, 3, 4, 5],
      runParam: [0, 1, 2, 0, 1, 2],
    });
  });

  it('GroupNorm [N,G,C/G,HW] over {2,3}: runs of HW because the weight changes per channel', () => {
    expect(layout(planAxes([2, 2, 3, 5], [2, 3], [1, 2]))).toEqual({
      size: 60,
      statSize: 4,
      count: 15,
      paramSize: 6,
      inner: 5,
      innerStat: 0,
      innerParam: 0,
      runStat: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3],
      runParam: [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5],
    });
  });

  it('GroupNorm statistics alone (no weight) merge C/G and HW into one run per group', () => {
    const p = layout(planAxes([2, 2, 3, 5], [2, 3]));
    expect([p.inner, p.runStat]).toEqual([15, [0, 1, 2, 3]]);
  });

  it('a non-contiguous axis set {1,3} of [2,3,4,5]: runs of W, statistic per (n, h)', () => {
    const p = layout(planAxes([2, 3, 4, 5], [1, 3]));
    expect([p.statSize, p.count, p.inner, p.innerStat, p.runStat.length]).toEqual([8, 15, 5, 0, 24]);
    expect(p.runStat.slice(0, 5)).toEqual([0, 1, 2, 3, 0]);
    expect(p.runStat.slice(12, 17)).toEqual([4, 5, 6, 7, 4]);
  });

  it('reducing a leading axis keeps the innermost one: the statistic advances along the run', () => {
    const p = layout(planAxes([2, 3], [0]));
    expect([p.inner, p.innerStat, p.runStat]).toEqual([3, 1, [0, 0]]);
  });

  it('size-1 axes are dropped before merging', () => {
    const p = layout(planAxes([2, 1, 3], [1]));
    expect([p.statSize, p.count, p.inner, p.innerStat, p.runStat]).toEqual([6, 1, 6, 1, [0]]);
    const bn = layout(planAxes([1, 3, 1, 4], [0, 2, 3], [1]));
    expect([bn.inner, bn.runStat, bn.runParam]).toEqual([4, [0, 1, 2], [0, 1, 2]]);
  });

  it('a scalar is one run of one element', () => {
    const p = layout(planAxes([], []));
    expect([p.size, p.statSize, p.count, p.inner, p.runStat]).toEqual([1, 1, 1, 1, [0]]);
  });

  it.each([
    [[2, 0, 3], [1], 6],
    [[0, 3], [0], 3],
    [[2, 0], [0], 0],
  ])('an empty tensor %j over %j has no runs and %d statistics', (shape, reduced, statSize) => {
    const p = planAxes(shape, reduced);
    expect([p.size, p.statSize, p.count, p.runStat.length]).toEqual([0, statSize, 0, 0]);
  });

  it('property: every element gets the statistic and parameter index of the reference', () => {
    const caseArb = shapeArb().chain((shape) => {
      const all = Array.from({ length: shape.length }, (_, i) => i);
      return fc.record({ shape: fc.constant(shape), reduced: fc.subarray(all), params: fc.subarray(all) });
    });
    fc.assert(
      fc.property(caseArb, (c) => {
        const plan = planAxes(c.shape, c.reduced, c.params);
        const maps = referenceMaps({ name: '', ...c });
        expect(plan.runStat.length * plan.inner).toBe(numel(c.shape));
        expect([plan.statSize, plan.paramSize, plan.count]).toEqual([
          maps.statSize,
          maps.paramSize,
          numel(c.shape) / maps.statSize,
        ]);
        const read = elementIndex(plan);
        expect({ stat: read.stat, param: read.param }).toEqual({ stat: maps.stat, param: maps.param });
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Reductions and moments
// ---------------------------------------------------------------------------------------------

describe.each(NORM_CASES)('kernels on $name', (c) => {
  it('reduceSum and reduceMax equal the per-statistic reference', () => {
    const { plan, maps, x } = setup(c);
    const sum = new Float64Array(maps.statSize);
    sumReference(x, maps, sum);
    const max = new Array<number>(maps.statSize).fill(-Infinity);
    x.forEach((v, i) => {
      max[maps.stat[i]!] = Math.max(max[maps.stat[i]!]!, v);
    });
    const outSum = new Float64Array(plan.statSize).fill(123); // reduceSum overwrites, never accumulates
    reduceSum(x, plan, outSum);
    expectClose(outSum, sum, F64, 'reduceSum');
    const outMax = new Float64Array(plan.statSize);
    reduceMax(x, plan, outMax);
    expect([...outMax]).toEqual(max); // max is exact: no arithmetic
  });

  it.each([true, false])('moments (centered %s) equal the two-pass reference', (centered) => {
    const { plan, maps, x } = setup(c);
    const mean = new Float64Array(plan.statSize).fill(7);
    const m2 = new Float64Array(plan.statSize).fill(7);
    moments(x, plan, mean, m2, centered);
    const ref = refMoments(x, maps, centered);
    expectClose(mean, ref.mean, F64, 'mean');
    expectClose(m2, ref.m2, F64, 'm2');
  });

  it.each([
    ['weight and bias', true, true],
    ['weight only', true, false],
    ['no affine', false, false],
  ])('normalizeAffine with %s equals the formula', (_, hasWeight, hasBias) => {
    const { plan, maps, x, weight, bias, mean, rstd } = setup(c);
    const w = hasWeight ? weight : null;
    const b = hasBias ? bias : null;
    const y = new Float64Array(plan.size);
    normalizeAffine(x, plan, mean, rstd, w, b, y);
    const ref = new Float64Array(plan.size);
    normalizeReference(x, maps, mean, rstd, w, b, ref);
    expectClose(y, ref, F64, 'y');
    // and the statistics were the right ones: y equals the full forward from x alone
    expectClose(y, refNormForward(x, maps, true, EPS, w, b), F64, 'forward');
  });

  it('normalizeAffine writes float32 output rounded from the float64 result', () => {
    const { plan, maps, weight, bias } = setup(c);
    const x32 = Float32Array.from(randomValues(plan.size, 9, { maxAbs: 3 }));
    const mean = new Float64Array(plan.statSize);
    const m2 = new Float64Array(plan.statSize);
    moments(x32, plan, mean, m2);
    const rstd = m2.map((v) => 1 / Math.sqrt(v / plan.count + EPS));
    const y = new Float32Array(plan.size);
    normalizeAffine(x32, plan, mean, rstd, Float32Array.from(weight), Float32Array.from(bias), y);
    const ref = refNormForward(x32, maps, true, EPS, Float32Array.from(weight), Float32Array.from(bias));
    // only the final store rounds (half an ulp, 2^-24 relative; we allow 2^-23), plus 1e-12 absolute
    // for outputs near 0 where the float64 kernel and reference differ by summation order (~1e-15)
    expectClose(y, ref, { rtol: 2 ** -23, atol: 1e-12 }, 'y32');
  });

  it('normBackwardReduce gives the four reductions; null outputs are skipped', () => {
    const { plan, maps, x, dy, weight, mean, rstd } = setup(c);
    const f64 = (n: number): Float64Array => new Float64Array(n);
    const sums = {
      sumDxhat: f64(maps.statSize),
      sumDxhatXhat: f64(maps.statSize),
      dweight: f64(maps.paramSize),
      dbias: f64(maps.paramSize),
    };
    backwardSumsReference(x, dy, maps, mean, rstd, weight, sums);
    const { sumDxhat, sumDxhatXhat, dweight, dbias } = sums;
    const out = [plan.statSize, plan.statSize, plan.paramSize, plan.paramSize].map((n) => new Float64Array(n).fill(5));
    normBackwardReduce(x, dy, plan, mean, rstd, weight, out[0]!, out[1]!, out[2]!, out[3]!);
    expectClose(out[0]!, sumDxhat, F64, 'sumDxhat');
    expectClose(out[1]!, sumDxhatXhat, F64, 'sumDxhatXhat');
    expectClose(out[2]!, dweight, F64, 'dweight');
    expectClose(out[3]!, dbias, F64, 'dbias');

    const onlyWeight = new Float64Array(plan.paramSize);
    normBackwardReduce(x, dy, plan, mean, rstd, weight, null, null, onlyWeight, null);
    expectClose(onlyWeight, dweight, F64, 'dweight alone');
  });

  it('normBackwardInput (statistics from x) equals the formula and central differences of the forward', () => {
    const { plan, maps, x, dy, weight, mean, rstd } = setup(c);
    const sums = [new Float64Array(plan.statSize), new Float64Array(plan.statSize)] as const;
    normBackwardReduce(x, dy, plan, mean, rstd, weight, sums[0], sums[1], null, null);
    const dx = new Float64Array(plan.size);
    normBackwardInput(x, dy, plan, mean, rstd, weight, sums[0], sums[1], dx);

    // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), means over each statistic's group
    const formula = new Float64Array(plan.size);
    backwardInputReference(x, dy, maps, mean, rstd, weight, 'centered', sums[0], sums[1], formula);
    expectClose(dx, formula, F64, 'formula');
    const numeric = numericInputGrad([...x], [...dy], (xs) => refNormForward(xs, maps, true, EPS, weight, null));
    // central differences with h = 1e-6 in float64: truncation O(h^2) ~1e-12, rounding ~1e-16 * |f| / h ~1e-9
    expectClose(dx, numeric, { rtol: 1e-6, atol: 1e-7 }, 'numeric');
  });

  it('normBackwardInput, not centered (RMSNorm), matches central differences of x * rstd(mean square)', () => {
    const { plan, maps, x, dy, weight, mean, rstd } = setup(c, false);
    expect([...mean].every((v) => v === 0)).toBe(true);
    const sumDxhatXhat = new Float64Array(plan.statSize);
    normBackwardReduce(x, dy, plan, mean, rstd, weight, null, sumDxhatXhat, null, null);
    const dx = new Float64Array(plan.size);
    normBackwardInput(x, dy, plan, mean, rstd, weight, null, sumDxhatXhat, dx);
    const numeric = numericInputGrad([...x], [...dy], (xs) => refNormForward(xs, maps, false, EPS, weight, null));
    // same central-difference error budget as above
    expectClose(dx, numeric, { rtol: 1e-6, atol: 1e-7 }, 'numeric');
  });

  it('normBackwardInput with constant statistics (eval mode) is rstd * dy * weight', () => {
    const { plan, maps, x, dy, weight, mean, rstd } = setup(c);
    const dx = new Float64Array(plan.size);
    normBackwardInput(x, dy, plan, mean, rstd, weight, null, null, dx);
    const ref = new Float64Array(plan.size);
    const unused = new Float64Array(plan.statSize);
    backwardInputReference(x, dy, maps, mean, rstd, weight, 'constant', unused, unused, ref);
    expectClose(dx, ref, F64, 'dx');
  });
});

describe('kernels on empty and degenerate inputs', () => {
  it('an empty tensor sums to zeros, its moments are NaN, and nothing is written', () => {
    const plan = planAxes([0, 3, 2], [0, 2], [1]);
    const x = new Float32Array(0);
    const sum = new Float64Array(3).fill(9);
    reduceSum(x, plan, sum);
    expect([...sum]).toEqual([0, 0, 0]);
    const mean = new Float64Array(3);
    const m2 = new Float64Array(3);
    moments(x, plan, mean, m2);
    expect([...mean].every(Number.isNaN)).toBe(true); // 0 / 0, as torch's mean of nothing
    expect([...m2]).toEqual([0, 0, 0]);
    const y = new Float32Array(0);
    normalizeAffine(x, plan, mean, m2, null, null, y);
    normBackwardInput(x, x, plan, mean, m2, null, null, null, y);
    expect(y.length).toBe(0);
  });

  it('a statistic over one element has mean x and zero deviation', () => {
    const plan = planAxes([2, 1, 3], [1]);
    const x = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const mean = new Float64Array(6);
    const m2 = new Float64Array(6);
    moments(x, plan, mean, m2);
    expect([...mean]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...m2]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('reduceMax propagates NaN like torch.amax', () => {
    const plan = planAxes([2, 2], [1]);
    const out = new Float64Array(2);
    reduceMax(Float64Array.from([1, NaN, NaN, 2]), plan, out);
    expect([...out]).toEqual([NaN, NaN]);
  });
});
