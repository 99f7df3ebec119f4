/**
 * Reductions (src/autograd/ops/reduce.ts): sum, mean, var, max over any axis set against a float64
 * reference grouped by the kept axes; gradients by gradcheck; numerics of the float64 accumulators.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { full, tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { reductionArb } from '../tensor/arbitraries.js';
import {
  mulberry32,
  refMax,
  refMean,
  refReduce,
  refSum,
  refVar,
  type Reducer,
  type RefArray,
} from '../tensor/reference.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

type Axes = number | number[] | undefined;

interface ReductionSpec {
  label: string;
  run: (x: Tensor, axes: Axes, keepDim: boolean) => Tensor;
  ref: Reducer;
}

const REDUCTIONS: ReductionSpec[] = [
  { label: 'sum', run: (x, a, k) => x.sum(a, k), ref: refSum },
  { label: 'mean', run: (x, a, k) => x.mean(a, k), ref: refMean },
  { label: 'var (correction 0)', run: (x, a, k) => x.var(a, { correction: 0, keepDim: k }), ref: refVar(0) },
  { label: 'var (default correction 1)', run: (x, a, k) => x.var(a, { keepDim: k }), ref: refVar(1) },
  { label: 'var (correction 2)', run: (x, a, k) => x.var(a, { correction: 2, keepDim: k }), ref: refVar(2) },
  { label: 'amax', run: (x, a, k) => x.amax(a, k), ref: refMax },
  { label: 'amin', run: (x, a, k) => x.amin(a, k), ref: (v) => -refMax(v.map((e) => -e)) },
];

// The kernel and the reference both accumulate in float64 (in different orders) and the result is
// rounded once to float32: one float32 ulp (2^-23 relative), plus 1e-12 absolute for sums that
// cancel to ~0, where the float64 order differences (~1e-16 of the summands) show.
const ROUNDED_ONCE = { rtol: 2 ** -23, atol: 1e-12 };

/** Compares with the reference; non-finite reference values (var with n <= correction) must match exactly. */
function expectMatchesReference(out: Tensor, ref: RefArray, label: string): void {
  expect(out.shape, `${label} shape`).toEqual(ref.shape);
  const finite = ref.data.map(Number.isFinite);
  expect(
    Array.from(out.data).filter((_, i) => !finite[i]),
    `${label} non-finite`,
  ).toEqual(ref.data.filter((_, i) => !finite[i]));
  expectClose(
    Array.from(out.data).filter((_, i) => finite[i]),
    ref.data.filter((_, i) => finite[i]),
    ROUNDED_ONCE,
    label,
  );
}

const AXIS_SETS: [string, Axes][] = [
  ['all (undefined)', undefined],
  ['0', 0],
  ['-1', -1],
  ['[0, 2, 3] (BatchNorm of NCHW)', [0, 2, 3]],
  ['[1, 3] (non-contiguous)', [1, 3]],
  ['[-3, -1] (negative)', [-3, -1]],
  ['[3, 0] (unsorted)', [3, 0]],
  ['[0, 1, 2, 3] (explicitly all)', [0, 1, 2, 3]],
];

describe.each(REDUCTIONS)('$label', (r) => {
  const x = randomTensor([2, 3, 4, 5], 41, { maxAbs: 2, requiresGrad: false });

  it.each(AXIS_SETS)('over %s, with and without keepDim, equals the reference', (_, axes) => {
    for (const keepDim of [false, true]) {
      expectMatchesReference(
        r.run(x, axes, keepDim),
        refReduce([...x.data], x.shape, axes, keepDim, r.ref),
        `keepDim ${keepDim}`,
      );
    }
  });

  it('property: random shapes (rank 0-5) and axis sets equal the reference', () => {
    fc.assert(
      fc.property(reductionArb, ({ shape, axes, keepDim, seed }) => {
        const t = randomTensor(shape, seed, { requiresGrad: false });
        expectMatchesReference(r.run(t, axes, keepDim), refReduce([...t.data], shape, axes, keepDim, r.ref), r.label);
      }),
      { numRuns: 80 },
    );
  });

  it.each([
    ['[0, 2, 3] of NCHW', [0, 2, 3], false],
    ['[1, 3] of NCHW', [1, 3], false],
    ['[-1] with keepDim', [-1], true],
    ['all axes', undefined, false],
  ] as [string, Axes, boolean][])('gradcheck over %s', (_, axes, keepDim) => {
    expectGradcheck((t) => r.run(t!, axes, keepDim), [randomTensor([2, 3, 4, 5], 42, { maxAbs: 2 })]);
  });

  it('gradcheck on a 0-d tensor and through a later broadcast use of the result', () => {
    if (!r.label.startsWith('var')) expectGradcheck((t) => r.run(t!, undefined, false), [randomTensor([], 43)]);
    // the statistic broadcast back against x, as a normalization does
    expectGradcheck((t) => t!.sub(r.run(t!, [0, 2], true)).mul(t!), [randomTensor([3, 2, 4], 44)]);
  });

  it('leaves its input unchanged, forward and backward', () => {
    const t = randomTensor([2, 3, 4], 45);
    expectInputsUnchanged([t], () => r.run(t, [0, 2], false).sum().backward());
  });

  it('names the op and the valid range for a bad axis, and rejects repeated axes', () => {
    const name = r.label.split(' ')[0]!;
    const t = randomTensor([2, 3, 4], 46);
    expect(() => r.run(t, [0, 5], false)).toThrow(
      new RegExp(`${name}: axes must be an integer in \\[-3, 2\\] for a tensor of rank 3, got 5`),
    );
    expect(() => r.run(t, -4, false)).toThrow(/axes.*\[-3, 2\].*got -4/);
    expect(() => r.run(t, [1, -2], false)).toThrow(
      new RegExp(`${name}: axes must not repeat an axis, got \\[1, -2\\]`),
    );
  });
});

describe('reduction details', () => {
  it('a 0-d tensor reduces to itself over axis 0 or -1, and rejects axis 1', () => {
    const s = tensor(3);
    expect([s.sum().shape, s.sum().item(), s.mean(0).item(), s.amax(-1).item()]).toEqual([[], 3, 3, 3]);
    expect(() => s.sum(1)).toThrow(/sum: axes must be an integer in \[-1, 0\] for a tensor of rank 0, got 1/);
  });

  it('amax shares the gradient evenly among ties, like torch.amax', () => {
    const x = tensor(
      [
        [1, 3, 3],
        [5, 2, 5],
      ],
      undefined,
      { requiresGrad: true },
    );
    x.amax(1).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 0.5, 0.5],
      [0.5, 0, 0.5],
    ]);
  });

  it('empty tensors: sum gives zeros, mean NaN, amax over an empty axis throws', () => {
    const e = tensor([], [0, 3]);
    expect(Array.from(e.sum(0).data)).toEqual([0, 0, 0]);
    expect(Array.from(e.mean(0).data)).toEqual([NaN, NaN, NaN]);
    expect(e.sum(1).shape).toEqual([0]);
    expect(tensor([], [2, 0]).amax(0).shape).toEqual([0]);
    expect(() => e.amax(0)).toThrow(/amax: cannot reduce over an axis of size 0 \(input shape \[0, 3\]\)/);
  });

  it('var with correction >= count follows torch: NaN for 0/0, inf otherwise', () => {
    expect(tensor([2]).var().item()).toBeNaN();
    expect(tensor([1, 2]).var(0, { correction: 2 }).item()).toBe(Infinity);
  });

  it('var rejects a negative or non-finite correction, naming it', () => {
    expect(() => tensor([1, 2]).var(0, { correction: -1 })).toThrow(
      /var: correction must be a finite number >= 0, got -1/,
    );
    expect(() => tensor([1, 2]).var(0, { correction: NaN })).toThrow(/var: correction .*got NaN/);
  });
});

describe('numerics of the float64 accumulators', () => {
  it('var of 1e5 float32 values with mean 1e6 and std 1 is within 1e-6 relative of the float64 two-pass answer', () => {
    const next = mulberry32(77);
    const values = new Float32Array(100_000);
    for (let i = 0; i < values.length; i++) {
      const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()); // Box-Muller
      values[i] = 1e6 + normal; // rounded to float32: a grid of 1/16 around 1e6
    }
    // the float64 answer from the same float32 values, two-pass
    let sum = 0;
    for (const v of values) sum += v;
    const mean = sum / values.length;
    let m2 = 0;
    for (const v of values) m2 += (v - mean) ** 2;
    for (const correction of [0, 1]) {
      const expected = m2 / (values.length - correction);
      const got = tensor(values).var(undefined, { correction }).item();
      // two-pass in float64 then one float32 rounding: ~6e-8 relative; 1e-6 still fails a one-pass
      // E[x^2] - E[x]^2 in float64, whose cancellation of ~1e12 against ~1e12 costs ~1e-2 relative
      expect(Math.abs(got - expected) / expected).toBeLessThanOrEqual(1e-6);
    }
    let sumSq = 0;
    for (const v of values) sumSq += v * v;
    const onePass = sumSq / values.length - mean * mean;
    expect(Math.abs(onePass - m2 / values.length) / (m2 / values.length)).toBeGreaterThan(1e-6); // the bound has teeth
  });

  it('sum of 10^7 float32 values of 0.1 is 10^7 * fround(0.1), rounded once to float32', () => {
    // fround(0.1) = 13421773 * 2^-27 = 0.100000001490116..., so the exact sum is
    // 10^7 * fround(0.1) = 1000000.01490116119384765625 (exact in float64: an integer times 2^-27).
    // Its nearest float32 is 1000000 exactly (float32 spacing there is 0.0625). A float64 accumulator
    // errs by at most ~1e7 * 2^-53 * 1e6 = 1e-3 < 0.03, so the result must be 1000000 exactly;
    // naive float32 accumulation would give ~1087937 (8.8% off).
    const exact = 1e7 * Math.fround(0.1);
    expect(exact).toBe(1000000.0149011612);
    const got = full([1e7], 0.1).sum().item();
    expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(1e-6);
    expect(got).toBe(Math.fround(exact));
    expect(got).toBe(1e6);
  });
});
