/**
 * The saved-tensor version check (src/autograd/saved.ts) for the toolbox ops, against what torch
 * saves (test/fixtures/saved_versions.py): one row per op and saved tensor kind (amin's input and
 * output, `at`'s index and mask, indexSelect/indexAdd/gather/scatterAdd's index, topk/sort/max/min's
 * indices, where's condition, maskedFill's mask, embedding's and the class losses' indices,
 * attention's value). Each row writes a tensor in place between forward and backward: where torch
 * raises, typegrad must throw torch's error (same shape, same producer, versions 1 and 0 apart);
 * where torch saves nothing (a cumsum input, an index whose gradient is not needed), backward must
 * succeed. Then legitimate in-place use: under noGrad after backward, and on tensors not saved.
 */
import { describe, expect, it } from 'vitest';
import { functional, noGrad, tensor, where, zeros, type Tensor } from '../../src/index.js';
import { loadFixture } from '../fixtures/load.js';

interface TorchRow {
  throws: boolean;
  shape?: number[];
  producer?: string | null;
}
const torchRows = loadFixture('saved_versions') as Record<string, TorchRow>;

const f64 = { dtype: 'float64' } as const;
const idx = (): Tensor => tensor(Int32Array.of(0, 2, 2));
const index42 = (): Tensor =>
  tensor(
    Int32Array.from({ length: 8 }, (_, j) => j % 2),
    [4, 2],
  );
const positive = (x: Tensor): Tensor => noGrad(() => x.gt(0));

/** Builds the graph from the leaf x ([4, 5] float64); returns the output and the tensor to write. */
type Build = (x: Tensor) => { y: Tensor; t: Tensor };
const input =
  (op: (z: Tensor) => Tensor): Build =>
  (x) => {
    const z = x.mul(1);
    return { y: op(z), t: z };
  };
const output =
  (op: (x: Tensor) => Tensor): Build =>
  (x) => {
    const y = op(x);
    return { y, t: y };
  };
const aux =
  (make: (x: Tensor) => Tensor, op: (x: Tensor, t: Tensor) => Tensor): Build =>
  (x) => {
    const t = make(x);
    return { y: op(x, t), t };
  };
const indicesOf =
  (op: (x: Tensor) => { values: Tensor; indices: Tensor }): Build =>
  (x) => {
    const r = op(x);
    return { y: r.values, t: r.indices };
  };

const rows: Record<string, Build> = {
  'amin: input': input((z) => z.amin(1)),
  'amin: output': output((x) => x.amin(1)),
  'amin all: input': input((z) => z.amin()),
  'amax: output': output((x) => x.amax(1)),
  'at x[idx]: index': aux(idx, (x, i) => x.at(i)),
  'at x[:, idx]: index': aux(idx, (x, i) => x.at(null, i)),
  'at x[mask]: mask': aux(positive, (x, m) => x.at(m)),
  'at x[idx]: input (not saved)': input((z) => z.at(idx())),
  'indexSelect: index': aux(idx, (x, i) => x.indexSelect(1, i)),
  'indexAdd: index, source needs no grad': aux(idx, (x, i) => x.indexAdd(1, i, zeros([4, 3], f64).add(1))),
  'indexAdd: index, source needs grad': aux(idx, (x, i) => zeros([4, 5], f64).indexAdd(1, i, x.at(null, { end: 3 }))),
  'indexAdd: source': (x) => {
    const s = x.at(null, { end: 3 }).mul(1);
    return { y: zeros([4, 5], f64).indexAdd(1, idx(), s), t: s };
  },
  'gather: index': aux(index42, (x, i) => x.gather(1, i)),
  'scatterAdd: index, src needs no grad': aux(index42, (x, i) => x.scatterAdd(1, i, zeros([4, 2], f64).add(1))),
  'scatterAdd: index, src needs grad': aux(index42, (x, i) =>
    zeros([4, 5], f64).scatterAdd(1, i, x.at(null, { end: 2 }).mul(1)),
  ),
  'topk: indices': indicesOf((x) => x.topk(2)),
  'topk: input (not saved)': input((z) => z.topk(2).values),
  'sort: indices': indicesOf((x) => x.sort()),
  'max(dim): indices': indicesOf((x) => x.max(1)),
  'min(dim): indices': indicesOf((x) => x.min(1)),
  'max(dim): input (not saved)': input((z) => z.max(1).values),
  'cumsum: input (not saved)': input((z) => z.cumsum(1)),
  'where: condition': aux(positive, (x, c) => where(c, x, 0)),
  'maskedFill: mask': aux(positive, (x, m) => x.maskedFill(m, 0)),
  'embedding: indices': aux(idx, (x, i) => functional.embedding(i, x)),
  'embedding: weight (not saved)': input((w) => functional.embedding(idx(), w)),
  'crossEntropy: targets': aux(
    () => tensor(Int32Array.of(0, 1, 2, 3)),
    (x, t) => functional.crossEntropy(x, t),
  ),
  'nllLoss: targets': aux(
    () => tensor(Int32Array.of(0, 1, 2, 3)),
    (x, t) => functional.nllLoss(x, t),
  ),
  'logsumexp: output': output((x) => x.logsumexp(1)),
  'norm: input': input((z) => z.norm(3, 1)),
  'attention: value': (x) => {
    const v = x.unsqueeze(0).mul(1);
    return { y: functional.scaledDotProductAttention(x.unsqueeze(0), x.unsqueeze(0), v), t: v };
  },
  'attention: bool mask (not saved)': aux(
    () => tensor([1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1], [4, 4]).gt(0),
    (x, m) => functional.scaledDotProductAttention(x.unsqueeze(0), x.unsqueeze(0), x.unsqueeze(0), { attnMask: m }),
  ),
};

/** Where typegrad names another producer than torch, and why. */
const producerDiffers: Record<string, string> = {
  // torch's CPU attention kernel saves an internal as_strided view of v; typegrad's matmul saves v
  'attention: value': 'output 0 of Mul',
};

const leaf = (): Tensor =>
  tensor(
    Float64Array.from({ length: 20 }, (_, j) => Math.sin(j + 1)),
    [4, 5],
    {
      ...f64,
      requiresGrad: true,
    },
  );

/** An in-place write that any dtype allows: bool tensors are zeroed, the others get +1. */
function writeInPlace(t: Tensor): void {
  noGrad(() => (t.dtype === 'bool' ? t.zero_() : t.add_(1)));
}

describe('saved tensors of the toolbox ops, checked like torch (test/fixtures/saved_versions.py)', () => {
  it('covers every row of the fixture, and only those', () => {
    expect(Object.keys(rows).sort()).toEqual(Object.keys(torchRows).sort());
  });

  for (const [name, build] of Object.entries(rows)) {
    const expected = torchRows[name]!;
    it(`${name}: ${expected.throws ? "throws torch's error" : 'backward succeeds, as in torch'}`, () => {
      const x = leaf();
      const { y, t } = build(x);
      const before = t.version;
      writeInPlace(t);
      expect(t.version).toBe(before + 1);
      const run = (): void => y.sum().backward();
      if (!expected.throws) {
        run();
        expect(Array.from(x.grad!.data).every((v) => Number.isFinite(v))).toBe(true);
        return;
      }
      const producer = producerDiffers[name] ?? expected.producer;
      const which = producer ? `, which is ${producer},` : '';
      expect(t.shape).toEqual(expected.shape);
      expect(run).toThrow(
        'one of the variables needed for gradient computation has been modified by an inplace operation: ' +
          `[${t.dtype} [${t.shape.join(', ')}]]${which} is at version ${before + 1}; expected version ${before} instead.`,
      );
    });
  }
});

describe('legitimate in-place use around saved tensors', () => {
  it('writing an index tensor after backward, under noGrad, is fine', () => {
    const x = leaf();
    const i = idx();
    x.at(null, i).sum().backward();
    expect(Array.from(x.grad!.data.subarray(0, 5))).toEqual([1, 0, 2, 0, 0]);
    writeInPlace(i);
    expect(Array.from(i.data)).toEqual([1, 3, 3]);
  });

  it('writing a fresh copy of a saved index leaves the graph valid', () => {
    const x = leaf();
    const i = idx();
    const y = x.indexSelect(1, i);
    const copy = i.clone();
    writeInPlace(copy);
    y.sum().backward();
    expect(Array.from(x.grad!.data.subarray(0, 5))).toEqual([1, 0, 2, 0, 0]);
  });

  it("topk's values (not saved) may be written; the gradient still goes to the chosen positions", () => {
    const x = leaf();
    const { values, indices } = x.topk(2);
    const y = values.mul(2);
    noGrad(() => values.add_(1)); // mul saved its other operand (the number 2), not values
    y.sum().backward();
    const g = x.grad!.data;
    for (let r = 0; r < 4; r++) {
      const picked = Array.from(indices.data.subarray(r * 2, r * 2 + 2));
      for (let c = 0; c < 5; c++) expect(g[r * 5 + c]).toBe(picked.includes(c) ? 2 : 0);
    }
  });
});
