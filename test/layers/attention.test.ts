/**
 * functional.scaledDotProductAttention (src/layers/functional/attention.ts) and nn.MultiheadAttention
 * (src/layers/multiheadAttention.ts): a float64 reference written from the formula, gradcheck,
 * torch fixtures (test/fixtures/seq_layers.py: masks, isCausal with L != S, scale, broadcasting;
 * MHA with batchFirst, masks, keyPaddingMask, needWeights, per-head weights, kdim/vdim, unbatched,
 * state dict loaded under torch's keys, gradients of inputs and of every parameter), errors.
 *
 * Tolerances: the fixture is torch's float64 result for float32-exact inputs. typegrad's float64 run
 * differs only by summation order (1e-12). Its float32 run rounds q k^T, the softmax and two matmuls
 * (plus three projections in MHA) to float32: relative errors of a few 1e-7 per step, amplified by
 * the softmax's exp on scores of size ~3, so rtol 1e-4 with atol 1e-5 for values of order 1.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, Generator, nn, tensor, type Tensor, type DType } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, randomTensor } from '../autograd/fixtures.js';

interface SdpaCase {
  name: string;
  q: FixtureTensor;
  k: FixtureTensor;
  v: FixtureTensor;
  g: FixtureTensor;
  attnMask: FixtureTensor | null;
  isCausal: boolean;
  scale: number | null;
  out: FixtureTensor;
  dq: FixtureTensor;
  dk: FixtureTensor;
  dv: FixtureTensor;
}
interface MhaCase {
  name: string;
  E: number;
  H: number;
  ctor: { batch_first?: boolean; bias?: boolean; kdim?: number; vdim?: number };
  fwd: {
    attn_mask?: FixtureTensor;
    key_padding_mask?: FixtureTensor;
    need_weights?: boolean;
    average_attn_weights?: boolean;
    is_causal?: boolean;
  };
  state: Record<string, FixtureTensor>;
  q: FixtureTensor;
  k: FixtureTensor;
  v: FixtureTensor;
  g: FixtureTensor;
  gw: FixtureTensor | null;
  out: FixtureTensor;
  weights: FixtureTensor | null;
  dq: FixtureTensor;
  dk: FixtureTensor;
  dv: FixtureTensor;
  dparams: Record<string, FixtureTensor>;
}
const fixture = loadFixture('seq_layers') as { sdpa: SdpaCase[]; mha: MhaCase[] };

function toTensor(t: FixtureTensor, dtype: DType = 'float32', requiresGrad = false): Tensor {
  if (t.dtype === 'bool') return tensor(Uint8Array.from(t.data), t.shape);
  return tensor(dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data), t.shape, { requiresGrad });
}

const TOL: Record<'float32' | 'float64', { rtol: number; atol: number }> = {
  float32: { rtol: 1e-4, atol: 1e-5 },
  float64: { rtol: 1e-10, atol: 1e-12 },
};

/** softmax(q k^T * scale + bias) v for 2-D q [L, E], k [S, E], v [S, Ev], in float64 from the formula. */
function referenceAttention(
  q: number[][],
  k: number[][],
  v: number[][],
  scale: number,
  allowed: (i: number, j: number) => boolean,
): number[][] {
  return q.map((qi, i) => {
    const s = k.map((kj, j) => (allowed(i, j) ? scale * qi.reduce((a, x, e) => a + x * kj[e]!, 0) : -Infinity));
    const m = Math.max(...s);
    const p = s.map((x) => (m === -Infinity ? 0 : Math.exp(x - m)));
    const z = p.reduce((a, b) => a + b, 0);
    return v[0]!.map((_, c) => (z === 0 ? 0 : p.reduce((a, pj, j) => a + (pj / z) * v[j]![c]!, 0)));
  });
}

describe('functional.scaledDotProductAttention', () => {
  it('equals softmax(q k^T / sqrt(E)) v from the formula, causal with L != S', () => {
    const q = randomTensor([4, 3], 1, { dtype: 'float64' });
    const k = randomTensor([6, 3], 2, { dtype: 'float64' });
    const v = randomTensor([6, 2], 3, { dtype: 'float64' });
    const rows = (t: Tensor) => t.toArray() as number[][];
    for (const isCausal of [false, true]) {
      const out = F.scaledDotProductAttention(q, k, v, { isCausal });
      const ref = referenceAttention(rows(q), rows(k), rows(v), 1 / Math.sqrt(3), (i, j) => !isCausal || j <= i);
      expectClose(out, ref.flat(), { rtol: 1e-12, atol: 1e-14 }, `isCausal ${isCausal}`);
    }
    // L = 6 > S = 4: queries 4 and 5 see every key, query 0 only key 0
    const v4 = randomTensor([4, 2], 15, { dtype: 'float64' });
    const outT = F.scaledDotProductAttention(k, q, v4, { isCausal: true });
    const refT = referenceAttention(rows(k), rows(q), rows(v4), 1 / Math.sqrt(3), (i, j) => j <= i);
    expectClose(outT, refT.flat(), { rtol: 1e-12, atol: 1e-14 }, 'isCausal, L > S');
  });

  it('passes float64 gradcheck in q, k and v (plain, bool mask, float mask, causal, scale)', () => {
    const q = randomTensor([2, 3, 4], 4);
    const k = randomTensor([2, 5, 4], 5);
    const v = randomTensor([2, 5, 3], 6);
    const mask = tensor(Uint8Array.of(1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0), [3, 5]);
    const floatMask = randomTensor([3, 5], 7, { requiresGrad: false, dtype: 'float64' }); // gradcheck runs in float64
    expectGradcheck((a, b, c) => F.scaledDotProductAttention(a!, b!, c!), [q, k, v]);
    expectGradcheck((a, b, c) => F.scaledDotProductAttention(a!, b!, c!, { attnMask: mask }), [q, k, v]);
    expectGradcheck((a, b, c) => F.scaledDotProductAttention(a!, b!, c!, { attnMask: floatMask }), [q, k, v]);
    expectGradcheck((a, b, c) => F.scaledDotProductAttention(a!, b!, c!, { isCausal: true, scale: 0.7 }), [q, k, v]);
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`matches torch in ${dtype}: outputs and gradients of q, k, v`, () => {
      for (const c of fixture.sdpa) {
        const [q, k, v] = [c.q, c.k, c.v].map((t) => toTensor(t, dtype, true)) as [Tensor, Tensor, Tensor];
        const attnMask = c.attnMask === null ? null : toTensor(c.attnMask, dtype);
        const out = F.scaledDotProductAttention(q, k, v, { attnMask, isCausal: c.isCausal, scale: c.scale });
        expectClose(out, c.out.data, TOL[dtype], `${c.name}: out`);
        out.backward(toTensor(c.g, dtype));
        expectClose(q.grad!, c.dq.data, TOL[dtype], `${c.name}: dq`);
        expectClose(k.grad!, c.dk.data, TOL[dtype], `${c.name}: dk`);
        expectClose(v.grad!, c.dv.data, TOL[dtype], `${c.name}: dv`);
      }
    });
  }

  it('drops attention weights only when dropoutP > 0, reproducibly with a generator', () => {
    const q = randomTensor([2, 4, 3], 8, { requiresGrad: false });
    const plain = F.scaledDotProductAttention(q, q, q);
    expect(Array.from(F.scaledDotProductAttention(q, q, q, { dropoutP: 0 }).data)).toEqual(Array.from(plain.data));
    const a = F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5, generator: new Generator(1) });
    const b = F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5, generator: new Generator(1) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(plain.data));
  });

  it("lays out its output like torch's: q's memory order only for 4-D q, k, v with E == Ev", () => {
    // torch 2.13 on CPU (run by hand): its flash kernel (4-D, E == Ev, last strides 1) writes the
    // output in q's memory order; every other case goes through its math kernel, whose output is
    // contiguous, so `.view` works there and must work here too.
    const cases: [number[], number[], number[], number[], boolean][] = [
      // q shape (then permuted), permutation, k, v, torch's output isContiguous()
      [[2, 5, 3, 4], [0, 2, 1, 3], [2, 3, 7, 4], [2, 3, 7, 4], false], // heads of a [B, L, H, E] projection
      [[2, 5, 3, 4], [0, 2, 1, 3], [2, 3, 7, 4], [2, 3, 7, 2], true], // Ev != E
      [[5, 2, 4], [1, 0, 2], [2, 7, 4], [2, 7, 4], true], // 3-D
    ];
    for (const [qs, perm, ks, vs, contiguous] of cases) {
      const q = randomTensor(qs, 20).permute(perm);
      const o = F.scaledDotProductAttention(q, randomTensor(ks, 21), randomTensor(vs, 22), { isCausal: true });
      expect(o.isContiguous(), `q ${qs} permuted ${perm}, v ${vs}`).toBe(contiguous);
      if (contiguous) expect(o.view([-1]).shape).toEqual([o.size]);
      else expect(() => o.view([-1])).toThrow();
    }
  });

  it('names the argument in its errors', () => {
    const q = randomTensor([2, 3, 4], 9);
    const k = randomTensor([2, 5, 4], 10);
    const v = randomTensor([2, 5, 6], 11);
    const sdpa = F.scaledDotProductAttention;
    expect(() => sdpa(q, k, v, { attnMask: tensor(new Uint8Array(15).fill(1), [3, 5]), isCausal: true })).toThrow(
      'scaledDotProductAttention: explicit attnMask should not be set when isCausal is true (torch: "Explicit attn_mask should not be set when is_causal=True")',
    );
    expect(() => sdpa(q, randomTensor([2, 5, 3], 12), v)).toThrow(
      "scaledDotProductAttention: key's last axis must equal query's (E = 4), got query [2, 3, 4], key [2, 5, 3]",
    );
    expect(() => sdpa(q, k, randomTensor([2, 4, 6], 13))).toThrow(
      "scaledDotProductAttention: value's length axis (-2) must equal key's (S = 5)",
    );
    expect(() => sdpa(randomTensor([4], 14), k, v)).toThrow(
      'scaledDotProductAttention: query must have at least 2 dimensions [..., length, features], got [4]',
    );
    expect(() => sdpa(q, k, v, { attnMask: tensor(new Int32Array(15), [3, 5]) })).toThrow(
      "scaledDotProductAttention: attnMask must be bool or of query's dtype 'float32', got dtype 'int32'",
    );
    expect(() => sdpa(q, k, v, { attnMask: randomTensor([3, 5], 16, { dtype: 'float64' }) })).toThrow(
      "got dtype 'float64'",
    );
    expect(() => sdpa(q, k, v, { attnMask: randomTensor([2, 2, 3, 5], 17) })).toThrow(
      "scaledDotProductAttention: attnMask [2, 2, 3, 5] must broadcast to the scores' shape [2, 3, 5]",
    );
    expect(() => sdpa(q.to('float64'), k, v)).toThrow(
      "scaledDotProductAttention: query, key and value must have the same dtype, got 'float64', 'float32' and 'float32'",
    );
    expect(() => sdpa(q, k, v, { dropoutP: 1.5 })).toThrow(
      'scaledDotProductAttention: dropout probability p must be in [0, 1], got 1.5',
    );
    expect(() => sdpa(q, k, v, { scale: NaN })).toThrow(
      'scaledDotProductAttention: scale must be a finite number or null, got NaN',
    );
    expect(() => sdpa(q, k, v, { attnMask: tensor(new Uint8Array(8), [2, 4]) })).toThrow('[2, 3, 5]');
  });
});

/** A MultiheadAttention built like the fixture's, with torch's state dict loaded under the same keys. */
function mhaFromFixture(c: MhaCase): nn.MultiheadAttention {
  const m = new nn.MultiheadAttention(c.E, c.H, {
    batchFirst: c.ctor.batch_first ?? false,
    bias: c.ctor.bias ?? true,
    kdim: c.ctor.kdim ?? null,
    vdim: c.ctor.vdim ?? null,
  });
  expect(Object.keys(m.stateDict()), c.name).toEqual(Object.keys(c.state));
  const sd: Record<string, Tensor> = {};
  for (const [key, t] of Object.entries(c.state)) sd[key] = toTensor(t);
  m.loadStateDict(sd);
  return m.eval();
}

describe('nn.MultiheadAttention', () => {
  it('matches torch: outputs, weights, gradients of the inputs and of every parameter', () => {
    for (const c of fixture.mha) {
      const m = mhaFromFixture(c);
      const [q, k, v] = [c.q, c.k, c.v].map((t) => toTensor(t, 'float32', true)) as [Tensor, Tensor, Tensor];
      const { output, weights } = m.forward(q, k, v, {
        attnMask: c.fwd.attn_mask === undefined ? null : toTensor(c.fwd.attn_mask),
        keyPaddingMask: c.fwd.key_padding_mask === undefined ? null : toTensor(c.fwd.key_padding_mask),
        needWeights: c.fwd.need_weights ?? true,
        averageAttnWeights: c.fwd.average_attn_weights ?? true,
        isCausal: c.fwd.is_causal ?? false,
      });
      expectClose(output, c.out.data, TOL.float32, `${c.name}: output`);
      expect(output.shape, c.name).toEqual(c.out.shape);
      if (c.weights === null) expect(weights, c.name).toBeNull();
      else {
        expect(weights!.shape, c.name).toEqual(c.weights.shape);
        expectClose(weights!, c.weights.data, TOL.float32, `${c.name}: weights`);
      }
      let loss = output.mul(toTensor(c.g)).sum();
      if (weights !== null) loss = loss.add(weights.mul(toTensor(c.gw!)).sum());
      loss.backward();
      expectClose(q.grad!, c.dq.data, TOL.float32, `${c.name}: dquery`);
      expectClose(k.grad!, c.dk.data, TOL.float32, `${c.name}: dkey`);
      expectClose(v.grad!, c.dv.data, TOL.float32, `${c.name}: dvalue`);
      const params = Object.fromEntries(m.namedParameters());
      expect(Object.keys(params).sort(), c.name).toEqual(Object.keys(c.dparams).sort());
      for (const [key, g] of Object.entries(c.dparams))
        expectClose(params[key]!.grad!, g.data, TOL.float32, `${c.name}: d${key}`);
    }
  });

  it('passes float64 gradcheck through the functional core (projections, heads, masks)', () => {
    const m = new nn.MultiheadAttention(4, 2, { batchFirst: true });
    const params = m.namedParameters();
    const x = randomTensor([2, 3, 4], 20);
    const pad = tensor(Uint8Array.of(0, 0, 1, 0, 0, 0), [2, 3]);
    // the parameters as gradcheck inputs: copy each into the module, run, read the output
    const fn = (xi: Tensor, ...ps: Tensor[]): Tensor => {
      const saved = params.map(([, p]) => p);
      const target = m as unknown as Record<string, unknown>;
      target['inProjWeight'] = ps[0];
      target['inProjBias'] = ps[1];
      m.outProj.weight = ps[2]!;
      m.outProj.bias = ps[3]!;
      try {
        const { output, weights } = m.forward(xi, xi, xi, { keyPaddingMask: pad });
        return output.sum().add(weights!.mul(weights!).sum());
      } finally {
        [target['inProjWeight'], target['inProjBias'], m.outProj.weight, m.outProj.bias] = saved;
      }
    };
    const inputs = [x, ...params.map(([, p], i) => randomTensor([...p.shape], 21 + i))];
    expectGradcheck(fn, inputs);
  });

  it('initialises like torch: xavier-uniform in_proj_weight, zero biases, torch keys', () => {
    const m = new nn.MultiheadAttention(16, 4);
    expect(Object.keys(m.stateDict())).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    const bound = Math.sqrt(6 / (48 + 16));
    const w = Array.from(m.inProjWeight!.data);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * bound); // 768 draws: miss probability 0.95^768
    expect(Array.from(m.inProjBias!.data).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.outProj.bias!.data).every((x) => x === 0)).toBe(true);
    expect(Math.max(...Array.from(m.outProj.weight.data, Math.abs))).toBeLessThanOrEqual(1 / 4); // Linear's 1/sqrt(16)
    expect(Object.keys(new nn.MultiheadAttention(4, 2, { bias: false }).stateDict())).toEqual([
      'in_proj_weight',
      'out_proj.weight',
    ]);
    expect(m.parameters().every((p) => nn.isParameter(p))).toBe(true);
    const x = randomTensor([3, 2, 16], 35, { requiresGrad: false });
    // call (torch's m(x)) passes the arguments through and returns forward's { output, weights }
    expect(Array.from(m.call(x, x, x).output.data)).toEqual(Array.from(m.forward(x, x, x).output.data));
    // torch prints no arguments for MultiheadAttention, only its out_proj child
    expect(String(new nn.MultiheadAttention(4, 2))).toBe(
      'MultiheadAttention(\n  (out_proj): Linear(inFeatures=4, outFeatures=4, bias=true)\n)',
    );
  });

  it('applies dropout to the weights only in training', () => {
    const m = new nn.MultiheadAttention(4, 2, { dropout: 0.5 });
    const x = randomTensor([3, 2, 4], 30, { requiresGrad: false });
    const evalOut = m.eval().forward(x, x, x);
    expect(Array.from(m.forward(x, x, x).weights!.data)).toEqual(Array.from(evalOut.weights!.data));
    const trainW = m.train().forward(x, x, x, { averageAttnWeights: false }).weights!;
    expect(Array.from(trainW.data).some((w) => w === 0)).toBe(true);
  });

  it('names the argument in its errors', () => {
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(
      'MultiheadAttention: embedDim (10) must be divisible by numHeads (3) (torch: "embed_dim must be divisible by num_heads")',
    );
    expect(() => new nn.MultiheadAttention(4, 2, { addBiasKV: true })).toThrow(
      'MultiheadAttention: addBiasKV is not supported, got true',
    );
    expect(() => new nn.MultiheadAttention(4, 0)).toThrow(
      'MultiheadAttention: numHeads must be a positive integer, got 0',
    );
    const m = new nn.MultiheadAttention(4, 2);
    const x = randomTensor([3, 2, 4], 31);
    expect(() => m.forward(randomTensor([3, 2, 5], 32), x, x)).toThrow(
      'MultiheadAttention: was expecting embedding dimension of 4, got query [3, 2, 5]',
    );
    expect(() => m.forward(randomTensor([4], 33), x, x)).toThrow(
      'MultiheadAttention: query should be unbatched 2D or batched 3D tensor, got a 1-D query [4]',
    );
    expect(() => m.forward(x, x, randomTensor([2, 2, 4], 34))).toThrow(
      'MultiheadAttention: key [3, 2, 4] and value [2, 2, 4] must match query [3, 2, 4]',
    );
    expect(() => m.forward(x, x, x, { attnMask: tensor(new Uint8Array(6), [2, 3]) })).toThrow(
      'MultiheadAttention: attnMask must be [3, 3] or [4, 3, 3], got [2, 3]',
    );
    expect(() => m.forward(x, x, x, { keyPaddingMask: tensor(new Uint8Array(3), [3]) })).toThrow(
      'MultiheadAttention: keyPaddingMask must be [2, 3], got [3]',
    );
    expect(() => m.forward(x, x, x, { isCausal: true })).toThrow(
      'MultiheadAttention: isCausal is a hint and needs attnMask',
    );
  });
});
