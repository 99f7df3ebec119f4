/**
 * Joining, splitting and rearranging (src/autograd/ops/join.ts, reorder.ts): values and gradients
 * against PyTorch fixtures (test/fixtures/joining.py), gradcheck in float64, a float64 reference
 * written here for chunk's piece sizes and tril/triu, and the error cases.
 */
import { describe, expect, it } from 'vitest';
import { arange, cat, ones, stack, tensor, zeros, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

interface JoinCase {
  inputs: FixtureTensor[];
  args: Record<string, unknown>;
  outputs: FixtureTensor[];
  weights: FixtureTensor[];
  grads: FixtureTensor[];
}

const fixtures = loadFixture('joining') as Record<string, JoinCase>;
const toTensor = (f: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(f.data, f.shape, { dtype: 'float64', requiresGrad });

/** The op of each fixture case, called the way a typegrad user would. */
function run(name: string, xs: Tensor[], args: Record<string, unknown>): Tensor[] {
  const a = args as {
    dim: number;
    size: number | number[];
    chunks: number;
    sizes: number[];
    dims: number[];
    shifts: number | number[];
    k: number;
  };
  const op = name.split('_')[0]!;
  const x = xs[0]!;
  switch (op) {
    case 'cat':
      return [cat(xs, a.dim)];
    case 'stack':
      return [stack(xs, a.dim)];
    case 'split':
      return x.split(a.size, a.dim);
    case 'chunk':
      return x.chunk(a.chunks, a.dim);
    case 'unbind':
      return x.unbind(a.dim);
    case 'repeat':
      return [x.repeat(...a.sizes)];
    case 'flip':
      return [x.flip(a.dims)];
    case 'roll':
      return [x.roll(a.shifts, a.dims)];
    case 'tril':
      return [x.tril(a.k)];
    case 'triu':
      return [x.triu(a.k)];
  }
  throw new Error(`no op for fixture case ${name}`);
}

describe('against PyTorch (test/fixtures/joining.py)', () => {
  for (const [name, c] of Object.entries(fixtures)) {
    it(`${name}: outputs and the gradient of sum(out * w)`, () => {
      const xs = c.inputs.map((t) => toTensor(t, true));
      let outs: Tensor[] = [];
      expectInputsUnchanged(xs, () => (outs = run(name, xs, c.args)));
      expect(outs.length).toBe(c.outputs.length);
      // pure copies: float64 values equal exactly; gradients are sums of at most a few weights (1e-12)
      outs.forEach((o, k) => {
        expect([...o.shape]).toEqual(c.outputs[k]!.shape);
        expect(Array.from(o.data)).toEqual(Array.from(c.outputs[k]!.data));
      });
      const loss = outs.map((o, k) => o.mul(toTensor(c.weights[k]!)).sum()).reduce((p, q) => p.add(q));
      loss.backward();
      xs.forEach((x, k) => expectClose(x.grad!, c.grads[k]!.data, { atol: 1e-12, rtol: 1e-12 }, `${name} grad ${k}`));
    });
  }
});

describe('gradcheck (float64)', () => {
  const f64 = (shape: number[], seed: number) => randomTensor(shape, seed, { dtype: 'float64' });
  it('cat, stack', () => {
    expectGradcheck((a, b) => cat([a!, b!, a!], 1).tanh(), [f64([2, 3], 1), f64([2, 2], 2)]);
    expectGradcheck((a, b) => stack([a!, b!], 1).tanh(), [f64([2, 3], 3), f64([2, 3], 4)]);
  });
  it('split, chunk, unbind (pieces used unevenly)', () => {
    const splitUse = (x?: Tensor) => {
      const [p, q] = x!.split([1, 3], 1);
      return p!.mul(q!.sum(1, true)).tanh();
    };
    expectGradcheck(splitUse, [f64([2, 4], 5)]);
    expectGradcheck(
      (x) => {
        const cs = x!.chunk(3);
        return cs[0]!.mul(cs[2]!.exp()).sum(0);
      },
      [f64([5, 2], 6)],
    );
    expectGradcheck(
      (x) => {
        const [r0, , r2] = x!.unbind(0);
        return r0!.mul(r2!);
      },
      [f64([3, 4], 7)],
    );
  });
  it('repeat, flip, roll, tril, triu', () => {
    expectGradcheck((x) => x!.repeat(2, 1, 3).tanh(), [f64([2, 3], 8)]);
    expectGradcheck((x) => x!.flip([0, 1]).mul(x!), [f64([3, 2], 9)]);
    expectGradcheck((x) => x!.roll([1, -1], [0, 1]).mul(x!), [f64([3, 4], 10)]);
    expectGradcheck((x) => x!.roll(3).mul(x!), [f64([3, 2], 11)]);
    expectGradcheck((x) => x!.tril(-1).exp(), [f64([2, 3, 3], 12)]);
    expectGradcheck((x) => x!.triu(1).exp(), [f64([3, 4], 13)]);
  });
});

describe('semantics', () => {
  it('chunk: pieces of ceil(n / chunks), possibly fewer pieces (reference over n, chunks)', () => {
    for (let n = 0; n <= 13; n++) {
      for (let chunks = 1; chunks <= 7; chunks++) {
        const sizes = arange(n)
          .chunk(chunks)
          .map((c) => c.size);
        // reference: torch's rule written out
        const size = Math.ceil(n / chunks);
        const expected = n === 0 ? new Array<number>(chunks).fill(0) : [];
        for (let s = 0; n > 0 && s < n; s += size) expected.push(Math.min(size, n - s));
        expect(sizes, `n=${n} chunks=${chunks}`).toEqual(expected);
      }
    }
  });

  it('split, chunk and unbind pieces are views of the input, as in torch', () => {
    const x = randomTensor([4, 6], 22, { requiresGrad: false });
    for (const piece of [...x.split(2, 1), ...x.chunk(3), ...x.unbind(1)]) {
      expect(piece.base).toBe(x);
      expect(piece.storage).toBe(x.storage);
    }
    const [, second] = x.split([1, 3]);
    expect(second!.storageOffset()).toBe(6);
  });

  it('split pieces concatenate back to the input', () => {
    const x = randomTensor([4, 7], 20, { requiresGrad: false });
    expect(Array.from(cat(x.split(3, 1), 1).data)).toEqual(Array.from(x.data));
    expect(Array.from(cat(x.split([4, 0, 3], -1), 1).data)).toEqual(Array.from(x.data));
    expect(x.split(10, 1).map((p) => p.shape)).toEqual([[4, 7]]);
  });

  it('tril/triu against the definition, for every diagonal offset', () => {
    const x = randomTensor([2, 3, 5], 21, { requiresGrad: false });
    for (let k = -4; k <= 6; k++) {
      const lower = x.tril(k).data;
      const upper = x.triu(k).data;
      for (let f = 0; f < x.size; f++) {
        const i = Math.floor(f / 5) % 3;
        const j = f % 5;
        expect(lower[f]).toBe(j - i <= k ? x.data[f] : 0);
        expect(upper[f]).toBe(j - i >= k ? x.data[f] : 0);
      }
    }
  });

  it('cat promotes dtypes like torch (float64 wins) and sends each input its own dtype of gradient', () => {
    const a = ones([2], { requiresGrad: true });
    const b = ones([1], { dtype: 'float64', requiresGrad: true });
    const y = cat([a, b]);
    expect(y.dtype).toBe('float64');
    y.mul(tensor([1, 2, 3], undefined, { dtype: 'float64' }))
      .sum()
      .backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(Array.from(a.grad!.data)).toEqual([1, 2]);
    expect(Array.from(b.grad!.data)).toEqual([3]);
  });

  it('cat promotes int32 and bool like torch (bool < int32 < float32); index-free ops keep int dtypes', () => {
    const i = tensor([1, 2], undefined, { dtype: 'int32' });
    const b = tensor([true]);
    expect(cat([b, i]).dtype).toBe('int32');
    expect(cat([b, i]).toArray()).toEqual([1, 1, 2]);
    expect(cat([i, tensor([0.5])]).toArray()).toEqual([1, 2, 0.5]);
    expect(stack([b, b]).dtype).toBe('bool');
    expect(i.flip(0).dtype).toBe('int32');
    expect(i.repeat(2).toArray()).toEqual([1, 2, 1, 2]);
    expect(
      tensor([
        [true, true],
        [true, true],
      ])
        .tril()
        .toArray(),
    ).toEqual([
      [true, false],
      [true, true],
    ]);
  });

  it('roll without dims rolls the flattened tensor; flip with no dims copies', () => {
    expect(arange(6).reshape([2, 3]).roll(-2).toArray()).toEqual([
      [2, 3, 4],
      [5, 0, 1],
    ]);
    const x = arange(3);
    const f = x.flip([]);
    expect(f.data).not.toBe(x.data);
    expect(Array.from(f.data)).toEqual([0, 1, 2]);
  });
});

describe('split backward: the pieces write into one input gradient (placedGrad.ts)', () => {
  // x [3, 4, 12] split into 3 pieces of 4 along the last axis; loss = sum_k sum(piece_k * w_k), so
  // dx at piece k's place is w_k exactly (one product by 1 per element), and 0 where no piece is used.
  const shape = [3, 4, 12];
  const ws = [0, 1, 2].map((k) => randomTensor([3, 4, 4], 60 + k, { requiresGrad: false }));
  /** the reference: dx[i, j, 4k + c] = scale_k * w_k[i, j, c] (+ also[i, j, 4k + c]), in float64 */
  const reference = (scales: number[], also?: Tensor): number[] => {
    const out = new Array<number>(3 * 4 * 12).fill(0);
    for (let r = 0; r < 12; r++) {
      for (let k = 0; k < 3; k++) {
        // float32 products (a hook below scales by 3); an unused piece leaves +0
        for (let c = 0; c < 4; c++)
          out[r * 12 + 4 * k + c] = scales[k] ? Math.fround(scales[k] * ws[k]!.data[r * 4 + c]!) : 0;
      }
    }
    return also === undefined ? out : out.map((v, i) => Math.fround(v + also.data[i]!));
  };
  const lossOf = (pieces: Tensor[], used = [0, 1, 2]): Tensor =>
    used.map((k) => pieces[k]!.mul(ws[k]!).sum()).reduce((a, b) => a.add(b));

  it('every piece used, some, or one: each lands in its place, zeros where no piece has a gradient', () => {
    for (const used of [[0, 1, 2], [2, 0], [1]]) {
      const x = randomTensor(shape, 70);
      lossOf(x.split(4, 2), used).backward();
      expect(Array.from(x.grad!.data)).toEqual(reference([0, 1, 2].map((k) => (used.includes(k) ? 1 : 0))));
    }
  });

  it('x used directly as well: its gradient and the pieces sum, in either order of use', () => {
    const a = randomTensor(shape, 71, { requiresGrad: false });
    for (const directFirst of [true, false]) {
      const x = randomTensor(shape, 72);
      const direct = () => x.mul(a).sum();
      const pieces = () => lossOf(x.chunk(3, -1));
      (directFirst ? direct().add(pieces()) : pieces().add(direct())).backward();
      expect(Array.from(x.grad!.data)).toEqual(reference([1, 1, 1], a));
    }
  });

  it('a non-leaf input keeps retainGrad and hooks; a hook on a piece may replace its gradient', () => {
    const x = randomTensor(shape, 73);
    const h = x.mul(2);
    h.retainGrad();
    const seen: number[][] = [];
    h.registerHook((g) => void seen.push(Array.from(g.data)));
    const pieces = h.split([4, 4, 4], 2);
    pieces[1]!.registerHook((g) => g.mul(3));
    lossOf(pieces).backward();
    const ref = reference([1, 3, 1]);
    expect(Array.from(h.grad!.data)).toEqual(ref);
    expect(seen).toEqual([ref]);
    expect(Array.from(x.grad!.data)).toEqual(ref.map((v) => 2 * v));
  });

  it('a caller-given gradient is never written to; backward twice accumulates', () => {
    const x = randomTensor(shape, 74);
    const [, second] = x.split(4, 2);
    const seed = randomTensor([3, 4, 4], 75, { requiresGrad: false });
    const before = Array.from(seed.data);
    second!.backward(seed, { retainGraph: true });
    second!.backward(seed);
    expect(Array.from(seed.data)).toEqual(before);
    const expected = new Array<number>(3 * 4 * 12).fill(0);
    for (let r = 0; r < 12; r++) for (let c = 0; c < 4; c++) expected[r * 12 + 4 + c] = 2 * before[r * 4 + c]!;
    expect(Array.from(x.grad!.data)).toEqual(expected);
  });

  it('a kept hook argument is never written; float64 pieces, steps and one place twice sum', () => {
    // w [3, 4], x = w * 1; pieces: cols 0 and 2 (step 2), col 1 (step 3), col 2 selected twice:
    // dx[:, j] = 1 (j = 0), 2 (j = 1), 1 + 3 + 4 = 8 (j = 2), 0 (j = 3)
    const w = tensor(
      Array.from({ length: 12 }, (_, i) => i),
      [3, 4],
      { requiresGrad: true },
    );
    const x = w.mul(1);
    const [a, b, c, d] = [x.slice(1, 0, null, 2), x.slice(1, 1, 4, 3), x.select(1, 2), x.select(1, 2)];
    const kept: Tensor[] = [];
    c.registerHook((g) => void kept.push(g));
    a.sum().add(b.mul(2).sum()).add(c.mul(3).sum()).add(d.mul(4).sum()).backward();
    expect(Array.from(w.grad!.data)).toEqual([1, 2, 8, 0, 1, 2, 8, 0, 1, 2, 8, 0]);
    expect(Array.from(kept[0]!.data)).toEqual([3, 3, 3]);
    // a float64 gradient on float32 pieces: summed apart from x's float32 gradient, w's grad float32
    const v = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const [r0, r1] = v.mul(1).unbind(0);
    r0!.add(r1!.mul(2)).backward(tensor([1, 10], undefined, { dtype: 'float64' }));
    expect(v.grad!.dtype).toBe('float32');
    expect(Array.from(v.grad!.data)).toEqual([1, 10, 2, 20]);
  });

  it('pieces of a strided view, and pieces of pieces (float64 gradcheck)', () => {
    const f64 = randomTensor([4, 3, 6], 76, { dtype: 'float64' });
    expectGradcheck(
      (x) => {
        const [p, q] = x!.transpose(0, 2).split([2, 4], 0);
        const [q0, q1] = q!.chunk(2, 2);
        return p!
          .sum(0)
          .sum(1)
          .mul(q0!.sum([0, 2]))
          .add(q1!.exp().sum(0).sum(1))
          .add(x!.sum(2).sum(0).mul(3));
      },
      [f64],
    );
    expectGradcheck(
      (x) =>
        x!
          .unbind(1)[2]!
          .mul(x!.select(1, 0).exp())
          .add(x!.narrow(1, 1, 1).squeeze(1)),
      [f64],
    );
    // pieces along the last axis: their places have inner stride 6, not 1
    expectGradcheck((x) => x!.unbind(2)[1]!.mul(x!.unbind(2)[4]!.exp()), [f64]);
  });
});

describe('errors like torch', () => {
  const x = zeros([2, 3, 4]);
  it('cat', () => {
    expect(() => cat([])).toThrow(/cat: tensors must be a non-empty list of Tensors, got \[\]/);
    expect(() => cat([x, zeros([2, 4, 4])])).toThrow(
      'cat: sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number ' +
        '1 in the list',
    );
    expect(() => cat([x, zeros([2, 3])])).toThrow(/cat: tensors must have the same number of dimensions: got 3 and 2/);
    expect(() => cat([x, x], 3)).toThrow(/cat: dim must be an integer in \[-3, 2\] for a tensor of rank 3, got 3/);
    expect(() => cat([x, x], -4)).toThrow(/got -4/);
    expect(() => cat([tensor(1), tensor(2)])).toThrow(
      'cat: zero-dimensional tensor (at position 0) cannot be concatenated',
    );
    expect(() => cat([x, 3 as unknown as Tensor])).toThrow(/cat: tensors\[1\] must be a Tensor, got number/);
  });
  it('stack', () => {
    expect(() => stack([])).toThrow(/stack: tensors must be a non-empty list/);
    expect(() => stack([x, zeros([2, 3, 5])])).toThrow(
      /stack: expects each tensor to be equal size, but got \[2, 3, 4\] at entry 0 and \[2, 3, 5\] at entry 1/,
    );
    expect(() => stack([x, x], 4)).toThrow(/stack: dim must be an integer in \[-4, 3\]/);
    expect(stack([x, x], -4).shape).toEqual([2, 2, 3, 4]);
  });
  it('split, chunk, unbind', () => {
    expect(() => x.split([1, 1], 1)).toThrow(
      "split: split_sizes must sum exactly to 3 (the input's size at dimension 1), but got split_sizes=[1, 1]",
    );
    expect(() => x.split([1, -1, 3], 1)).toThrow(
      'split: split_sizes must contain only non-negative integers, got [1, -1, 3]',
    );
    expect(() => x.split(0, 1)).toThrow(
      'split: split_size can only be 0 if the dimension size is 0, but got dimension size of 3',
    );
    expect(() => x.split(-1)).toThrow(/split: split_size must be a non-negative integer or a list of them, got -1/);
    expect(zeros([0]).split(0).length).toBe(1);
    expect(() => x.chunk(0)).toThrow(/chunk: chunks must be a positive integer, got 0/);
    expect(() => x.chunk(1.5)).toThrow(/chunk: chunks must be a positive integer, got 1.5/);
    expect(() => x.unbind(3)).toThrow(/unbind: dim must be an integer in \[-3, 2\]/);
    expect(() => tensor(1).unbind()).toThrow(/unbind: expects at least a 1-dimensional tensor/);
  });
  it('repeat, flip, roll, tril', () => {
    expect(() => x.repeat(2)).toThrow(
      'repeat: the number of repeat sizes (1) can not be smaller than the number of dimensions of the tensor (3)',
    );
    expect(() => x.repeat(-1, 1, 1)).toThrow(/repeat: sizes must be non-negative integers, got \[-1,1,1\]/);
    expect(() => x.flip([0, 0])).toThrow(/flip: dim 0 appears multiple times in the list of dims/);
    expect(() => x.flip(3)).toThrow(/flip: dims must be an integer in \[-3, 2\]/);
    expect(() => x.roll(1, [0, 1])).toThrow(/roll: shifts and dims must align. shifts: 1, dims: 2/);
    expect(() => x.roll([1, 2])).toThrow(/roll: shifts and dims must align. shifts: 2, dims: 0/);
    expect(() => x.roll(0.5)).toThrow(/roll: shifts must be an integer or a list of integers, got 0.5/);
    expect(() => zeros([3]).tril()).toThrow(/tril: input tensor must have at least 2 dimensions, got shape \[3\]/);
    expect(() => tensor(1).triu()).toThrow(/triu: input tensor must have at least 2 dimensions/);
    expect(() => x.tril(0.5)).toThrow(/tril: diagonal must be an integer, got 0.5/);
  });
});
