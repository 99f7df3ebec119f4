/// <reference lib="dom" />
/**
 * The makemore section of the browser page: trains the makemore part 3 MLP
 * (examples/makemore/model.ts, the same code `npm run example:makemore` runs in Node) live in the
 * page on the 8,403 names (examples/data/names.ts; esbuild bundles the two @stdlib name lists),
 * draws the training loss as it falls and shows names sampled from the model as it improves.
 *
 * build.ts maps the model's import of src/index.ts to the page's ./typegrad.js, so the page holds
 * one copy of the library.
 */
import { Generator, manualSeed } from '../../src/index.js';
import { loadNames, splitNames } from '../data/names.js';
import { buildDataset, makeOptimizer, MakemoreMLP, sampleNames, splitLoss, trainStep } from '../makemore/model.js';
import { draw } from './canvas.js';

/** What a finished run reports (the test reads it through `window.typegradPage.makemore`). */
export interface MakemoreRun {
  steps: number;
  /** Minibatch loss of every step. */
  losses: number[];
  /** Mean loss over the first and the last 100 steps. */
  firstLoss: number;
  lastLoss: number;
  valLoss: number;
  /** The names of each sampling round, oldest first. */
  samples: string[][];
}

const STEPS_PER_FRAME = 20;
const SAMPLE_EVERY = 250;
const WINDOW = 50;
/** The seed of the weights and of the minibatch draws (the lecture's 2147483647). */
export const SEED = 2147483647;

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Means of consecutive windows of `WINDOW` losses (the plotted curve). */
function smoothed(losses: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + WINDOW <= losses.length; i += WINDOW) out.push(mean(losses.slice(i, i + WINDOW)));
  return out;
}

/** Trains with the settings of the page's form; resolves when done. */
export async function startMakemore(): Promise<MakemoreRun> {
  const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
  const steps = Math.max(100, Math.floor(Number($<HTMLInputElement>('makemore-steps').value) || 3000));
  const batchNorm = $<HTMLInputElement>('makemore-bn').checked;
  const status = $('makemore-status');
  const canvas = $<HTMLCanvasElement>('makemore-loss');
  const list = $('makemore-names');
  $<HTMLButtonElement>('makemore-start').disabled = true;
  list.replaceChildren();

  const { train, val } = splitNames(loadNames());
  const data = { train: buildDataset(train), val: buildDataset(val) };
  manualSeed(SEED); // the same weights and minibatches as Node's run with this seed (test/browser checks)
  const model = new MakemoreMLP({ batchNorm });
  const { optimizer, scheduler } = makeOptimizer(model, steps);
  const generator = new Generator(SEED);
  const losses: number[] = [];
  const samples: string[][] = [];
  const sample = (): void => {
    const names = sampleNames(model, 10, new Generator(2147483647 + 10));
    samples.push(names);
    const item = document.createElement('li');
    item.textContent = `step ${losses.length}: ${names.join(' ')}`;
    list.prepend(item);
  };
  const t0 = performance.now();
  sample();
  while (losses.length < steps) {
    for (let i = 0; i < STEPS_PER_FRAME && losses.length < steps; i++) {
      losses.push(trainStep(model, optimizer, scheduler, data.train, 32, generator).loss);
      if (losses.length % SAMPLE_EVERY === 0) sample();
    }
    draw(canvas, [{ values: smoothed(losses), color: '#2563eb' }], {
      log: false,
      steps: Math.floor(steps / WINDOW),
      yMin: 1.8,
      yMax: 3.5,
      yTicks: [2, 2.5, 3, 3.5],
    });
    const recent = mean(losses.slice(-WINDOW));
    const elapsed = ((performance.now() - t0) / 1000).toFixed(1);
    status.textContent = `step ${losses.length}/${steps}  loss ${recent.toFixed(3)}  (${elapsed} s)`;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  if (losses.length % SAMPLE_EVERY !== 0) sample();
  const valLoss = splitLoss(model, data.val);
  status.textContent += `  validation loss ${valLoss.toFixed(3)}  done`;
  $<HTMLButtonElement>('makemore-start').disabled = false;
  return {
    steps,
    losses,
    firstLoss: mean(losses.slice(0, 100)),
    lastLoss: mean(losses.slice(-100)),
    valLoss,
    samples,
  };
}
