/**
 * Indexing by tensors (src/autograd/ops/indexing.ts, at.ts): values and gradients against PyTorch
 * fixtures (test/fixtures/indexing.py), float64 gradcheck, a reference for basic indexing written
 * here (fast-check), the embedding lookup against a plain loop, and the errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { full, oneHot, tensor, zeros, type IndexEntry, type Slice, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { numel, ravel, unravel } from '../tensor/reference.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

interface IndexCase {
  inputs: FixtureTensor[];
  output: FixtureTensor;
  weight: FixtureTensor;
  grads: FixtureTensor[];
  dim: number;
  index: FixtureTensor;
  alpha?: number;
  spec?: ({ int: number } | { all: true } | { slice: (number | null)[] } | { tensor: FixtureTensor })[];
}

const fixtures = loadFixture('indexing') as Record<string, IndexCase>;
const f64 = (f: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(f.data, f.shape, { dtype: 'float64', requiresGrad });
/** torch's int64 indices become int32, its bool masks bool. */
const asIndex = (f: FixtureTensor): Tensor => tensor(f.data, f.shape, { dtype: f.dtype === 'bool' ? 'bool' : 'int32' });
const int32 = (values: number[] | number[][], shape?: number[]): Tensor => tensor(values, shape, { dtype: 'int32' });

function entryOf(e: NonNullable<IndexCase['spec']>[number]): IndexEntry {
  if ('int' in e) return e.int;
  if ('all' in e) return null;
  if ('slice' in e) {
    const [start, end, step] = e.slice;
    const s: Slice = {};
    if (start !== null) s.start = start;
    if (end !== null) s.end = end;
    if (step !== null) s.step = step;
    return s;
  }
  return asIndex(e.tensor);
}

function run(name: string, xs: Tensor[], c: IndexCase): Tensor {
  const op = name.split('_')[0]!;
  const x = xs[0]!;
  if (op === 'at') return x.at(...c.spec!.map(entryOf));
  const index = asIndex(c.index);
  if (op === 'indexSelect') return x.indexSelect(c.dim, index);
  if (op === 'gather') return x.gather(c.dim, index);
  if (op === 'scatterAdd') return x.scatterAdd(c.dim, index, xs[1]!);
  if (op === 'indexAdd') return x.indexAdd(c.dim, index, xs[1]!, { alpha: c.alpha });
  throw new Error(`no op for fixture case ${name}`);
}

describe('against PyTorch (test/fixtures/indexing.py)', () => {
  for (const [name, c] of Object.entries(fixtures)) {
    if (name.startsWith('oneHot')) continue;
    it(`${name}: output and the gradient of sum(out * w)`, () => {
      const xs = c.inputs.map((t) => f64(t, true));
      let out: Tensor | undefined;
      expectInputsUnchanged(xs, () => (out = run(name, xs, c)));
      expect([...out!.shape]).toEqual(c.output.shape);
      // copies and at most a few float64 additions per element: 1e-12
      expectClose(out!, c.output.data, { atol: 1e-12, rtol: 1e-12 }, `${name} output`);
      out!.mul(f64(c.weight)).sum().backward();
      xs.forEach((x, k) => expectClose(x.grad!, c.grads[k]!.data, { atol: 1e-12, rtol: 1e-12 }, `${name} grad ${k}`));
    });
  }

  for (const name of ['oneHot_infer', 'oneHot_5', 'oneHot_empty']) {
    it(`${name}: int32 values like torch's int64`, () => {
      const c = fixtures[name] as unknown as { indices: FixtureTensor; numClasses: number; output: FixtureTensor };
      const y = oneHot(asIndex(c.indices), c.numClasses);
      expect(y.dtype).toBe('int32');
      expect([...y.shape]).toEqual(c.output.shape);
      expect(Array.from(y.data)).toEqual(Array.from(c.output.data));
    });
  }
});

describe('gradcheck (float64)', () => {
  const x = (shape: number[], seed: number) => randomTensor(shape, seed, { dtype: 'float64' });
  it('indexSelect and indexAdd (repeated indices accumulate)', () => {
    expectGradcheck((t) => t!.indexSelect(1, int32([2, 0, 2])).tanh(), [x([2, 3, 2], 1)]);
    const index = int32([1, 1, 0]);
    expectGradcheck((t, s) => t!.indexAdd(0, index, s!, { alpha: -1.5 }).tanh(), [x([3, 2], 2), x([3, 2], 3)]);
  });
  it('gather and scatterAdd', () => {
    const index = int32([
      [0, 2],
      [1, 1],
      [2, 0],
    ]);
    expectGradcheck((t) => t!.gather(1, index).exp(), [x([3, 4], 4)]);
    expectGradcheck((t, s) => t!.scatterAdd(0, index, s!).tanh(), [x([3, 2], 5), x([3, 2], 6)]);
  });
  it('at: embedding rows, mask, separated tensor indices, slices and ints', () => {
    expectGradcheck(
      (c) =>
        c!
          .at(
            int32([
              [4, 0, 4],
              [1, 4, 2],
            ]),
          )
          .tanh(),
      [x([5, 3], 7)],
    );
    const mask = tensor(
      [
        [1, 0, 1],
        [0, 1, 1],
      ],
      undefined,
      { dtype: 'bool' },
    );
    expectGradcheck((t) => t!.at(mask).exp(), [x([2, 3, 2], 8)]);
    expectGradcheck((t) => t!.at(int32([1, 0, 1]), null, int32([-1])).exp(), [x([2, 3, 4], 9)]);
    expectGradcheck((t) => t!.at({ start: 1 }, -1, { step: 2 }).exp(), [x([3, 2, 5], 10)]);
  });
});

/** Basic indexing by a reference written from the definition: the cartesian product of positions. */
function refBasic(
  data: ArrayLike<number>,
  shape: number[],
  entries: (number | null | Slice)[],
): { shape: number[]; data: number[] } {
  const picks: number[][] = [];
  const kept: boolean[] = [];
  shape.forEach((n, a) => {
    const e = a < entries.length ? entries[a] : null;
    if (typeof e === 'number') {
      picks.push([e < 0 ? e + n : e]);
      kept.push(false);
      return;
    }
    const { start = 0, end = n, step = 1 } = e ?? {};
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const list: number[] = [];
    for (let i = norm(start); i < norm(end); i += step) list.push(i);
    picks.push(list);
    kept.push(true);
  });
  const outShape = picks.map((p) => p.length);
  const out: number[] = [];
  for (let f = 0; f < numel(outShape); f++) {
    const idx = unravel(f, outShape).map((i, a) => picks[a]![i]!);
    out.push(data[ravel(idx, shape)]!);
  }
  return { shape: outShape.filter((_, a) => kept[a]), data: out };
}

describe('semantics', () => {
  it('property: ints, nulls and slices match the reference', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        entries: fc.tuple(
          ...shape.map((n) =>
            fc.oneof(
              fc.integer({ min: -n, max: n - 1 }),
              fc.constant(null),
              fc.record(
                {
                  start: fc.integer({ min: -6, max: 6 }),
                  end: fc.integer({ min: -6, max: 6 }),
                  step: fc.integer({ min: 1, max: 3 }),
                },
                { requiredKeys: [] },
              ),
            ),
          ),
        ),
        count: fc.nat({ max: shape.length }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ shape, entries, count }) => {
        const x = randomTensor(shape, 30, { requiresGrad: false });
        const used = entries.slice(0, count) as (number | null | Slice)[];
        const y = x.at(...used);
        const ref = refBasic(x.data, shape, used);
        expect([...y.shape]).toEqual(ref.shape);
        expect(Array.from(y.data)).toEqual(ref.data);
      }),
      { numRuns: 200 },
    );
  });

  it('the backward uses the indices of the forward, even if the index tensor is written later', () => {
    const cases: [(x: Tensor, i: Tensor) => Tensor, number[]][] = [
      [(x, i) => x.at(i), [2, 0, 0]],
      [(x, i) => x.indexSelect(0, i), [2, 0, 0]],
      [(x, i) => x.gather(0, i), [2, 0, 0]],
      // src = x[:2] scattered to 0, 0; g = [1, 5, 7]: dsrc = g[index] = [1, 1] (the written index would give [7, 1])
      [
        (x, i) =>
          zeros([3])
            .scatterAdd(0, i, x.at({ end: 2 }))
            .mul(tensor([1, 5, 7])),
        [1, 1, 0],
      ],
    ];
    for (const [op, expected] of cases) {
      const x = randomTensor([3], 34);
      const index = int32([0, 0]);
      const y = op(x, index);
      index.data[0] = 2;
      y.sum().backward();
      expect(Array.from(x.grad!.data)).toEqual(expected);
    }
  });

  it('ints and slices give views sharing storage (torch); tensor indices give copies', () => {
    const x = randomTensor([3, 4, 5], 33, { requiresGrad: false });
    const v = x.at(1, { start: 1, step: 2 }, -1); // x[1, 1::2, -1]
    expect(v.base).toBe(x);
    expect([v.storageOffset(), ...v.stride()]).toEqual([1 * 20 + 1 * 5 + 4, 10]);
    expect(x.at(null, -1).base).toBe(x);
    expect(x.at(int32([0])).storage).not.toBe(x.storage);
  });

  it('C.at(X) is a row lookup: out[b, :] = C[X[b], :], and its gradient counts the rows used', () => {
    const C = randomTensor([27, 10], 31);
    const ids = Array.from({ length: 96 }, (_, i) => (i * 7 + 3) % 27);
    const X = int32(ids, [32, 3]);
    const emb = C.at(X);
    expect(emb.shape).toEqual([32, 3, 10]);
    ids.forEach((r, b) => {
      for (let j = 0; j < 10; j++) expect(emb.data[b * 10 + j]).toBe(C.data[r * 10 + j]);
    });
    emb.sum().backward();
    const counts = new Array<number>(27).fill(0);
    ids.forEach((r) => counts[r]!++);
    expect(Array.from(C.grad!.data)).toEqual(counts.flatMap((n) => new Array<number>(10).fill(n)));
  });

  it('int32 index tensors leave their inputs unchanged and work with negative entries', () => {
    const x = randomTensor([3, 4], 32, { requiresGrad: false });
    const index = int32([-1, 0]);
    expectInputsUnchanged([x, index], () => x.at(index));
    expect(x.at(index).toArray()).toEqual([x.at(2).toArray(), x.at(0).toArray()]);
  });
});

describe('errors like torch', () => {
  const x = zeros([2, 3, 4]);
  it('at', () => {
    expect(() => x.at(null, 5)).toThrow(/at: index 5 is out of bounds for dimension 1 with size 3/);
    expect(() => x.at(-3)).toThrow(/at: index -3 is out of bounds for dimension 0 with size 2/);
    expect(() => x.at(null, null, int32([4]))).toThrow(/at: index 4 is out of bounds for dimension 2 with size 4/);
    expect(() => x.at(tensor([0.5]))).toThrow(/at: expected indices\[0\] to have dtype 'int32'.*got 'float32'/);
    expect(() => x.at(0, 0, 0, 0)).toThrow(/at: too many indices for tensor of dimension 3 \(got 4\)/);
    expect(() =>
      x.at(
        tensor(
          [
            [1, 1, 1, 1],
            [1, 1, 1, 1],
          ],
          undefined,
          { dtype: 'bool' },
        ),
      ),
    ).toThrow(
      'at: the shape of the mask [2, 4] at indices[0] does not match the shape of the indexed tensor [2, 3, 4] ' +
        'at dimension 0',
    );
    expect(() => x.at(int32([0, 1]), int32([0, 1, 2]))).toThrow(
      /at: shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], \[3\]/,
    );
    expect(() => x.at({ step: 0 })).toThrow(/at: indices\[0\].step must be greater than zero, got 0/);
    expect(() => x.at({ step: -1 })).toThrow(/at: indices\[0\].step must be greater than zero, got -1/);
    expect(() => x.at({ start: 0.5 })).toThrow(/at: indices\[0\].start must be an integer, got 0.5/);
    expect(() => x.at(1.5)).toThrow(/at: indices\[0\] must be an integer, got 1.5/);
    expect(() => x.at([0] as unknown as number)).toThrow(
      'at: indices[0] must be an integer, null, a { start, end, step } slice or an int32/bool Tensor, got an array',
    );
  });
  it('indexSelect, gather, scatterAdd, indexAdd', () => {
    expect(() => x.indexSelect(0, int32([5]))).toThrow(
      'indexSelect: index 5 is out of bounds for dimension 0 with size 2',
    );
    expect(() => x.indexSelect(0, int32([-1]))).toThrow(
      'indexSelect: index -1 is out of bounds for dimension 0 with size 2',
    );
    expect(() => x.indexSelect(0, int32([[0]]))).toThrow(
      'indexSelect: index must be a vector (0-d or 1-d), got shape [1, 1]',
    );
    expect(() => x.indexSelect(0, tensor([0]))).toThrow(/indexSelect: expected index to have dtype 'int32'/);
    expect(() => x.indexSelect(3, int32([0]))).toThrow(/indexSelect: dim must be an integer in \[-3, 2\]/);
    expect(() => x.gather(0, int32([[0]]))).toThrow(
      'gather: index must have the same number of dimensions as self (3), got index [1, 1]',
    );
    expect(() => x.gather(1, zeros([2, 5, 5], { dtype: 'int32' }))).toThrow(
      /gather: expected index \[2, 5, 5\] to be no larger than self \[2, 3, 4\] apart from dimension 1/,
    );
    expect(() => x.gather(1, full([2, 2, 4], 3, { dtype: 'int32' }))).toThrow(
      'gather: index 3 is out of bounds for dimension 1 with size 3',
    );
    expect(() => x.scatterAdd(1, zeros([2, 2, 4], { dtype: 'int32' }), zeros([2, 1, 4]))).toThrow(
      'scatterAdd: expected index [2, 2, 4] to be no larger than self [2, 3, 4] apart from dimension 1 and no ' +
        'larger than src [2, 1, 4]',
    );
    expect(() => x.indexAdd(1, int32([0, 1]), zeros([2, 3, 4]))).toThrow(
      "indexAdd: source must have shape [2, 2, 4] (self's shape with index's length 2 at dimension 1), " +
        'got [2, 3, 4]',
    );
    expect(() => x.indexAdd(1, int32([0, 5]), zeros([2, 2, 4]))).toThrow(
      'indexAdd: index 5 is out of bounds for dimension 1 with size 3',
    );
  });
  it('scatterAdd backward needs src shaped like index (torch fails there too)', () => {
    const src = zeros([3, 4, 5], { requiresGrad: true });
    const y = zeros([2, 3, 4]).scatterAdd(1, zeros([2, 2, 4], { dtype: 'int32' }), src);
    expect(() => y.sum().backward()).toThrow("scatterAdd backward: src [3, 4, 5] must have index's shape [2, 2, 4]");
  });
  it('oneHot', () => {
    expect(() => oneHot(int32([0, 3]), 3)).toThrow(/oneHot: class values must be smaller than numClasses \(3\), got 3/);
    expect(() => oneHot(int32([0, -1]), 3)).toThrow(/oneHot: class values must be non-negative, got -1/);
    expect(() => oneHot(int32([]))).toThrow(/oneHot: can not infer the number of classes from an empty tensor/);
    expect(() => oneHot(tensor([0]))).toThrow(/oneHot: expected indices to have dtype 'int32'/);
    expect(() => oneHot(int32([0]), 1.5)).toThrow(/oneHot: numClasses must be a non-negative integer or -1, got 1.5/);
  });
});
