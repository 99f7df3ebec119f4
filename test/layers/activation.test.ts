/**
 * Activation modules (src/layers/activation.ts): each against its formula in float64, gradcheck,
 * and the absence of parameters.
 */
import { describe, expect, it } from 'vitest';
import { nn, type Module } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, randomTensor } from '../autograd/fixtures.js';
import { erf } from '../../src/tensor/kernels/special.js';

const CASES: [string, () => Module, (v: number) => number][] = [
  ['ReLU', () => new nn.ReLU(), (v) => Math.max(v, 0)],
  ['Tanh', () => new nn.Tanh(), Math.tanh],
  ['Sigmoid', () => new nn.Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
  ['GELU', () => new nn.GELU(), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
  [
    "GELU approximate 'tanh'",
    () => new nn.GELU({ approximate: 'tanh' }),
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  ],
];

describe('activation modules', () => {
  it.each(CASES)('%s equals its formula', (_, make, f) => {
    const x = randomTensor([3, 5], 1, { maxAbs: 4, requiresGrad: false });
    // float64 evaluation rounded once to float32 (tanh-GELU: a few float32 ops)
    expectClose(make().forward(x), Array.from(x.data, f), { rtol: 1e-6, atol: 1e-7 });
  });

  it.each(CASES)('%s passes gradcheck', (_, make) => {
    // away from ReLU's kink at 0
    expectGradcheck((x) => make().forward(x!), [randomTensor([2, 4], 2, { maxAbs: 3, minAbs: 0.05 })]);
  });

  it.each(CASES)('%s has no parameters or state', (_, make) => {
    const m = make();
    expect(m.parameters()).toEqual([]);
    expect(Object.keys(m.stateDict())).toEqual([]);
  });

  it('GELU rejects an unknown approximation', () => {
    expect(() => new nn.GELU({ approximate: 'erf' as 'none' })).toThrow(
      `GELU: approximate must be 'none' or 'tanh', got "erf" (string)`,
    );
  });
});
