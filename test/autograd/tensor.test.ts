/**
 * The Tensor class (src/autograd/tensor.ts): properties, detach, clone, item, toArray, and the
 * constructor's checks.
 */
import { describe, expect, it } from 'vitest';
import { tensor, Tensor } from '../../src/index.js';

describe('Tensor', () => {
  it('exposes shape, ndim, size and dtype; the shape is frozen', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect([t.shape, t.ndim, t.size, t.dtype]).toEqual([[2, 3], 2, 6, 'float32']);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect([tensor(1).ndim, tensor(1).size]).toEqual([0, 1]);
  });

  it('the constructor wraps data without copying and checks its length and the shape', () => {
    const data = new Float32Array(6);
    expect(new Tensor(data, [2, 3]).data).toBe(data);
    expect(() => new Tensor(data, [4, 2])).toThrow(/Tensor: data has 6 elements, expected 8 for shape \[4, 2\]/);
    expect(() => new Tensor(data, [6, -1])).toThrow(
      /Tensor: shape must contain finite non-negative integers, got \[6, -1\]/,
    );
  });

  it('item() returns the value of a one-element tensor of any rank', () => {
    expect(tensor(2.5).item()).toBe(2.5);
    expect(tensor([[7]]).item()).toBe(7);
  });

  it('item() on several elements names the shape and count', () => {
    expect(() =>
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).item(),
    ).toThrow(/item: expected a tensor with exactly 1 element, got shape \[2, 3\] \(6 elements\)/);
    expect(() => tensor([]).item()).toThrow(/got shape \[0\] \(0 elements\)/);
  });

  it('toArray() nests by shape', () => {
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

describe('detach and clone', () => {
  it('detach() shares storage, requires no grad and has no gradFn', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = x.mul(3);
    const d = y.detach();
    expect(d.data).toBe(y.data);
    expect([d.requiresGrad, d.gradFn, d.isLeaf]).toEqual([false, null, true]);
  });

  it('detach() stops the gradient: only the attached path contributes', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    x.mul(x.detach()).sum().backward(); // d/dx [x * const] = const
    expect(Array.from(x.grad!.data)).toEqual([1, 2]);
  });

  it('clone() copies storage and leaves the graph', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const c = x.clone();
    expect(c.data).not.toBe(x.data);
    expect(Array.from(c.data)).toEqual([1, 2]);
    expect(c.requiresGrad).toBe(false);
    c.data[0] = 9;
    expect(x.data[0]).toBe(1);
  });
});
