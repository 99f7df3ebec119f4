/**
 * Making tensors (src/autograd/creation.ts): from values, filled, ranges; options; and the errors
 * for ragged values and bad shapes.
 */
import { describe, expect, it } from 'vitest';
import { arange, full, ones, tensor, zeros } from '../../src/index.js';

describe('tensor()', () => {
  it('infers the shape of numbers and nested arrays', () => {
    expect(tensor(3).shape).toEqual([]);
    expect(tensor([1, 2, 3]).shape).toEqual([3]);
    expect(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).shape,
    ).toEqual([2, 3]);
    expect(tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('stores float32 by default (rounding) and float64 on request', () => {
    expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
    const d = tensor([0.1], undefined, { dtype: 'float64' });
    expect([d.dtype, d.data[0]]).toEqual(['float64', 0.1]);
  });

  it('copies typed arrays instead of aliasing them, and lays flat values into a shape', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const t = tensor(src, [2, 3]);
    expect(t.data).not.toBe(src);
    src[0] = 100;
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor(Float64Array.from([1, 2])).dtype).toBe('float64'); // a typed array keeps its dtype, like torch.tensor(ndarray)
  });

  it('does not keep references into nested input arrays', () => {
    const values = [
      [1, 2],
      [3, 4],
    ];
    const t = tensor(values);
    values[0]![0] = 99;
    expect(t.data[0]).toBe(1);
  });

  it('sets requiresGrad on request', () => {
    expect(tensor([1]).requiresGrad).toBe(false);
    const t = tensor([1], undefined, { requiresGrad: true });
    expect([t.requiresGrad, t.isLeaf, t.grad]).toEqual([true, true, null]);
  });

  it('rejects ragged nested arrays, saying where and what was expected', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(
      /tensor: values must be rectangular; expected 2 entries at depth 1, got 1/,
    );
    expect(() => tensor([[1, 2], 3] as never)).toThrow(/expected 2 entries at depth 1, got 3/);
    expect(() => tensor([1, [2]] as never)).toThrow(
      /tensor: values must be rectangular nested arrays of numbers or booleans; found \[2\] \(array\) where a number was expected at depth 1/,
    );
    expect(() => tensor([[[1, 2]], [[3]]])).toThrow(/expected 2 entries at depth 2, got 1/);
  });

  it('rejects non-numeric values and a shape that does not fit', () => {
    expect(() => tensor('1' as never)).toThrow(
      /tensor: values must be a number, a boolean, nested arrays or a Float32Array\/Float64Array\/Int32Array\/Uint8Array, got "1" \(string\)/,
    );
    expect(() => tensor([1, 'a'] as never)).toThrow(/found "a" \(string\) where a number was expected/);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/tensor: shape \[2, 2\] needs 4 values, got 3/);
    expect(() => tensor([1, 2], [2, -1])).toThrow(
      /tensor: shape must contain finite non-negative integers, got \[2, -1\]/,
    );
    expect(() => tensor([1], undefined, { dtype: 'int8' as never })).toThrow(
      /tensor: dtype must be one of 'bool', 'int32', 'float32', 'float64', got "int8" \(string\)/,
    );
  });
});

describe('zeros, ones, full', () => {
  it('fill a shape with a value', () => {
    expect(zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2], 2.5, { dtype: 'float64' }).toArray()).toEqual([2.5, 2.5]);
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([3, 0]).size).toBe(0);
  });

  it.each([
    [[-1], /(zeros|ones): shape must contain finite non-negative integers, got \[-1\] \(array\)/],
    [[2, 1.5], /got \[2, 1\.5\]/],
    [[NaN], /got \[NaN\]/],
    [[Infinity], /finite.*got \[Infinity\]/],
  ])('reject the shape %j naming the argument and value', (shape, message) => {
    expect(() => zeros(shape)).toThrow(message);
    expect(() => ones(shape)).toThrow(message);
  });

  it('reject a shape that is not an array', () => {
    expect(() => zeros(3 as never)).toThrow(/zeros: shape must be an array of non-negative integers, got 3/);
  });
});

describe('arange', () => {
  it('follows torch.arange: [start, end) with step', () => {
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 4).toArray()).toEqual([1, 2, 3]);
    expect(arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(3, 0, -1).toArray()).toEqual([3, 2, 1]);
    expect(arange(0, 1, 0.3).size).toBe(4); // ceil(1 / 0.3)
    expect(arange(2, 2).size).toBe(0);
  });

  it('rejects a zero step, a step away from end, and non-finite bounds', () => {
    expect(() => arange(0, 5, 0)).toThrow(/arange: step must be non-zero, got 0/);
    expect(() => arange(0, 5, -1)).toThrow(/arange: step \(-1\) must move from start \(0\) towards end \(5\)/);
    expect(() => arange(Infinity)).toThrow(
      /arange: start, end and step must be finite numbers, got start=0, end=Infinity, step=1/,
    );
  });
});

describe('full checks its value', () => {
  it('throws naming value and its type for a non-number', () => {
    expect(() => full([2], 'a' as unknown as number)).toThrow(
      'full: value must be a number or a boolean, got "a" (string)',
    );
  });
});
