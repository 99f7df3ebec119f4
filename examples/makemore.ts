/**
 * makemore part 3 ("Activations & Gradients, BatchNorm", Andrej Karpathy's lecture) in typegrad:
 * the 6-layer character MLP of examples/makemore/model.ts trained on the 8,403 names of
 * examples/data/names.ts, once with BatchNorm1d after every Linear and once without (the lecture's
 * init: kaiming normal with the 5/3 tanh gain, last layer scaled by 0.1). It prints the loss table
 * (train / val / test, BatchNorm in eval mode) and names sampled from each model, and writes the
 * lecture's diagnostics as SVG plots to out/makemore/:
 *
 *   loss.svg                       the minibatch loss (window means) of both runs
 *   {bn,nobn}-activations.svg      histograms of each Tanh output at the diagnostics step
 *                                  (legend: mean, std, % saturated |t| > 0.97)
 *   {bn,nobn}-saturation.svg       % saturated per Tanh layer over training
 *   {bn,nobn}-gradients.svg        histograms of the gradient flowing into each Tanh output
 *   {bn,nobn}-weight-gradients.svg histograms of each weight matrix's gradient (grad:data ratio)
 *   {bn,nobn}-update-ratio.svg     log10 std(lr * grad) / std(data) per weight, per step
 *
 * Activations and their gradients come from forward hooks that call `retainGrad()` on the Tanh
 * outputs (ActivationRecorder), as one would in PyTorch.
 *
 *   npm run example:makemore                      8,000 steps per run (72 s in all on 2 cores)
 *   npm run example:makemore -- --steps 20000     longer runs, lower loss
 *   npm run example:makemore -- --docs            also copy the SVGs to docs/img/makemore/
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Generator, manualSeed, type Tensor } from '../src/index.js';
import { loadNames, splitNames } from './data/names.js';
import {
  ActivationRecorder,
  buildDataset,
  histogram,
  makeOptimizer,
  MakemoreMLP,
  sampleNames,
  splitLoss,
  tanhStats,
  trainStep,
  updateRatio,
  type Dataset,
} from './makemore/model.js';
import { COLORS, histogramChart, lineChart, type HistogramSeries } from './plot.js';
import { booleanFlag, formatTable, numberFlag, ProgressBar, seconds } from './terminal.js';

/** What one training run measured. */
export interface RunResult {
  batchNorm: boolean;
  model: MakemoreMLP;
  /** Minibatch loss of every step. */
  losses: number[];
  /** Names of the 2-d parameters (the embedding and the Linear weights), in `parameters()` order. */
  weightNames: string[];
  /** log10 update-to-data ratio of each 2-d parameter, per step: `updateRatios[step][k]`. */
  updateRatios: number[][];
  /** % saturated of each Tanh layer, every `saturationEvery` steps: `[step, percents]`. */
  saturation: [number, number[]][];
  /** Index in `model.layers` of each Tanh layer (the lecture's "layer 2 (Tanh)" labels). */
  tanhIndices: number[];
  /** At the diagnostics step: each Tanh output and its gradient, each weight and its gradient. */
  snapshot: { activations: Tensor[]; activationGrads: Tensor[]; weights: Tensor[]; weightGrads: Tensor[] } | null;
  ms: number;
}

export interface RunOptions {
  steps: number;
  batchSize?: number;
  /** The step whose activations and gradients the histograms show (the lecture: after 1000 steps). */
  diagStep?: number;
  saturationEvery?: number;
  seed?: number;
  /** Width and depth of the model (the lecture's 100 and 5). */
  nHidden?: number;
  nBlocks?: number;
  onStep?: (step: number, loss: number) => void;
}

/** Trains one model (seeded: both variants see the same minibatches) and records the diagnostics. */
export function trainVariant(batchNorm: boolean, data: Dataset, opts: RunOptions): RunResult {
  const { steps, batchSize = 32, saturationEvery = 100, seed = 2147483647 } = opts;
  const diagStep = Math.min(opts.diagStep ?? 1000, steps - 1);
  manualSeed(seed);
  const model = new MakemoreMLP({ batchNorm, nHidden: opts.nHidden, nBlocks: opts.nBlocks });
  const { optimizer, scheduler } = makeOptimizer(model, steps);
  const generator = new Generator(seed);
  const weights = model.namedParameters().filter(([, p]) => p.ndim === 2);
  const tanhs = model.tanhs;
  const recorder = new ActivationRecorder(tanhs);
  const layerList = model.layers.children();
  const result: RunResult = {
    batchNorm,
    model,
    losses: [],
    weightNames: weights.map(([name]) => name),
    updateRatios: [],
    saturation: [],
    tanhIndices: tanhs.map((t) => layerList.indexOf(t)),
    snapshot: null,
    ms: 0,
  };
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    recorder.capture = step % saturationEvery === 0 || step === diagStep;
    const { loss, lr } = trainStep(model, optimizer, scheduler, data, batchSize, generator);
    result.losses.push(loss);
    result.updateRatios.push(weights.map(([, p]) => updateRatio(p, lr)));
    if (step % saturationEvery === 0) {
      result.saturation.push([step, recorder.outputs.map((t) => tanhStats(t!).saturated)]);
    }
    if (step === diagStep) {
      // The weights after this step's update, with the gradients that made it (the lecture's order).
      result.snapshot = {
        activations: recorder.outputs.map((t) => t!.detach()),
        activationGrads: recorder.outputs.map((t) => t!.grad!),
        weights: weights.map(([, p]) => p.detach().clone()),
        weightGrads: weights.map(([, p]) => p.grad!.clone()),
      };
    }
    opts.onStep?.(step, loss);
  }
  recorder.remove();
  result.ms = performance.now() - start;
  return result;
}

const sci = (v: number): string => v.toExponential(2);

/** Means of consecutive windows of `size` values, at the window's middle step. */
function windowMeans(values: number[], size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + size <= values.length; i += size) {
    let s = 0;
    for (let j = i; j < i + size; j++) s += values[j]!;
    out.push([i + size / 2, s / size]);
  }
  return out;
}

/** The lecture's plots of one run, as `{ fileName: svg }`. */
export function diagnosticCharts(run: RunResult, bins = 50): Record<string, string> {
  const tag = run.batchNorm ? 'bn' : 'nobn';
  const title = run.batchNorm ? 'with BatchNorm' : 'without BatchNorm';
  const snap = run.snapshot;
  if (snap === null) throw new Error('diagnosticCharts: the run has no diagnostics snapshot');
  const layerName = (k: number): string => `layer ${run.tanhIndices[k]} (Tanh)`;
  const hist = (t: Tensor, name: string, k: number): HistogramSeries => ({
    name,
    color: COLORS[k % COLORS.length]!,
    ...histogram(t, bins),
  });
  const charts: Record<string, string> = {};
  charts[`${tag}-activations.svg`] = histogramChart(
    snap.activations.map((t, k) => {
      const s = tanhStats(t);
      const label = `mean ${s.mean.toFixed(2)}, std ${s.std.toFixed(2)}, saturated ${s.saturated.toFixed(2)}%`;
      return hist(t, `${layerName(k)}: ${label}`, k);
    }),
    { title: `Activation distribution (Tanh outputs), ${title}`, xLabel: 'tanh output', yLabel: 'density' },
  );
  charts[`${tag}-gradients.svg`] = histogramChart(
    snap.activationGrads.map((g, k) => {
      const s = tanhStats(g);
      return hist(g, `${layerName(k)}: mean ${sci(s.mean)}, std ${sci(s.std)}`, k);
    }),
    { title: `Gradient distribution (Tanh outputs), ${title}`, xLabel: 'gradient', yLabel: 'density' },
  );
  charts[`${tag}-weight-gradients.svg`] = histogramChart(
    snap.weightGrads.map((g, k) => {
      const w = snap.weights[k]!;
      const ratio = g.std().item() / w.std().item();
      return hist(
        g,
        `${w.shape.join('x')} ${run.weightNames[k]}: std ${sci(g.std().item())}, grad:data ${sci(ratio)}`,
        k,
      );
    }),
    { title: `Weight gradient distribution, ${title}`, xLabel: 'gradient', yLabel: 'density' },
  );
  const window = Math.max(1, Math.floor(run.losses.length / 200));
  charts[`${tag}-update-ratio.svg`] = lineChart(
    run.weightNames.map((name, k) => ({
      name,
      color: COLORS[k % COLORS.length]!,
      points: windowMeans(
        run.updateRatios.map((r) => r[k]!),
        window,
      ),
    })),
    {
      title: `Update:data ratio, ${title}`,
      xLabel: `training step (means over ${window} steps)`,
      yLabel: 'log10 std(lr * grad) / std(data)',
      yMin: -5,
      yMax: -1,
      guides: [{ y: -3, label: '1e-3 (the lecture\u2019s rule of thumb)' }],
      legend: 'outside',
    },
  );
  const maxSat = Math.max(5, ...run.saturation.flatMap(([, s]) => s));
  charts[`${tag}-saturation.svg`] = lineChart(
    run.tanhIndices.map((_, k) => ({
      name: layerName(k),
      color: COLORS[k % COLORS.length]!,
      points: run.saturation.map(([step, s]): [number, number] => [step, s[k]!]),
    })),
    {
      title: `Saturated tanh units (|t| > 0.97), ${title}`,
      xLabel: 'training step',
      yLabel: '% saturated',
      yMin: 0,
      yMax: Math.ceil(maxSat * 1.1),
      yFormat: (v) => `${v}%`,
      legend: 'outside',
    },
  );
  return charts;
}

/** Both runs' minibatch loss, as means over windows of steps. */
export function lossChart(runs: RunResult[]): string {
  const window = Math.max(1, Math.floor(runs[0]!.losses.length / 100));
  return lineChart(
    runs.map((r, k) => ({
      name: r.batchNorm ? 'with BatchNorm' : 'without BatchNorm',
      color: COLORS[k === 0 ? 0 : 3]!,
      points: windowMeans(r.losses, window),
    })),
    {
      title: 'makemore MLP: training loss (typegrad)',
      xLabel: `training step (means over ${window} minibatches of 32)`,
      yLabel: 'cross-entropy',
      yMin: 1.8,
      yMax: 3.4,
      legend: 'top-right',
    },
  );
}

async function main(): Promise<void> {
  const steps = numberFlag('steps', 8000);
  const outDir = resolve('out', 'makemore');
  const t0 = performance.now();
  const { train, val, test } = splitNames(loadNames());
  const data = { train: buildDataset(train), val: buildDataset(val), test: buildDataset(test) };
  console.log(
    `makemore part 3: ${train.length} / ${val.length} / ${test.length} names, ` +
      `${data.train.X.shape[0]} training examples of ${3} characters; ${steps} steps per run\n`,
  );
  const runs: RunResult[] = [];
  for (const batchNorm of [true, false]) {
    const bar = new ProgressBar(steps);
    const name = batchNorm ? 'with BatchNorm   ' : 'without BatchNorm';
    let recent = 0;
    const run = trainVariant(batchNorm, data.train, {
      steps,
      onStep: (step, loss) => {
        recent = step === 0 ? loss : 0.98 * recent + 0.02 * loss;
        if (step % 50 === 49 || step === steps - 1) bar.update(step + 1, `${name} loss ${recent.toFixed(3)}`);
      },
    });
    bar.done();
    runs.push(run);
  }
  const rows = runs.map((r) => [
    r.batchNorm ? 'with BatchNorm' : 'without BatchNorm',
    splitLoss(r.model, data.train).toFixed(4),
    splitLoss(r.model, data.val).toFixed(4),
    splitLoss(r.model, data.test).toFixed(4),
    seconds(r.ms),
  ]);
  console.log('\n' + formatTable(['model', 'train loss', 'val loss', 'test loss', 'training time'], rows));
  console.log('\nsampled names (seeded Generator, multinomial):');
  for (const r of runs) {
    const names = sampleNames(r.model, 12, new Generator(2147483647 + 10));
    console.log(`  ${r.batchNorm ? 'with BatchNorm:   ' : 'without BatchNorm:'} ${names.join(' ')}`);
  }
  const charts: Record<string, string> = { 'loss.svg': lossChart(runs) };
  for (const r of runs) Object.assign(charts, diagnosticCharts(r));
  const dirs = [outDir, ...(booleanFlag('docs') ? [resolve('docs', 'img', 'makemore')] : [])];
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    for (const [file, svg] of Object.entries(charts)) writeFileSync(join(dir, file), svg);
  }
  console.log(`\n${Object.keys(charts).length} plots in ${dirs.join(' and ')}`);
  console.log(`total time ${seconds(performance.now() - t0)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
