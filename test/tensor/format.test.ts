/**
 * Turning tensors into nested arrays and text (src/tensor/format.ts, via Tensor.toArray/toString).
 */
import { describe, expect, it } from 'vitest';
import { arange, tensor, zeros, type DType, type Tensor } from '../../src/index.js';
import { pyFormat, toNested } from '../../src/tensor/format.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';

describe('toArray', () => {
  it('nests by shape, row-major', () => {
    expect(arange(6).reshape([2, 3]).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(arange(8).reshape([2, 2, 2]).toArray()).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
      [
        [4, 5],
        [6, 7],
      ],
    ]);
  });

  it('gives a number for a 0-d tensor and empty arrays for empty axes', () => {
    expect(tensor(2.5).toArray()).toBe(2.5);
    expect(zeros([0]).toArray()).toEqual([]);
    expect(zeros([2, 0]).toArray()).toEqual([[], []]);
  });

  it('round-trips through tensor()', () => {
    const values = [
      [
        [1.5, -2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8.25],
      ],
    ];
    expect(tensor(values).toArray()).toEqual(values);
  });

  it('gives booleans for a bool tensor (torch tolist) and numbers for int32', () => {
    expect(tensor([[true, false]]).toArray()).toEqual([[true, false]]);
    expect(tensor(true).toArray()).toBe(true);
    expect(arange(3).toArray()).toEqual([0, 1, 2]);
  });

  it('toNested reads float64 storage at full precision', () => {
    expect(toNested(Float64Array.from([0.1, 0.2]), [1, 2])).toEqual([[0.1, 0.2]]);
  });
});

describe('toString against torch (test/fixtures/print.py)', () => {
  const cases = loadFixture('print') as Record<string, { t: FixtureTensor; repr: string }>;
  const rebuild = (t: FixtureTensor, requiresGrad = false): Tensor =>
    tensor(Float64Array.from(t.data), t.shape, { dtype: t.dtype as DType, requiresGrad });

  it('has the cases', () => {
    expect(Object.keys(cases).length).toBeGreaterThan(30);
  });
  it.each(Object.keys(cases).filter((k) => !k.startsWith('gradFn') && k !== 'requiresGrad'))('%s', (name) => {
    expect(rebuild(cases[name]!.t).toString()).toBe(cases[name]!.repr);
  });
  it('requiresGrad=true on a leaf, gradFn=<MulBackward> on an op result, wrapped like torch', () => {
    expect(rebuild(cases['requiresGrad']!.t, true).toString()).toBe(cases['requiresGrad']!.repr);
    expect(rebuild(cases['gradFn']!.t, true).mul(2).toString()).toBe(cases['gradFn']!.repr);
    expect(rebuild(cases['gradFnWrapped']!.t, true).mul(2).toString()).toBe(cases['gradFnWrapped']!.repr);
  });
});

describe('pyFormat: Python float formatting', () => {
  it('rounds exact ties to even and writes two exponent digits', () => {
    expect(pyFormat(0.03125, 4, 'f')).toBe('0.0312');
    expect(pyFormat(0.09375, 4, 'f')).toBe('0.0938'); // tie, 7 is odd: up
    expect(pyFormat(-0.03125, 4, 'f')).toBe('-0.0312');
    expect(pyFormat(2.5, 0, 'f')).toBe('2');
    expect(pyFormat(3.5, 0, 'f')).toBe('4');
    expect(pyFormat(0.1, 4, 'f')).toBe('0.1000');
    expect(pyFormat(1.03125, 4, 'e')).toBe('1.0312e+00');
    expect(pyFormat(1e-5, 4, 'e')).toBe('1.0000e-05');
    expect(pyFormat(1e100, 2, 'e')).toBe('1.00e+100');
    expect(pyFormat(-0, 4, 'f')).toBe('-0.0000');
    expect(pyFormat(NaN, 4, 'e')).toBe('nan');
    expect(pyFormat(-Infinity, 4, 'f')).toBe('-inf');
  });
});
