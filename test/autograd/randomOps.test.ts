/**
 * The random ops of the toolbox: bernoulli, x.normal_, x.uniform_ (and, with int32 tensors,
 * randint, randperm, multinomial). Values come from typegrad's generator, not torch's, so they are
 * checked by distribution (mean / variance bounds of a stated number of standard errors, fixed
 * seeds), by determinism under manualSeed and a Generator, and the error cases against the
 * messages torch gives for the same calls (test/fixtures/random_ops.py).
 */
import { describe, expect, it } from 'vitest';
import {
  bernoulli,
  full,
  Generator,
  manualSeed,
  multinomial,
  noGrad,
  randint,
  randperm,
  tensor,
  zeros,
  type Tensor,
} from '../../src/index.js';
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

  it('writes through a view into the shared storage and bumps the version', () => {
    const x = zeros([3, 4]);
    const before = x.version;
    x.transpose(0, 1).select(0, 1).uniform_(5, 6); // column 1 of x
    expect(x.version).toBe(before + 1);
    for (let r = 0; r < 3; r++) {
      expect(x.data[r * 4 + 1]! >= 5 && x.data[r * 4 + 1]! < 6).toBe(true);
      expect([x.data[r * 4]!, x.data[r * 4 + 2]!, x.data[r * 4 + 3]!]).toEqual([0, 0, 0]);
    }
    expect(() => zeros([1, 3]).expand([2, 3]).normal_()).toThrow(/normal_: cannot fill an expanded view in place/);
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
    const seeded = (): Tensor => bernoulli(p, { generator: new Generator(4) });
    expect(seeded().data).toEqual(seeded().data);
    expect(a.requiresGrad).toBe(false);
  });
});

describe('errors, for the calls where torch errors too (test/fixtures/random_ops.py)', () => {
  const leaf = (): Tensor => zeros([3], { requiresGrad: true });
  const CASES: [string, () => unknown, RegExp][] = [
    [
      'bernoulli p > 1',
      () => bernoulli(tensor([0.5, 1.5])),
      /bernoulli: p must contain probabilities in \[0, 1\], got 1.5 at flat index 1/,
    ],
    [
      'bernoulli p NaN',
      () => bernoulli(tensor([0.5, NaN])),
      /bernoulli: p must contain probabilities in \[0, 1\], got NaN at flat index 1/,
    ],
    ['normal_ negative std', () => zeros([3]).normal_(0, -1), /normal_: std must be >= 0, got -1/],
    ['uniform_ from > to', () => zeros([3]).uniform_(1, 0), /uniform_: expected from <= to, got from=1 > to=0/],
    [
      'uniform_ infinite to',
      () => zeros([3]).uniform_(0, Infinity),
      /uniform_: from and to must be finite, got from=0, to=Infinity/,
    ],
    [
      'normal_ on a leaf that requires grad',
      () => leaf().normal_(),
      /normal_: cannot fill a tensor that requires grad in place while grad mode is on \(a leaf\)/,
    ],
  ];
  it.each(CASES)('%s', (name, call, message) => {
    expect(fixture.errors[name], `torch raises for "${name}"`).toEqual(expect.any(String));
    expect(call).toThrow(message);
  });

  it('bad argument types name the argument', () => {
    expect(() => zeros([2]).normal_('0' as unknown as number)).toThrow(/normal_: mean must be a number, got string/);
    expect(() => zeros([2]).uniform_(0, null as unknown as number)).toThrow(
      /uniform_: to must be a number, got object/,
    );
    expect(() => bernoulli([0.5] as unknown as Tensor)).toThrow(
      /bernoulli: p must be a Tensor of probabilities, got object/,
    );
    expect(() => zeros([2], { dtype: 'int32' }).normal_()).toThrow(
      /normal_: self must have a floating dtype \('float32' or 'float64'\), got 'int32'/,
    );
  });
});

describe('randint, randperm, multinomial', () => {
  it('randint(low, high, shape) and randint(high, shape): int32 in range, shapes as torch', () => {
    manualSeed(12);
    const a = randint(3, 10, [2, 3]);
    const b = randint(10, [4]);
    expect([a.shape, a.dtype]).toEqual([fixture.shapes['randint(3, 10, [2, 3])']!.shape, 'int32']);
    expect([b.shape, b.dtype]).toEqual([fixture.shapes['randint(10, [4])']!.shape, 'int32']);
    const many = randint(-2, 3, [50_000]).data;
    const counts = [0, 0, 0, 0, 0];
    for (const v of many) counts[v + 2]!++;
    // each count is Binomial(5e4, 0.2): mean 1e4, standard deviation 89; 450 is 5 of them
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(450);
  });

  it('randint takes a float dtype, the extreme int32 range, and follows manualSeed and a Generator', () => {
    expect(randint(0, 2, [3], { dtype: 'float64' }).dtype).toBe('float64');
    const wide = randint(-(2 ** 31), 2 ** 31, [1000]).data;
    expect(wide.some((v) => v < -(2 ** 30)) && wide.some((v) => v > 2 ** 30)).toBe(true);
    manualSeed(13);
    const first = randint(100, [20]).data;
    manualSeed(13);
    expect(randint(100, [20]).data).toEqual(first);
    const seeded = (): Tensor => randint(100, [20], { generator: new Generator(2) });
    expect(seeded().data).toEqual(seeded().data);
  });

  it('randperm(n) is a permutation of 0..n-1 (int32); the first element is uniform over n', () => {
    manualSeed(14);
    const p = randperm(1000);
    expect([p.shape, p.dtype]).toEqual([[1000], 'int32']);
    expect([...p.data].sort((x, y) => x - y)).toEqual([...Array(1000).keys()]);
    expect(randperm(0).shape).toEqual(fixture.shapes['randperm(0)']!.shape);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[randperm(4).data[0]!]!++;
    // Binomial(2e4, 1/4): standard deviation 61; 310 is 5 of them
    for (const c of counts) expect(Math.abs(c - 5000)).toBeLessThan(310);
  });

  it('multinomial: shapes and dtype as torch; frequencies follow the unnormalised weights', () => {
    manualSeed(15);
    expect(multinomial(tensor([1, 2]), 3, { replacement: true }).shape).toEqual(
      fixture.shapes['multinomial 1-d, 3 samples with replacement']!.shape,
    );
    expect(multinomial(full([3, 4], 1), 2).shape).toEqual(fixture.shapes['multinomial 2-d, 2 samples']!.shape);
    expect(multinomial(full([0, 4], 1), 2).shape).toEqual(fixture.shapes['multinomial 0 rows']!.shape);
    const draws = multinomial(
      tensor([
        [2, 0, 8],
        [1, 1, 0],
      ]),
      20_000,
      { replacement: true },
    );
    expect([draws.shape, draws.dtype]).toEqual([[2, 20_000], 'int32']);
    const freq = (row: number, c: number): number =>
      draws.data.subarray(row * 20_000, (row + 1) * 20_000).filter((v) => v === c).length / 20_000;
    // binomial standard errors <= sqrt(0.25 / 2e4) = 3.5e-3; 1.8e-2 is 5 of them
    expect(Math.abs(freq(0, 0) - 0.2)).toBeLessThan(1.8e-2);
    expect([freq(0, 1), freq(1, 2)]).toEqual([0, 0]);
    expect(Math.abs(freq(1, 0) - 0.5)).toBeLessThan(1.8e-2);
  });

  it('multinomial without replacement: distinct per row; zero weights last once the others run out (as torch)', () => {
    manualSeed(16);
    const d = multinomial(full([50, 6], 1), 6);
    for (let r = 0; r < 50; r++) expect(new Set(d.data.subarray(r * 6, r * 6 + 6)).size).toBe(6);
    const z = multinomial(tensor([1, 0, 0]), 3);
    expect(z.data[0]).toBe(fixture.shapes['multinomial zero-weight categories used up without replacement']!.first);
    expect(Array.from(z.data)).toEqual([0, 1, 2]);
  });
});

describe('integer sampling errors, where torch errors too', () => {
  const CASES: [string, () => unknown, RegExp][] = [
    [
      'multinomial negative weight',
      () => multinomial(tensor([1, -1]), 1),
      /multinomial: probability tensor contains either inf, nan or element < 0, got -1 at flat index 1/,
    ],
    [
      'multinomial inf weight',
      () => multinomial(tensor([1, Infinity]), 1),
      /multinomial: probability tensor contains either inf, nan or element < 0, got Infinity/,
    ],
    [
      'multinomial nan weight',
      () => multinomial(tensor([1, NaN]), 1),
      /multinomial: probability tensor contains either inf, nan or element < 0, got NaN/,
    ],
    [
      'multinomial zero-sum row',
      () =>
        multinomial(
          tensor([
            [1, 1],
            [0, 0],
          ]),
          1,
        ),
      /multinomial: invalid multinomial distribution \(sum of probabilities <= 0\) in row 1/,
    ],
    [
      'multinomial too many samples without replacement',
      () => multinomial(tensor([1, 1]), 3),
      /multinomial: cannot sample numSamples > probs.size\(-1\) samples without replacement, got numSamples=3 > 2/,
    ],
    [
      'multinomial zero samples',
      () => multinomial(tensor([1, 1]), 0),
      /multinomial: numSamples must be a positive integer \(cannot sample n_sample <= 0 samples\), got 0/,
    ],
    [
      'multinomial 0-d probs',
      () => multinomial(tensor(1), 1),
      /multinomial: probs must be 1-d or 2-d \(prob_dist must be 1 or 2 dim\), got shape \[\]/,
    ],
    [
      'multinomial 3-d probs',
      () => multinomial(full([2, 2, 2], 1), 1),
      /multinomial: probs must be 1-d or 2-d.*got shape \[2, 2, 2\]/,
    ],
    ['randint low >= high', () => randint(5, 2, [3]), /randint: expected low < high, got low=5 >= high=2/],
    ['randint high <= 0 (one-bound form)', () => randint(0, [3]), /randint: expected low < high, got low=0 >= high=0/],
    ['randint fractional high', () => randint(2.5, [3]), /randint: high must be an integer, got 2.5/],
    ['randperm negative n', () => randperm(-1), /randperm: n must be a non-negative integer, got -1/],
  ];
  it.each(CASES)('%s', (name, call, message) => {
    expect(fixture.errors[name], `torch raises for "${name}"`).toEqual(expect.any(String));
    expect(call).toThrow(message);
  });

  it('randint rejects a range outside int32 and a bad shape', () => {
    expect(() => randint(0, 2 ** 31 + 1, [1])).toThrow(
      /randint: \[low, high\) must fit in int32, got low=0, high=2147483649/,
    );
    expect(() => randint(0, 2, [-1])).toThrow(/randint: shape must contain finite non-negative integers, got \[-1\]/);
  });
});
