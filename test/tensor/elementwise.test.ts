/**
 * The elementwise kernels (src/tensor/kernels/elementwise.ts) directly, including the operations
 * that only ops use internally (comparisons, masks, sign, step, geluGrad): each against a float64
 * reference with broadcasting.
 */
import { describe, expect, it } from 'vitest';
import {
  binary,
  permutedStrides,
  stridedCopy,
  unary,
  type BinaryOp,
  type UnaryOp,
} from '../../src/tensor/kernels/elementwise.js';
import { refErf } from './erfReference.js';
import { broadcastSource, numel, randomValues, refBinary, refPermute, unravel } from './reference.js';

const BINARY: [BinaryOp, (a: number, b: number) => number][] = [
  ['add', (a, b) => a + b],
  ['sub', (a, b) => a - b],
  ['mul', (a, b) => a * b],
  ['div', (a, b) => a / b],
  ['pow', Math.pow],
  ['eq', (a, b) => (a === b ? 1 : 0)],
  ['gt', (a, b) => (a > b ? 1 : 0)],
  ['ge', (a, b) => (a >= b ? 1 : 0)],
  ['max', Math.max],
  ['min', Math.min],
  ['zeroWhere', (a, b) => (b !== 0 ? 0 : a)],
];

describe('binary kernel', () => {
  // a on a grid of halves so that eq/ge see ties with b, and b has a zero for zeroWhere
  const a = Float64Array.from(randomValues(24, 1, { maxAbs: 2 }).map((v) => Math.round(v * 2) / 2));
  const b = Float64Array.of(0, 0.5, -1);

  it('the inputs exercise ties', () => {
    const out = new Float64Array(24);
    binary('eq', a, [2, 3, 4], b, [3, 1], [2, 3, 4], out);
    expect(out.includes(1) && out.includes(0)).toBe(true);
  });

  it.each(BINARY)('%s broadcasts [2,3,4] with [3,1] like the reference (float64, bit-exact)', (op, f) => {
    const out = new Float64Array(24);
    binary(op, a, [2, 3, 4], b, [3, 1], [2, 3, 4], out);
    expect(Array.from(out)).toEqual(refBinary(f, [...a], [2, 3, 4], [...b], [3, 1]).data);
  });

  it('handles 0-d operands, 0-d outputs and empty outputs', () => {
    const out = new Float64Array(1);
    binary('add', Float64Array.of(2), [], Float64Array.of(3), [], [], out);
    expect(out[0]).toBe(5);
    binary('mul', new Float64Array(0), [0, 3], Float64Array.of(1, 2, 3), [3], [0, 3], new Float64Array(0)); // no throw
  });
});

describe('unary kernel', () => {
  const x = Float64Array.from([-2, -0.5, 0, 0.5, 3]);
  const UNARY: [UnaryOp, (v: number) => number][] = [
    ['sign', Math.sign],
    ['step', (v) => (v > 0 ? 1 : 0)],
    ['powScalar', (v) => Math.pow(v, 3)],
  ];

  it.each(UNARY)('%s equals the formula', (op, f) => {
    const out = new Float64Array(x.length);
    unary(op, x, out, 3);
    expect(Array.from(out)).toEqual([...x].map(f));
  });

  it('geluGrad is Phi(x) + x phi(x)', () => {
    const out = new Float64Array(x.length);
    unary('geluGrad', x, out);
    const ref = [...x].map(
      (v) => 0.5 * (1 + refErf(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI),
    );
    // float64 on both sides; typegrad's erf is within 1e-13 of the reference
    out.forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThanOrEqual(1e-13));
  });

  it('rounds the float64 result once into a float32 output', () => {
    const out = new Float32Array(1);
    unary('exp', Float32Array.of(1), out);
    expect(out[0]).toBe(Math.fround(Math.E));
  });
});

describe('stridedCopy', () => {
  it('gathers a permutation with permutedStrides', () => {
    const shape = [2, 3, 4];
    const x = Float64Array.from({ length: 24 }, (_, i) => i);
    const out = new Float64Array(24);
    stridedCopy(x, permutedStrides(shape, [1, 2, 0]), [3, 4, 2], out);
    expect(Array.from(out)).toEqual(refPermute([...x], shape, [1, 2, 0]).data);
  });

  it('expands with zero strides', () => {
    const x = Float64Array.of(1, 2, 3);
    const out = new Float64Array(numel([2, 3, 2]));
    stridedCopy(x, [0, 1, 0], [2, 3, 2], out);
    expect(Array.from(out)).toEqual(Array.from(out, (_, i) => x[broadcastSource(unravel(i, [2, 3, 2]), [3, 1])]));
  });

  it('copies a 0-d tensor', () => {
    const out = new Float64Array(1);
    stridedCopy(Float64Array.of(7), [], [], out);
    expect(out[0]).toBe(7);
  });
});
