/**
 * Shape operations (src/autograd/ops/shape.ts): forward against index arithmetic written here,
 * gradients by gradcheck, round-trip properties, and the errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, tensor, zeros, type Tensor } from '../../src/index.js';
import { permutationArb, shapeArb } from '../tensor/arbitraries.js';
import { broadcastSource, numel, refPermute, unravel } from '../tensor/reference.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

const x234 = () => randomTensor([2, 3, 4], 51);

describe('reshape', () => {
  it('keeps the row-major order and infers one -1', () => {
    const x = arange(24).reshape([2, 3, 4]);
    expect(x.reshape([6, -1]).shape).toEqual([6, 4]);
    expect(x.reshape([-1]).toArray()).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(x.reshape([4, 6]).toArray()).toEqual(
      Array.from({ length: 4 }, (_, r) => Array.from({ length: 6 }, (_, c) => r * 6 + c)),
    );
    expect(tensor(5).reshape([1, 1]).shape).toEqual([1, 1]);
    expect(tensor([5]).reshape([]).shape).toEqual([]);
  });

  it('shares storage with its input (no copy)', () => {
    const x = x234();
    expect(x.reshape([6, 4]).data).toBe(x.data);
  });

  it('gradcheck', () => {
    expectGradcheck((t) => t!.reshape([4, -1]).mul(t!.reshape([4, 6])), [x234()]);
  });

  it('rejects a wrong size, two -1s and non-integers, naming the shapes', () => {
    const x = x234();
    expect(() => x.reshape([5, 5])).toThrow(
      /reshape: shape \[5, 5\] has 25 elements, expected 24 to match input shape \[2, 3, 4\]/,
    );
    expect(() => x.reshape([5, -1])).toThrow(
      /reshape: shape \[5, -1\] is invalid for input of size 24 \(shape \[2, 3, 4\]\)/,
    );
    expect(() => x.reshape([-1, -1])).toThrow(
      /reshape: shape must contain non-negative integers and at most one -1, got \[-1, -1\]/,
    );
    expect(() => x.reshape([2.5, 4])).toThrow(/reshape: shape .*got \[2\.5, 4\]/);
    expect(() => x.reshape(24 as unknown as number[])).toThrow(/reshape: shape must be an array of integers, got 24/);
  });

  it('property: reshape to a random compatible shape and back restores shape and data', () => {
    const arb = shapeArb().chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        // distribute the dims of `shape` over a new rank by assigning each to a target axis
        targets: fc.array(fc.nat(), { minLength: shape.length, maxLength: shape.length }),
        rank: fc.integer({ min: 0, max: 5 }),
        infer: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(arb, ({ shape, targets, rank, infer }) => {
        const newRank = numel(shape) === 1 ? rank : Math.max(rank, 1);
        const target = new Array<number>(newRank).fill(1);
        shape.forEach((d, i) => (target[targets[i]! % newRank] *= d));
        if (infer && newRank > 0) target[(targets[0] ?? 0) % newRank] = -1;
        const x = randomTensor(shape, 52);
        const y = x.reshape(target);
        expect(numel(y.shape)).toBe(numel(shape));
        const back = y.reshape(shape);
        expect(back.shape).toEqual(shape);
        expect(Array.from(back.data)).toEqual(Array.from(x.data));
      }),
      { numRuns: 100 },
    );
  });
});

describe('permute and transpose', () => {
  it('permute moves axes: output axis i is input axis p[i]', () => {
    const x = x234();
    const ref = refPermute([...x.data], x.shape, [2, 0, 1]);
    const y = x.permute([2, 0, 1]);
    expect(y.shape).toEqual(ref.shape);
    expect(Array.from(y.data)).toEqual(ref.data);
    expect(Array.from(x.permute([-1, 0, -2]).data)).toEqual(ref.data); // negative axes
  });

  it('transpose swaps two axes, negative axes included', () => {
    const m = arange(6).reshape([2, 3]);
    expect(m.transpose(0, 1).toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    const x = x234();
    expect(Array.from(x.transpose(-1, 0).data)).toEqual(refPermute([...x.data], x.shape, [2, 1, 0]).data);
  });

  it('gradcheck', () => {
    expectGradcheck((t) => t!.permute([2, 0, 1]), [x234()]);
    expectGradcheck((t) => t!.transpose(0, 2).mul(t!.permute([2, 1, 0])), [x234()]);
  });

  it('property: permute matches the reference, and permuting by p then by inverse(p) is the identity', () => {
    const arb = shapeArb().chain((shape) => fc.record({ shape: fc.constant(shape), p: permutationArb(shape.length) }));
    fc.assert(
      fc.property(arb, ({ shape, p }) => {
        const x = randomTensor(shape, 53);
        const y = x.permute(p);
        expect(Array.from(y.data)).toEqual(refPermute([...x.data], shape, p).data);
        const inverse = new Array<number>(p.length);
        p.forEach((a, i) => (inverse[a] = i));
        const back = y.permute(inverse);
        expect(back.shape).toEqual(shape);
        expect(Array.from(back.data)).toEqual(Array.from(x.data));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a non-permutation and a wrong length, showing the axes given', () => {
    const x = x234();
    expect(() => x.permute([0, 0, 1])).toThrow(/permute: axes must be a permutation of 0\.\.2, got \[0, 0, 1\]/);
    expect(() => x.permute([0, -3, 1])).toThrow(/permute: axes must be a permutation of 0\.\.2, got \[0, -3, 1\]/);
    expect(() => x.permute([1, 0])).toThrow(/permute: axes must list each of the 3 axes once, got \[1, ?0\]/);
    expect(() => x.permute([0, 1, 3])).toThrow(
      /permute: axes must be an integer in \[-3, 2\] for a tensor of rank 3, got 3/,
    );
    expect(() => x.transpose(0, 3)).toThrow(/transpose: b must be an integer in \[-3, 2\].*got 3/);
  });
});

describe('flatten, unsqueeze, squeeze', () => {
  it('flatten merges start..end inclusive', () => {
    const x = randomTensor([2, 3, 4, 5], 54);
    expect(x.flatten().shape).toEqual([120]);
    expect(x.flatten(1).shape).toEqual([2, 60]);
    expect(x.flatten(1, 2).shape).toEqual([2, 12, 5]);
    expect(x.flatten(-2, -1).shape).toEqual([2, 3, 20]);
    expect(x.flatten(2, 2).shape).toEqual([2, 3, 4, 5]);
    expect(tensor(1).flatten().shape).toEqual([1]); // like torch.flatten of a 0-d tensor
    expect(Array.from(x.flatten(1, 2).data)).toEqual(Array.from(x.data));
  });

  it('flatten rejects start after end and out-of-range axes', () => {
    const x = x234();
    expect(() => x.flatten(2, 1)).toThrow(/flatten: start \(2\) must not come after end \(1\) for a tensor of rank 3/);
    expect(() => x.flatten(0, 3)).toThrow(/flatten: end must be an integer in \[-3, 2\].*got 3/);
  });

  it('unsqueeze inserts a size-1 axis at positions -ndim-1..ndim', () => {
    const x = x234();
    expect(x.unsqueeze(0).shape).toEqual([1, 2, 3, 4]);
    expect(x.unsqueeze(3).shape).toEqual([2, 3, 4, 1]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 3, 4, 1]);
    expect(x.unsqueeze(-4).shape).toEqual([1, 2, 3, 4]);
    expect(() => x.unsqueeze(4)).toThrow(
      /unsqueeze: axis must be an integer in \[-4, 3\] for a tensor of rank 3, got 4/,
    );
    expect(() => x.unsqueeze(-5)).toThrow(/unsqueeze: axis .*\[-4, 3\].*got -5/);
    expect(() => x.unsqueeze(0.5)).toThrow(/unsqueeze: axis .*got 0\.5/);
    expect(tensor(1).unsqueeze(-1).shape).toEqual([1]);
  });

  it('squeeze removes all size-1 axes, or just the one given (a no-op if it is not 1)', () => {
    const x = randomTensor([1, 3, 1, 2], 55);
    expect(x.squeeze().shape).toEqual([3, 2]);
    expect(x.squeeze(2).shape).toEqual([1, 3, 2]);
    expect(x.squeeze(-4).shape).toEqual([3, 1, 2]);
    expect(x.squeeze(1)).toBe(x);
    expect(() => x.squeeze(4)).toThrow(/squeeze: axis must be an integer in \[-4, 3\].*got 4/);
  });

  it('gradcheck', () => {
    const x = randomTensor([1, 3, 1, 2], 56);
    expectGradcheck((t) => t!.flatten(1, 3), [x]);
    expectGradcheck((t) => t!.squeeze().unsqueeze(1), [x]);
    expectGradcheck((t) => t!.squeeze(2).mul(t!.squeeze(0).unsqueeze(0).squeeze(2)), [x]);
  });
});

describe('expand', () => {
  it('repeats size-1 axes and adds leading axes; -1 keeps a size', () => {
    const x = randomTensor([3, 1], 57);
    const y = x.expand([2, 3, 4]);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(Array.from(y.data)).toEqual(
      Array.from({ length: 24 }, (_, i) => x.data[broadcastSource(unravel(i, [2, 3, 4]), [3, 1])]),
    );
    expect(x.expand([-1, 5]).shape).toEqual([3, 5]);
    expect(tensor(7).expand([2, 2]).toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
  });

  it('gradcheck: the gradient sums over the expanded axes', () => {
    expectGradcheck((t) => t!.expand([2, 3, 4]), [randomTensor([3, 1], 58)]);
    const x = tensor([[1], [2]], undefined, { requiresGrad: true });
    x.expand([3, 2, 5]).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([15, 15]);
  });

  it('rejects a size that is neither equal nor expanded from 1, fewer axes, and -1 on a new axis', () => {
    const x = randomTensor([3, 1], 59);
    expect(() => x.expand([4, 2])).toThrow(
      /expand: cannot expand shape \[3, 1\] to \[4, 2\] \(each size must match or be 1\)/,
    );
    expect(() => x.expand([3])).toThrow(/expand: cannot expand shape \[3, 1\] to \[3\]/);
    expect(() => x.expand([-1, 3, 1])).toThrow(/expand: cannot expand shape \[3, 1\] to \[-1, 3, 1\]/);
  });
});

describe('inputs are never mutated', () => {
  it.each([
    ['reshape', (t: Tensor) => t.reshape([4, 6])],
    ['permute', (t: Tensor) => t.permute([1, 2, 0])],
    ['transpose', (t: Tensor) => t.transpose(0, 1)],
    ['flatten', (t: Tensor) => t.flatten()],
    ['expand', (t: Tensor) => t.unsqueeze(0).expand([3, 2, 3, 4])],
    ['squeeze', (t: Tensor) => t.unsqueeze(1).squeeze()],
  ])('%s, forward and backward', (_, op) => {
    const x = x234();
    expectInputsUnchanged([x], () => op(x).mul(2).sum().backward());
  });
});

describe('0-d tensors and empty tensors, like torch', () => {
  it('squeeze and transpose accept axis 0 and -1 on a 0-d tensor and reject others', () => {
    const s = tensor(3);
    expect([s.squeeze(0).shape, s.squeeze(-1).shape, s.transpose(0, -1).shape]).toEqual([[], [], []]);
    expect(() => s.squeeze(1)).toThrow(/squeeze: axis must be an integer in \[-1, 0\] for a tensor of rank 0, got 1/);
    expect(() => s.transpose(0, -2)).toThrow(
      /transpose: b must be an integer in \[-1, 0\] for a tensor of rank 0, got -2/,
    );
  });

  it('an empty tensor of any rank prints as [] with its size', () => {
    expect(zeros([2, 0]).toString()).toBe('tensor([], size=[2, 0])');
  });
});
