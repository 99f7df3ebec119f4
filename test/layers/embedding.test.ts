/**
 * nn.Embedding, functional.embedding and Embedding.fromPretrained (src/layers/embedding.ts,
 * src/autograd/ops/embedding.ts): a float64 reference written from the definition, gradcheck,
 * torch fixtures (test/fixtures/seq_layers.py) with paddingIdx (negative too), init, errors.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, manualSeed, nn, tensor, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from '../autograd/fixtures.js';

const fixture = loadFixture('seq_layers') as { embedding: EmbeddingCase[] };
interface EmbeddingCase {
  indices: FixtureTensor;
  paddingIdx: number | null;
  weight: FixtureTensor;
  g: FixtureTensor;
  out: FixtureTensor;
  dweight: FixtureTensor;
  moduleInitPadRow: number | null;
}

const ints = (values: number[], shape?: number[]): Tensor => tensor(Int32Array.from(values), shape ?? [values.length]);
const fromFixture = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(Float32Array.from(t.data), t.shape, { requiresGrad });

describe('functional.embedding', () => {
  it('gathers rows: out[i, :] = weight[indices[i], :], any index shape', () => {
    const weight = randomTensor([5, 3], 1, { requiresGrad: false });
    const idx = ints([4, 0, 4, 2, 1, 3], [2, 1, 3]);
    const out = F.embedding(idx, weight);
    expect(out.shape).toEqual([2, 1, 3, 3]);
    const ref = Array.from(idx.data).flatMap((v) => Array.from(weight.data.subarray(v * 3, v * 3 + 3)));
    expect(Array.from(out.data)).toEqual(ref); // a copy: exact
    expect(F.embedding(ints([], [0, 2]), weight).shape).toEqual([0, 2, 3]);
    expect(F.embedding(tensor(Int32Array.of(2), []), weight).shape).toEqual([3]);
  });

  it('scatter-adds the gradient into the looked-up rows, float64 reference', () => {
    const weight = randomTensor([4, 2], 2);
    const idx = ints([1, 3, 1, 1, 0]);
    const g = randomTensor([5, 2], 3, { requiresGrad: false });
    F.embedding(idx, weight).backward(g);
    const ref = new Float64Array(8);
    idx.data.forEach((v, i) => {
      for (let j = 0; j < 2; j++) ref[v * 2 + j]! += g.data[i * 2 + j]!;
    });
    // three float32 terms summed in float64, one rounding
    expectClose(weight.grad!, ref, { rtol: 1e-7, atol: 0 });
    expect(Array.from(weight.grad!.data.subarray(4, 6))).toEqual([0, 0]); // row 2 never looked up
  });

  it('passes gradcheck in weight, with and without paddingIdx', () => {
    const idx = ints([2, 0, 2, 4, 1, 2], [2, 3]);
    expectGradcheck((w) => F.embedding(idx, w!), [randomTensor([5, 3], 4)]);
    // The padding row's zero gradient is by definition not the derivative (torch's gradcheck fails
    // there too); with paddingIdx 3, never looked up here, every other row must still be exact.
    expectGradcheck((w) => F.embedding(idx, w!, { paddingIdx: 3 }), [randomTensor([5, 3], 5)]);
  });

  it('matches torch (values and weight gradient) with paddingIdx none, positive and negative', () => {
    for (const c of fixture.embedding) {
      const weight = fromFixture(c.weight, true);
      const idx = tensor(Int32Array.from(c.indices.data), c.indices.shape);
      const out = F.embedding(idx, weight, { paddingIdx: c.paddingIdx });
      expectClose(out, c.out.data, { rtol: 0, atol: 0 }, `out (paddingIdx ${c.paddingIdx})`);
      out.backward(fromFixture(c.g));
      // torch sums the float32-exact terms in float64; typegrad in float64 then rounds once
      expectClose(weight.grad!, c.dweight.data, { rtol: 1e-7, atol: 1e-7 }, `dweight (paddingIdx ${c.paddingIdx})`);
      const row = c.paddingIdx === null ? null : (c.paddingIdx + 7) % 7;
      if (row !== null) expect(Array.from(weight.grad!.data.subarray(row * 4, row * 4 + 4))).toEqual([0, 0, 0, 0]);
    }
  });

  it('keeps the dtype of a float64 weight and leaves its inputs unchanged', () => {
    const weight = randomTensor([3, 2], 6, { dtype: 'float64' });
    const idx = ints([0, 2]);
    expectInputsUnchanged([weight, idx], () => {
      const out = F.embedding(idx, weight);
      expect(out.dtype).toBe('float64');
      out.sum().backward();
    });
    expect(weight.grad!.dtype).toBe('float64');
  });

  it('names the argument in its errors', () => {
    const weight = randomTensor([5, 3], 7);
    expect(() => F.embedding(tensor([1, 2]), weight)).toThrow(
      "embedding: expected indices to have dtype 'int32' (torch: Long), got 'float32'",
    );
    expect(() => F.embedding(ints([1, 5]), weight)).toThrow(
      'embedding: index 5 is out of range for weight with 5 rows (torch: "index out of range in self")',
    );
    expect(() => F.embedding(ints([-1]), weight)).toThrow('embedding: index -1 is out of range for weight with 5 rows');
    expect(() => F.embedding(ints([1]), randomTensor([5], 8))).toThrow(
      'embedding: weight must be 2-D [numEmbeddings, embeddingDim], got [5]',
    );
    expect(() => F.embedding(ints([1]), weight, { paddingIdx: 5 })).toThrow(
      'embedding: paddingIdx must be an integer within numEmbeddings (in [-5, 4]), got 5 (torch: "Padding_idx must be within num_embeddings")',
    );
  });
});

describe('nn.Embedding', () => {
  it('starts N(0, 1) with row paddingIdx zero, like torch; reproducible under manualSeed', () => {
    manualSeed(0);
    const emb = new nn.Embedding(1000, 10, { paddingIdx: -2 });
    expect(emb.paddingIdx).toBe(998);
    const w = Array.from(emb.weight.data);
    expect(w.slice(9980, 9990)).toEqual(new Array(10).fill(0));
    const rest = w.filter((_, i) => i < 9980 || i >= 9990);
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    const variance = rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length;
    // 9,990 N(0, 1) draws: standard errors 0.01 (mean) and ~0.014 (variance); 5 sigma bounds
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.07);
    // torch zeroes that row too
    for (const c of fixture.embedding) if (c.moduleInitPadRow !== null) expect(c.moduleInitPadRow).toBe(0);
    manualSeed(0);
    expect(Array.from(new nn.Embedding(1000, 10, { paddingIdx: -2 }).weight.data)).toEqual(w);
  });

  it('matches torch with the state dict loaded under the key "weight"', () => {
    for (const c of fixture.embedding) {
      const emb = new nn.Embedding(7, 4, { paddingIdx: c.paddingIdx });
      expect(Object.keys(emb.stateDict())).toEqual(['weight']);
      expect(nn.isParameter(emb.weight)).toBe(true);
      emb.loadStateDict({ weight: fromFixture(c.weight) });
      const out = emb.forward(tensor(Int32Array.from(c.indices.data), c.indices.shape));
      expectClose(out, c.out.data, { rtol: 0, atol: 0 });
      out.backward(fromFixture(c.g));
      expectClose(emb.weight.grad!, c.dweight.data, { rtol: 1e-7, atol: 1e-7 });
    }
  });

  it('trains: one SGD step moves only the looked-up rows, never the padding row', () => {
    const emb = new nn.Embedding(4, 2, { paddingIdx: 0 });
    const before = Array.from(emb.weight.data);
    emb
      .forward(ints([0, 2, 0]))
      .sum()
      .backward();
    expect(Array.from(emb.weight.grad!.data)).toEqual([0, 0, 0, 0, 1, 1, 0, 0]);
    expect(before.slice(0, 2)).toEqual([0, 0]);
  });

  it('fromPretrained copies the weight, frozen by default, keeping the padding row', () => {
    const vectors = tensor([
      [1, 2.5, 3],
      [4, 5, 6],
    ]);
    const frozen = nn.Embedding.fromPretrained(vectors, { paddingIdx: 0 });
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(frozen.forward(ints([0, 1])).toArray()).toEqual([
      [1, 2.5, 3],
      [4, 5, 6],
    ]);
    const trained = nn.Embedding.fromPretrained(vectors, { freeze: false, paddingIdx: 0 });
    expect(trained.weight.requiresGrad).toBe(true);
    trained
      .forward(ints([0, 1, 1]))
      .sum()
      .backward();
    expect(trained.weight.grad!.toArray()).toEqual([
      [0, 0, 0],
      [2, 2, 2],
    ]);
    expect(trained.weight.data).not.toBe(vectors.data);
    expect(() => nn.Embedding.fromPretrained(tensor([1, 2]))).toThrow(
      'Embedding.fromPretrained: embeddings parameter is expected to be 2-dimensional, got [2]',
    );
  });

  it('prints like torch and rejects the unsupported options', () => {
    expect(String(new nn.Embedding(10, 3))).toBe('Embedding(10, 3)');
    expect(String(new nn.Embedding(10, 3, { paddingIdx: -1 }))).toBe('Embedding(10, 3, paddingIdx=9)');
    expect(() => new nn.Embedding(10, 3, { maxNorm: 1 })).toThrow(
      'Embedding: maxNorm is not supported (typegrad does not renormalise rows), got 1',
    );
    expect(() => new nn.Embedding(10, 3, { scaleGradByFreq: true })).toThrow(
      'Embedding: scaleGradByFreq is not supported, got true',
    );
    expect(() => new nn.Embedding(10, 3, { sparse: true })).toThrow(
      'Embedding: sparse gradients are not supported, got sparse = true',
    );
    expect(() => new nn.Embedding(10, 3, { paddingIdx: -11 })).toThrow(
      'Embedding: paddingIdx must be an integer within numEmbeddings (in [-10, 9]), got -11',
    );
    expect(() => new nn.Embedding(2.5, 3)).toThrow('Embedding: numEmbeddings must be a non-negative integer, got 2.5');
    expect(() => new nn.Embedding(10, 3).forward(tensor([1]))).toThrow(
      "Embedding: expected indices to have dtype 'int32'",
    );
  });
});
