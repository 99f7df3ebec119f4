/**
 * The must-show test: three data pipelines from PyTorch tutorials, written the way a
 * PyTorch user ports them, with no loop over `.data` inside the pipelines themselves.
 *
 *   - makemore part 3 (Karpathy): contexts of block size 3 over a few names with `stoi`, int32 X/Y,
 *     the embedding `C.at(X)` (torch `C[X]`), `emb.reshape([-1, 30])`, an MLP and cross-entropy, checked
 *     against PyTorch (test/fixtures/pipeline.py); then a minibatch `X.at(ix)` with `randint`.
 *   - nanoGPT's `get_batch`: `torch.stack([data[i:i+block_size] for i in ix])`, the slice written
 *     `data.at({ start: i, end: i + blockSize })` (torch's `data[i:i+block_size]`).
 *   - nanoGPT's `generate` with top-k: `logits[:, -1, :]`, `topk`, `maskedFill(-Infinity)`,
 *     softmax, `multinomial`, `cat` of the new token.
 *
 * The checks after each pipeline use plain loops over `.data` as the independent reference.
 */
import { describe, expect, it } from 'vitest';
import {
  cat,
  functional as F,
  manualSeed,
  multinomial,
  randint,
  randn,
  stack,
  tensor,
  type Tensor,
} from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';

interface MakemoreFixture {
  words: string[];
  X: FixtureTensor;
  Y: FixtureTensor;
  C: FixtureTensor;
  W1: FixtureTensor;
  b1: FixtureTensor;
  W2: FixtureTensor;
  b2: FixtureTensor;
  loss: number;
  gradC: FixtureTensor;
  gradW1: FixtureTensor;
}

const fx = loadFixture('pipeline') as unknown as MakemoreFixture;
const param = (f: FixtureTensor): Tensor => tensor(f.data, f.shape, { requiresGrad: true });

describe('makemore part 3: dataset, embedding, MLP, minibatch', () => {
  // --- the pipeline, as in the notebook -----------------------------------------------------
  const words = fx.words;
  const chars = [...new Set(words.join(''))].sort();
  const stoi: Record<string, number> = Object.fromEntries(chars.map((s, i) => [s, i + 1]));
  stoi['.'] = 0;
  const blockSize = 3;

  function buildDataset(ws: string[]): { X: Tensor; Y: Tensor } {
    const X: number[][] = [];
    const Y: number[] = [];
    for (const w of ws) {
      let context = new Array<number>(blockSize).fill(0);
      for (const ch of w + '.') {
        const ix = stoi[ch]!;
        X.push(context);
        Y.push(ix);
        context = [...context.slice(1), ix];
      }
    }
    return { X: tensor(X, undefined, { dtype: 'int32' }), Y: tensor(Y, undefined, { dtype: 'int32' }) };
  }

  it('builds X and Y exactly as torch does', () => {
    const { X, Y } = buildDataset(words);
    expect(X.dtype).toBe('int32');
    expect([...X.shape]).toEqual(fx.X.shape);
    expect(Array.from(X.data)).toEqual(Array.from(fx.X.data));
    expect(Array.from(Y.data)).toEqual(Array.from(fx.Y.data));
  });

  it('C.at(X), view(-1, 30), MLP and cross-entropy: loss and gradients match torch', () => {
    const { X, Y } = buildDataset(words);
    const [C, W1, b1, W2, b2] = [fx.C, fx.W1, fx.b1, fx.W2, fx.b2].map(param);
    const emb = C!.at(X); // [N, 3, 10]
    expect(emb.shape).toEqual([X.shape[0], 3, 10]);
    const h = emb.reshape([-1, 30]).matmul(W1!).add(b1!).tanh(); // emb.view(-1, 30) once views are in main
    const logits = h.matmul(W2!).add(b2!);
    const loss = F.crossEntropy(logits, Y);
    loss.backward();
    // float32 forward over ~60 rows, tanh and a log-sum-exp: 1e-5 relative
    expectClose(loss.item(), fx.loss, { rtol: 1e-5, atol: 1e-6 }, 'loss');
    expectClose(C!.grad!, fx.gradC.data, { rtol: 1e-4, atol: 1e-6 }, 'dC');
    expectClose(W1!.grad!, fx.gradW1.data, { rtol: 1e-4, atol: 1e-6 }, 'dW1');
  });

  it('a minibatch ix = randint(0, N, [32]) picks rows of X and Y, and trains C only on them', () => {
    const { X, Y } = buildDataset(words);
    manualSeed(42);
    const C = randn([27, 10], { requiresGrad: true });
    const ix = randint(0, X.shape[0]!, [32]);
    const Xb = X.at(ix);
    const Yb = Y.at(ix);
    expect([Xb.shape, Yb.shape]).toEqual([[32, 3], [32]]);
    const emb = C.at(Xb);
    emb.reshape([-1, 30]).sum().backward();
    // reference: row r of X for each drawn r; C.grad row c = how often c occurs in the batch contexts
    const rows = Array.from(ix.data);
    expect(rows.every((r) => r >= 0 && r < X.shape[0]!)).toBe(true);
    const counts = new Array<number>(27).fill(0);
    rows.forEach((r, b) => {
      for (let j = 0; j < 3; j++) {
        expect(Xb.data[b * 3 + j]).toBe(X.data[r * 3 + j]);
        counts[X.data[r * 3 + j]!]!++;
      }
      expect(Yb.data[b]).toBe(Y.data[r]);
    });
    expect(Array.from(C.grad!.data)).toEqual(counts.flatMap((n) => new Array<number>(10).fill(n)));
  });
});

describe("nanoGPT's get_batch", () => {
  it('stacks blocks of the data at random offsets; y is x shifted by one', () => {
    const text = 'hello world, hello typegrad. '.repeat(4);
    const vocab = [...new Set(text)].sort();
    const data = tensor(
      [...text].map((ch) => vocab.indexOf(ch)),
      undefined,
      { dtype: 'int32' },
    );
    const blockSize = 8;
    const batchSize = 4;
    manualSeed(1337);
    const getBatch = (): [Tensor, Tensor, Tensor] => {
      const ix = randint(0, data.shape[0]! - blockSize, [batchSize]);
      const starts = ix.toArray() as number[];
      const x = stack(starts.map((i) => data.at({ start: i, end: i + blockSize })));
      const y = stack(starts.map((i) => data.at({ start: i + 1, end: i + 1 + blockSize })));
      return [x, y, ix];
    };
    const [x, y, ix] = getBatch();
    expect([x.shape, y.shape, x.dtype]).toEqual([[batchSize, blockSize], [batchSize, blockSize], 'int32']);
    Array.from(ix.data).forEach((start, b) => {
      for (let t = 0; t < blockSize; t++) {
        expect(x.data[b * blockSize + t]).toBe(vocab.indexOf(text[start + t]!));
        expect(y.data[b * blockSize + t]).toBe(vocab.indexOf(text[start + t + 1]!));
      }
    });
  });
});

describe("nanoGPT's generate with top-k sampling", () => {
  const vocab = 11;
  manualSeed(7);
  // a bigram "model": logits for the next token are a row of a table, for every position
  const table = randn([vocab, vocab]).mul(2);
  const model = (idx: Tensor): Tensor => table.at(idx); // [B, T, vocab]

  function generate(idx: Tensor, maxNewTokens: number, topK: number, temperature = 1.0): Tensor {
    const blockSize = 4;
    for (let step = 0; step < maxNewTokens; step++) {
      const idxCond = idx.shape[1]! <= blockSize ? idx : idx.at(null, { start: -blockSize });
      let logits = model(idxCond);
      logits = logits.at(null, -1, null).div(temperature); // logits[:, -1, :]
      const { values: v } = logits.topk(Math.min(topK, logits.shape[1]!));
      logits = logits.maskedFill(logits.lt(v.at(null, { start: -1 })), -Infinity); // logits[logits < v[:, [-1]]] = -inf
      const probs = F.softmax(logits, -1);
      const idxNext = multinomial(probs, 1);
      idx = cat([idx, idxNext], 1);
    }
    return idx;
  }

  it('every sampled token is among the top k of its logits; the sequence grows by one per step', () => {
    const start = tensor([[0], [5], [10]], undefined, { dtype: 'int32' });
    manualSeed(3);
    const out = generate(start, 12, 3);
    expect(out.shape).toEqual([3, 13]);
    expect(out.dtype).toBe('int32');
    // reference: the 3 largest entries of the bigram row of the previous token
    const rows = out.toArray() as number[][];
    for (const row of rows) {
      for (let t = 1; t < row.length; t++) {
        const logits = Array.from(table.data.subarray(row[t - 1]! * vocab, (row[t - 1]! + 1) * vocab));
        const kth = [...logits].sort((a, b) => b - a)[2]!;
        expect(logits[row[t]!]).toBeGreaterThanOrEqual(kth);
      }
    }
  });

  it('top-1 sampling is greedy decoding (argmax of the bigram row)', () => {
    const out = generate(tensor([[2]], undefined, { dtype: 'int32' }), 8, 1);
    const seq = (out.toArray() as number[][])[0]!;
    for (let t = 1; t < seq.length; t++) {
      const logits = Array.from(table.data.subarray(seq[t - 1]! * vocab, (seq[t - 1]! + 1) * vocab));
      expect(seq[t]).toBe(logits.indexOf(Math.max(...logits)));
    }
  });
});
