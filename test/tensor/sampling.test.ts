/**
 * The sampling kernels (src/tensor/kernels/sampling.ts) and the Generator's exact integers and
 * 53-bit uniforms, tested statistically with fixed seeds: chi-square goodness of fit against the
 * exact probabilities, with a critical value at significance 1e-6 (so a correct sampler fails a
 * given seed with probability < 1e-6; the seeds are fixed, so the tests are deterministic).
 */
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/index.js';
import { fillPermutation, fillRandint, multinomialRows } from '../../src/tensor/kernels/sampling.js';

/**
 * The chi-square critical value with `df` degrees of freedom at significance ~1e-6, by the
 * Wilson-Hilferty approximation df (1 - 2/(9 df) + z sqrt(2/(9 df)))^3 with z = 4.75 (the normal
 * quantile of 1 - 1e-6), accurate to a few percent for df >= 2.
 */
function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + 4.75 * Math.sqrt(a)) ** 3;
}

/** Asserts that observed counts fit the probabilities `p` (summing to 1) by a chi-square test. */
function expectFits(counts: readonly number[], p: readonly number[], label: string): void {
  const n = counts.reduce((s, c) => s + c, 0);
  let chi2 = 0;
  let df = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) {
      expect(counts[i], `${label}: category ${i} has probability 0`).toBe(0);
      continue;
    }
    chi2 += (counts[i]! - n * p[i]!) ** 2 / (n * p[i]!);
    df++;
  }
  expect(chi2, `${label}: chi-square ${chi2.toFixed(1)} with ${df} degrees of freedom`).toBeLessThan(
    chiSquareCritical(df),
  );
}

describe('Generator.below and uniform53', () => {
  it('below(n) is exactly uniform on 0..n-1 (n = 6, 7, 2^31 + 1)', () => {
    const g = new Generator(11);
    for (const n of [6, 7]) {
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < 70_000; i++) counts[g.below(n)]!++;
      expectFits(counts, new Array<number>(n).fill(1 / n), `below(${n})`);
    }
    // n = 2^31 + 1: almost half of the 32-bit draws are rejected; the halves of the range are equal
    const n = 2 ** 31 + 1;
    let low = 0;
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = g.below(n);
      if (!(Number.isInteger(k) && k >= 0 && k < n)) outside++;
      if (k < n / 2) low++;
    }
    expect(outside).toBe(0);
    expectFits([low, 20_000 - low], [0.5, 0.5], 'below(2^31 + 1) halves');
  });

  it('the chi-square test rejects a wrong distribution (it has power)', () => {
    const g = new Generator(12);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 70_000; i++) counts[g.below(6)]!++;
    const tilted = [0.15, 0.15, 0.15, 0.15, 0.2, 0.2];
    expect(() => expectFits(counts, tilted, 'tilted')).toThrow(/chi-square/);
  });

  it('below(1) is 0 and below(2^32) covers the whole 32-bit range', () => {
    const g = new Generator(13);
    expect([g.below(1), g.below(1)]).toEqual([0, 0]);
    let high = 0;
    for (let i = 0; i < 1000; i++) if (g.below(2 ** 32) >= 2 ** 31) high++;
    expect(high).toBeGreaterThan(400);
  });

  it('uniform53 is in [0, 1) on the 2^-53 grid, with mean 1/2 and variance 1/12', () => {
    const g = new Generator(14);
    let s = 0;
    let s2 = 0;
    const n = 100_000;
    let fine = 0; // values that need more than 24 bits
    let outside = 0; // values outside [0, 1) or off the grid
    for (let i = 0; i < n; i++) {
      const u = g.uniform53();
      if (!(u >= 0 && u < 1 && Number.isInteger(u * 2 ** 53))) outside++;
      if (!Number.isInteger(u * 2 ** 24)) fine++;
      s += u;
      s2 += (u - 0.5) ** 2;
    }
    // standard errors: mean 0.29 / 316 = 9e-4, variance ~2.7e-4; bounds are 5 of them
    expect(Math.abs(s / n - 0.5)).toBeLessThan(4.6e-3);
    expect(Math.abs(s2 / n - 1 / 12)).toBeLessThan(1.4e-3);
    expect(fine).toBeGreaterThan(n * 0.99);
    expect(outside).toBe(0);
  });
});

describe('fillRandint and fillPermutation', () => {
  it('fillRandint covers [low, low + span) uniformly, negative low included', () => {
    const out = new Int32Array(50_000);
    fillRandint(new Generator(21), -3, 5, out);
    const counts = [0, 0, 0, 0, 0];
    for (const v of out) counts[v + 3]!++;
    expectFits(counts, [0.2, 0.2, 0.2, 0.2, 0.2], 'randint(-3, 2)');
  });

  it('every permutation of 4 elements is equally likely (24 categories)', () => {
    const g = new Generator(22);
    const counts = new Map<string, number>();
    const out = new Int32Array(4);
    for (let i = 0; i < 48_000; i++) {
      fillPermutation(g, out);
      const key = out.join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expectFits([...counts.values()], new Array<number>(24).fill(1 / 24), 'permutations of 4');
  });

  it('a permutation of 1000 holds each index once; n = 0 and 1 are trivial', () => {
    const out = new Int32Array(1000);
    fillPermutation(new Generator(23), out);
    expect([...out].sort((a, b) => a - b)).toEqual([...Array(1000).keys()]);
    expect([...out]).not.toEqual([...Array(1000).keys()]);
    const one = new Int32Array(1);
    fillPermutation(new Generator(23), one);
    expect([...one]).toEqual([0]);
  });
});

describe('multinomialRows', () => {
  const weights = [1, 0, 3, 6]; // unnormalised; p = [0.1, 0, 0.3, 0.6]

  it('with replacement: frequencies fit the normalised weights; a zero weight is never drawn', () => {
    const n = 40_000;
    const out = new Int32Array(n);
    multinomialRows(new Generator(31), weights, 1, 4, n, true, out);
    const counts = [0, 0, 0, 0];
    for (const c of out) counts[c]!++;
    expectFits(counts, [0.1, 0, 0.3, 0.6], 'with replacement');
  });

  it('without replacement: distinct samples; ordered pairs have P(i, j) = w_i / W * w_j / (W - w_i)', () => {
    const w = [1, 2, 3];
    const trials = 30_000;
    const out = new Int32Array(2 * trials);
    // one row per trial: the same weights repeated
    const rows = new Float64Array(3 * trials);
    for (let t = 0; t < trials; t++) rows.set(w, 3 * t);
    multinomialRows(new Generator(33), rows, trials, 3, 2, false, out);
    const pairs = new Map<string, number>();
    for (let t = 0; t < trials; t++) {
      expect(out[2 * t]).not.toBe(out[2 * t + 1]);
      const key = `${out[2 * t]}${out[2 * t + 1]}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    const keys = ['01', '02', '10', '12', '20', '21'];
    const p = keys.map((k) => {
      const i = Number(k[0]);
      const j = Number(k[1]);
      return (w[i]! / 6) * (w[j]! / (6 - w[i]!));
    });
    expectFits(
      keys.map((k) => pairs.get(k) ?? 0),
      p,
      'ordered pairs without replacement',
    );
  });

  it('without replacement, zero-weight categories come last, in index order, once the others run out', () => {
    const out = new Int32Array(4);
    multinomialRows(new Generator(34), [0, 5, 0, 0], 1, 4, 4, false, out);
    expect([...out]).toEqual([1, 0, 2, 3]);
  });

  it('is deterministic for a seed and rows are independent draws', () => {
    const a = new Int32Array(20); // [2 rows, 10 samples]
    const b = new Int32Array(20);
    const uniform = new Array<number>(10).fill(1); // 2 rows of 5 equal weights
    multinomialRows(new Generator(35), uniform, 2, 5, 10, true, a);
    multinomialRows(new Generator(35), uniform, 2, 5, 10, true, b);
    expect([...a]).toEqual([...b]);
    expect([...a.subarray(0, 10)]).not.toEqual([...a.subarray(10, 20)]);
  });
});
