/**
 * Gradient access (src/autograd/hooks.ts, src/layers/hooks.ts): tensor hooks, retainGrad, and the
 * module forward / forward-pre / full-backward hooks run by `Module.call`, against torch
 * (test/fixtures/views.py's `hooks`) and against gradients written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { nn, tensor, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';

const hooks = loadFixture('views')['hooks'] as Record<string, Record<string, FixtureTensor>>;
const fromFixture = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(Array.from(t.data), t.shape, { requiresGrad });
// float32 through a few ops (tanh, a 3-term matmul) in a different order from torch: a few ulps
const tol = { rtol: 1e-5, atol: 1e-6 };

describe('tensor hooks and retainGrad (fixture)', () => {
  it('a non-leaf hook replaces the gradient that flows on, and retainGrad keeps the hooked one', () => {
    const c = hooks['tensor']!;
    const x = fromFixture(c['x']!, true);
    const h = x.tanh();
    h.retainGrad();
    h.registerHook((g) => g.mul(2));
    h.mul(h).sum().backward();
    expectClose(h.grad!, c['hgrad']!.data, tol);
    expectClose(x.grad!, c['xgrad']!.data, tol);
  });

  it('a leaf hook runs before accumulation into .grad', () => {
    const c = hooks['leaf']!;
    const x = fromFixture(c['x']!, true);
    x.registerHook((g) => g.add(1));
    x.mul(3).sum().backward();
    expectClose(x.grad!, c['xgrad']!.data, { rtol: 0, atol: 0 }); // 3 + 1, exact
  });

  it('retained gradients accumulate over backward calls, like .grad of a leaf', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const h = x.mul(1);
    h.retainGrad();
    const y = h.mul(2).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(h.grad!.toArray()).toEqual([4, 4]);
    expect(x.grad!.toArray()).toEqual([4, 4]);
  });

  it('retainGrad survives an in-place op (it follows the tensor, like torch)', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const h = x.mul(1);
    h.retainGrad();
    h.mul_(3);
    h.sum().backward();
    expect(h.grad!.toArray()).toEqual([1, 1]);
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  it('hooks run in registration order; remove() unregisters; a hook that returns nothing only observes', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const seen: string[] = [];
    x.registerHook((g) => void seen.push(`a${g.toArray()}`));
    const hb = x.registerHook((g) => {
      seen.push('b');
      return g.mul(10);
    });
    x.registerHook((g) => void seen.push(`c${g.toArray()}`));
    x.sum().backward();
    expect(seen).toEqual(['a1,1', 'b', 'c10,10']);
    expect(x.grad!.toArray()).toEqual([10, 10]);
    hb.remove();
    hb.remove(); // harmless twice
    x.grad = null;
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
  });

  it('a hook on the root sees the seed', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = x.mul(2);
    y.registerHook((g) => g.mul(tensor([1, 0])));
    y.backward(tensor([5, 5]));
    expect(x.grad!.toArray()).toEqual([10, 0]);
  });

  it('errors: no grad, not a function, a wrong shape', () => {
    expect(() => tensor([1]).registerHook((g) => g)).toThrow(
      "registerHook: cannot register a hook on a tensor that doesn't require gradient",
    );
    expect(() => tensor([1]).retainGrad()).toThrow(
      "retainGrad: can't retain_grad on Tensor that has requiresGrad=false",
    );
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    expect(() => x.registerHook(3 as never)).toThrow('registerHook: fn must be a function, got number');
    x.registerHook(() => tensor([1, 2, 3]));
    expect(() => x.sum().backward()).toThrow('backward: a hook returned a gradient of shape [3], expected [2]');
  });

  it('retainGrad on a leaf is a no-op', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    x.retainGrad();
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
  });
});

describe('module hooks (fixture: Linear with pre-, forward and full backward hooks)', () => {
  it('match torch: the output, gradInput, gradOutput and the replaced input gradient', () => {
    const c = hooks['module']!;
    const lin = new nn.Linear(3, 2);
    lin.weight.data.set(c['weight']!.data);
    lin.bias!.data.set(c['bias']!.data);
    let gin: Tensor | null = null;
    let gout: Tensor | null = null;
    lin.registerFullBackwardHook((m, gradInput, gradOutput) => {
      expect(m).toBe(lin);
      gin = gradInput[0]!;
      gout = gradOutput[0]!;
      return [gradInput[0]!.mul(10)];
    });
    lin.registerForwardPreHook((_m, inputs) => [(inputs[0] as Tensor).mul(2)]);
    lin.registerForwardHook((_m, _inputs, out) => out.add(1));
    const x = fromFixture(c['x']!, true);
    const y = lin.call(x);
    expectClose(y, c['y']!.data, tol);
    y.mul(y).sum().backward();
    expectClose(gin!, c['gin']!.data, tol);
    expectClose(gout!, c['gout']!.data, tol);
    expectClose(x.grad!, c['xgrad']!.data, tol);
    expectClose(lin.weight.grad!, c['wgrad']!.data, tol);
  });

  it('forward() skips the hooks, call() runs them; Sequential calls children through call()', () => {
    const lin = new nn.Linear(2, 2);
    const seen: string[] = [];
    const h = lin.registerForwardHook(() => void seen.push('fwd'));
    lin.forward(tensor([[1, 2]]));
    expect(seen).toEqual([]);
    new nn.Sequential(lin, new nn.ReLU()).call(tensor([[1, 2]]));
    expect(seen).toEqual(['fwd']);
    h.remove();
    lin.call(tensor([[1, 2]]));
    expect(seen).toEqual(['fwd']);
  });

  it('a pre-hook may return one tensor; hooks see the inputs after pre-hooks', () => {
    const lin = new nn.Linear(2, 1, { bias: false });
    lin.weight.data.set([1, 1]);
    lin.registerForwardPreHook(() => tensor([[3, 4]]));
    let seenInput: unknown = null;
    lin.registerForwardHook((_m, inputs) => void (seenInput = inputs[0]));
    expect(lin.call(tensor([[1, 2]])).toArray()).toEqual([[7]]);
    expect((seenInput as Tensor).toArray()).toEqual([[3, 4]]);
  });

  it('a full backward hook on a first layer sees gradInput [null] and the output gradient', () => {
    const lin = new nn.Linear(2, 1);
    const calls: [(Tensor | null)[], (Tensor | null)[]][] = [];
    lin.registerFullBackwardHook((_m, gi, go) => void calls.push([gi, go]));
    lin
      .call(tensor([[1, 2]]))
      .mul(3)
      .sum()
      .backward();
    expect(calls.length).toBe(1);
    expect(calls[0]![0]).toEqual([null]);
    expect(calls[0]![1][0]!.toArray()).toEqual([[3]]);
  });

  it('full backward hooks reject modules with several inputs that require grad', () => {
    class Pair extends nn.Module {
      forward(a: Tensor, b: Tensor): Tensor {
        return a.mul(b);
      }
    }
    const m = new Pair();
    m.registerFullBackwardHook(() => undefined);
    const a = tensor([1], undefined, { requiresGrad: true });
    expect(() => m.call(a, a)).toThrow(
      'Pair.registerFullBackwardHook: full backward hooks support modules with at most one input that requires grad, ' +
        'got 2',
    );
    expect(() => m.registerForwardHook(null as never)).toThrow(
      'registerForwardHook: hook must be a function, got object',
    );
  });
});
