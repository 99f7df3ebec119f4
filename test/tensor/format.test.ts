/**
 * Turning tensors into nested arrays and text (src/tensor/format.ts, via Tensor.toArray/toString).
 */
import { describe, expect, it } from 'vitest';
import { arange, tensor, zeros } from '../../src/index.js';
import { toNested } from '../../src/tensor/format.js';

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
      [[1.5, -2], [3, 4]],
      [[5, 6], [7, 8.25]],
    ];
    expect(tensor(values).toArray()).toEqual(values);
  });

  it('toNested reads float64 storage at full precision', () => {
    expect(toNested(Float64Array.from([0.1, 0.2]), [1, 2])).toEqual([[0.1, 0.2]]);
  });
});

describe('toString', () => {
  it('renders a matrix like torch, rows aligned under "tensor("', () => {
    expect(tensor([[1, 2], [3, 4]]).toString()).toBe('tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])');
  });

  it('separates the blocks of a 3-D tensor with a blank line', () => {
    expect(String(arange(1, 9).reshape([2, 2, 2]))).toBe(
      'tensor([[[1.0000, 2.0000],\n' +
        '         [3.0000, 4.0000]],\n' +
        '\n' +
        '        [[5.0000, 6.0000],\n' +
        '         [7.0000, 8.0000]]])',
    );
  });

  it('renders scalars, empty tensors, and the autograd and dtype extras', () => {
    expect(tensor(3.5).toString()).toBe('tensor(3.5000)');
    expect(zeros([0]).toString()).toBe('tensor([], size=[0])');
    expect(tensor([1, -2], undefined, { requiresGrad: true }).toString()).toBe('tensor([1.0000, -2.0000], requiresGrad=true)');
    expect(tensor([1, 2], undefined, { requiresGrad: true }).mul(2).toString()).toBe('tensor([2.0000, 4.0000], gradFn=mul)');
    expect(tensor([0.5], undefined, { dtype: 'float64' }).toString()).toBe('tensor([0.5000], dtype=float64)');
  });

  it('uses exponents for very small and very large magnitudes, and names non-finite values', () => {
    expect(tensor([1e-5, 1e9, -2, 0, NaN, Infinity, -Infinity], undefined, { dtype: 'float64' }).toString()).toBe(
      'tensor([1.0000e-5, 1.0000e+9, -2.0000, 0.0000, nan, inf, -inf], dtype=float64)',
    );
  });

  it('elides the middle of tensors with more than 1000 elements', () => {
    expect(arange(2000).toString()).toBe('tensor([0.0000, 1.0000, 2.0000, ..., 1997.0000, 1998.0000, 1999.0000])');
    const rows = arange(2000).reshape([100, 20]).toString().split('\n');
    expect(rows).toHaveLength(7); // 3 rows, '...', 3 rows
    expect(rows[3]!.trim()).toBe('...,');
    expect(rows[0]).toBe('tensor([[0.0000, 1.0000, 2.0000, ..., 17.0000, 18.0000, 19.0000],');
  });

  it('prints 1000 elements in full', () => {
    expect(arange(1000).toString()).not.toContain('...');
  });
});
