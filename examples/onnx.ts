/**
 * A model trained in typegrad, run in ONNX Runtime: the CNN of examples/cnn.ts (BatchNorm2d variant)
 * is trained for one pass over 3,000 of the `mnist` digits, exported with `saveOnnxFile` to out/cnn.onnx (batch
 * axis dynamic), loaded by onnxruntime-node and run on the 2,000 test digits in batches of 500, a
 * batch size the export never saw. It prints both accuracies, how many predictions agree, and the
 * largest logit difference.
 *
 * When examples/gpt/model.ts is there (the names GPT, `npm run example:gpt`), a small untrained GPT
 * of that file is exported too (token ids [batch, T] -> last-position logits) and its logits are
 * compared the same way.
 *
 *   npm run example:onnx                 (about 15 s on 2 cores)
 *
 * The three lines it takes (the rest is training and checking):
 *   saveOnnxFile('out/cnn.onnx', net, [images], { dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } } });
 *   const session = await ort.InferenceSession.create('out/cnn.onnx');
 *   const { output } = await session.run({ input: new ort.Tensor('float32', x.data, x.shape) });
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DataLoader,
  exportOnnx,
  functional as F,
  Generator,
  manualSeed,
  type nn,
  noGrad,
  optim,
  Tensor,
} from '../src/index.js';
import { saveOnnxFile } from '../src/io/node.js';
import { digitCnn } from './cnnModel.js';
import { loadDigits } from './mnist.js';
import { seconds } from './terminal.js';

interface OrtTensor {
  dims: readonly number[];
  data: Float32Array;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  Tensor: new (type: string, data: Float32Array | Int32Array, dims: readonly number[]) => unknown;
  InferenceSession: { create(pathOrBytes: string | Uint8Array): Promise<OrtSession> };
}
const ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Largest |a - b| and how many rows have the same argmax, over logits [N, K]. */
function compare(a: Float32Array, b: Tensor): { maxDiff: number; agree: number } {
  const K = b.shape[b.ndim - 1]!;
  const bd = b.contiguous().data;
  let maxDiff = 0;
  let agree = 0;
  for (let r = 0; r < bd.length / K; r++) {
    let [ia, ib] = [0, 0];
    for (let k = 0; k < K; k++) {
      const i = r * K + k;
      maxDiff = Math.max(maxDiff, Math.abs(a[i]! - bd[i]!));
      if (a[i]! > a[r * K + ia]!) ia = k;
      if (bd[i]! > bd[r * K + ib]!) ib = k;
    }
    if (ia === ib) agree++;
  }
  return { maxDiff, agree };
}

async function cnnRoundTrip(): Promise<void> {
  manualSeed(1);
  const net = digitCnn();
  const { train, test } = loadDigits({ trainSize: 8000, seed: 0, shape: 'image' });
  const opt = new optim.SGD(net.parameters(), { lr: 0.02, momentum: 0.9 });
  const t0 = performance.now();
  const [images, labels3k] = [train.images.narrow(0, 0, 3000), train.labels.narrow(0, 0, 3000)];
  for (const [x, y] of new DataLoader([images, labels3k], {
    batchSize: 32,
    shuffle: true,
    generator: new Generator(2),
  })) {
    const loss = F.crossEntropy(net.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  }
  console.log(`CNN: one pass over ${labels3k.size} training digits in ${seconds(performance.now() - t0)}`);

  // export: traced in eval mode on one example image, the batch axis symbolic
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  const path = join(ROOT, 'out', 'cnn.onnx');
  const example = test.images.narrow(0, 0, 1);
  saveOnnxFile(path, net, [example], { dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } } });
  const session = await ort.InferenceSession.create(path);

  net.eval();
  let [rightTg, rightOrt, agree, maxDiff] = [0, 0, 0, 0];
  const labels = test.labels.data;
  for (let start = 0; start < test.labels.size; start += 500) {
    const x = test.images.narrow(0, start, 500).contiguous();
    const { output } = await session.run({ input: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    const want = noGrad(() => net.forward(x));
    const c = compare(output!.data, want);
    agree += c.agree;
    maxDiff = Math.max(maxDiff, c.maxDiff);
    const predTg = want.argmax(1).data;
    for (let i = 0; i < 500; i++) {
      if (predTg[i] === labels[start + i]) rightTg++;
      let best = 0;
      for (let k = 1; k < 10; k++) if (output!.data[i * 10 + k]! > output!.data[i * 10 + best]!) best = k;
      if (best === labels[start + i]) rightOrt++;
    }
  }
  const n = test.labels.size;
  console.log(`  exported to out/cnn.onnx; onnxruntime-node ran it on ${n} test digits in batches of 500`);
  console.log(
    `  test accuracy: typegrad ${((100 * rightTg) / n).toFixed(2)}%, onnxruntime ${((100 * rightOrt) / n).toFixed(2)}%`,
  );
  console.log(`  same prediction on ${agree} / ${n} digits; largest logit difference ${maxDiff.toExponential(2)}`);
}

interface GptLike extends nn.Module {
  forward(idx: Tensor): [Tensor, Tensor | null];
}

async function gptRoundTrip(): Promise<void> {
  const file = join(ROOT, 'examples', 'gpt', 'model.ts');
  if (!existsSync(file)) {
    console.log('\nGPT: examples/gpt/model.ts is not here; skipped');
    return;
  }
  // a variable specifier: this example type-checks and runs without that file too
  const { GPT } = (await import(file)) as { GPT: new (config: object) => GptLike };
  manualSeed(0);
  const config = {
    blockSize: 16,
    vocabSize: 27,
    nLayer: 2,
    nHead: 4,
    nEmbd: 32,
    dropout: 0.1,
    bias: false,
    norm: 'layernorm',
  };
  const gpt = new GPT(config).eval();
  const ids = (batch: number, seed: number): Tensor =>
    new Tensor(
      Int32Array.from({ length: batch * 16 }, (_, i) => (i * 7 + seed) % 27),
      [batch, 16],
    );
  const bytes = exportOnnx(gpt, [ids(1, 0)], {
    inputNames: ['idx'],
    outputNames: ['logits'],
    dynamicAxes: { idx: { 0: 'batch' }, logits: { 0: 'batch' } },
  });
  const session = await ort.InferenceSession.create(bytes);
  const x = ids(6, 3);
  const { logits } = await session.run({ idx: new ort.Tensor('int32', x.data as Int32Array, x.shape) });
  const [want] = noGrad(() => gpt.forward(x));
  const c = compare(logits!.data, want);
  console.log(`\nGPT (${config.nLayer} layers, ${config.nEmbd} channels, untrained): exported, ${bytes.length} bytes`);
  console.log(
    `  onnxruntime vs typegrad on a batch of 6: same next token ${c.agree} / 6, ` +
      `largest logit difference ${c.maxDiff.toExponential(2)}`,
  );
}

await cnnRoundTrip();
await gptRoundTrip();
