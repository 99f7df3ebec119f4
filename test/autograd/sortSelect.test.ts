/**
 * Selection along an axis (src/autograd/ops/sortSelect.ts): argmax/argmin, max/min with a dim,
 * topk and sort. Values, int32 indices and value gradients against PyTorch
 * (the selection cases of test/fixtures/math_ops.py), a float64 reference sort written here,
 * gradcheck, torch's NaN and tie order, the max/amax migration, and errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

type Params = {
  dim?: number;
  keepDim?: boolean;
  k?: number;
  largest?: boolean;
  descending?: boolean;
};
type Selection = { values: Tensor | null; indices: Tensor };

const OPS: Record<string, (x: Tensor, p: Params) => Selection> = {
  argmax: (x, p) => ({ values: null, indices: x.argmax(p.dim, p.keepDim) }),
  argmin: (x, p) => ({ values: null, indices: x.argmin(p.dim, p.keepDim) }),
  maxDim: (x, p) => x.max(p.dim!, p.keepDim),
  minDim: (x, p) => x.min(p.dim!, p.keepDim),
  topk: (x, p) => x.topk(p.k!, p.dim, { largest: p.largest }),
  sort: (x, p) => x.sort(p.dim, { descending: p.descending }),
};

interface SelectionCase {
  op: string;
  inputs: FixtureTensor[];
  params: Params;
  w?: FixtureTensor;
  out?: FixtureTensor;
  grads?: (FixtureTensor | null)[];
  indices: FixtureTensor;
}

const cases = Object.entries(loadFixture('math_ops') as Record<string, SelectionCase>).filter(([, c]) => c.op in OPS);
const bits = (v: ArrayLike<number>): string[] => Array.from(v, (e) => (Object.is(e, -0) ? '-0' : String(e)));

describe('against PyTorch (selection cases of test/fixtures/math_ops.py)', () => {
  it('has the cases', () => expect(cases.length).toBeGreaterThan(25));

  it.each(cases)('%s', (_, c) => {
    const input = c.inputs[0]!;
    const x = tensor(input.data, input.shape, { dtype: 'float64', requiresGrad: true });
    const { values, indices } = OPS[c.op]!(x, c.params);
    expect(indices.dtype).toBe('int32');
    expect(indices.shape).toEqual(c.indices.shape);
    expect(Array.from(indices.data)).toEqual(Array.from(c.indices.data));
    if (values === null) return;
    // selections copy elements: bit for bit, the sign of zero included
    expect(values.shape).toEqual(c.out!.shape);
    expect(bits(values.data)).toEqual(bits(c.out!.data));
    values
      .mul(tensor(c.w!.data, c.w!.shape, { dtype: 'float64' }))
      .sum()
      .backward();
    expectClose(x.grad!.data, c.grads![0]!.data, { rtol: 0, atol: 0 }, 'gradient');
  });
});

describe('a float64 reference written here', () => {
  it('property: a stable sort equals a stable reference sort; sort and topk give its values', () => {
    const arb = fc.record({
      rows: fc.integer({ min: 1, max: 4 }),
      n: fc.integer({ min: 1, max: 40 }),
      seed: fc.nat(),
      descending: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ rows, n, seed, descending }) => {
        // values from a small set, so ties are common
        const x = randomTensor([rows, n], seed, { requiresGrad: false }).mul(2).round();
        const stable = x.sort(-1, { descending, stable: true });
        const unstable = x.sort(-1, { descending });
        const k = Math.max(1, n >> 1);
        const top = x.topk(k, -1, { largest: descending });
        for (let r = 0; r < rows; r++) {
          const line = Array.from(x.data.subarray(r * n, (r + 1) * n));
          const byValue = (a: number, b: number): number => (descending ? line[b]! - line[a]! : line[a]! - line[b]!);
          const order = line.map((_, i) => i).sort((a, b) => byValue(a, b) || a - b);
          const row = (t: Tensor, len: number): number[] => Array.from(t.data.subarray(r * len, (r + 1) * len));
          // -0 and 0 are ties: which of them comes first is the tie order, so compare them as 0
          const line0 = line.map((v) => v + 0);
          expect(row(stable.indices, n)).toEqual(order);
          expect(row(stable.values, n)).toEqual(order.map((i) => line[i]));
          // ties in torch's order (test/autograd/sortTies.test.ts): the same values, each index at its value
          expect(row(unstable.values, n).map((v) => v + 0)).toEqual(order.map((i) => line0[i]));
          expect(row(unstable.indices, n).map((i) => line[i])).toEqual(row(unstable.values, n));
          expect([...row(unstable.indices, n)].sort((a, b) => a - b)).toEqual(line.map((_, i) => i));
          expect(row(top.values, k).map((v) => v + 0)).toEqual(order.slice(0, k).map((i) => line0[i]));
          expect(row(top.indices, k).map((i) => line[i])).toEqual(row(top.values, k));
          expect(new Set(row(top.indices, k)).size).toBe(k);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('gradients', () => {
  const x = (): Tensor => randomTensor([3, 4, 5], 201); // distinct values: no ties
  it.each([
    ['max along 1', (t: Tensor) => t.max(1).values],
    ['min along -1 keepDim', (t: Tensor) => t.min(-1, true).values],
    ['topk 2 along -1', (t: Tensor) => t.topk(2).values],
    ['topk 3 smallest along 0', (t: Tensor) => t.topk(3, 0, { largest: false }).values],
    ['sort along 1 descending', (t: Tensor) => t.sort(1, { descending: true }).values],
  ])('gradcheck: %s', (_, f) => {
    expectGradcheck((t) => f(t!), [x()]);
  });

  it('max(dim) sends the whole gradient to the first maximum; amax shares it among ties', () => {
    const t = tensor([[1, 3, 3]], undefined, { requiresGrad: true });
    t.max(1).values.sum().backward();
    expect(t.grad!.toArray()).toEqual([[0, 1, 0]]);
    const u = tensor([[1, 3, 3]], undefined, { requiresGrad: true });
    u.amax(1).sum().backward();
    expect(u.grad!.toArray()).toEqual([[0, 0.5, 0.5]]);
  });

  it('indices carry no gradient; inputs are unchanged', () => {
    const t = x();
    expect(t.sort().indices.requiresGrad).toBe(false);
    expectInputsUnchanged([t], () => {
      t.sort(0).values.sum().backward();
      t.topk(2, 1).values.sum().backward();
      t.max(2).values.sum().backward();
      t.argmax(1);
    });
  });
});

describe('the max/min migration: max() and max(axes[]) are still amax', () => {
  it('max() reduces everything to a 0-d tensor, max([axes]) reduces those axes, max(dim) selects', () => {
    const t = tensor([
      [1, 5],
      [7, 2],
    ]);
    expect(t.max().item()).toBe(7);
    expect(t.min().item()).toBe(1);
    expect(t.max([1]).toArray()).toEqual([5, 7]);
    expect(t.min([0], true).toArray()).toEqual([[1, 2]]);
    const { values, indices } = t.max(1);
    expect([values.toArray(), indices.toArray(), indices.dtype]).toEqual([[5, 7], [1, 0], 'int32']);
  });

  it("the result also destructures like torch's (values, indices) tuple", () => {
    const [v, i] = tensor([3, 1, 2]).sort();
    expect([v!.toArray(), i!.toArray()]).toEqual([
      [1, 2, 3],
      [1, 2, 0],
    ]);
    const [mv, mi] = tensor([[1, 5]]).max(1);
    expect([mv!.toArray(), mi!.toArray()]).toEqual([[5], [1]]);
  });
});

describe('edge cases and errors', () => {
  it('a 0-d tensor: argmax is 0, max(0) is itself, sort and topk(1) keep it', () => {
    const s = tensor(2.5);
    const m = s.max(0);
    expect([s.argmax().item(), s.argmax(0).item(), m.values.item(), m.indices.item()]).toEqual([0, 0, 2.5, 0]);
    expect([s.sort().values.shape, s.topk(1).indices.item()]).toEqual([[], 0]);
  });

  it('empty lines: sort and topk(0) give empty results, max over a non-empty dim of an empty tensor is empty', () => {
    expect(tensor([], [2, 0]).sort(1).values.shape).toEqual([2, 0]);
    expect(tensor([1, 2, 3]).topk(0).values.shape).toEqual([0]);
    expect(tensor([], [0, 2]).max(1).values.shape).toEqual([0]);
  });

  it.each([
    [
      'argmax of an empty tensor without dim',
      () => tensor([]).argmax(),
      /argmax: cannot take the argmax of an empty tensor without a dim \(input shape \[0\]\)/,
    ],
    [
      'max over an empty dim',
      () => tensor([], [2, 0]).max(1),
      /max: cannot reduce over dim 1 of size 0 \(input shape \[2, 0\]\)/,
    ],
    [
      'argmin with a bad dim',
      () => tensor([1, 2]).argmin(1),
      /argmin: dim must be an integer in \[-1, 0\] for a tensor of rank 1, got 1/,
    ],
    [
      'topk with k too large',
      () => tensor([1, 2, 3]).topk(4),
      /topk: k must be an integer in \[0, 3\] \(the size of dim -1\), got 4/,
    ],
    ['topk with a negative k', () => tensor([1, 2, 3]).topk(-1), /topk: k must be an integer in \[0, 3\].*got -1/],
    [
      'sort with a bad dim',
      () => tensor([[1]]).sort(2),
      /sort: dim must be an integer in \[-2, 1\] for a tensor of rank 2, got 2/,
    ],
    [
      'sort with a non-number dim',
      () => tensor([1]).sort('0' as unknown as number),
      /sort: dim must be an axis \(a number\), got 0/,
    ],
  ])('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });
});

describe('dtypes', () => {
  it('int32 and bool tensors sort, select and arg-reduce in their own dtype', () => {
    const i = tensor([3, 1, 2, 1], undefined, { dtype: 'int32' });
    const s = i.sort();
    expect([s.values.dtype, Array.from(s.values.data), Array.from(s.indices.data)]).toEqual([
      'int32',
      [1, 1, 2, 3],
      [1, 3, 2, 0],
    ]);
    expect([i.argmax().item(), i.argmin().item(), i.max(0).values.dtype]).toEqual([0, 1, 'int32']);
    expect(Array.from(i.topk(2).values.data)).toEqual([3, 2]);
    const b = tensor([0, 1, 1], undefined, { dtype: 'bool' });
    expect([b.argmax().item(), b.sort(0, { descending: true }).values.dtype]).toEqual([1, 'bool']);
  });
});
