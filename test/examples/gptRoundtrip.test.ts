/**
 * The nanoGPT port (examples/gpt/model.ts) against PyTorch, both ways, plus gradcheck.
 *
 * torch -> typegrad: test/fixtures/gpt_roundtrip.py builds nanoGPT in PyTorch (LayerNorm with biases;
 * RMSNorm without), saves its state dict as safetensors and writes, for a fixed batch, the logits, the
 * loss, every parameter's gradient and the parameters after one AdamW step. Here the checkpoint is
 * loaded with `loadStateDict` (strict) and everything is recomputed and compared.
 *
 * typegrad -> torch: test/fixtures/gpt_typegrad.ts writes typegrad-initialised checkpoints with the
 * batch and typegrad's outputs in the metadata; `gpt_roundtrip.py --check` loads them with
 * `load_state_dict(strict=True)` and compares (run by hand, see test/fixtures/README.md). Here the
 * committed files are checked to be what typegrad writes today, and a fresh save round-trips through
 * a temporary file.
 *
 * Tolerances (float32 on both sides; the weights are identical, only summation orders and kernels
 * differ, ~1e-7 relative per op through ~15 ops):
 *   logits, loss       rtol 1e-4, atol 1e-5 (values of order 1; observed differences ~1e-7)
 *   gradients          atol 1e-5 * max|grad| + rtol 1e-3: a gradient is a sum over the batch of
 *                      products, so its error scales with the largest terms, not with itself
 *   one AdamW step     atol 1e-6 (lr 1e-2): the first Adam step is lr * g / (|g| + eps), which is
 *                      +-lr for all but tiny gradients; a gradient off by 1e-7 relative moves it by less
 * The float64 gradcheck of a one-layer GPT checks the gradients independently of PyTorch.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, manualSeed, randint, readSafetensors, tensor, type Tensor } from '../../src/index.js';
import { loadSafetensorsFile, readSafetensorsFile, saveSafetensorsFile } from '../../src/io/node.js';
import { GPT, type GPTConfig } from '../../examples/gpt/model.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { TYPEGRAD_CONFIGS, typegradCase, typegradCheckpoint } from '../fixtures/gpt_typegrad.js';
import { expectGradcheck } from '../autograd/fixtures.js';
import { expectClose, expectWithin } from '../helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

interface TorchCase {
  config: {
    block_size: number;
    vocab_size: number;
    n_layer: number;
    n_head: number;
    n_embd: number;
    dropout: number;
    bias: boolean;
    norm: 'layernorm' | 'rmsnorm';
  };
  optim: { weight_decay: number; learning_rate: number; betas: [number, number] };
  stateDictKeys: string[];
  parameterNames: string[];
  idx: FixtureTensor;
  targets: FixtureTensor;
  logits: FixtureTensor;
  loss: FixtureTensor;
  lastLogits: FixtureTensor;
}

const fixture = loadFixture('gpt_roundtrip') as Record<'layernorm' | 'rmsnorm', TorchCase>;

function configOf(c: TorchCase['config']): GPTConfig {
  return {
    blockSize: c.block_size,
    vocabSize: c.vocab_size,
    nLayer: c.n_layer,
    nHead: c.n_head,
    nEmbd: c.n_embd,
    dropout: c.dropout,
    bias: c.bias,
    norm: c.norm,
  };
}

function ints(t: FixtureTensor): Tensor {
  return tensor(Int32Array.from(t.data), t.shape);
}

/** The torch model loaded into a typegrad GPT (strict). */
function loadTorchModel(norm: 'layernorm' | 'rmsnorm'): GPT {
  const model = new GPT(configOf(fixture[norm].config));
  model.loadStateDict(loadSafetensorsFile(join(FIXTURES, `gpt_roundtrip_${norm}.safetensors`)));
  return model;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

/** |a - e| <= atol * max|e| + rtol * |e|: errors of a sum scale with its largest terms. */
function expectCloseScaled(actual: Tensor, expected: Tensor, rtol: number, atolFrac: number, label: string): void {
  const e = expected.data;
  const scale = maxAbs(e);
  expectWithin(actual.data, e, (i) => atolFrac * scale + rtol * Math.abs(e[i]!), label);
}

describe.each(['layernorm', 'rmsnorm'] as const)('GPT %s: PyTorch -> typegrad', (norm) => {
  const c = fixture[norm];

  it("has nanoGPT's state-dict keys and parameter names, in torch's order", () => {
    const model = new GPT(configOf(c.config));
    expect(Object.keys(model.stateDict())).toEqual(c.stateDictKeys);
    // the tied lm_head.weight is one parameter, listed under its first name
    expect(model.namedParameters().map(([n]) => n)).toEqual(c.parameterNames);
    expect(c.stateDictKeys).toContain('lm_head.weight');
    expect(c.parameterNames).not.toContain('lm_head.weight');
  });

  it('loads the torch checkpoint strictly and keeps the tying', () => {
    const model = loadTorchModel(norm);
    expect(model.lm_head.weight).toBe(model.transformer.wte.weight);
    const saved = loadSafetensorsFile(join(FIXTURES, `gpt_roundtrip_${norm}.safetensors`));
    for (const [k, t] of Object.entries(model.stateDict()))
      expect(Array.from(t.data), k).toEqual(Array.from(saved[k]!.data));
  });

  it("matches torch's logits and loss, with targets and without", () => {
    const model = loadTorchModel(norm);
    const [logits, loss] = model.call(ints(c.idx), ints(c.targets));
    expectClose(logits, c.logits.data, { rtol: 1e-4, atol: 1e-5 }, 'logits');
    expect(logits.shape).toEqual(c.logits.shape);
    expectClose(loss!, c.loss.data, { rtol: 1e-5, atol: 1e-6 }, 'loss');
    const [last, none] = model.call(ints(c.idx));
    expect(none).toBeNull();
    expect(last.shape).toEqual(c.lastLogits.shape);
    expectClose(last, c.lastLogits.data, { rtol: 1e-4, atol: 1e-5 }, 'last-position logits');
  });

  it("matches torch's gradient of every parameter and one AdamW step of configureOptimizers", () => {
    const model = loadTorchModel(norm);
    const expected = loadSafetensorsFile(join(FIXTURES, `gpt_roundtrip_${norm}_expected.safetensors`));
    const [, loss] = model.call(ints(c.idx), ints(c.targets));
    loss!.backward();
    const params = model.namedParameters();
    expect(params.length).toBe(c.parameterNames.length);
    for (const [name, p] of params) expectCloseScaled(p.grad!, expected[`grad.${name}`]!, 1e-3, 1e-5, `grad ${name}`);
    const { weight_decay: wd, learning_rate: lr, betas } = c.optim;
    const before = params.map(([, p]) => Float64Array.from(p.data));
    const opt = model.configureOptimizers(wd, lr, betas);
    opt.step();
    params.forEach(([name, p], k) => {
      const g = expected[`grad.${name}`]!.data;
      const want = expected[`stepped.${name}`]!.data;
      const decay = opt.paramGroups[0]!.params.includes(p) ? wd : 0;
      const gMax = maxAbs(g);
      // Adam's first step is lr * g / (|g| + eps): it turns a gradient that is float32 noise (the
      // key bias's, zero in exact arithmetic since softmax ignores a constant shift of a score row)
      // into +-lr. Where |g| < 1e-4 max|g| (about 1% of the elements) only the step's size is checked: at most lr.
      expectWithin(
        p.data,
        want,
        (i) => (Math.abs(g[i]!) >= 1e-4 * gMax ? 1e-6 : Infinity),
        `step ${name}`,
        'atol 1e-6 where |grad| >= 1e-4 max|grad|',
      );
      const shrunk = before[k]!.map((v) => v * (1 - lr * decay));
      expectWithin(p.data, shrunk, () => lr * (1 + 1e-5), `step size ${name}`, 'lr');
    });
  });
});

describe('GPT: typegrad -> PyTorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typegrad-gpt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['layernorm', 'rmsnorm'] as const)('the committed %s checkpoint is what typegrad writes', (norm) => {
    const committed = readSafetensorsFile(join(FIXTURES, `gpt_typegrad_${norm}.safetensors`));
    const fresh = typegradCase(norm);
    // weights: the seeded initialisation, bit for bit (no kernel involved)
    const sd = fresh.model.stateDict();
    expect(Object.keys(committed.tensors).sort()).toEqual(Object.keys(sd).sort()); // the file's order is sorted
    for (const [k, t] of Object.entries(sd))
      expect(Array.from(committed.tensors[k]!.data), k).toEqual(Array.from(t.data));
    // metadata: the batch exactly; the outputs up to the kernels' float32 rounding
    const meta = committed.metadata;
    expect(JSON.parse(meta['idx']!)).toEqual(Array.from(fresh.idx.data));
    expect(JSON.parse(meta['targets']!)).toEqual(Array.from(fresh.targets.data));
    expect(JSON.parse(meta['config']!)).toMatchObject({ n_embd: 32, norm, bias: TYPEGRAD_CONFIGS[norm].bias });
    expectClose(fresh.logits, JSON.parse(meta['logits']!) as number[], { rtol: 1e-5, atol: 1e-6 }, 'logits');
    expectClose(fresh.loss, [Number(meta['loss'])], { rtol: 1e-6, atol: 1e-6 }, 'loss');
  });

  it.each(['layernorm', 'rmsnorm'] as const)('a saved %s checkpoint loads back strictly, tied', (norm) => {
    const path = join(dir, `${norm}.safetensors`);
    const { model, idx, targets, logits } = typegradCase(norm);
    saveSafetensorsFile(path, model.stateDict(), { format: 'pt' });
    expect(readFileSync(path).length).toBeGreaterThan(0);
    manualSeed(12345); // different weights, then overwritten by the load
    const other = new GPT(TYPEGRAD_CONFIGS[norm]);
    other.loadStateDict(loadSafetensorsFile(path));
    expect(other.lm_head.weight).toBe(other.transformer.wte.weight);
    const [again] = other.call(idx, targets);
    expect(Array.from(again.data)).toEqual(Array.from(logits.data));
    // and bytes equal to the writer the Python check reads (same tensors, same order)
    const viaWriter = readSafetensors(typegradCheckpoint(norm)).tensors;
    expect(Object.keys(viaWriter)).toEqual(Object.keys(loadSafetensorsFile(path)));
  });
});

describe('GPT: gradients, sampling, optimizer groups, init, errors', () => {
  const tiny = (norm: 'layernorm' | 'rmsnorm', bias: boolean): GPTConfig => ({
    blockSize: 4,
    vocabSize: 5,
    nLayer: 1,
    nHead: 2,
    nEmbd: 4,
    dropout: 0,
    bias,
    norm,
  });

  it.each([
    ['layernorm', true],
    ['rmsnorm', false],
  ] as const)('passes float64 gradcheck in every parameter (%s, bias %s), one layer', (norm, bias) => {
    manualSeed(3);
    const model = new GPT(tiny(norm, bias));
    const gen = new Generator(5);
    const idx = randint(0, 5, [2, 4], { generator: gen });
    const targets = randint(0, 5, [2, 4], { generator: gen });
    // larger weights than the 0.02 init, so that every path carries a visible gradient
    const named = model.namedParameters().map(([n, p]) => [n, p.detach().mul(3)] as const);
    const owners = (name: string): [Record<string, unknown>, string][] => {
      const path = name.split('.');
      const field = path.pop()!;
      let m: unknown = model;
      for (const key of path) m = (m as Record<string, unknown>)[key]; // ModuleList fields are '0', '1', ...
      const out: [Record<string, unknown>, string][] = [[m as Record<string, unknown>, field]];
      if (name === 'transformer.wte.weight') out.push([model.lm_head as unknown as Record<string, unknown>, 'weight']);
      return out;
    };
    const fn = (...ps: Tensor[]): Tensor => {
      named.forEach(([n], i) => owners(n).forEach(([m, f]) => (m[f] = ps[i])));
      const [logits, loss] = model.call(idx, targets);
      return loss!.add(logits.sum().mul(0.01));
    };
    const inputs = named.map(([, p]) => p.requiresGrad_(true));
    expectGradcheck(fn, inputs);
    // and every input is really used by fn (a parameter left unswapped would pass with zero gradients)
    fn(...inputs).backward();
    for (const [k, p] of inputs.entries()) expect(p.grad!.abs().sum().item(), named[k]![0]).toBeGreaterThan(0);
  });

  it('generate with topK 1 is greedy decoding, and crops the context to blockSize', () => {
    manualSeed(4);
    const config = { ...tiny('layernorm', true), vocabSize: 7, blockSize: 3 };
    const model = new GPT(config).eval();
    const out = model.generate(tensor(Int32Array.of(1, 2), [2, 1]), 6, { topK: 1 });
    expect(out.shape).toEqual([2, 7]);
    expect(out.dtype).toBe('int32');
    for (let b = 0; b < 2; b++) {
      const seq = Array.from(out.data.subarray(b * 7, b * 7 + 7));
      for (let t = 1; t < 7; t++) {
        const ctx = seq.slice(Math.max(0, t - 3), t);
        const [logits] = model.call(tensor(Int32Array.from(ctx), [1, ctx.length]));
        expect(seq[t], `batch ${b} step ${t}`).toBe(logits.argmax().item());
      }
    }
  });

  it('generate with topK samples only among the k most likely tokens, temperature sharpens', () => {
    manualSeed(5);
    const config = { ...tiny('rmsnorm', false), vocabSize: 9, blockSize: 2 };
    const model = new GPT(config).eval();
    // the first token after '0' must be one of the 3 largest logits of the prefix [0]
    const [logits] = model.call(tensor(Int32Array.of(0), [1, 1]));
    const top3 = new Set(Array.from(logits.topk(3).indices.data));
    const starts = tensor(new Int32Array(200), [200, 1]);
    const out = model.generate(starts, 1, { topK: 3 });
    const seen = new Set(Array.from(out.select(1, 1).data));
    expect([...seen].every((t) => top3.has(t))).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
    const cold = model.generate(starts, 1, { temperature: 1e-4 });
    expect(new Set(Array.from(cold.select(1, 1).data))).toEqual(new Set([logits.argmax().item()]));
  });

  it("configureOptimizers decays exactly the matrices (nanoGPT's two groups), the tied weight once", () => {
    const model = new GPT(tiny('layernorm', true));
    const opt = model.configureOptimizers(0.1, 3e-4, [0.9, 0.95]);
    const [decay, noDecay] = opt.paramGroups;
    expect(decay!.weightDecay).toBe(0.1);
    expect(noDecay!.weightDecay).toBe(0);
    expect(decay!.params.every((p) => p.ndim === 2)).toBe(true);
    expect(noDecay!.params.every((p) => p.ndim === 1)).toBe(true);
    expect(decay!.params.length + noDecay!.params.length).toBe(model.parameters().length);
    expect(decay!.params.filter((p) => p === model.lm_head.weight).length).toBe(1);
    expect(decay!.betas).toEqual([0.9, 0.95]);
    // 1 layer: wte, wpe, c_attn, c_proj, c_fc, c_proj matrices
    expect(decay!.params.length).toBe(6);
  });

  it('initialises like nanoGPT: N(0, 0.02), residual projections N(0, 0.02/sqrt(2 nLayer)), zero biases', () => {
    manualSeed(6);
    const model = new GPT({ ...tiny('layernorm', true), nEmbd: 64, nLayer: 4, vocabSize: 50, blockSize: 16 });
    const std = (t: Tensor): number => {
      let s = 0;
      for (const v of t.data) s += v * v;
      return Math.sqrt(s / t.size);
    };
    // the sample std of n normal draws has a standard error of sigma / sqrt(2n): allow 4 of them
    const expectStd = (p: Tensor, sigma: number, name: string): void =>
      expect(Math.abs(std(p) - sigma), name).toBeLessThan((4 * sigma) / Math.sqrt(2 * p.size));
    for (const [name, p] of model.namedParameters()) {
      if (name.endsWith('c_proj.weight')) expectStd(p, 0.02 / Math.sqrt(8), name);
      else if (p.ndim === 2) expectStd(p, 0.02, name);
      else if (name.endsWith('bias'))
        expect(
          Array.from(p.data).every((v) => v === 0),
          name,
        ).toBe(true);
      else
        expect(
          Array.from(p.data).every((v) => v === 1),
          name,
        ).toBe(true); // norm weights
    }
    // non-embedding count: everything except wpe, the tied matrix once
    const all = model.parameters().reduce((s, p) => s + p.size, 0);
    expect(model.getNumParams()).toBe(all - 16 * 64);
    expect(model.getNumParams(false)).toBe(all);
  });

  it('applies dropout (embeddings, attention, residuals) in training mode only', () => {
    manualSeed(9);
    const withDropout = new GPT({ ...tiny('layernorm', true), dropout: 0.3 });
    const plain = new GPT(tiny('layernorm', true));
    plain.loadStateDict(withDropout.stateDict());
    const idx = tensor(Int32Array.of(1, 2, 3, 4, 0, 1, 2, 3), [2, 4]);
    const [a] = withDropout.call(idx, idx);
    const [b] = withDropout.call(idx, idx);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    withDropout.eval();
    expect(Array.from(withDropout.call(idx, idx)[0].data)).toEqual(Array.from(plain.call(idx, idx)[0].data));
  });

  it('rejects nEmbd not divisible by nHead, and sequences longer than blockSize', () => {
    expect(() => new GPT({ ...tiny('layernorm', true), nEmbd: 6, nHead: 4 })).toThrow(
      'CausalSelfAttention: nEmbd (6) must be divisible by nHead (4)',
    );
    const model = new GPT(tiny('layernorm', true));
    expect(() => model.call(tensor(new Int32Array(5), [1, 5]))).toThrow(
      'GPT: cannot forward a sequence of length 5, block size is only 4',
    );
  });
});
