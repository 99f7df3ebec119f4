/**
 * The reference norm kernels (src/tensor/kernels/normReference.ts), which every fast kernel is
 * tested against, checked against things that share no code with them:
 *   - the element index: `indexOfAxes` against test/tensor/reference.ts's `groupIndex`, and the
 *     plan's `elementIndex` against `indexOfAxes` (so `planAxes` reads the same elements);
 *   - PyTorch: forward and backward of every norm in float64 (test/fixtures/normReference.py);
 *   - central differences of the reference's own forward, on every layout of test/tensor/layouts.ts,
 *     for all three backward formulas;
 *   - the identities of docs/derivations/normalization.md: sum dx = 0 and, with eps = 0,
 *     sum xhat dx = 0 over each statistic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planAxes } from '../../src/tensor/kernels/axisPlan.js';
import {
  elementIndex,
  indexOfAxes,
  normalizeReference,
  normBackwardReference,
  normForwardReference,
  type NormIndex,
  type NormStatsMode,
} from '../../src/tensor/kernels/normReference.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { shapeArb } from './arbitraries.js';
import { LAYOUTS, MORE_LAYOUTS } from './layouts.js';
import { groupIndex, randomValues } from './reference.js';

const EPS = 1e-5;
const f64 = (n: number): Float64Array => new Float64Array(n);

/** y of the reference forward; statistics from x, or given (mode 'constant'). */
function forward(
  x: Float64Array,
  index: NormIndex,
  mode: NormStatsMode,
  weight: Float64Array | null,
  bias: Float64Array | null,
  eps = EPS,
  given?: { mean: Float64Array; rstd: Float64Array },
): { y: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const y = f64(x.length);
  if (given !== undefined) {
    normalizeReference(x, index, given.mean, given.rstd, weight, bias, y);
    return { y, ...given };
  }
  const [mean, variance, rstd] = [f64(index.statSize), f64(index.statSize), f64(index.statSize)];
  normForwardReference(x, index, mode === 'centered', eps, weight, bias, y, mean, variance, rstd);
  return { y, mean, rstd };
}

describe('the element index', () => {
  it('indexOfAxes gives each element its position among the kept axes and the parameter axes', () => {
    const caseArb = shapeArb().chain((shape) => {
      const all = Array.from({ length: shape.length }, (_, i) => i);
      return fc.record({ shape: fc.constant(shape), reduced: fc.subarray(all), params: fc.subarray(all) });
    });
    fc.assert(
      fc.property(caseArb, ({ shape, reduced, params }) => {
        const index = indexOfAxes(shape, reduced, params);
        const kept = shape.map((_, a) => a).filter((a) => !reduced.includes(a));
        const notParam = shape.map((_, a) => a).filter((a) => !params.includes(a));
        const n = shape.reduce((a, d) => a * d, 1);
        for (let i = 0; i < n; i++) {
          expect(index.stat[i]).toBe(groupIndex(i, shape, reduced));
          expect(index.param[i]).toBe(groupIndex(i, shape, notParam));
        }
        expect(index.statSize).toBe(kept.reduce((a, k) => a * shape[k]!, 1));
        // and planAxes, read element by element, agrees with the definition
        const fromPlan = elementIndex(planAxes(shape, reduced, params));
        expect([fromPlan.stat, fromPlan.param, fromPlan.count]).toEqual([index.stat, index.param, index.count]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the reference against PyTorch (float64)', () => {
  const cases = loadFixture('normReference') as Record<
    string,
    Record<string, FixtureTensor | number[] | boolean | string>
  >;
  it.each(Object.keys(cases))('%s', (name) => {
    const c = cases[name]!;
    const t = (k: string): Float64Array => (c[k] as FixtureTensor).data;
    const mode = c['mode'] as NormStatsMode;
    const index = indexOfAxes(c['view'] as number[], c['reduced'] as number[], c['params'] as number[]);
    const bias = mode === 'rms' ? null : t('bias'); // torch's rms_norm has no bias
    const given =
      mode === 'constant'
        ? { mean: Float64Array.from(t('runningMean')), rstd: t('runningVar').map((v) => 1 / Math.sqrt(v + EPS)) }
        : undefined;
    const { y, mean, rstd } = forward(t('x'), index, mode, t('weight'), bias, EPS, given);
    const dx = f64(y.length);
    const [dweight, dbias] = [f64(index.paramSize), f64(index.paramSize)];
    normBackwardReference(t('x'), t('dy'), index, mean, rstd, t('weight'), mode, dx, dweight, dbias);
    // Both float64, summing in different orders: agreement to ~1e-13 relative; 1e-10 leaves room for
    // the cancellation in dx (a sum of terms of size ~rstd |dy w|), and for mean 1e4 data where
    // x - mean carries 1e4 * 2^-53 of absolute error into xhat.
    const tol = { rtol: 1e-10, atol: 1e-10 };
    expectClose(y, t('y'), tol, `${name} y`);
    expectClose(dx, t('dx'), tol, `${name} dx`);
    expectClose(dweight, t('dweight'), tol, `${name} dweight`);
    if (bias !== null) expectClose(dbias, t('dbias'), tol, `${name} dbias`);
  });
});

describe('the reference backward against central differences of its forward', () => {
  const layouts = [...LAYOUTS, ...MORE_LAYOUTS].filter(
    (l) => l.shape.reduce((a, d) => a * d, 1) > 0 && l.shape.reduce((a, d) => a * d, 1) < 500,
  );
  for (const layout of layouts) {
    for (const mode of ['centered', 'rms', 'constant'] as NormStatsMode[]) {
      it(`${layout.name} [${layout.shape}], ${mode}`, () => {
        const index = indexOfAxes(layout.shape, layout.reduced, layout.params);
        const n = index.stat.length;
        const x = Float64Array.from(randomValues(n, 1, { maxAbs: 2 }));
        const dy = Float64Array.from(randomValues(n, 2));
        const weight = Float64Array.from(randomValues(index.paramSize, 3, { minAbs: 0.5, maxAbs: 1.5 }));
        const bias = Float64Array.from(randomValues(index.paramSize, 4));
        // 'constant': the statistics are fixed numbers, not functions of x.
        const given =
          mode === 'constant'
            ? { mean: Float64Array.from(randomValues(index.statSize, 5)), rstd: f64(index.statSize).fill(1.7) }
            : undefined;
        const { mean, rstd } = forward(x, index, mode, weight, bias, EPS, given);
        const dx = f64(n);
        const [dweight, dbias] = [f64(index.paramSize), f64(index.paramSize)];
        normBackwardReference(x, dy, index, mean, rstd, weight, mode, dx, dweight, dbias);

        // L = sum(dy * y): its derivative in each input by central differences.
        const loss = (xs: Float64Array, w: Float64Array, b: Float64Array): number =>
          forward(xs, index, mode, w, b, EPS, given).y.reduce((s, v, i) => s + v * dy[i]!, 0);
        const h = 1e-6;
        const numeric = (v: Float64Array, f: (v: Float64Array) => number): Float64Array =>
          v.map((_, i) => {
            const plus = Float64Array.from(v);
            const minus = Float64Array.from(v);
            plus[i]! += h;
            minus[i]! -= h;
            return (f(plus) - f(minus)) / (2 * h);
          });
        // Truncation O(h^2) ~ 1e-12; rounding ~ 1e-16 |L| / h ~ 1e-9: 1e-6 is far from both, and
        // far below a wrong or missing term (O(1) of rstd |dxhat|).
        const tol = { rtol: 1e-6, atol: 1e-6 };
        expectClose(
          dx,
          numeric(x, (v) => loss(v, weight, bias)),
          tol,
          'dx',
        );
        expectClose(
          dweight,
          numeric(weight, (v) => loss(x, v, bias)),
          tol,
          'dweight',
        );
        expectClose(
          dbias,
          numeric(bias, (v) => loss(x, weight, v)),
          tol,
          'dbias',
        );
      });
    }
  }
});

describe('the identities of the derivation', () => {
  it('sum dx = 0 (centered) and sum xhat dx = 0 (eps = 0) over each statistic', () => {
    for (const layout of LAYOUTS.filter((l) => l.shape.reduce((a, d) => a * d, 1) > 0)) {
      const index = indexOfAxes(layout.shape, layout.reduced, layout.params);
      if (index.count < 2) continue; // one element: xhat = 0 and dx = 0 trivially
      const n = index.stat.length;
      const x = Float64Array.from(randomValues(n, 7, { maxAbs: 3 }));
      const dy = Float64Array.from(randomValues(n, 8));
      const weight = Float64Array.from(randomValues(index.paramSize, 9, { minAbs: 0.5 }));
      const { mean, rstd } = forward(x, index, 'centered', weight, null, 0);
      const dx = f64(n);
      normBackwardReference(x, dy, index, mean, rstd, weight, 'centered', dx, null, null);
      const sumDx = f64(index.statSize);
      const sumXhatDx = f64(index.statSize);
      const scale = f64(index.statSize);
      for (let i = 0; i < n; i++) {
        const s = index.stat[i]!;
        sumDx[s] += dx[i]!;
        sumXhatDx[s] += (x[i]! - mean[s]!) * rstd[s]! * dx[i]!;
        scale[s] += Math.abs(rstd[s]! * dy[i]! * weight[index.param[i]!]!);
      }
      // float64 sums of ~count terms of size ~scale: zero to ~1e-14 scale.
      for (let s = 0; s < index.statSize; s++) {
        expect(Math.abs(sumDx[s]!), `${layout.name} sum dx, statistic ${s}`).toBeLessThan(1e-12 * scale[s]!);
        expect(Math.abs(sumXhatDx[s]!), `${layout.name} sum xhat dx, statistic ${s}`).toBeLessThan(
          1e-12 * scale[s]! * 4,
        );
      }
    }
  });
});
