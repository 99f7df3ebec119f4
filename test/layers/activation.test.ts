/**
 * Activation modules (src/layers/activation.ts): each against its formula in float64, gradcheck,
 * and the absence of parameters.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, type Module, type Tensor } from '../../src/index.js';
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

const FUNCTIONAL: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
  ['relu', (x) => F.relu(x), (v) => Math.max(v, 0)],
  ['tanh', (x) => F.tanh(x), Math.tanh],
  ['sigmoid', (x) => F.sigmoid(x), (v) => 1 / (1 + Math.exp(-v))],
  ['gelu', (x) => F.gelu(x), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
  [
    "gelu approximate 'tanh'",
    (x) => F.gelu(x, { approximate: 'tanh' }),
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  ],
];

describe('functional relu / tanh / sigmoid / gelu (what the modules call)', () => {
  it.each(FUNCTIONAL)('%s equals its formula and its module', (_, f, formula) => {
    const x = randomTensor([3, 5], 3, { maxAbs: 4, requiresGrad: false });
    // float64 evaluation rounded once to float32 (tanh-GELU: a few float32 ops)
    expectClose(f(x), Array.from(x.data, formula), { rtol: 1e-6, atol: 1e-7 });
    const module = CASES[FUNCTIONAL.findIndex((c) => c[1] === f)]![1]();
    expect(Array.from(f(x).data)).toEqual(Array.from(module.forward(x).data));
  });

  it.each(FUNCTIONAL)('%s passes gradcheck', (_, f) => {
    expectGradcheck((x) => f(x!), [randomTensor([2, 4], 4, { maxAbs: 3, minAbs: 0.05 })]);
  });

  it('checks its arguments under its own name; the modules under theirs', () => {
    expect(() => F.relu([1] as never)).toThrow('relu: input must be a Tensor, got [1] (array)');
    expect(() => new nn.ReLU().forward([1] as never)).toThrow('ReLU: input must be a Tensor, got [1] (array)');
    expect(() => F.sigmoid(undefined as never)).toThrow('sigmoid: input must be a Tensor, got undefined');
    expect(() => F.tanh(2 as never)).toThrow('tanh: input must be a Tensor, got 2');
    expect(() => F.gelu(null as never)).toThrow('gelu: input must be a Tensor, got null');
    expect(() => new nn.GELU().forward(null as never)).toThrow('GELU: input must be a Tensor, got null');
    const x = randomTensor([2], 5);
    expect(() => F.gelu(x, { approximate: 'erf' as 'none' })).toThrow(
      `gelu: approximate must be 'none' or 'tanh', got "erf" (string)`,
    );
    expect(() => F.gelu(x, 'tanh' as never)).toThrow('gelu: options must be an object, got "tanh" (string)');
  });
});
