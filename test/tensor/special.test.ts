/**
 * typegrad's float64 erf (src/tensor/kernels/special.ts) against a 512-bit BigInt series written in
 * the test (./erfReference.ts), which is itself checked against published decimals.
 */
import { describe, expect, it } from 'vitest';
import { erf } from '../../src/tensor/kernels/special.js';
import { erfDecimals, refErf } from './erfReference.js';

describe('the reference erf', () => {
  it.each([
    // erf(x) to 30 decimals, as printed by mpmath.erf with mp.dps = 40
    [0.5, '520499877813046537682746653891'],
    [1, '842700792949714869341220635082'],
    [2, '995322265018952734162069256367'],
  ])('erf(%d) has the published 30 decimals', (x, digits) => {
    expect(erfDecimals(x, 30)).toBe(digits);
  });
});

describe('erf', () => {
  // The float64 Maclaurin series loses up to ~3 digits to cancellation just below |x| = 3 (terms
  // reach ~170 there), so the bound is 1e-13 absolute rather than machine epsilon.
  const ABS_TOL = 1e-13;

  it('is within 1e-13 of the reference on a grid over [-7, 7] and densely around the switch at |x| = 3', () => {
    const xs: number[] = [];
    for (let i = -700; i <= 700; i++) xs.push(i / 100);
    for (let i = 0; i <= 2000; i++) xs.push(2.8 + i / 5000, -(2.8 + i / 5000));
    let worst = 0;
    let worstX = 0;
    for (const x of xs) {
      const err = Math.abs(erf(x) - refErf(x));
      if (err > worst) [worst, worstX] = [err, x];
    }
    expect(worst, `worst error ${worst} at x = ${worstX}`).toBeLessThanOrEqual(ABS_TOL);
  });

  it('keeps relative accuracy for small |x| (no cancellation there)', () => {
    for (const x of [1e-12, 1e-6, 3e-3, 0.1, -0.25]) {
      // 4 ulps: a few roundings in the series and the final product with 2/sqrt(pi)
      expect(Math.abs(erf(x) - refErf(x)) / Math.abs(refErf(x))).toBeLessThanOrEqual(4 * Number.EPSILON);
    }
    // below the reference's fixed-point range, erf(x) = 2x/sqrt(pi) to within x^2/3 relative
    expect(Math.abs(erf(1e-300) / ((2 / Math.sqrt(Math.PI)) * 1e-300) - 1)).toBeLessThanOrEqual(4 * Number.EPSILON);
  });

  it('is odd, 0 at 0, saturates to +-1 and propagates NaN', () => {
    for (const x of [0.3, 1.7, 2.999, 3.001, 4.5]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(40)).toBe(1);
    expect(erf(NaN)).toBeNaN();
  });
});
