/**
 * Running statistics of BatchNorm and InstanceNorm, against a float64 reference written here from
 * PyTorch's rule: `running = (1 - m) * running + m * batch`, with the UNBIASED batch variance
 * blended into running_var while the output is normalized with the biased one; momentum null is a
 * cumulative moving average (m = 1 / numBatchesTracked). Also eval mode, state-dict round trips and
 * strict / non-strict loading.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, Generator, nn, Tensor, type Module } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { FLOAT32_TOL, indexOver, moments64, normalize64 } from './norm.reference.js';

// The buffers are float32: each update rounds to float32 (relative 6e-8) and a handful of updates
// of O(1) values stay far inside rtol 1e-6; atol 1e-7 covers values near 0.
const RUNNING_TOL = { rtol: 1e-6, atol: 1e-7 };
// Outputs vs a float64 formula: float32 tolerance (see FLOAT32_TOL); the wrong statistics
// (unbiased instead of biased, batch instead of running) are off by 1e-2 or more here.
const OUTPUT_TOL = FLOAT32_TOL;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** x (N, C, *) with a different mean (about -3..3) and scale (0.5..2.5) per channel. */
function channelData(shape: number[], gen: Generator): Tensor {
  const c = shape[1]!;
  const offset = Array.from({ length: c }, () => 6 * gen.uniform() - 3);
  const scale = Array.from({ length: c }, () => 0.5 + 2 * gen.uniform());
  const { index: channel } = indexOver(shape, [1]);
  const data = Float32Array.from(channel, (ch) => gen.normal() * scale[ch]! + offset[ch]!);
  return new Tensor(data, shape);
}

/** Float64 per-channel batch statistics of x (N, C, *): mean and UNBIASED variance. */
function batchStats(x: Tensor): { mean: Float64Array; unbiasedVar: Float64Array } {
  const m = moments64(x.data, x.shape, [0, ...range(2, x.ndim)]);
  return { mean: m.mean, unbiasedVar: m.variance.map((v) => (v * m.count) / (m.count - 1)) };
}

/** `running = (1 - m) running + m batch`, in float64, in place. */
function blend(running: Float64Array, batch: Float64Array, momentum: number): void {
  for (let i = 0; i < running.length; i++) running[i] = (1 - momentum) * running[i]! + momentum * batch[i]!;
}

/** `(x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]` in float64 with given per-channel statistics. */
function withStats64(
  x: Tensor,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Float64Array {
  const { index: channel } = indexOver(x.shape, [1]);
  return Float64Array.from(x.data, (v, i) => {
    const c = channel[i]!;
    return (
      ((v - mean[c]!) / Math.sqrt(variance[c]! + eps)) * (weight ? weight.data[c]! : 1) + (bias ? bias.data[c]! : 0)
    );
  });
}

/** Gives weight and bias values other than 1 and 0. */
function randomAffine(m: { weight: Tensor | null; bias: Tensor | null }, gen: Generator): void {
  m.weight?.data.forEach((_, i, w) => (w[i] = 0.5 + gen.uniform()));
  m.bias?.data.forEach((_, i, b) => (b[i] = gen.normal()));
}

const BATCH_NORMS = [
  ['BatchNorm1d (N, C)', nn.BatchNorm1d, [6, 3]],
  ['BatchNorm1d (N, C, L)', nn.BatchNorm1d, [4, 3, 5]],
  ['BatchNorm2d', nn.BatchNorm2d, [3, 2, 3, 4]],
  ['BatchNorm3d', nn.BatchNorm3d, [2, 3, 2, 3, 2]],
] as const;

describe.each(BATCH_NORMS)('%s running statistics', (_, Class, shape) => {
  const channels = shape[1];

  it('momentum 0.1: running = 0.9 running + 0.1 batch (unbiased variance), over 5 batches', () => {
    const gen = new Generator(1);
    const bn = new Class(channels);
    const runMean = new Float64Array(channels);
    const runVar = new Float64Array(channels).fill(1);
    for (let step = 1; step <= 5; step++) {
      const x = channelData([...shape], gen);
      bn.forward(x);
      const { mean, unbiasedVar } = batchStats(x);
      blend(runMean, mean, 0.1);
      blend(runVar, unbiasedVar, 0.1);
      expectClose(bn.runningMean!, runMean, RUNNING_TOL, `step ${step} running_mean`);
      expectClose(bn.runningVar!, runVar, RUNNING_TOL, `step ${step} running_var`);
      expect(bn.numBatchesTracked!.item()).toBe(step);
    }
  });

  it('training output uses the biased batch variance; the functional form updates running stats the same way', () => {
    const gen = new Generator(2);
    const bn = new Class(channels);
    randomAffine(bn, gen);
    const x = channelData([...shape], gen);
    const y = bn.forward(x);
    const expected = normalize64(x.data, x.shape, {
      reduced: [0, ...range(2, x.ndim)],
      param: [1],
      weight: bn.weight!.data,
      bias: bn.bias!.data,
      eps: 1e-5,
    });
    expectClose(y, expected, OUTPUT_TOL, 'y with biased variance');
    // The unbiased variance would give a different output: count is small enough to tell.
    const { mean, unbiasedVar } = batchStats(x);
    const wrong = withStats64(x, mean, unbiasedVar, bn.weight, bn.bias, 1e-5);
    expect(() => expectClose(y, wrong, OUTPUT_TOL)).toThrow(/elements differ/);

    const runningMean = new Tensor(new Float32Array(channels), [channels]);
    const runningVar = new Tensor(new Float32Array(channels).fill(1), [channels]);
    const yf = F.batchNorm(x, runningMean, runningVar, {
      weight: bn.weight,
      bias: bn.bias,
      training: true,
      momentum: 0.1,
    });
    expectClose(yf, y, { rtol: 0, atol: 0 }, 'functional y'); // same kernel
    expectClose(runningMean, bn.runningMean!, { rtol: 0, atol: 0 }, 'functional running_mean');
    expectClose(runningVar, bn.runningVar!, { rtol: 0, atol: 0 }, 'functional running_var');
  });

  it('momentum null: cumulative moving average, the plain average of the k batch statistics', () => {
    const gen = new Generator(3);
    const bn = new Class(channels, { momentum: null });
    const sumMean = new Float64Array(channels);
    const sumVar = new Float64Array(channels);
    for (let k = 1; k <= 4; k++) {
      const x = channelData([...shape], gen);
      bn.forward(x);
      const { mean, unbiasedVar } = batchStats(x);
      mean.forEach((v, c) => (sumMean[c] += v));
      unbiasedVar.forEach((v, c) => (sumVar[c] += v));
      expectClose(
        bn.runningMean!,
        sumMean.map((s) => s / k),
        RUNNING_TOL,
        `after ${k} batches running_mean`,
      );
      expectClose(
        bn.runningVar!,
        sumVar.map((s) => s / k),
        RUNNING_TOL,
        `after ${k} batches running_var`,
      );
      expect(bn.numBatchesTracked!.item()).toBe(k);
    }
  });

  it('eval uses the running statistics and changes neither them nor numBatchesTracked', () => {
    const gen = new Generator(4);
    const bn = new Class(channels);
    randomAffine(bn, gen);
    for (let i = 0; i < 3; i++) bn.forward(channelData([...shape], gen));
    bn.eval();
    const before = [bn.runningMean!.clone(), bn.runningVar!.clone()];
    const x = channelData([...shape], gen);
    const y = bn.forward(x);
    expectClose(
      y,
      withStats64(x, bn.runningMean!.data, bn.runningVar!.data, bn.weight, bn.bias, 1e-5),
      OUTPUT_TOL,
      'eval y',
    );
    expectClose(bn.runningMean!, before[0]!, { rtol: 0, atol: 0 }, 'running_mean after eval');
    expectClose(bn.runningVar!, before[1]!, { rtol: 0, atol: 0 }, 'running_var after eval');
    expect(bn.numBatchesTracked!.item()).toBe(3);
  });

  it('trackRunningStats false: no buffers, and eval normalizes with batch statistics', () => {
    const gen = new Generator(5);
    const bn = new Class(channels, { trackRunningStats: false });
    randomAffine(bn, gen);
    expect([bn.runningMean, bn.runningVar, bn.numBatchesTracked]).toEqual([null, null, null]);
    expect(bn.buffers()).toEqual([]);
    const x = channelData([...shape], gen);
    const yTrain = bn.forward(x);
    const yEval = bn.eval().forward(x);
    const expected = normalize64(x.data, x.shape, {
      reduced: [0, ...range(2, x.ndim)],
      param: [1],
      weight: bn.weight!.data,
      bias: bn.bias!.data,
      eps: 1e-5,
    });
    expectClose(yEval, expected, OUTPUT_TOL, 'eval y (batch statistics)');
    expectClose(yEval, yTrain, { rtol: 0, atol: 0 }, 'eval y vs train y'); // same computation
  });
});

const INSTANCE_NORMS = [
  ['InstanceNorm1d', nn.InstanceNorm1d, [3, 2, 5]],
  ['InstanceNorm2d', nn.InstanceNorm2d, [2, 3, 3, 2]],
  ['InstanceNorm3d', nn.InstanceNorm3d, [2, 2, 2, 2, 3]],
] as const;

describe.each(INSTANCE_NORMS)('%s running statistics (trackRunningStats true)', (_, Class, shape) => {
  const channels = shape[1];
  const spatial = range(2, shape.length);

  /** Per-channel average over the batch of the per-instance mean and UNBIASED variance. */
  function instanceStats(x: Tensor): { mean: Float64Array; unbiasedVar: Float64Array } {
    const m = moments64(x.data, x.shape, spatial); // statistics [N, C]
    const n = x.shape[0]!;
    const mean = new Float64Array(channels);
    const unbiasedVar = new Float64Array(channels);
    for (let i = 0; i < n * channels; i++) {
      mean[i % channels] += m.mean[i]! / n;
      unbiasedVar[i % channels] += (m.variance[i]! * m.count) / (m.count - 1) / n;
    }
    return { mean, unbiasedVar };
  }

  it('running = 0.9 running + 0.1 (per-instance statistics averaged over the batch); numBatchesTracked stays 0 like torch', () => {
    const gen = new Generator(6);
    const inorm = new Class(channels, { trackRunningStats: true, affine: true });
    const runMean = new Float64Array(channels);
    const runVar = new Float64Array(channels).fill(1);
    for (let step = 1; step <= 4; step++) {
      const x = channelData([...shape], gen);
      const y = inorm.forward(x);
      // Training normalizes each instance by its own (biased) statistics.
      expectClose(
        y,
        normalize64(x.data, x.shape, {
          reduced: spatial,
          param: [1],
          weight: inorm.weight!.data,
          bias: inorm.bias!.data,
          eps: 1e-5,
        }),
        OUTPUT_TOL,
        'y',
      );
      const { mean, unbiasedVar } = instanceStats(x);
      blend(runMean, mean, 0.1);
      blend(runVar, unbiasedVar, 0.1);
      expectClose(inorm.runningMean!, runMean, RUNNING_TOL, `step ${step} running_mean`);
      expectClose(inorm.runningVar!, runVar, RUNNING_TOL, `step ${step} running_var`);
    }
    // torch's _InstanceNorm.forward calls F.instance_norm directly and never counts batches.
    expect(inorm.numBatchesTracked!.item()).toBe(0);
  });

  it('eval uses the running statistics (per channel, for every instance)', () => {
    const gen = new Generator(7);
    const inorm = new Class(channels, { trackRunningStats: true, affine: true });
    randomAffine(inorm, gen);
    for (let i = 0; i < 3; i++) inorm.forward(channelData([...shape], gen));
    const x = channelData([...shape], gen);
    const y = inorm.eval().forward(x);
    expectClose(
      y,
      withStats64(x, inorm.runningMean!.data, inorm.runningVar!.data, inorm.weight, inorm.bias, 1e-5),
      OUTPUT_TOL,
      'eval y',
    );
  });

  it('unbatched input updates the running statistics as a batch of one', () => {
    const gen = new Generator(8);
    const batched = new Class(channels, { trackRunningStats: true });
    const unbatched = new Class(channels, { trackRunningStats: true });
    const x = channelData([1, ...shape.slice(1)], gen);
    const y = unbatched.forward(x.squeeze(0));
    expect(y.shape).toEqual(shape.slice(1));
    expectClose(y, batched.forward(x).squeeze(0), { rtol: 0, atol: 0 }, 'y'); // same computation
    expectClose(unbatched.runningMean!, batched.runningMean!, { rtol: 0, atol: 0 }, 'running_mean');
    expectClose(unbatched.runningVar!, batched.runningVar!, { rtol: 0, atol: 0 }, 'running_var');
  });

  it('momentum null passes momentum 0 (torch quirk): running statistics keep their initial values', () => {
    const gen = new Generator(9);
    const inorm = new Class(channels, { trackRunningStats: true, momentum: null });
    for (let i = 0; i < 3; i++) inorm.forward(channelData([...shape], gen));
    expect([...inorm.runningMean!.data]).toEqual(new Array(channels).fill(0));
    expect([...inorm.runningVar!.data]).toEqual(new Array(channels).fill(1));
    expect(inorm.numBatchesTracked!.item()).toBe(0);
  });
});

describe('numBatchesTracked', () => {
  it('counts training forwards only, for momentum 0.1 and null', () => {
    const gen = new Generator(10);
    for (const momentum of [0.1, null]) {
      const bn = new nn.BatchNorm2d(2, { momentum });
      bn.forward(channelData([2, 2, 2, 2], gen));
      bn.forward(channelData([2, 2, 2, 2], gen));
      bn.eval().forward(channelData([2, 2, 2, 2], gen));
      bn.train().forward(channelData([2, 2, 2, 2], gen));
      expect(bn.numBatchesTracked!.item()).toBe(3);
      expect(bn.numBatchesTracked!.shape).toEqual([]);
    }
  });
});

/** A trained module of each family, and fresh twin built the same way. */
const TRAINED: [string, () => Module & { weight: Tensor | null }, number[]][] = [
  ['BatchNorm2d', () => new nn.BatchNorm2d(3), [4, 3, 2, 2]],
  ['BatchNorm1d momentum=null', () => new nn.BatchNorm1d(3, { momentum: null }), [5, 3]],
  [
    'InstanceNorm2d affine tracked',
    () => new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }),
    [2, 3, 3, 3],
  ],
  ['GroupNorm', () => new nn.GroupNorm(3, 6), [2, 6, 2, 2]],
  ['LayerNorm', () => new nn.LayerNorm([3, 2]), [4, 3, 2]],
  ['RMSNorm', () => new nn.RMSNorm([4]), [3, 2, 4]],
];

describe.each(TRAINED)('%s loadStateDict', (_, make, shape) => {
  function trained(gen: Generator): Module & { weight: Tensor | null } {
    const m = make();
    for (const p of m.parameters()) p.data.forEach((_, i, d) => (d[i] = 0.5 + gen.uniform()));
    for (let i = 0; i < 3; i++)
      m.forward(
        new Tensor(
          Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => 2 * gen.normal() + 1),
          shape,
        ),
      );
    return m;
  }

  it('a fresh module loaded from the state dict reproduces the eval outputs exactly', () => {
    const gen = new Generator(11);
    const source = trained(gen).eval();
    const copy = make();
    expect(copy.loadStateDict(source.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    copy.eval();
    const x = new Tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => gen.normal()),
      shape,
    );
    expectClose(copy.forward(x), source.forward(x), { rtol: 0, atol: 0 }, 'eval y'); // identical state, identical kernel
    for (const [k, t] of Object.entries(copy.stateDict()))
      expectClose(t, source.stateDict()[k]!, { rtol: 0, atol: 0 }, k);
  });

  it('strict loading names missing keys, unexpected keys and shape mismatches; non-strict returns the keys', () => {
    const gen = new Generator(12);
    const sd = trained(gen).stateDict();
    const keys = Object.keys(sd);
    // Drop a learned parameter (num_batches_tracked may be absent by design, like torch).
    const droppedKey = keys[0]!;
    expect(droppedKey).toBe('weight');
    const { [droppedKey]: dropped, ...missing } = sd;
    expect(dropped).toBeDefined();
    const m = make();
    expect(() => m.loadStateDict(missing)).toThrow(`missing keys: "${droppedKey}"`);
    const extra = { ...sd, 'extra.weight': new Tensor(new Float32Array(1), [1]) };
    expect(() => m.loadStateDict(extra)).toThrow('unexpected keys: "extra.weight"');

    const fresh = make();
    expect(fresh.loadStateDict(missing, { strict: false })).toEqual({ missingKeys: [droppedKey], unexpectedKeys: [] });
    // Non-strict loading copies the keys that match and leaves the missing one as it was.
    for (const k of keys.slice(1))
      expectClose(fresh.stateDict()[k]!, sd[k]!, { rtol: 0, atol: 0 }, `${k} after non-strict load`);
    expectClose(fresh.weight!, make().weight!, { rtol: 0, atol: 0 }, 'weight untouched by non-strict load');
    expect(m.loadStateDict(extra, { strict: false })).toEqual({ missingKeys: [], unexpectedKeys: ['extra.weight'] });
    expectClose(m.weight!, sd.weight!, { rtol: 0, atol: 0 }, 'weight after non-strict load');

    // A shape mismatch is an error even when not strict, like torch; the message names the key and both shapes.
    const wrongShape = [sd.weight!.size + 1];
    const bad = { ...sd, weight: new Tensor(new Float32Array(wrongShape[0]!), wrongShape) };
    const message = `size mismatch for weight: copying a param with shape [${wrongShape}], the shape in the current model is [${sd.weight!.shape.join(', ')}]`;
    expect(() => m.loadStateDict(bad)).toThrow(message);
    expect(() => m.loadStateDict(bad, { strict: false })).toThrow(message);
  });
});

describe('num_batches_tracked may be absent from a loaded state dict, like torch', () => {
  it.each([
    ['BatchNorm2d', () => new nn.BatchNorm2d(3)],
    ['InstanceNorm2d tracked', () => new nn.InstanceNorm2d(3, { trackRunningStats: true })],
  ] as const)('%s loads strictly without it and keeps its count', (_, make) => {
    const source = make();
    source.runningMean!.data.set([1, 2, 3]);
    const { num_batches_tracked: dropped, ...sd } = source.stateDict();
    expect(dropped).toBeDefined();
    const target = make();
    target.numBatchesTracked!.data[0] = 7;
    expect(target.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(target.runningMean!.data)).toEqual([1, 2, 3]);
    expect(target.numBatchesTracked!.item()).toBe(7); // kept, as torch keeps the module's own value
  });

  it('works under a prefix in a Sequential, and other missing keys still throw', () => {
    const model = (): nn.Sequential => new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2));
    const { '1.num_batches_tracked': dropped, ...sd } = model().stateDict();
    expect(dropped).toBeDefined();
    expect(model().loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const { '1.running_var': _gone, ...withoutVar } = sd;
    expect(() => model().loadStateDict(withoutVar)).toThrow('missing keys: "1.running_var"');
  });
});
