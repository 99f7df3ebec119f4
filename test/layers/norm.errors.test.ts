/**
 * Bad arguments to the normalization layers and their functional forms: every error names the
 * argument and shows what was expected and what was given (the full message is asserted). Also:
 * forward and backward never mutate their inputs, and an empty batch passes through like in torch.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, Generator, nn, ones, Tensor, zeros } from '../../src/index.js';
import { NORM_CASES, normalData, randomizeState } from './norm.reference.js';

type Thrower = () => unknown;

function expectErrors(table: [string, Thrower, string][]): void {
  for (const [label, fn, message] of table) expect(fn, label).toThrow(message);
}

const x3 = (shape: number[]): Tensor => new Tensor(normalData(shape, new Generator(0)), shape);

describe('normalization errors', () => {
  it('BatchNorm training with one value per channel (torch: "Expected more than 1 value per channel when training")', () => {
    expectErrors([
      [
        'BatchNorm1d [1, 4]',
        () => new nn.BatchNorm1d(4).forward(x3([1, 4])),
        'BatchNorm1d: expected more than 1 value per channel when training, got input size [1, 4]',
      ],
      [
        'BatchNorm2d [1, 3, 1, 1]',
        () => new nn.BatchNorm2d(3).forward(x3([1, 3, 1, 1])),
        'BatchNorm2d: expected more than 1 value per channel when training, got input size [1, 3, 1, 1]',
      ],
      // Without running statistics, eval mode uses batch statistics too.
      [
        'BatchNorm1d untracked eval [1, 4]',
        () => new nn.BatchNorm1d(4, { trackRunningStats: false }).eval().forward(x3([1, 4])),
        'BatchNorm1d: expected more than 1 value per channel when training, got input size [1, 4]',
      ],
      [
        'functional',
        () => F.batchNorm(x3([1, 4]), null, null, { training: true }),
        'batchNorm: expected more than 1 value per channel when training, got input size [1, 4]',
      ],
    ]);
    // One value per channel is fine in eval mode with running statistics.
    expect(new nn.BatchNorm1d(4).eval().forward(x3([1, 4])).shape).toEqual([1, 4]);
  });

  it('InstanceNorm with one spatial element (torch: "Expected more than 1 spatial element when training")', () => {
    expectErrors([
      [
        'InstanceNorm1d [2, 3, 1]',
        () => new nn.InstanceNorm1d(3).forward(x3([2, 3, 1])),
        'InstanceNorm1d: expected more than 1 spatial element when training, got input size [2, 3, 1]',
      ],
      [
        'InstanceNorm2d [2, 3, 1, 1]',
        () => new nn.InstanceNorm2d(3).forward(x3([2, 3, 1, 1])),
        'InstanceNorm2d: expected more than 1 spatial element when training, got input size [2, 3, 1, 1]',
      ],
      [
        'functional',
        () => F.instanceNorm(x3([2, 3, 1])),
        'instanceNorm: expected more than 1 spatial element when training, got input size [2, 3, 1]',
      ],
    ]);
    // Eval mode with tracked running statistics does not need instance statistics.
    expect(new nn.InstanceNorm1d(3, { trackRunningStats: true }).eval().forward(x3([2, 3, 1])).shape).toEqual([
      2, 3, 1,
    ]);
  });

  it('GroupNorm numChannels not divisible by numGroups', () => {
    expectErrors([
      ['constructor', () => new nn.GroupNorm(4, 6), 'GroupNorm: numChannels (6) must be divisible by numGroups (4)'],
      [
        'functional',
        () => F.groupNorm(x3([2, 6, 3]), 4),
        'groupNorm: numChannels (6) must be divisible by numGroups (4)',
      ],
    ]);
  });

  it('wrong input rank, for each layer', () => {
    expectErrors([
      [
        'BatchNorm1d 4D',
        () => new nn.BatchNorm1d(3).forward(x3([2, 3, 2, 2])),
        'BatchNorm1d: expected 2D or 3D input (N, C) or (N, C, L), got 4D input of shape [2, 3, 2, 2]',
      ],
      [
        'BatchNorm2d 3D',
        () => new nn.BatchNorm2d(3).forward(x3([2, 3, 4])),
        'BatchNorm2d: expected 4D input (N, C, H, W), got 3D input of shape [2, 3, 4]',
      ],
      [
        'BatchNorm3d 4D',
        () => new nn.BatchNorm3d(3).forward(x3([2, 3, 2, 2])),
        'BatchNorm3d: expected 5D input (N, C, D, H, W), got 4D input of shape [2, 3, 2, 2]',
      ],
      [
        'InstanceNorm1d 4D',
        () => new nn.InstanceNorm1d(3).forward(x3([2, 3, 2, 2])),
        'InstanceNorm1d: expected 2D or 3D input (N, C, L) or (C, L), got 4D input of shape [2, 3, 2, 2]',
      ],
      [
        'InstanceNorm2d 2D',
        () => new nn.InstanceNorm2d(3).forward(x3([3, 4])),
        'InstanceNorm2d: expected 3D or 4D input (N, C, H, W) or (C, H, W), got 2D input of shape [3, 4]',
      ],
      [
        'InstanceNorm3d 3D',
        () => new nn.InstanceNorm3d(3).forward(x3([3, 4, 4])),
        'InstanceNorm3d: expected 4D or 5D input (N, C, D, H, W) or (C, D, H, W), got 3D input of shape [3, 4, 4]',
      ],
      [
        'GroupNorm 1D',
        () => new nn.GroupNorm(2, 4).forward(x3([4])),
        'GroupNorm: expected input of shape (N, C, *) with at least 2 dimensions, got [4]',
      ],
      [
        'LayerNorm rank < normalizedShape',
        () => new nn.LayerNorm([3, 4]).forward(x3([4])),
        'LayerNorm: expected input with trailing dimensions [3, 4] (normalizedShape), got input shape [4]',
      ],
      [
        'RMSNorm rank < normalizedShape',
        () => new nn.RMSNorm([3, 4]).forward(x3([4])),
        'RMSNorm: expected input with trailing dimensions [3, 4] (normalizedShape), got input shape [4]',
      ],
      [
        'functional batchNorm 1D',
        () => F.batchNorm(x3([4]), null, null, { training: true }),
        'batchNorm: expected input of shape (N, C, *) with at least 2 dimensions, got [4]',
      ],
      [
        'functional instanceNorm 2D',
        () => F.instanceNorm(x3([2, 3])),
        'instanceNorm: expected input of shape (N, C, *) with at least one spatial dimension, got [2, 3]',
      ],
      [
        'functional groupNorm 1D',
        () => F.groupNorm(x3([4]), 2),
        'groupNorm: expected input of shape (N, C, *) with at least 2 dimensions, got [4]',
      ],
    ]);
  });

  it('wrong channel count', () => {
    expectErrors([
      [
        'BatchNorm2d',
        () => new nn.BatchNorm2d(3).forward(x3([2, 4, 2, 2])),
        'BatchNorm2d: expected input with 3 channels (numFeatures) at dimension 1, got 4 (input shape [2, 4, 2, 2])',
      ],
      [
        'BatchNorm1d (N, C)',
        () => new nn.BatchNorm1d(3).forward(x3([5, 2])),
        'BatchNorm1d: expected input with 3 channels (numFeatures) at dimension 1, got 2 (input shape [5, 2])',
      ],
      [
        'InstanceNorm1d unbatched',
        () => new nn.InstanceNorm1d(3, { affine: true }).forward(x3([4, 5])),
        'InstanceNorm1d: expected input with 3 channels (numFeatures) at dimension 0, got 4 (input shape [4, 5])',
      ],
      [
        'GroupNorm',
        () => new nn.GroupNorm(2, 4).forward(x3([2, 6, 3])),
        'GroupNorm: expected input with 4 channels (numChannels) at dimension 1, got 6 (input shape [2, 6, 3])',
      ],
      [
        'functional batchNorm runningMean',
        () => F.batchNorm(x3([2, 4]), zeros([3]), ones([4])),
        'batchNorm: runningMean must have 4 elements (one per channel), got shape [3]',
      ],
      [
        'functional batchNorm runningVar',
        () => F.batchNorm(x3([2, 4]), zeros([4]), ones([5])),
        'batchNorm: runningVar must have 4 elements (one per channel), got shape [5]',
      ],
      [
        'functional instanceNorm runningMean',
        () => F.instanceNorm(x3([2, 4, 3]), { runningMean: zeros([3]), runningVar: ones([4]) }),
        'instanceNorm: runningMean must have 4 elements (one per channel), got shape [3]',
      ],
    ]);
  });

  it('LayerNorm / RMSNorm normalizedShape not matching the trailing dims', () => {
    expectErrors([
      [
        'LayerNorm',
        () => new nn.LayerNorm([3, 4]).forward(x3([2, 4, 3])),
        'LayerNorm: expected input with trailing dimensions [3, 4] (normalizedShape), got input shape [2, 4, 3]',
      ],
      [
        'RMSNorm',
        () => new nn.RMSNorm(5).forward(x3([2, 4])),
        'RMSNorm: expected input with trailing dimensions [5] (normalizedShape), got input shape [2, 4]',
      ],
      [
        'functional layerNorm',
        () => F.layerNorm(x3([2, 4]), [2, 4, 1]),
        'layerNorm: expected input with trailing dimensions [2, 4, 1] (normalizedShape), got input shape [2, 4]',
      ],
      [
        'functional rmsNorm',
        () => F.rmsNorm(x3([2, 3, 4]), [2, 4]),
        'rmsNorm: expected input with trailing dimensions [2, 4] (normalizedShape), got input shape [2, 3, 4]',
      ],
    ]);
  });

  it('negative eps, in every constructor and functional form', () => {
    const bad = { eps: -1 };
    const x = x3([2, 4, 3]);
    expectErrors([
      ...(
        [
          nn.BatchNorm1d,
          nn.BatchNorm2d,
          nn.BatchNorm3d,
          nn.InstanceNorm1d,
          nn.InstanceNorm2d,
          nn.InstanceNorm3d,
        ] as const
      ).map((Class): [string, Thrower, string] => [
        Class.name,
        () => new Class(4, bad),
        `${Class.name}: eps must be a finite number >= 0, got -1`,
      ]),
      ['GroupNorm', () => new nn.GroupNorm(2, 4, bad), 'GroupNorm: eps must be a finite number >= 0, got -1'],
      ['LayerNorm', () => new nn.LayerNorm(3, bad), 'LayerNorm: eps must be a finite number >= 0, got -1'],
      ['RMSNorm', () => new nn.RMSNorm(3, bad), 'RMSNorm: eps must be a finite number >= 0, got -1'],
      [
        'batchNorm',
        () => F.batchNorm(x, null, null, { training: true, ...bad }),
        'batchNorm: eps must be a finite number >= 0, got -1',
      ],
      ['instanceNorm', () => F.instanceNorm(x, bad), 'instanceNorm: eps must be a finite number >= 0, got -1'],
      ['groupNorm', () => F.groupNorm(x, 2, bad), 'groupNorm: eps must be a finite number >= 0, got -1'],
      ['layerNorm', () => F.layerNorm(x, [3], bad), 'layerNorm: eps must be a finite number >= 0, got -1'],
      ['rmsNorm', () => F.rmsNorm(x, [3], bad), 'rmsNorm: eps must be a finite number >= 0, got -1'],
    ]);
  });

  it('non-integer or non-positive sizes in the constructors', () => {
    expectErrors([
      [
        'BatchNorm1d 2.5',
        () => new nn.BatchNorm1d(2.5),
        'BatchNorm1d: numFeatures must be a positive integer, got 2.5',
      ],
      ['BatchNorm2d 0', () => new nn.BatchNorm2d(0), 'BatchNorm2d: numFeatures must be a positive integer, got 0'],
      [
        'InstanceNorm2d 1.5',
        () => new nn.InstanceNorm2d(1.5),
        'InstanceNorm2d: numFeatures must be a positive integer, got 1.5',
      ],
      [
        'GroupNorm numChannels 4.5',
        () => new nn.GroupNorm(2, 4.5),
        'GroupNorm: numChannels must be a positive integer, got 4.5',
      ],
      [
        'GroupNorm numGroups 1.5',
        () => new nn.GroupNorm(1.5, 3),
        'GroupNorm: numGroups must be a positive integer, got 1.5',
      ],
      [
        'LayerNorm 2.5',
        () => new nn.LayerNorm(2.5),
        'LayerNorm: normalizedShape must be a positive integer or a non-empty array of them, got 2.5',
      ],
      [
        'RMSNorm []',
        () => new nn.RMSNorm([]),
        'RMSNorm: normalizedShape must be a positive integer or a non-empty array of them, got []',
      ],
      [
        'BatchNorm momentum 2',
        () => new nn.BatchNorm1d(3, { momentum: 2 }),
        'BatchNorm1d: momentum must be a number in [0, 1] (or null in the module for a cumulative average), got 2',
      ],
    ]);
  });

  it('weight or bias of the wrong size in the functional forms', () => {
    const x = x3([2, 4, 3]);
    expectErrors([
      [
        'batchNorm weight',
        () => F.batchNorm(x, null, null, { training: true, weight: ones([3]) }),
        'batchNorm: weight must have 4 elements (shape [4]), got shape [3]',
      ],
      [
        'batchNorm bias',
        () => F.batchNorm(x, null, null, { training: true, bias: zeros([5]) }),
        'batchNorm: bias must have 4 elements (shape [4]), got shape [5]',
      ],
      [
        'instanceNorm weight',
        () => F.instanceNorm(x, { weight: ones([3]) }),
        'instanceNorm: weight must have shape [4] (one per channel), got shape [3]',
      ],
      [
        'groupNorm weight',
        () => F.groupNorm(x, 2, { weight: ones([3]) }),
        'groupNorm: weight must have shape [4] (one per channel), got shape [3]',
      ],
      [
        'groupNorm bias',
        () => F.groupNorm(x, 2, { bias: zeros([2, 2]) }),
        'groupNorm: bias must have shape [4] (one per channel), got shape [2, 2]',
      ],
      [
        'layerNorm weight',
        () => F.layerNorm(x, [4, 3], { weight: ones([3]) }),
        'layerNorm: weight must have shape [4, 3] (normalizedShape), got shape [3]',
      ],
      // Same number of elements, wrong shape: torch rejects it too
      // ("Expected weight to be of same shape as normalized_shape").
      [
        'layerNorm weight transposed',
        () => F.layerNorm(x, [4, 3], { weight: ones([3, 4]) }),
        'layerNorm: weight must have shape [4, 3] (normalizedShape), got shape [3, 4]',
      ],
      [
        'layerNorm bias',
        () => F.layerNorm(x, [3], { bias: zeros([4]) }),
        'layerNorm: bias must have shape [3] (normalizedShape), got shape [4]',
      ],
      [
        'rmsNorm weight',
        () => F.rmsNorm(x, [4, 3], { weight: ones([12]) }),
        'rmsNorm: weight must have shape [4, 3] (normalizedShape), got shape [12]',
      ],
    ]);
  });

  it('functional eval without running statistics', () => {
    expectErrors([
      [
        'batchNorm both null',
        () => F.batchNorm(x3([2, 4]), null, null),
        'batchNorm: runningMean and runningVar must be given when training is false (evaluation uses the running statistics), got runningMean = null',
      ],
      [
        'batchNorm runningVar null',
        () => F.batchNorm(x3([2, 4]), zeros([4]), null),
        'batchNorm: runningMean and runningVar must be given when training is false (evaluation uses the running statistics), got runningVar = null',
      ],
      [
        'instanceNorm useInputStats false',
        () => F.instanceNorm(x3([2, 4, 3]), { useInputStats: false }),
        'instanceNorm: runningMean and runningVar must be given when useInputStats is false',
      ],
    ]);
  });
});

describe('forward and backward never mutate their inputs', () => {
  it.each(NORM_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const gen = new Generator(13);
    const g = c.layer.small;
    const inst = c.layer.build(g, c.mode);
    randomizeState(inst, gen);
    const x = new Tensor(normalData(g.shape, gen), g.shape, true);
    const dy = new Tensor(normalData(g.shape, gen), g.shape);
    // In training the running statistics are meant to change; in eval nothing may.
    const watched = [x, dy, inst.weight, inst.bias, ...(c.mode === 'eval' ? inst.module.buffers() : [])].filter(
      (t): t is Tensor => t !== null,
    );
    const before = watched.map((t) => Float32Array.from(t.data));
    inst.module.forward(x).backward(dy);
    inst.functional(x, inst.weight, inst.bias).backward(dy);
    watched.forEach((t, i) => expect(t.data, `input ${i} of shape [${t.shape}]`).toEqual(before[i]));
  });

  it('functional batchNorm and instanceNorm in eval leave the running statistics alone', () => {
    const x = x3([3, 2, 4]);
    const [mean, variance] = [new Tensor(Float32Array.of(0.5, -1), [2]), new Tensor(Float32Array.of(2, 0.25), [2])];
    F.batchNorm(x, mean, variance, { training: false });
    F.instanceNorm(x, { runningMean: mean, runningVar: variance, useInputStats: false });
    expect([...mean.data, ...variance.data]).toEqual([0.5, -1, 2, 0.25]);
  });
});

describe('a module forward that throws leaves the module as it was', () => {
  it('BatchNorm counts the batch only once the call has succeeded (momentum null: 1 / count)', () => {
    const bn = new nn.BatchNorm1d(4, { momentum: null });
    expect(() => bn.forward(x3([1, 4]))).toThrow('BatchNorm1d: expected more than 1 value per channel');
    expect(() => bn.forward(x3([2, 3]))).toThrow('BatchNorm1d: expected input with 4 channels (numFeatures)');
    expect(() => bn.forward('x' as never)).toThrow('BatchNorm1d: input must be a Tensor, got "x" (string)');
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expect([...bn.runningMean!.data, ...bn.runningVar!.data]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    // The first counted batch has factor 1 / 1: the running mean becomes the batch mean.
    const x = x3([3, 4]);
    bn.forward(x);
    expect(bn.numBatchesTracked!.item()).toBe(1);
    const mean = [0, 1, 2, 3].map((c) => (x.data[c]! + x.data[4 + c]! + x.data[8 + c]!) / 3);
    mean.forEach((m, c) => expect(bn.runningMean!.data[c]).toBeCloseTo(m, 6));
  });
});

describe('empty batch (N = 0)', () => {
  it('passes through BatchNorm in training without touching the running statistics (torch behaviour)', () => {
    for (const [bn, shape] of [
      [new nn.BatchNorm2d(3), [0, 3, 2, 2]],
      [new nn.BatchNorm1d(3, { momentum: null }), [0, 3]],
    ] as const) {
      const x = zeros([...shape], { requiresGrad: true });
      const y = bn.forward(x);
      expect(y.shape).toEqual(shape);
      y.sum().backward();
      expect(x.grad!.shape).toEqual(shape);
      expect([...bn.weight!.grad!.data, ...bn.bias!.grad!.data]).toEqual([0, 0, 0, 0, 0, 0]);
      expect([...bn.runningMean!.data, ...bn.runningVar!.data]).toEqual([0, 0, 0, 1, 1, 1]);
      // torch's _BatchNorm.forward counts the batch before F.batch_norm sees that it is empty.
      expect(bn.numBatchesTracked!.item()).toBe(1);
    }
  });

  it('passes through the other layers with an empty output of the same shape', () => {
    const layers: [nn.InstanceNorm2d | nn.GroupNorm | nn.LayerNorm | nn.RMSNorm, number[]][] = [
      [new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }), [0, 3, 2, 2]],
      [new nn.GroupNorm(1, 3), [0, 3, 2]],
      [new nn.LayerNorm(3), [0, 3]],
      [new nn.RMSNorm([2]), [4, 0, 2]],
    ];
    for (const [m, shape] of layers) {
      const x = zeros(shape, { requiresGrad: true });
      const y = m.forward(x);
      expect(y.shape, m.constructor.name).toEqual(shape);
      y.sum().backward();
      expect(x.grad!.shape).toEqual(shape);
    }
    const inorm = layers[0]![0] as nn.InstanceNorm2d;
    expect([...inorm.runningMean!.data, ...inorm.runningVar!.data]).toEqual([0, 0, 0, 1, 1, 1]);
  });
});

describe('functional instanceNorm checks its affine shapes', () => {
  it('rejects a weight with one element per channel but the wrong shape', () => {
    const x = new Tensor(
      new Float32Array(40).map((_, i) => Math.sin(i)),
      [2, 4, 5],
    );
    expect(() => F.instanceNorm(x, { weight: ones([2, 2]) })).toThrow(
      'instanceNorm: weight must have shape [4] (one per channel), got shape [2, 2]',
    );
    expect(() => F.instanceNorm(x, { bias: zeros([4, 1]) })).toThrow(
      'instanceNorm: bias must have shape [4] (one per channel), got shape [4, 1]',
    );
  });

  it('names the missing running statistic when useInputStats is false', () => {
    const x = new Tensor(new Float32Array(40), [2, 4, 5]);
    expect(() => F.instanceNorm(x, { useInputStats: false, runningMean: zeros([4]) })).toThrow(/got runningVar = null/);
  });
});
