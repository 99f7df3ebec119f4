/**
 * Dropout (src/autograd/ops/dropout.ts, src/layers/dropout.ts): identity in eval mode, zeros with
 * probability p and scales survivors by 1/(1-p) in training, gradient through the same mask, and
 * reproducible under manualSeed.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, Generator, manualSeed, nn, ones } from '../../src/index.js';
import { randomTensor } from '../autograd/fixtures.js';

describe('Dropout', () => {
  it('is the identity in eval mode (the same tensor, no copy)', () => {
    const x = randomTensor([4, 5], 1);
    const drop = new nn.Dropout(0.5).eval();
    expect(drop.forward(x)).toBe(x);
    expect(F.dropout(x, 0.5, { training: false })).toBe(x);
  });

  it('in training keeps each element as x / (1 - p) or zeroes it, at about rate p', () => {
    manualSeed(0);
    const p = 0.3;
    const x = ones([100, 100]);
    const y = new nn.Dropout(p).forward(x);
    let zeros = 0;
    for (const v of y.data) {
      if (v === 0) zeros++;
      else expect(v).toBe(Math.fround(1 / (1 - p)));
    }
    // 10,000 Bernoulli(0.3) draws: standard deviation of the rate is 0.0046, so +-0.02 is > 4 sigma
    expect(Math.abs(zeros / 1e4 - p)).toBeLessThan(0.02);
  });

  it('routes the gradient through the same mask', () => {
    manualSeed(1);
    const x = randomTensor([50], 2);
    const y = F.dropout(x, 0.5);
    y.sum().backward();
    for (let i = 0; i < 50; i++) expect(x.grad!.data[i]).toBe(y.data[i] === 0 ? 0 : 2);
  });

  it('is reproducible: the same seed gives the same mask, another seed another one', () => {
    const x = ones([64]);
    manualSeed(7);
    const a = Array.from(F.dropout(x, 0.5).data);
    manualSeed(7);
    const b = Array.from(F.dropout(x, 0.5).data);
    manualSeed(8);
    const c = Array.from(F.dropout(x, 0.5).data);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const g1 = Array.from(new nn.Dropout(0.5, { generator: new Generator(3) }).forward(x).data);
    const g2 = Array.from(new nn.Dropout(0.5, { generator: new Generator(3) }).forward(x).data);
    expect(g1).toEqual(g2);
  });

  it('p = 0 is the identity and p = 1 zeroes everything', () => {
    const x = randomTensor([10], 3);
    expect(F.dropout(x, 0)).toBe(x);
    expect(Array.from(F.dropout(x, 1).data).every((v) => v === 0)).toBe(true);
  });

  it('does not mutate its input and rejects a p outside [0, 1]', () => {
    const x = ones([8]);
    F.dropout(x, 0.5);
    expect(Array.from(x.data)).toEqual(new Array(8).fill(1));
    expect(() => new nn.Dropout(1.5)).toThrow('Dropout: dropout probability p must be in [0, 1], got 1.5');
    expect(() => F.dropout(x, -0.1)).toThrow('dropout: dropout probability p must be in [0, 1], got -0.1');
  });
});
