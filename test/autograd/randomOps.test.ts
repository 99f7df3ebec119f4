/**
 * The random ops of the toolbox: bernoulli, x.normal_, x.uniform_ (and, with int32 tensors,
 * randint, randperm, multinomial). Values come from typegrad's generator, not torch's, so they are
 * checked by distribution (mean / variance bounds of a stated number of standard errors, fixed
 * seeds), by determinism under manualSeed and a Generator, and the error cases against the
 * messages torch gives for the same calls (test/fixtures/random_ops.py).
 */
import { describe, expect, it } from 'vitest';
import { bernoulli, full, Generator, manualSeed, noGrad, tensor, zeros, type Tensor } from '../../src/index.js';
import { loadFixture } from '../fixtures/load.js';

const fixture = loadFixture('random_ops') as {
  errors: Record<string, string | null>;
  shapes: Record<string, { shape: number[]; dtype: string; first?: number }>;
};

/** Mean and population variance, two-pass in float64. */
function moments(v: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  const mean = s / v.length;
  let m2 = 0;
  for (let i = 0; i < v.length; i++) m2 += (v[i]! - mean) ** 2;
  return { mean, variance: m2 / v.length };
}

describe('x.normal_ and x.uniform_', () => {
  it('normal_(mean, std) fills in place with N(mean, std^2) and returns the tensor itself', () => {
    manualSeed(5);
    const x = zeros([200, 500]);
    expect(x.normal_(3, 0.5)).toBe(x);
    const { mean, variance } = moments(x.data);
    // n = 1e5: standard error of the mean 0.5 / 316 = 1.6e-3, of the variance 0.25 * sqrt(2 / n) = 1.1e-3;
    // the bounds are 5 standard errors
    expect(Math.abs(mean - 3)).toBeLessThan(8e-3);
    expect(Math.abs(variance - 0.25)).toBeLessThan(5.6e-3);
  });

  it('uniform_(from, to) fills with U[from, to): inside the interval, mean and variance of the uniform', () => {
    manualSeed(6);
    const x = zeros([100_000], { dtype: 'float64' });
    x.uniform_(-2, 6);
    expect(x.data.every((v) => v >= -2 && v < 6)).toBe(true);
    const { mean, variance } = moments(x.data);
    // U(-2, 6): mean 2, variance 64 / 12 = 5.33; standard errors 2.31 / 316 = 7.3e-3 and
    // sqrt(Var((u - m)^2) / n) = sqrt(64^2/180 / n) = 1.5e-2; bounds are 5 of them
    expect(Math.abs(mean - 2)).toBeLessThan(3.7e-2);
    expect(Math.abs(variance - 64 / 12)).toBeLessThan(7.5e-2);
  });

  it('defaults are N(0, 1) and U[0, 1); uniform_(a, a) fills with a; normal_ with std 0 fills with the mean', () => {
    manualSeed(7);
    const n = moments(zeros([50_000]).normal_().data);
    expect(Math.abs(n.mean)).toBeLessThan(5 / Math.sqrt(50_000));
    expect(Math.abs(n.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / 50_000));
    const u = zeros([50_000]).uniform_();
    expect(u.data.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Array.from(zeros([3]).uniform_(1.5, 1.5).data)).toEqual([1.5, 1.5, 1.5]);
    expect(Array.from(zeros([3]).normal_(-4, 0).data)).toEqual([-4, -4, -4]);
  });

  it('follows manualSeed, and a Generator gives the same stream without touching the default one', () => {
    manualSeed(8);
    const a = zeros([10]).normal_().data;
    const b = zeros([10]).uniform_().data;
    manualSeed(8);
    expect(zeros([10]).normal_().data).toEqual(a);
    expect(zeros([10]).uniform_().data).toEqual(b);
    manualSeed(8);
    const fromGen = zeros([10]).normal_(0, 1, { generator: new Generator(8) }).data;
    expect(fromGen).toEqual(a);
    expect(zeros([10]).normal_().data).toEqual(a); // the default generator did not advance
  });

  it('inside noGrad a parameter that requires grad can be filled (as nn.init does)', () => {
    const w = zeros([4], { requiresGrad: true });
    noGrad(() => w.uniform_(-1, 1));
    expect(w.data.some((v) => v !== 0)).toBe(true);
    expect(w.requiresGrad).toBe(true);
  });
});

describe('bernoulli', () => {
  it('draws 1 with probability p, elementwise: same shape and dtype as p', () => {
    manualSeed(9);
    const p = full([4, 25_000], 0.3, { dtype: 'float64' });
    const out = bernoulli(p);
    expect([out.shape, out.dtype]).toEqual([[4, 25_000], 'float64']);
    expect(out.data.every((v) => v === 0 || v === 1)).toBe(true);
    // binomial: standard error sqrt(0.3 * 0.7 / 1e5) = 1.45e-3; 7.3e-3 is 5 of them
    expect(Math.abs(moments(out.data).mean - 0.3)).toBeLessThan(7.3e-3);
  });

  it('p = 0 gives 0 and p = 1 gives 1, always; per-element probabilities are respected', () => {
    manualSeed(10);
    const p = tensor([0, 1, 0.9, 0.1]).reshape([1, 4]).expand([20_000, 4]);
    const out = bernoulli(p);
    const col = (j: number): number[] => Array.from({ length: 20_000 }, (_, i) => out.data[i * 4 + j]!);
    expect(col(0).every((v) => v === 0)).toBe(true);
    expect(col(1).every((v) => v === 1)).toBe(true);
    // standard error sqrt(0.09 / 2e4) = 2.1e-3; 1.1e-2 is 5 of them
    expect(Math.abs(moments(col(2)).mean - 0.9)).toBeLessThan(1.1e-2);
    expect(Math.abs(moments(col(3)).mean - 0.1)).toBeLessThan(1.1e-2);
  });

  it('follows manualSeed and the generator option; the result needs no grad', () => {
    const p = full([100], 0.5, { requiresGrad: true });
    manualSeed(11);
    const a = bernoulli(p);
    manualSeed(11);
    expect(bernoulli(p).data).toEqual(a.data);
    expect(bernoulli(p, { generator: new Generator(4) }).data).toEqual(bernoulli(p, { generator: new Generator(4) }).data);
    expect(a.requiresGrad).toBe(false);
  });
});

describe('errors, for the calls where torch errors too (test/fixtures/random_ops.py)', () => {
  const leaf = (): Tensor => zeros([3], { requiresGrad: true });
  const CASES: [string, () => unknown, RegExp][] = [
    ['bernoulli p > 1', () => bernoulli(tensor([0.5, 1.5])), /bernoulli: p must contain probabilities in \[0, 1\], got 1.5 at flat index 1/],
    ['bernoulli p NaN', () => bernoulli(tensor([0.5, NaN])), /bernoulli: p must contain probabilities in \[0, 1\], got NaN at flat index 1/],
    ['normal_ negative std', () => zeros([3]).normal_(0, -1), /normal_: std must be >= 0, got -1/],
    ['uniform_ from > to', () => zeros([3]).uniform_(1, 0), /uniform_: expected from <= to, got from=1 > to=0/],
    ['uniform_ infinite to', () => zeros([3]).uniform_(0, Infinity), /uniform_: from and to must be finite, got from=0, to=Infinity/],
    ['normal_ on a leaf that requires grad', () => leaf().normal_(), /normal_: cannot fill a tensor that requires grad in place while grad mode is on \(a leaf\)/],
  ];
  it.each(CASES)('%s', (name, call, message) => {
    expect(fixture.errors[name], `torch raises for "${name}"`).toEqual(expect.any(String));
    expect(call).toThrow(message);
  });

  it('bad argument types name the argument', () => {
    expect(() => zeros([2]).normal_('0' as unknown as number)).toThrow(/normal_: mean must be a number, got string/);
    expect(() => zeros([2]).uniform_(0, null as unknown as number)).toThrow(/uniform_: to must be a number, got object/);
    expect(() => bernoulli([0.5] as unknown as Tensor)).toThrow(/bernoulli: p must be a Tensor of probabilities, got object/);
  });
});
