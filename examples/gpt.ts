/**
 * A nanoGPT-style character model on first names (examples/gpt/model.ts), trained twice from the
 * same initial weights and the same batches: once with LayerNorm (GPT-2, nanoGPT) and once with
 * RMSNorm (LLaMA) as every norm of the model. Written as nanoGPT's train.py would be:
 *
 *   data       the names of examples/data/names.ts joined into one stream ".emma.olivia.ava." (the
 *              '.' ends one name and starts the next), train and val split by name; batches of
 *              random windows of blockSize characters, the targets shifted by one (get_batch)
 *   model      2 layers, 4 heads, 48 channels, context 16, no biases, tied lm_head
 *   optimizer  AdamW with nanoGPT's decay groups (weight decay 0.1 on matrices only), betas
 *              (0.9, 0.99), lr 6e-3 warmed up linearly for 40 steps then cosine-annealed to 6e-4
 *              (optim.lrScheduler: SequentialLR of LinearLR and CosineAnnealingLR), gradients
 *              clipped to norm 1 (nn.utils.clipGradNorm_)
 *   eval       train and val loss on the same 4 fixed batches of 64 windows every 50 steps
 *
 * It prints the loss curves as a table and a summary, writes the curves as an SVG plot
 * (out/gpt-loss.svg; the README's copy is docs/img/gpt-loss.svg) and samples names from each model
 * with top-k sampling (k = 10), marking the ones not in the training set.
 *
 *   npm run example:gpt                     600 steps per norm (about 45 s of CPU time in all)
 *   npm run example:gpt -- --iters 200 --seed 1 --out out/gpt-loss.svg
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Generator, manualSeed, nn, noGrad, optim, randint, tensor, type Tensor } from '../src/index.js';
import { CHARS, STOI, loadNames, splitNames } from './data/names.js';
import { GPT, type GPTConfig } from './gpt/model.js';
import { lineChart, type Series } from './plot.js';
import { formatTable, numberFlag, ProgressBar, seconds } from './terminal.js';

const maxIters = numberFlag('iters', 600);
const seed = numberFlag('seed', 0);
const plotPath = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'out/gpt-loss.svg';
const batchSize = 32;
const learningRate = numberFlag('lr', 6e-3);
const minLr = learningRate / 10;
const warmupIters = Math.min(40, Math.max(1, Math.floor(maxIters / 10))); // 40 unless --iters is small
const weightDecay = 0.1;
const gradClip = 1.0;
const evalInterval = 50;
const evalIters = 4;
const evalBatchSize = 64;
const baseConfig: Omit<GPTConfig, 'norm'> = {
  blockSize: 16,
  vocabSize: CHARS.length,
  nLayer: 2,
  nHead: 4,
  nEmbd: 48,
  dropout: 0,
  bias: false,
};
const norms = ['layernorm', 'rmsnorm'] as const;
type Norm = (typeof norms)[number];

// ---- data ------------------------------------------------------------------------------------------

/** The words as one stream of character ids: '.' before every name and after the last. */
function encode(words: string[]): Int32Array {
  const text = `.${words.join('.')}.`;
  return Int32Array.from(text, (ch) => STOI[ch]!);
}

/** nanoGPT's get_batch: `size` random windows of blockSize ids [size, T] and their next ids. */
function getBatch(data: Int32Array, size: number, gen: Generator): [Tensor, Tensor] {
  const T = baseConfig.blockSize;
  const starts = randint(0, data.length - T, [size], { generator: gen }).data;
  const x = new Int32Array(size * T);
  const y = new Int32Array(size * T);
  for (let b = 0; b < size; b++) {
    x.set(data.subarray(starts[b]!, starts[b]! + T), b * T);
    y.set(data.subarray(starts[b]! + 1, starts[b]! + T + 1), b * T);
  }
  return [tensor(x, [size, T]), tensor(y, [size, T])];
}

const { train: trainWords, val: valWords } = splitNames(loadNames());
const trainData = encode(trainWords);
const valData = encode(valWords);
const trainSet = new Set(trainWords);
// the same evaluation batches for every run and every evaluation, so the curves compare exactly
const evalGen = new Generator(seed + 1000);
const evalBatches = {
  train: Array.from({ length: evalIters }, () => getBatch(trainData, evalBatchSize, evalGen)),
  val: Array.from({ length: evalIters }, () => getBatch(valData, evalBatchSize, evalGen)),
};

// ---- training --------------------------------------------------------------------------------------

interface Run {
  norm: Norm;
  params: number;
  /** [step, train loss, val loss] at every evaluation. */
  evals: [number, number, number][];
  ms: number;
  samples: string[];
}

/** Mean loss over the fixed batches, in eval mode without a graph (nanoGPT's estimate_loss). */
function estimateLoss(model: GPT, split: 'train' | 'val'): number {
  model.eval();
  let total = 0;
  noGrad(() => {
    for (const [x, y] of evalBatches[split]) total += model.call(x, y)[1]!.item();
  });
  model.train();
  return total / evalIters;
}

/** Names sampled from '.' with top-k sampling, each cut at its closing '.'. */
function sampleNames(model: GPT, count: number): string[] {
  model.eval();
  manualSeed(seed + 7);
  const out = model.generate(tensor(new Int32Array(count), [count, 1]), 20, { topK: 10 });
  const L = out.shape[1]!;
  return Array.from({ length: count }, (_, r) => {
    const ids = Array.from(out.data.subarray(r * L + 1, (r + 1) * L));
    const end = ids.indexOf(0);
    return (end < 0 ? ids : ids.slice(0, end)).map((i) => CHARS[i]).join('');
  });
}

function train(norm: Norm): Run {
  manualSeed(seed); // the same initial weights for both norms (the norm layers hold no random values)
  const model = new GPT({ ...baseConfig, norm });
  const opt = model.configureOptimizers(weightDecay, learningRate, [0.9, 0.99]);
  const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 1 / warmupIters, totalIters: warmupIters });
  const decay = new optim.lrScheduler.CosineAnnealingLR(opt, {
    tMax: Math.max(1, maxIters - warmupIters),
    etaMin: minLr,
  });
  const sched = new optim.lrScheduler.SequentialLR(opt, { schedulers: [warmup, decay], milestones: [warmupIters] });
  const batchGen = new Generator(seed + 1); // the same batches for both norms
  const evals: Run['evals'] = [];
  const bar = new ProgressBar(maxIters);
  const t0 = performance.now();
  for (let iter = 0; iter <= maxIters; iter++) {
    if (iter % evalInterval === 0 || iter === maxIters) {
      evals.push([iter, estimateLoss(model, 'train'), estimateLoss(model, 'val')]);
    }
    if (iter === maxIters) break;
    const [x, y] = getBatch(trainData, batchSize, batchGen);
    const [, loss] = model.call(x, y);
    opt.zeroGrad();
    loss!.backward();
    nn.utils.clipGradNorm_(model.parameters(), gradClip);
    opt.step();
    sched.step();
    const val = evals[evals.length - 1]![2];
    const lr = sched.getLastLr()[0]!.toExponential(1);
    bar.update(
      iter + 1,
      `${norm} ${iter + 1}/${maxIters} lr ${lr} loss ${loss!.item().toFixed(3)} val ${val.toFixed(3)}`,
    );
  }
  bar.done();
  const ms = performance.now() - t0;
  return { norm, params: model.getNumParams(), evals, ms, samples: sampleNames(model, 16) };
}

// ---- run, report, plot -----------------------------------------------------------------------------

const label: Record<Norm, string> = { layernorm: 'LayerNorm', rmsnorm: 'RMSNorm' };
console.log(
  `names: ${trainWords.length} train (${trainData.length} chars), ${valWords.length} val (${valData.length} chars)`,
);
console.log(
  `GPT: ${baseConfig.nLayer} layers, ${baseConfig.nHead} heads, ${baseConfig.nEmbd} channels, context ` +
    `${baseConfig.blockSize}; ${maxIters} steps of ${batchSize} windows per norm\n`,
);
const start = performance.now();
const cpuStart = process.cpuUsage();
const runs = norms.map(train);
const total = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);

const [ln, rms] = runs as [Run, Run];
console.log('\nloss curves (mean cross-entropy over the fixed evaluation batches)');
console.log(
  formatTable(
    ['step', 'LayerNorm train', 'LayerNorm val', 'RMSNorm train', 'RMSNorm val'],
    ln.evals
      .filter(([s]) => s % 100 === 0 || s === maxIters)
      .map(([s, lt, lv]) => {
        const r = rms.evals.find(([rs]) => rs === s)!;
        return [s, lt.toFixed(4), lv.toFixed(4), r[1].toFixed(4), r[2].toFixed(4)];
      }),
  ),
);
console.log('\nsummary');
console.log(
  formatTable(
    ['norm', 'params', 'train loss', 'val loss', 'best val', 'time', 'ms/step'],
    runs.map((r) => {
      const last = r.evals[r.evals.length - 1]!;
      const best = Math.min(...r.evals.map((e) => e[2]));
      return [
        label[r.norm],
        r.params,
        last[1].toFixed(4),
        last[2].toFixed(4),
        best.toFixed(4),
        seconds(r.ms),
        (r.ms / maxIters).toFixed(0),
      ];
    }),
  ),
);
for (const r of runs) {
  const shown = r.samples.map((n) => (trainSet.has(n) ? n : `${n}*`));
  console.log(`\n${label[r.norm]} samples (top-k 10; * = not a training name): ${shown.join(', ')}`);
}

const series: Series[] = runs.flatMap((r) => {
  const [trainColor, valColor] = r.norm === 'layernorm' ? ['#9ecae1', '#1f5fa8'] : ['#fdae6b', '#d9480f'];
  return [
    { name: `${label[r.norm]} train`, color: trainColor, points: r.evals.map(([s, t]) => [s, t] as [number, number]) },
    { name: `${label[r.norm]} val`, color: valColor, points: r.evals.map(([s, , v]) => [s, v] as [number, number]) },
  ];
});
const svg = lineChart(series, {
  title: `Character GPT on names: LayerNorm vs RMSNorm (${baseConfig.nLayer} layers, ${maxIters} steps)`,
  xLabel: 'training step',
  yLabel: 'cross-entropy loss (nats per character)',
  yMin: 2.0,
  yMax: 3.4,
  yFormat: (v) => v.toFixed(1),
  legend: 'top-right', // the curves end low on the right
});
mkdirSync(dirname(plotPath), { recursive: true });
writeFileSync(plotPath, svg);
console.log(
  `\nwrote ${plotPath}; total ${seconds(total)} (CPU time ${seconds((cpu.user + cpu.system) / 1000)}: ` +
    'the wall time is longer when other processes share the cores)',
);
