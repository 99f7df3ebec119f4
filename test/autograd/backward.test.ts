/**
 * The reverse walk (src/autograd/backward.ts): accumulation, leaves and non-leaves, shared inputs,
 * deep graphs, freed graphs and retainGraph, and the errors of backward().
 */
import { describe, expect, it } from 'vitest';
import { noGrad, tensor, type Tensor } from '../../src/index.js';
import { sumToShape } from '../../src/autograd/backward.js';
import { expectClose } from '../helpers.js';
import { randomTensor } from './fixtures.js';

const leaf = (values: number[]) => tensor(values, undefined, { requiresGrad: true });

describe('gradients', () => {
  it('accumulate into .grad across backward calls', () => {
    const x = leaf([1, 2, 3]);
    x.mul(2).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 2, 2]);
    x.mul(3).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([5, 5, 5]);
  });

  it('a tensor used twice gets the sum of both paths', () => {
    const x = leaf([1, 2, 3]);
    x.mul(x).sum().backward(); // d(x^2)/dx = 2x
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
    const y = leaf([1, 2]);
    y.add(y).add(y).sum().backward();
    expect(Array.from(y.grad!.data)).toEqual([3, 3]);
  });

  it('a diamond (one intermediate feeding two branches) sums at the fork', () => {
    const x = leaf([0.5, -1]);
    const h = x.mul(2);
    h.add(h.exp()).sum().backward(); // d/dx [2x + e^(2x)] = 2 + 2 e^(2x)
    expectClose(
      x.grad!,
      [0.5, -1].map((v) => 2 + 2 * Math.exp(2 * v)),
      { rtol: 1e-6 },
      'diamond',
    ); // float32 exp and products
  });

  it('flow only to inputs that require grad', () => {
    const x = leaf([1, 2]);
    const c = tensor([3, 4]);
    x.mul(c).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 4]);
    expect(c.grad).toBeNull();
  });

  it('use the explicit upstream gradient, which backward does not modify or alias', () => {
    const x = leaf([1, 2, 3]);
    const g = tensor([1, 10, 100]);
    x.mul(2).backward(g);
    expect(Array.from(x.grad!.data)).toEqual([2, 20, 200]);
    const y = leaf([0, 0]);
    const gy = tensor([1, 2]);
    y.backward(gy); // backward on a leaf: its grad is a copy of gy
    y.backward(gy);
    expect(Array.from(y.grad!.data)).toEqual([2, 4]);
    expect(Array.from(gy.data)).toEqual([1, 2]);
    expect(Array.from(g.data)).toEqual([1, 10, 100]);
  });

  it('keep the dtype of the leaf, even through float64 ops', () => {
    const x = leaf([1, 2]);
    x.to('float64').mul(3).sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(Array.from(x.grad!.data)).toEqual([3, 3]);
  });

  it('are plain tensors: backward records no graph', () => {
    const x = leaf([1, 2]);
    x.mul(x).sum().backward();
    expect(x.grad!.requiresGrad).toBe(false);
    expect(x.grad!.gradFn).toBeNull();
  });

  it('a one-element output of any rank seeds with 1', () => {
    const x = leaf([2]);
    x.reshape([1, 1]).mul(5).backward();
    expect(x.grad!.item()).toBe(5);
  });
});

describe('leaves, non-leaves and requiresGrad', () => {
  it('propagates requiresGrad from any input and records the op', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    const x = leaf([5, 6]);
    const plain = a.add(b);
    expect([plain.requiresGrad, plain.gradFn, plain.isLeaf]).toEqual([false, null, true]);
    const tracked = a.add(x);
    expect([tracked.requiresGrad, tracked.gradFn?.name, tracked.isLeaf]).toEqual([true, 'add', false]);
    expect(tracked.mul(b).sum().requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
  });

  it('non-leaf tensors keep .grad null after backward', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    const z = y.exp();
    z.sum().backward();
    expect(y.grad).toBeNull();
    expect(z.grad).toBeNull();
    expect(x.grad).not.toBeNull();
  });

  it('requiresGrad_ switches a leaf and refuses a non-leaf, naming its op', () => {
    const x = tensor([1]);
    expect(x.requiresGrad_()).toBe(x);
    expect(x.requiresGrad).toBe(true);
    expect(() => x.mul(2).requiresGrad_(false)).toThrow(
      /requiresGrad_: only leaf tensors can change requiresGrad; this tensor was made by 'mul'/,
    );
  });
});

describe('graphs', () => {
  it('a chain of 100,000 ops runs backward without overflowing the stack', () => {
    const x = leaf([1, 2]);
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(1);
    y.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 1]);
  });

  it('backward twice through a freed graph throws a clear error', () => {
    const x = leaf([1, 2]);
    const z = x.mul(x).sum();
    z.backward();
    expect(() => z.backward()).toThrow(
      /backward: trying to backward through the graph a second time \(op 'sum'\).*retainGraph: true/,
    );
  });

  it('with { retainGraph: true } the graph can be walked again and the gradients add up', () => {
    const x = leaf([1, 2]);
    const z = x.mul(x).sum();
    z.backward(undefined, { retainGraph: true });
    z.backward(undefined, { retainGraph: true });
    expect(Array.from(x.grad!.data)).toEqual([4, 8]);
    z.backward(); // frees it
    expect(Array.from(x.grad!.data)).toEqual([6, 12]);
    expect(() => z.backward()).toThrow(/second time/);
  });
});

describe('errors', () => {
  it('backward on a non-scalar without a gradient names the needed shape', () => {
    const y = randomTensor([2, 3], 1).mul(2);
    expect(() => y.backward()).toThrow(
      /backward: grad can be implicitly created only for outputs with one element; expected a grad tensor of shape \[2, 3\], got none/,
    );
  });

  it('a gradient of the wrong shape is rejected, showing both shapes', () => {
    const y = randomTensor([2, 3], 1).mul(2);
    expect(() => y.backward(tensor([1, 2, 3, 4, 5, 6], [3, 2]))).toThrow(
      /backward: grad must have the output's shape \[2, 3\], got \[3, 2\]/,
    );
  });

  it('backward on a tensor outside any graph says why', () => {
    expect(() => tensor([1]).backward()).toThrow(/backward: this tensor does not require grad/);
    const x = leaf([1]);
    expect(() => noGrad(() => x.mul(2)).backward()).toThrow(/does not require grad.*noGrad/);
  });
});

describe('sumToShape', () => {
  it('sums over leading axes and over axes where the target has size 1', () => {
    const g = tensor(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    // g[n, m, k] = 12n + 4m + k; to [3, 1] sums over n and k: 8 * 4m + 4 * (0 + 12) + 2 * (0 + 1 + 2 + 3)
    expect(Array.from(sumToShape(g, [3, 1]).data)).toEqual([0, 1, 2].map((m) => 32 * m + 48 + 12));
    expect(sumToShape(g, []).item()).toBe(276);
    expect(sumToShape(g, [2, 3, 4])).toBe(g);
    expect(sumToShape(g, [1, 1, 4]).shape).toEqual([1, 1, 4]);
  });
});

describe('backward checks its grad argument', () => {
  it('throws naming the expected shape when grad is not a Tensor', () => {
    const y = tensor([1, 2], undefined, { requiresGrad: true }).mul(2);
    expect(() => y.backward([1, 1] as unknown as Tensor)).toThrow(
      'backward: grad must be a Tensor of shape [2], got [1, 1] (array)',
    );
  });
});
