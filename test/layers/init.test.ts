/**
 * nn.init (src/layers/init.ts): torch's gains and fans exactly, and the statistics of large draws
 * against torch's own draws (test/fixtures/init_clip.py; the generators differ, so statistics are
 * compared, with bounds of several standard errors) and against the formulas.
 */
import { describe, expect, it } from 'vitest';
import { Generator, manualSeed, nn, rand, zeros, type Tensor } from '../../src/index.js';
import type { Nonlinearity } from '../../src/layers/init.js';
import { loadFixture } from '../fixtures/load.js';

const fixture = loadFixture('init_clip') as {
  gains: [Nonlinearity, number | null, number][];
  fans: [number[], [number, number]][];
  stats: Record<string, { shape: number[]; mean: number; std: number; min: number; max: number }>;
};

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const d = t.data;
  let sum = 0;
  for (let i = 0; i < d.length; i++) sum += d[i]!;
  const mean = sum / d.length;
  let ss = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    ss += (d[i]! - mean) ** 2;
    min = Math.min(min, d[i]!);
    max = Math.max(max, d[i]!);
  }
  return { mean, std: Math.sqrt(ss / (d.length - 1)), min, max };
}

const SQRT3 = Math.sqrt(3);
// fanIn 400, fanOut 1200 for the fixture's shape [300, 100, 2, 2]
const DRAWS: [string, (t: Tensor) => Tensor, { std?: number; bound?: [number, number] }][] = [
  ['uniform_-0.5_2', (t) => nn.init.uniform_(t, -0.5, 2), { std: 2.5 / Math.sqrt(12), bound: [-0.5, 2] }],
  ['normal_1_3', (t) => nn.init.normal_(t, 1, 3), { std: 3 }],
  [
    'xavierUniform_gain2',
    (t) => nn.init.xavierUniform_(t, { gain: 2 }),
    { bound: [-2 * Math.sqrt(6 / 1600), 2 * Math.sqrt(6 / 1600)] },
  ],
  ['xavierNormal', (t) => nn.init.xavierNormal_(t), { std: Math.sqrt(2 / 1600) }],
  [
    'kaimingUniform_default',
    (t) => nn.init.kaimingUniform_(t),
    { bound: [-SQRT3 * Math.sqrt(2 / 400), SQRT3 * Math.sqrt(2 / 400)] },
  ],
  ['kaimingUniform_sqrt5', (t) => nn.init.kaimingUniform_(t, { a: Math.sqrt(5) }), { bound: [-1 / 20, 1 / 20] }],
  [
    'kaimingNormal_fanOut_relu',
    (t) => nn.init.kaimingNormal_(t, { mode: 'fanOut', nonlinearity: 'relu' }),
    { std: Math.sqrt(2 / 1200) },
  ],
  ['kaimingNormal_tanh', (t) => nn.init.kaimingNormal_(t, { nonlinearity: 'tanh' }), { std: 5 / 3 / 20 }],
  ['truncNormal_default', (t) => nn.init.truncNormal_(t), { bound: [-2, 2] }],
  ['truncNormal_0.02', (t) => nn.init.truncNormal_(t, { std: 0.02 }), {}],
  ['truncNormal_shifted', (t) => nn.init.truncNormal_(t, { mean: 1, std: 2, a: 0, b: 1.5 }), { bound: [0, 1.5] }],
];

describe('nn.init', () => {
  it("calculateGain equals torch's for every nonlinearity", () => {
    for (const [name, param, gain] of fixture.gains) {
      expect(nn.init.calculateGain(name, param ?? undefined), `${name} ${param}`).toBe(gain);
    }
    expect(nn.init.calculateGain('leakyRelu', 0.2)).toBe(nn.init.calculateGain('leaky_relu', 0.2));
    expect(() => nn.init.calculateGain('softmax' as Nonlinearity)).toThrow(
      "calculateGain: unsupported nonlinearity 'softmax'",
    );
  });

  it("fans equal torch's _calculate_fan_in_and_fan_out", () => {
    for (const [shape, fans] of fixture.fans) expect(nn.init.calculateFanInAndFanOut(zeros(shape))).toEqual(fans);
    expect(() => nn.init.xavierUniform_(zeros([5]))).toThrow(
      'calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape [5]',
    );
  });

  it.each(DRAWS)("%s: the statistics of 120,000 draws match torch's and the formula", (name, init, expected) => {
    manualSeed(7);
    const torchStats = fixture.stats[name]!;
    const t = init(zeros(torchStats.shape));
    const s = stats(t);
    const n = t.size;
    // two independent samples: the difference of means has standard error std * sqrt(2 / n); 6 of them.
    expect(Math.abs(s.mean - torchStats.mean)).toBeLessThan(6 * torchStats.std * Math.sqrt(2 / n));
    // a sample std has relative standard error about 1 / sqrt(2n) (normal) or less (uniform, truncated); 6 of them.
    expect(Math.abs(s.std / torchStats.std - 1)).toBeLessThan((6 * Math.sqrt(2)) / Math.sqrt(2 * n));
    if (expected.std !== undefined) expect(Math.abs(s.std / expected.std - 1)).toBeLessThan(6 / Math.sqrt(2 * n));
    if (expected.bound !== undefined) {
      const [lo, hi] = expected.bound;
      expect(s.min).toBeGreaterThanOrEqual(Math.fround(lo));
      expect(s.max).toBeLessThanOrEqual(Math.fround(hi));
      // with 120,000 draws the extremes come within 1e-3 of the range's ends (P(miss) ~ e^-60 for a uniform)
      expect(Math.abs(s.min - torchStats.min)).toBeLessThan(2e-3 * (hi - lo));
      expect(Math.abs(s.max - torchStats.max)).toBeLessThan(2e-3 * (hi - lo));
    }
  });

  it('fills in place, returns the tensor, and takes a generator instead of the default one', () => {
    const t = zeros([4, 3]);
    expect(nn.init.normal_(t, 0, 1, { generator: new Generator(5) })).toBe(t);
    const again = nn.init.normal_(zeros([4, 3]), 0, 1, { generator: new Generator(5) });
    expect(Array.from(again.data)).toEqual(Array.from(t.data));
    manualSeed(1);
    const a = rand([3]);
    manualSeed(1);
    nn.init.kaimingUniform_(zeros([4, 3]), { generator: new Generator(9) });
    expect(Array.from(rand([3]).data)).toEqual(Array.from(a.data)); // the default generator was not used
  });

  it('constant_, zeros_, ones_ and a zero-element kaiming no-op', () => {
    expect(Array.from(nn.init.constant_(zeros([3]), 0.5).data)).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(nn.init.ones_(zeros([2])).data)).toEqual([1, 1]);
    expect(Array.from(nn.init.zeros_(rand([2])).data)).toEqual([0, 0]);
    expect(nn.init.kaimingNormal_(zeros([0])).size).toBe(0); // torch only warns for zero elements
  });

  it('writes a parameter without recording a graph and keeps it a leaf', () => {
    const lin = new nn.Linear(3, 2);
    nn.init.xavierUniform_(lin.weight);
    expect(lin.weight.isLeaf).toBe(true);
    expect(lin.weight.requiresGrad).toBe(true);
  });

  it('rejects bad arguments with the function and argument named', () => {
    expect(() => nn.init.uniform_(zeros([2]), 1, 0)).toThrow('uniform_: expects a <= b, got a=1 and b=0');
    expect(() => nn.init.normal_(zeros([2]), 0, -1)).toThrow('normal_: expects std >= 0.0, got -1');
    expect(() => nn.init.truncNormal_(zeros([2]), { a: 1, b: 1 })).toThrow(
      'truncNormal_: expects a < b, got a=1 and b=1',
    );
    expect(() => nn.init.kaimingUniform_(zeros([2, 2]), { mode: 'fanMid' as 'fanIn' })).toThrow(
      "kaimingUniform_: mode must be 'fanIn' or 'fanOut', got 'fanMid'",
    );
    expect(() => nn.init.xavierNormal_(zeros([2, 2]), { gain: NaN })).toThrow(
      'xavierNormal_: gain must be a number, got NaN',
    );
    expect(() => nn.init.constant_(null as unknown as Tensor, 1)).toThrow(
      'constant_: tensor must be a Tensor, got null',
    );
    expect(() => nn.init.normal_(zeros([2], { dtype: 'int32' }))).toThrow(
      "normal_: tensor must have a floating dtype ('float32' or 'float64'), got 'int32'",
    );
  });
});
