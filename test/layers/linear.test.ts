/**
 * nn.Linear and functional.linear (src/layers/linear.ts, src/layers/functional/linear.ts):
 * y = x W^T + b against a float64 reference, gradcheck, torch's default initialisation bounds,
 * state-dict keys and errors.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, manualSeed, nn } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, randomTensor } from '../autograd/fixtures.js';

describe('Linear', () => {
  it('computes x W^T + b over the last axis', () => {
    const x = randomTensor([2, 3, 4], 1, { requiresGrad: false });
    const fc = new nn.Linear(4, 5);
    const y = fc.forward(x);
    expect(y.shape).toEqual([2, 3, 5]);
    const ref: number[] = [];
    for (let r = 0; r < 6; r++) {
      for (let o = 0; o < 5; o++) {
        let acc = fc.bias!.data[o]!;
        for (let i = 0; i < 4; i++) acc += x.data[r * 4 + i]! * fc.weight.data[o * 4 + i]!;
        ref.push(acc);
      }
    }
    // float64 accumulation, one float32 rounding (plus the float32 rounding of the product before the bias add)
    expectClose(y, ref, { rtol: 1e-6, atol: 1e-7 });
  });

  it('passes gradcheck for input, weight and bias', () => {
    expectGradcheck(
      (x, w, b) => F.linear(x!, w!, b!),
      [randomTensor([3, 4], 2), randomTensor([5, 4], 3), randomTensor([5], 4)],
    );
    expectGradcheck((x, w) => F.linear(x!, w!), [randomTensor([2, 2, 4], 5), randomTensor([3, 4], 6)]);
  });

  it('initialises weight and bias uniformly within +-1/sqrt(inFeatures), reproducibly', () => {
    manualSeed(0);
    const fc = new nn.Linear(100, 50);
    const bound = 0.1;
    const w = Array.from(fc.weight.data);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(fc.bias!.data, Math.abs))).toBeLessThanOrEqual(bound);
    // 5,000 uniform draws: the extremes come within 1% of the bound (miss probability ~ e^-50)
    expect(Math.max(...w)).toBeGreaterThan(0.99 * bound);
    expect(Math.min(...w)).toBeLessThan(-0.99 * bound);
    manualSeed(0);
    expect(Array.from(new nn.Linear(100, 50).weight.data)).toEqual(w);
  });

  it('has torch state-dict keys and optional bias', () => {
    expect(Object.keys(new nn.Linear(3, 2).stateDict())).toEqual(['weight', 'bias']);
    const noBias = new nn.Linear(3, 2, { bias: false });
    expect(noBias.bias).toBeNull();
    expect(Object.keys(noBias.stateDict())).toEqual(['weight']);
  });

  it('names the argument in its errors', () => {
    expect(() => new nn.Linear(4, 5).forward(randomTensor([2, 3], 7))).toThrow(
      "Linear: input's last axis must have size 4 (weight [5, 4]), got input [2, 3]",
    );
    expect(() => new nn.Linear(-1, 5)).toThrow('Linear: inFeatures must be a non-negative integer, got -1');
  });
});
