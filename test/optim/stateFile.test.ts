/**
 * Optimizer state through a safetensors file (src/optim/stateFile.ts): save after some steps, load
 * into a fresh optimizer (and scheduler), and the next steps are bit-for-bit those of the run that
 * never stopped.
 */
import { describe, expect, it } from 'vitest';
import {
  functional,
  manualSeed,
  nn,
  optim,
  randn,
  readSafetensors,
  saveSafetensors,
  type Tensor,
} from '../../src/index.js';

function model(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh(), new nn.Linear(5, 2));
}

type Make = (params: Tensor[]) => { opt: optim.SGD | optim.AdamW | optim.Adam; sched?: optim.lrScheduler.LRScheduler };

const CASES: [string, Make][] = [
  [
    'AdamW + OneCycleLR',
    (p) => {
      const opt = new optim.AdamW(p, { lr: 0.01, amsgrad: true });
      return { opt, sched: new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.05, totalSteps: 12 }) };
    },
  ],
  [
    'SGD momentum + CosineAnnealingLR',
    (p) => {
      const opt = new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true });
      return { opt, sched: new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.01 }) };
    },
  ],
  ['Adam alone', (p) => ({ opt: new optim.Adam(p, { lr: 0.02 }) })],
];

function train(
  m: nn.Module,
  opt: optim.SGD | optim.Adam,
  sched: optim.lrScheduler.LRScheduler | undefined,
  steps: number,
  seed: number,
): void {
  manualSeed(seed);
  for (let i = 0; i < steps; i++) {
    const x = randn([4, 3]);
    const y = randn([4, 2]);
    opt.zeroGrad();
    functional.mseLoss(m.call(x), y).backward();
    opt.step();
    sched?.step();
  }
}

describe('saveOptimizerState / loadOptimizerState', () => {
  it.each(CASES)('%s: save, load into fresh objects, and the next steps are identical', (_, make) => {
    manualSeed(1);
    const a = model();
    const runA = make(a.parameters());
    train(a, runA.opt, runA.sched, 5, 10);
    const weights = saveSafetensors(a.stateDict());
    const bytes = optim.saveOptimizerState(runA.opt, { scheduler: runA.sched });

    manualSeed(99); // different initial weights: everything must come from the files
    const b = model();
    b.loadStateDict(readSafetensors(weights).tensors);
    const runB = make(b.parameters());
    optim.loadOptimizerState(runB.opt, bytes, { scheduler: runB.sched });
    expect(runB.opt.stateDict()).toEqual(runA.opt.stateDict());

    train(a, runA.opt, runA.sched, 5, 20);
    train(b, runB.opt, runB.sched, 5, 20);
    const pa = a.parameters();
    b.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(pa[i]!.data)));
    if (runA.sched !== undefined) expect(runB.sched!.getLastLr()).toEqual(runA.sched.getLastLr());
  });

  it('stores tensors as state.<i>.<name> and the rest as JSON metadata', () => {
    const m = model();
    const opt = new optim.Adam(m.parameters());
    train(m, opt, undefined, 1, 3);
    const { tensors, metadata } = readSafetensors(optim.saveOptimizerState(opt));
    expect(Object.keys(tensors)).toContain('state.0.exp_avg');
    expect(Object.keys(tensors)).toContain('state.3.exp_avg_sq');
    expect(metadata['format']).toBe('typegrad.optimizer');
    expect(metadata['optimizer']).toBe('Adam');
    expect(JSON.parse(metadata['state']!)['2']).toEqual({ step: 1 });
  });

  it('rejects another optimizer kind, a weights file, and a missing scheduler state', () => {
    const m = model();
    const adam = new optim.Adam(m.parameters());
    const sgd = new optim.SGD(m.parameters(), { lr: 0.1 });
    const bytes = optim.saveOptimizerState(adam);
    expect(() => optim.loadOptimizerState(sgd, bytes)).toThrow(
      'loadOptimizerState: the file holds the state of a Adam, not of a SGD',
    );
    expect(() => optim.loadOptimizerState(adam, saveSafetensors(m.stateDict()))).toThrow(
      'loadOptimizerState: not an optimizer state file',
    );
    const sched = new optim.lrScheduler.StepLR(adam, { stepSize: 2 });
    expect(() => optim.loadOptimizerState(adam, bytes, { scheduler: sched })).toThrow(
      'loadOptimizerState: a scheduler was given but the file holds no scheduler state',
    );
  });
});
