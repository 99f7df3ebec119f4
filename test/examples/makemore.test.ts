/**
 * The makemore example's model code and diagnostics (examples/makemore/model.ts, examples/makemore.ts),
 * run for a few dozen steps on a small subset of the names. Every diagnostic number is checked
 * against a direct computation in float64 over the tensor's values, written here from its formula.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, Generator, manualSeed, noGrad, oneHot, tensor } from '../../src/index.js';
import { loadNames, splitNames } from '../../examples/data/names.js';
import { diagnosticCharts, lossChart, trainVariant, type RunResult } from '../../examples/makemore.js';
import {
  ActivationRecorder,
  buildDataset,
  histogram,
  MakemoreMLP,
  sampleNames,
  splitLoss,
  tanhStats,
  updateRatio,
} from '../../examples/makemore/model.js';

const { train, val } = splitNames(loadNames());
const data = buildDataset(train.slice(0, 400));
const valData = buildDataset(val.slice(0, 100));
const STEPS = 100;
const runs: RunResult[] = [true, false].map((batchNorm) =>
  trainVariant(batchNorm, data, { steps: STEPS, diagStep: 60, saturationEvery: 10 }),
);

/** Mean and unbiased std (torch's default correction 1) in float64. */
function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  const mean = s / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (values.length - 1)) };
}

/** A small XML well-formedness check: balanced tags, quoted attributes, an <svg> root, no NaN. */
function checkSvg(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < svg.length) {
    const lt = svg.indexOf('<', i);
    if (lt < 0) break;
    expect(svg.slice(i, lt)).not.toMatch(/[<>]/); // text between tags is escaped
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    if (m === null) throw new Error(`malformed tag at ${lt}: ${svg.slice(lt, lt + 60)}`);
    const [, closing, name, , selfClosing] = m;
    if (closing) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else if (!selfClosing) stack.push(name!);
    i = tag.lastIndex;
  }
  expect(stack).toEqual([]);
}

describe('examples/makemore', () => {
  it('builds the (context, next character) pairs of each name as makemore does', () => {
    const { X, Y } = buildDataset(['emma']);
    expect(X.dtype).toBe('int32');
    // ... -> e, ..e -> m, .em -> m, emm -> a, mma -> .
    expect(X.toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 5],
      [0, 5, 13],
      [5, 13, 13],
      [13, 13, 1],
    ]);
    expect(Array.from(Y.data)).toEqual([5, 13, 13, 1, 0]);
    expect(() => buildDataset(['zoë'])).toThrow(/buildDataset: word "zoë" has a character outside a-z: "ë"/);
  });

  it('builds the lecture model: parameter names, shapes, kaiming init with the tanh gain', () => {
    manualSeed(0);
    const bn = new MakemoreMLP({ batchNorm: true });
    const names = bn.namedParameters().map(([n, p]) => `${n} ${p.shape.join('x')}`);
    expect(names.slice(0, 4)).toEqual([
      'C.weight 27x10',
      'layers.0.weight 100x30',
      'layers.1.weight 100',
      'layers.1.bias 100',
    ]);
    expect(bn.tanhs.length).toBe(5);
    // 27*10 + 30*100 + 4*100*100 + 100*27 weights, 2 * (5*100 + 27) BatchNorm weights and biases.
    expect(bn.parameters().reduce((n, p) => n + p.size, 0)).toBe(270 + 3000 + 40000 + 2700 + 2 * 527);
    const plain = new MakemoreMLP({ batchNorm: false });
    expect(plain.namedParameters().map(([n]) => n)).toContain('layers.0.bias');
    // std of a 100x100 hidden weight: (5/3) / sqrt(100); 10,000 samples give it within about 2%.
    const hidden = plain.namedParameters().find(([n]) => n === 'layers.2.weight')![1];
    expect(moments(hidden.data).std).toBeCloseTo(5 / 3 / 10, 2);
    // The last Linear is scaled down by 0.1 (no gain): std 0.1 / sqrt(100).
    expect(moments(plain.namedParameters().find(([n]) => n === 'layers.10.weight')![1].data).std).toBeCloseTo(0.01, 3);
    expect(Array.from(bn.namedParameters().find(([n]) => n === 'layers.16.weight')![1].data)).toEqual(
      new Array(27).fill(Math.fround(0.1)),
    );
  });

  it('the training loss falls, with and without BatchNorm', () => {
    for (const run of runs) {
      expect(run.losses.length).toBe(STEPS);
      const first = moments(run.losses.slice(0, 10)).mean;
      const last = moments(run.losses.slice(-10)).mean;
      // The start is near uniform guessing (ln 27 = 3.30); 100 SGD steps at lr 0.1 get well below it.
      expect(first).toBeGreaterThan(2.9);
      expect(last).toBeLessThan(first - 0.25);
      expect(splitLoss(run.model, valData)).toBeLessThan(3.0);
    }
  });

  it('saturation % and the activation stats equal a direct count over the values', () => {
    for (const run of runs) {
      for (const t of run.snapshot!.activations) {
        let saturated = 0;
        for (const v of t.data) if (Math.abs(v) > 0.97) saturated++;
        const { mean, std } = moments(t.data);
        const stats = tanhStats(t);
        expect(stats.saturated).toBeCloseTo((100 * saturated) / t.size, 4);
        expect(stats.mean).toBeCloseTo(mean, 5);
        expect(stats.std).toBeCloseTo(std, 5);
      }
      expect(run.saturation.length).toBe(STEPS / 10); // every 10th step
    }
    // Without BatchNorm the first layer saturates more (the lecture's init leaves many |t| near 1).
    const [withBn, withoutBn] = runs.map((r) => r.snapshot!.activations.map((t) => tanhStats(t).saturated));
    expect(Math.max(...withBn!)).toBeLessThan(Math.max(...withoutBn!));
  });

  it('the update:data ratio of the last step equals log10 std(lr * grad) / std(data) computed by hand', () => {
    for (const run of runs) {
      const weights = run.model.namedParameters().filter(([, p]) => p.ndim === 2);
      expect(weights.map(([n]) => n)).toEqual(run.weightNames);
      // 100 steps: the decay from 0.1 to 0.01 comes at step 75, so the last step used lr 0.01.
      weights.forEach(([, p], k) => {
        const g = Array.from(p.grad!.data, (v) => 0.01 * v);
        const expected = Math.log10(moments(g).std / moments(p.data).std);
        // float32 products and float64 sums inside typegrad's std: agreement to about 1e-6 relative.
        expect(run.updateRatios.at(-1)![k]).toBeCloseTo(expected, 5);
        expect(updateRatio(p, 0.1)).toBeCloseTo(expected + 1, 5);
      });
    }
    expect(() => updateRatio(tensor([1, 2, 3]), 0.1)).toThrow(/updateRatio: the parameter has no gradient yet/);
  });

  it('forward hooks with retainGrad give the gradient flowing into each Tanh output', () => {
    manualSeed(3);
    const model = new MakemoreMLP({ batchNorm: false, nHidden: 16, nBlocks: 2 });
    const recorder = new ActivationRecorder(model.tanhs);
    recorder.capture = true;
    const X = data.X.slice(0, 0, 8);
    const Y = data.Y.slice(0, 0, 8);
    const logits = model.call(X);
    F.crossEntropy(logits, Y).backward();
    recorder.remove();
    const h = recorder.outputs.at(-1)!;
    // Last block: logits = h W^T + b, so dL/dh = (softmax(logits) - onehot(Y)) / B @ W.
    const W = model.namedParameters().find(([n]) => n === 'layers.4.weight')![1];
    const expected = noGrad(() => F.softmax(logits, 1).sub(oneHot(Y, 27).to('float32')).div(8).matmul(W));
    expect(h.grad!.shape).toEqual([8, 16]);
    h.grad!.data.forEach((v, i) => expect(v).toBeCloseTo(expected.data[i]!, 6));
    // The recorder holds nothing once capture is off.
    const idle = new ActivationRecorder(model.tanhs);
    model.call(X);
    expect(idle.outputs).toEqual([null, null]);
  });

  it('histograms count every value once, with density integrating to 1', () => {
    const t = tensor([0, 0.1, 0.2, 0.9, 1]);
    const { centers, density } = histogram(t, 5);
    expect(centers.map((c) => Number(c.toFixed(6)))).toEqual([0.1, 0.3, 0.5, 0.7, 0.9]);
    // Bins of width 0.2: [0, 0.2) holds 0 and 0.1, [0.2, 0.4) holds 0.2, the last bin holds 0.9 and 1.
    expect(density.map((d) => Number(d.toFixed(6)))).toEqual([2, 1, 0, 0, 2]);
    const h = histogram(runs[0]!.snapshot!.activations[0]!);
    expect(h.density.reduce((s, d) => s + d, 0) * (h.centers[1]! - h.centers[0]!)).toBeCloseTo(1, 6);
  });

  it('samples names of a-z from a seeded Generator, the same names for the same seed', () => {
    const a = sampleNames(runs[0]!.model, 5, new Generator(7));
    const b = sampleNames(runs[0]!.model, 5, new Generator(7));
    expect(a).toEqual(b);
    expect(a.every((n) => /^[a-z]*$/.test(n))).toBe(true);
    expect(runs[0]!.model.training).toBe(true); // eval mode only while sampling
  });

  it('writes well-formed SVG plots whose legends carry the numbers', () => {
    const charts: Record<string, string> = { 'loss.svg': lossChart(runs) };
    for (const run of runs) Object.assign(charts, diagnosticCharts(run));
    expect(Object.keys(charts).sort()).toEqual(
      [
        'loss.svg',
        ...['bn', 'nobn'].flatMap((v) =>
          ['activations', 'gradients', 'saturation', 'update-ratio', 'weight-gradients'].map((c) => `${v}-${c}.svg`),
        ),
      ].sort(),
    );
    for (const svg of Object.values(charts)) checkSvg(svg);
    const { mean, std, saturated } = tanhStats(runs[1]!.snapshot!.activations[0]!);
    const legend = `mean ${mean.toFixed(2)}, std ${std.toFixed(2)}, saturated ${saturated.toFixed(2)}%`;
    expect(charts['nobn-activations.svg']).toContain(`layer 1 (Tanh): ${legend}`);
    expect(charts['bn-update-ratio.svg']).toContain('1e-3');
    expect(charts['bn-activations.svg']).toContain('layer 2 (Tanh)'); // Linear, BatchNorm1d, Tanh
    expect(() => checkSvg('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')).toThrow();
  });
});
