/**
 * Elementwise functions (src/autograd/ops/unary.ts): forward against float64 formulas written here,
 * gradients by gradcheck, torch's conventions at kinks, special values, and pow's two forms.
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { refErf } from '../tensor/erfReference.js';
import { refBinary, type ValueOptions } from '../tensor/reference.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor, toFloat32 } from './fixtures.js';

type UnaryName = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'relu' | 'sigmoid' | 'tanh' | 'gelu';

interface UnarySpec {
  name: UnaryName;
  f: (x: number) => number;
  /** Where to sample inputs: positive for log/sqrt, away from 0 for the kinks of abs/relu. */
  domain: ValueOptions;
}

const UNARY: UnarySpec[] = [
  { name: 'neg', f: (x) => -x, domain: { maxAbs: 3 } },
  { name: 'exp', f: Math.exp, domain: { maxAbs: 3 } },
  { name: 'log', f: Math.log, domain: { minAbs: 0.1, maxAbs: 5, positive: true } },
  { name: 'sqrt', f: Math.sqrt, domain: { minAbs: 0.1, maxAbs: 5, positive: true } },
  { name: 'abs', f: Math.abs, domain: { minAbs: 0.1, maxAbs: 3 } },
  { name: 'relu', f: (x) => (x > 0 ? x : 0), domain: { minAbs: 0.1, maxAbs: 3 } },
  { name: 'sigmoid', f: (x) => 1 / (1 + Math.exp(-x)), domain: { maxAbs: 6 } },
  { name: 'tanh', f: Math.tanh, domain: { maxAbs: 3 } },
  // exact GELU x * Phi(x) with the BigInt-series erf of ../tensor/erfReference.ts
  { name: 'gelu', f: (x) => 0.5 * x * (1 + refErf(x / Math.SQRT2)), domain: { maxAbs: 5 } },
];

const apply = (name: UnaryName, x: Tensor): Tensor => x[name]();

describe.each(UNARY)('$name', (op) => {
  it('forward equals the float64 formula, rounded to float32', () => {
    const x = randomTensor([3, 4, 5], 11, { ...op.domain, requiresGrad: false });
    const out = apply(op.name, x);
    expect(out.shape).toEqual([3, 4, 5]);
    // both round a float64 value to float32; the float64 values may differ in the last bits
    // (sigmoid's two branches, erf to 1e-13), so allow one float32 ulp (2^-23 relative)
    expectClose(out, toFloat32([...x.data].map(op.f)), { rtol: 2 ** -23, atol: 0 }, op.name);
  });

  it('forward in float64 agrees with the formula to a few ulps', () => {
    const x = randomTensor([50], 12, { ...op.domain, dtype: 'float64', requiresGrad: false });
    // same Math functions in float64: only sigmoid's branch and erf (1e-13 absolute) differ
    expectClose(apply(op.name, x), [...x.data].map(op.f), { rtol: 1e-13, atol: 1e-13 }, op.name);
  });

  it('gradcheck', () => {
    expectGradcheck((x) => apply(op.name, x!), [randomTensor([2, 3, 4], 13, op.domain)]);
  });

  it('works on 0-d and empty tensors', () => {
    const s = apply(op.name, tensor(0.5));
    expect(s.shape).toEqual([]);
    expect(s.item()).toBeCloseTo(op.f(0.5), 6); // float32 result of a value below 2: ~1e-7
    expect(apply(op.name, tensor([], [0, 3])).shape).toEqual([0, 3]);
  });

  it('leaves its input unchanged, forward and backward', () => {
    const x = randomTensor([4, 5], 14, op.domain);
    expectInputsUnchanged([x], () => apply(op.name, x).sum().backward());
  });
});

describe('special values and conventions', () => {
  const at = (name: UnaryName, values: number[]): number[] => Array.from(apply(name, tensor(values)).data);
  const gradAt = (name: UnaryName, values: number[]): number[] => {
    const x = tensor(values, undefined, { requiresGrad: true });
    apply(name, x).sum().backward();
    return Array.from(x.grad!.data);
  };

  it('log, sqrt and exp at the edges of their domains', () => {
    expect(at('log', [0, -1, Infinity])).toEqual([-Infinity, NaN, Infinity]);
    expect(at('sqrt', [0, -1])).toEqual([0, NaN]);
    expect(at('exp', [100, -200])).toEqual([Infinity, 0]); // float32 overflow / underflow
  });

  it('sigmoid saturates without NaN for large |x| (no overflow in either branch)', () => {
    expect(at('sigmoid', [-1000, 1000, 0])).toEqual([0, 1, 0.5]);
    expect(at('tanh', [-1000, 1000])).toEqual([-1, 1]);
  });

  it('gelu tends to x for large x and to 0 for large negative x', () => {
    expect(at('gelu', [10, 0])).toEqual([10, 0]);
    // 1 + erf(x/sqrt 2) cancels for x << 0: only absolute accuracy (~x * 1e-16) is kept, as in torch
    expect(Math.abs(at('gelu', [-10])[0]!)).toBeLessThan(1e-14);
  });

  it('relu and abs have gradient 0 at 0, like torch', () => {
    expect(gradAt('relu', [-1, 0, 2])).toEqual([0, 0, 1]);
    expect(gradAt('abs', [-1, 0, 2])).toEqual([-1, 0, 1]);
  });

  it('gelu gradient is Phi(x) + x phi(x)', () => {
    const xs = [-3, -1, -0.25, 0, 0.5, 2];
    const ref = xs.map(
      (x) => 0.5 * (1 + refErf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
    );
    // computed in float64 (erf to 1e-13) and stored once as float32: one float32 ulp
    expectClose(gradAt('gelu', xs), toFloat32(ref), { rtol: 2 ** -23, atol: 0 }, 'gelu grad');
  });
});

describe('pow', () => {
  it.each([2, 3, 0.5, -1, 1.5, 0])('forward with exponent %d equals Math.pow', (p) => {
    const x = randomTensor([20], 21, { minAbs: 0.1, maxAbs: 3, positive: true, requiresGrad: false });
    // same Math.pow in float64, one rounding: bit-exact
    expect(Array.from(x.pow(p).data)).toEqual(toFloat32([...x.data].map((v) => Math.pow(v, p))));
  });

  it('a negative base with a fractional exponent is NaN, with an integer exponent it is fine', () => {
    expect(Array.from(tensor([-8]).pow(1 / 3).data)).toEqual([NaN]);
    expect(Array.from(tensor([-2]).pow(3).data)).toEqual([-8]);
  });

  it.each([2, 3, 0.5, -1, 1.5, 0])('gradcheck with exponent %d', (p) => {
    expectGradcheck((x) => x!.pow(p), [randomTensor([2, 3], 22, { minAbs: 0.2, maxAbs: 2, positive: true })]);
  });

  it('gradcheck with an integer exponent on negative bases', () => {
    expectGradcheck((x) => x!.pow(3), [randomTensor([2, 3], 23, { maxAbs: 2 })]);
  });

  it('x ** 0 has gradient 0 everywhere, including x = 0 (torch masks the 0 * inf)', () => {
    const x = tensor([0, 1, -2], undefined, { requiresGrad: true });
    x.pow(0).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0]);
  });

  it('with a tensor exponent: forward with broadcasting equals Math.pow', () => {
    const x = randomTensor([2, 3, 4], 24, { minAbs: 0.2, maxAbs: 3, positive: true, requiresGrad: false });
    const p = randomTensor([3, 1], 25, { maxAbs: 2, requiresGrad: false });
    const ref = refBinary(Math.pow, [...x.data], x.shape, [...p.data], p.shape);
    const out = x.pow(p);
    expect(out.shape).toEqual(ref.shape);
    expect(Array.from(out.data)).toEqual(toFloat32(ref.data));
  });

  it('with a tensor exponent: gradcheck for base and exponent, broadcast either way', () => {
    const base = { minAbs: 0.2, maxAbs: 2, positive: true };
    expectGradcheck((x, p) => x!.pow(p!), [randomTensor([2, 3, 4], 26, base), randomTensor([3, 1], 27, { maxAbs: 2 })]);
    expectGradcheck((x, p) => x!.pow(p!), [randomTensor([3, 1], 28, base), randomTensor([2, 3, 4], 29, { maxAbs: 2 })]);
  });

  it('with a tensor exponent, follows torch at x = 0: d/dx is 0 where p = 0, d/dp is 0 where p >= 0', () => {
    const x = tensor([0, 0, 0, 2], undefined, { requiresGrad: true });
    const p = tensor([0, 2, 0.5, 0], undefined, { requiresGrad: true });
    x.pow(p).sum().backward();
    // d/dx = p x^(p-1): 0 where p = 0 (not 0 * inf), 2 * 0 = 0, 0.5 * 0^-0.5 = inf
    expect(Array.from(x.grad!.data)).toEqual([0, 0, Infinity, 0]);
    // d/dp = x^p ln x: 0 where x = 0 and p >= 0 (not x^p * -inf), 1 * ln 2 otherwise
    expect(Array.from(p.grad!.data)).toEqual([0, 0, 0, Math.fround(Math.LN2)]);
  });

  it('leaves base and exponent unchanged', () => {
    const x = randomTensor([3, 4], 30, { minAbs: 0.2, positive: true });
    const p = randomTensor([4], 31);
    expectInputsUnchanged([x, p], () => x.pow(p).sum().backward());
  });

  it('rejects a non-finite number exponent and a non-broadcastable tensor exponent', () => {
    expect(() => tensor([1]).pow(NaN)).toThrow(/pow: exponent must be a finite number or a Tensor, got NaN/);
    expect(() => tensor([1, 2]).pow(tensor([1, 2, 3]))).toThrow(/pow: shapes \[2\] and \[3\] cannot be broadcast/);
  });
});
