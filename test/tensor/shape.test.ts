/**
 * Index arithmetic of src/tensor/shape.ts: sizes, strides, axes, broadcasting, reshape targets,
 * and the messages its errors give.
 */
import { describe, expect, it } from 'vitest';
import {
  broadcastShapes,
  broadcastStrides,
  checkShape,
  fmtShape,
  normalizeAxes,
  normalizeAxis,
  resolveReshape,
  sameShape,
  sizeOf,
  stridesOf,
} from '../../src/tensor/shape.js';

describe('sizes and strides', () => {
  it('sizeOf multiplies the dims, 1 for a scalar and 0 for an empty shape', () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([2, 0, 4])).toBe(0);
  });

  it('stridesOf is row-major', () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([5])).toEqual([1]);
    expect(stridesOf([])).toEqual([]);
  });

  it('fmtShape and sameShape', () => {
    expect(fmtShape([2, 3])).toBe('[2, 3]');
    expect(fmtShape([])).toBe('[]');
    expect(sameShape([2, 3], [2, 3])).toBe(true);
    expect(sameShape([2, 3], [3, 2])).toBe(false);
    expect(sameShape([1], [])).toBe(false);
  });
});

describe('checkShape', () => {
  it('accepts non-negative integers', () => {
    expect(() => checkShape([0, 1, 7], 'f')).not.toThrow();
  });

  it.each([
    [[2, -1], /f: shape must contain finite non-negative integers, got \[2, -1\]/],
    [[2.5], /f: shape .*non-negative integers, got \[2\.5\]/],
    [[NaN], /f: shape .*non-negative integers, got \[NaN\]/],
    [[Infinity], /f: shape .*finite.*got \[Infinity\]/],
  ])('rejects %j naming the argument and the value', (shape, message) => {
    expect(() => checkShape(shape as number[], 'f')).toThrow(message);
  });

  it('rejects a non-array', () => {
    expect(() => checkShape(3 as unknown as number[], 'f', 'size')).toThrow(/f: size must be an array.*got 3/);
  });
});

describe('axes', () => {
  it('normalizeAxis maps negatives from the end', () => {
    expect(normalizeAxis(-1, 3, 'f')).toBe(2);
    expect(normalizeAxis(-3, 3, 'f')).toBe(0);
    expect(normalizeAxis(2, 3, 'f')).toBe(2);
  });

  it.each([
    [5, /f: axis must be an integer in \[-3, 2\] for a tensor of rank 3, got 5/],
    [-4, /\[-3, 2\].*got -4/],
    [1.5, /\[-3, 2\].*got 1\.5/],
  ])('normalizeAxis(%d) on rank 3 throws with the valid range', (axis, message) => {
    expect(() => normalizeAxis(axis, 3, 'f')).toThrow(message);
  });

  it('normalizeAxes: undefined is every axis, the result is sorted and non-negative', () => {
    expect(normalizeAxes(undefined, 4, 'f')).toEqual([0, 1, 2, 3]);
    expect(normalizeAxes(-1, 4, 'f')).toEqual([3]);
    expect(normalizeAxes([3, -4, 1], 4, 'f')).toEqual([0, 1, 3]);
  });

  it('normalizeAxes on a scalar accepts 0 and -1 and reduces nothing', () => {
    expect(normalizeAxes(0, 0, 'f')).toEqual([]);
    expect(normalizeAxes([-1], 0, 'f')).toEqual([]);
  });

  it('normalizeAxes rejects a repeated axis, even when written two ways', () => {
    expect(() => normalizeAxes([0, -3], 3, 'sum')).toThrow(
      /sum: axes must not repeat an axis, got \[0, -3\] \(axis 0 appears twice\)/,
    );
  });

  it('normalizeAxes rejects an out-of-range axis naming the argument', () => {
    expect(() => normalizeAxes([0, 5], 3, 'sum')).toThrow(/sum: axes .*\[-3, 2\].*got 5/);
  });
});

describe('broadcasting', () => {
  it.each([
    [
      [2, 3, 4],
      [3, 1],
      [2, 3, 4],
    ],
    [[2, 3, 4], [1], [2, 3, 4]],
    [
      [2, 1, 4],
      [3, 1],
      [2, 3, 4],
    ],
    [[], [2, 3], [2, 3]],
    [[5, 1], [], [5, 1]],
    [
      [0, 3],
      [1, 3],
      [0, 3],
    ],
  ])('broadcastShapes(%j, %j) = %j', (a, b, out) => {
    expect(broadcastShapes(a, b, 'f')).toEqual(out);
    expect(broadcastShapes(b, a, 'f')).toEqual(out);
  });

  it('broadcastShapes names both shapes and the offending dimension', () => {
    expect(() => broadcastShapes([2, 3], [4], 'add')).toThrow(
      /add: shapes \[2, 3\] and \[4\] cannot be broadcast \(dimension -1 is 3 vs 4; expected equal sizes or 1\)/,
    );
  });

  it('broadcastStrides gives stride 0 on broadcast and missing leading axes', () => {
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(broadcastStrides([2, 3, 4], [2, 3, 4])).toEqual([12, 4, 1]);
    expect(broadcastStrides([], [2, 2])).toEqual([0, 0]);
    // a size-1 axis that stays size 1 keeps its (irrelevant) stride
    expect(broadcastStrides([1, 4], [1, 4])).toEqual([4, 1]);
  });
});

describe('resolveReshape', () => {
  it('passes a full shape through and infers one -1', () => {
    expect(resolveReshape([2, 3, 4], [6, 4], 'reshape')).toEqual([6, 4]);
    expect(resolveReshape([2, 3, 4], [-1, 4], 'reshape')).toEqual([6, 4]);
    expect(resolveReshape([2, 3, 4], [2, -1, 3], 'reshape')).toEqual([2, 4, 3]);
    expect(resolveReshape([0, 3], [-1, 3], 'reshape')).toEqual([0, 3]);
    expect(resolveReshape([], [1, 1], 'reshape')).toEqual([1, 1]);
  });

  it('rejects a size mismatch showing expected and given sizes', () => {
    expect(() => resolveReshape([2, 3], [4, 2], 'reshape')).toThrow(
      /reshape: shape \[4, 2\] has 8 elements, expected 6 to match input shape \[2, 3\]/,
    );
    expect(() => resolveReshape([2, 3], [4, -1], 'reshape')).toThrow(/shape \[4, -1\] is invalid for input of size 6/);
  });

  it.each([[[-1, -1]], [[2, -2]], [[1.5, 4]], [[NaN]]])('rejects %j', (to) => {
    expect(() => resolveReshape([2, 3], to, 'reshape')).toThrow(
      /reshape: shape must contain non-negative integers and at most one -1, got \[/,
    );
  });

  it('rejects -1 next to a 0 (the inferred size would be ambiguous)', () => {
    expect(() => resolveReshape([0, 3], [0, -1], 'reshape')).toThrow(/invalid for input of size 0/);
  });
});
