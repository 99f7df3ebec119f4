/**
 * Errors name what the user called: a module's errors say the module (`MaxPool2d: ...`), its
 * functional form's say the form (`maxPool2d: ...`). One row per single-op module and loss: the
 * same bad input through the module and through the functional form must give the same message
 * under the two names (so it is one check, not two copies), and bad constructor options fail when
 * the module is built, under the module's name.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, tensor, zeros, type Tensor } from '../../src/index.js';

interface Row {
  /** The class name, which every module error must start with. */
  module: string;
  /** The functional form's name, which the same error from the form must start with. */
  functional: string;
  /** The bad input through the module, and through the functional form. */
  forward: () => unknown;
  form: () => unknown;
  /** The message after `Name: ` both must throw. */
  message: string;
  /** Bad constructor options and the message after `Module: ` each must throw when built. */
  build: [call: () => unknown, message: string][];
}

const img = zeros([2, 3]); // not [N, C, H, W] nor [C, H, W]
const shapeMessage = 'input must be a Tensor of shape [N, C, H, W] or [C, H, W], got shape [2, 3]';
const ints = tensor(Int32Array.of(1, 2));
const floatMessage = "input must have a floating dtype ('float32' or 'float64'), got 'int32'";

const rows: Row[] = [
  {
    module: 'MaxPool2d',
    functional: 'maxPool2d',
    forward: () => new nn.MaxPool2d(2).forward(img),
    form: () => F.maxPool2d(img, 2),
    message: shapeMessage,
    build: [
      [
        () => new nn.MaxPool2d(3, { padding: 2 }),
        'padding should be at most half of the kernel size; kernelSize [3, 3], got padding [2, 2]',
      ],
      [() => new nn.MaxPool2d(0), 'kernelSize must be an integer >= 1 or a pair of them, got 0'],
      [() => new nn.MaxPool2d(2, { stride: 0 }), 'stride must be an integer >= 1 or a pair of them, got 0'],
      [() => new nn.MaxPool2d(2, { padding: -1 }), 'padding must be an integer >= 0 or a pair of them, got -1'],
      [() => new nn.MaxPool2d(2, { dilation: 0 }), 'dilation must be an integer >= 1 or a pair of them, got 0'],
      [() => new nn.MaxPool2d(2, { ceilMode: 1 as never }), 'ceilMode must be true or false, got 1'],
      [() => new nn.MaxPool2d(2, null as never), 'options must be an object, got null'],
    ],
  },
  {
    module: 'AvgPool2d',
    functional: 'avgPool2d',
    forward: () => new nn.AvgPool2d(2).forward(img),
    form: () => F.avgPool2d(img, 2),
    message: shapeMessage,
    build: [
      [
        () => new nn.AvgPool2d([2, 4], { padding: [2, 1] }),
        'padding should be at most half of the kernel size; kernelSize [2, 4], got padding [2, 1]',
      ],
      [
        () => new nn.AvgPool2d(2, { stride: [1, 0] }),
        'stride must be an integer >= 1 or a pair of them, got [1, 0] (array)',
      ],
      [() => new nn.AvgPool2d(2, { ceilMode: 'no' as never }), 'ceilMode must be true or false, got "no" (string)'],
      [() => new nn.AvgPool2d(2, { countIncludePad: 0 as never }), 'countIncludePad must be true or false, got 0'],
      [() => new nn.AvgPool2d(2, { divisorOverride: 0 }), 'divisorOverride must be a non-zero integer or null, got 0'],
      [
        () => new nn.AvgPool2d(2, { divisorOverride: 1.5 }),
        'divisorOverride must be a non-zero integer or null, got 1.5',
      ],
    ],
  },
  {
    module: 'AdaptiveAvgPool2d',
    functional: 'adaptiveAvgPool2d',
    forward: () => new nn.AdaptiveAvgPool2d(1).forward(img),
    form: () => F.adaptiveAvgPool2d(img, 1),
    message: shapeMessage,
    build: [
      [
        () => new nn.AdaptiveAvgPool2d(0),
        'outputSize must be an integer >= 1 or a pair of them (null keeps that input size), got 0',
      ],
    ],
  },
  {
    module: 'Dropout',
    functional: 'dropout',
    forward: () => new nn.Dropout(0.5).forward(ints),
    form: () => F.dropout(ints, 0.5),
    message: floatMessage,
    build: [[() => new nn.Dropout(1.5), 'dropout probability p must be in [0, 1], got 1.5']],
  },
  {
    module: 'Softmax',
    functional: 'softmax',
    forward: () => new nn.Softmax(2).forward(img),
    form: () => F.softmax(img, 2),
    message: 'axis must be an integer in [-2, 1] for a tensor of rank 2, got 2',
    build: [[() => new nn.Softmax(1.5), 'dim must be an integer axis, got 1.5']],
  },
  {
    module: 'LogSoftmax',
    functional: 'logSoftmax',
    forward: () => new nn.LogSoftmax(-3).forward(img),
    form: () => F.logSoftmax(img, -3),
    message: 'axis must be an integer in [-2, 1] for a tensor of rank 2, got -3',
    build: [[() => new nn.LogSoftmax(NaN), 'dim must be an integer axis, got NaN']],
  },
  {
    module: 'Embedding',
    functional: 'embedding',
    forward: () => new nn.Embedding(3, 2).forward(tensor(Int32Array.of(0, 3))),
    form: () => F.embedding(tensor(Int32Array.of(0, 3)), zeros([3, 2])),
    message: 'index 3 is out of range for weight with 3 rows (torch: "index out of range in self")',
    build: [
      [() => new nn.Embedding(2.5, 3), 'numEmbeddings must be a non-negative integer, got 2.5'],
      [
        () => new nn.Embedding(3, 2, { paddingIdx: 3 }),
        'paddingIdx must be an integer within numEmbeddings (in [-3, 2]), got 3 ' +
          '(torch: "Padding_idx must be within num_embeddings")',
      ],
    ],
  },
  {
    module: 'LeakyReLU',
    functional: 'leakyRelu',
    forward: () => new nn.LeakyReLU().forward(ints),
    form: () => F.leakyRelu(ints),
    message: floatMessage,
    build: [[() => new nn.LeakyReLU(NaN), 'negativeSlope must be a number, got NaN']],
  },
  {
    module: 'SiLU',
    functional: 'silu',
    forward: () => new nn.SiLU().forward(ints),
    form: () => F.silu(ints),
    message: floatMessage,
    build: [], // no constructor arguments
  },
  {
    module: 'ELU',
    functional: 'elu',
    forward: () => new nn.ELU().forward('x' as never),
    form: () => F.elu('x' as never),
    message: 'input must be a Tensor, got "x" (string)',
    build: [[() => new nn.ELU('1' as never), 'alpha must be a number, got "1" (string)']],
  },
  {
    module: 'Softplus',
    functional: 'softplus',
    forward: () => new nn.Softplus().forward(ints),
    form: () => F.softplus(ints),
    message: floatMessage,
    build: [
      [() => new nn.Softplus(NaN), 'beta must be a number, got NaN'],
      [() => new nn.Softplus(1, null as never), 'threshold must be a number, got null'],
    ],
  },
  {
    module: 'CrossEntropyLoss',
    functional: 'crossEntropy',
    forward: () => new nn.CrossEntropyLoss().forward(zeros([2, 3]), [0, 3]),
    form: () => F.crossEntropy(zeros([2, 3]), [0, 3]),
    message: 'targets must be class indices in [0, 2] (or ignoreIndex -100), got 3 at flat index 1',
    build: [[() => new nn.CrossEntropyLoss({ labelSmoothing: 2 }), 'labelSmoothing must be in [0, 1], got 2']],
  },
  {
    module: 'NLLLoss',
    functional: 'nllLoss',
    forward: () => new nn.NLLLoss().forward(zeros([2, 3]), [0]),
    form: () => F.nllLoss(zeros([2, 3]), [0]),
    message: 'targets must have shape [2] to match the input, got [1]',
    build: [[() => new nn.NLLLoss({ ignoreIndex: 1.5 }), 'ignoreIndex must be an integer, got 1.5']],
  },
  {
    module: 'MSELoss',
    functional: 'mseLoss',
    forward: () => new nn.MSELoss().forward(zeros([4]), zeros([4, 1])),
    form: () => F.mseLoss(zeros([4]), zeros([4, 1])),
    message: "target must have the input's shape [4], got [4, 1] (torch would broadcast them with a warning)",
    build: [
      [
        () => new nn.MSELoss({ reduction: 'avg' as never }),
        `reduction must be 'mean', 'sum' or 'none', got "avg" (string)`,
      ],
    ],
  },
  {
    module: 'BCEWithLogitsLoss',
    functional: 'binaryCrossEntropyWithLogits',
    forward: () => new nn.BCEWithLogitsLoss().forward(zeros([2]), zeros([3])),
    form: () => F.binaryCrossEntropyWithLogits(zeros([2]), zeros([3])),
    message: "targets must have the logits' shape [2], got [3]",
    build: [[() => new nn.BCEWithLogitsLoss({ posWeight: 3 as never }), 'posWeight must be a Tensor or null, got 3']],
  },
  {
    module: 'L1Loss',
    functional: 'l1Loss',
    forward: () => new nn.L1Loss().forward(zeros([2]), 'x' as never),
    form: () => F.l1Loss(zeros([2]), 'x' as never),
    message: 'input and target must be Tensors, got a Tensor of shape [2] and "x" (string)',
    build: [
      [
        () => new nn.L1Loss({ reduction: 'Sum' as never }),
        `reduction must be 'mean', 'sum' or 'none', got "Sum" (string)`,
      ],
    ],
  },
  {
    module: 'SmoothL1Loss',
    functional: 'smoothL1Loss',
    forward: () => new nn.SmoothL1Loss().forward(zeros([2]), 'x' as never),
    form: () => F.smoothL1Loss(zeros([2]), 'x' as never),
    message: 'input and target must be Tensors, got a Tensor of shape [2] and "x" (string)',
    build: [[() => new nn.SmoothL1Loss({ beta: -1 }), 'beta must be a number >= 0, got -1']],
  },
  {
    module: 'HuberLoss',
    functional: 'huberLoss',
    forward: () => new nn.HuberLoss().forward(zeros([2]), 'x' as never),
    form: () => F.huberLoss(zeros([2]), 'x' as never),
    message: 'input and target must be Tensors, got a Tensor of shape [2] and "x" (string)',
    build: [[() => new nn.HuberLoss({ delta: 0 }), 'delta must be a number > 0, got 0']],
  },
  {
    module: 'KLDivLoss',
    functional: 'klDiv',
    forward: () => new nn.KLDivLoss({ reduction: 'batchmean' }).forward(zeros([]), zeros([])),
    form: () => F.klDiv(zeros([]), zeros([]), { reduction: 'batchmean' }),
    message: "reduction 'batchmean' needs an input with a batch axis, got shape []",
    build: [[() => new nn.KLDivLoss({ logTarget: 1 as never }), 'logTarget must be true or false, got 1']],
  },
  {
    module: 'BCELoss',
    functional: 'binaryCrossEntropy',
    forward: () => new nn.BCELoss().forward(tensor([2]), tensor([1])),
    form: () => F.binaryCrossEntropy(tensor([2]), tensor([1])),
    message: 'all elements of input should be between 0 and 1, got 2 at flat index 0',
    build: [[() => new nn.BCELoss({ weight: 2 as never }), 'weight must be a Tensor or null, got 2']],
  },
];

/** The message `call` throws as a plain Error (fails the test when it throws nothing or a TypeError). */
function thrown(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    expect((e as Error).constructor).toBe(Error);
    return (e as Error).message;
  }
  throw new Error('expected the call to throw');
}

describe('single-op modules name themselves, functional forms name themselves', () => {
  it.each(rows.map((r) => [r.module, r] as const))('%s', (_, r) => {
    expect(thrown(r.forward)).toBe(`${r.module}: ${r.message}`);
    expect(thrown(r.form)).toBe(`${r.functional}: ${r.message}`);
    for (const [build, message] of r.build) expect(thrown(build)).toBe(`${r.module}: ${message}`);
  });

  it('the pools check their options when built, and the functional form under its own name', () => {
    const x = zeros([1, 1, 4, 4]);
    expect(thrown(() => F.maxPool2d(x, 3, { padding: 2 }))).toBe(
      'maxPool2d: padding should be at most half of the kernel size; kernelSize [3, 3], got padding [2, 2]',
    );
    expect(thrown(() => F.avgPool2d(x, 2, { divisorOverride: 0 }))).toBe(
      'avgPool2d: divisorOverride must be a non-zero integer or null, got 0',
    );
    // options are checked before the input, so a bad option is reported even with a good input
    expect(thrown(() => F.maxPool2d('x' as never, 2, { stride: 0 }))).toBe(
      'maxPool2d: stride must be an integer >= 1 or a pair of them, got 0',
    );
    // a built pool keeps working and gives the functional form's result
    const pool = new nn.AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false });
    const y = pool.forward(tensor([1, 2, 3, 4], [1, 1, 2, 2]));
    expect(Array.from(y.data)).toEqual(
      Array.from(F.avgPool2d(tensor([1, 2, 3, 4], [1, 1, 2, 2]), 2, pool.options).data),
    );
    expect(y.shape).toEqual([1, 1, 3, 3]);
  });

  it('MultiheadAttention names itself for a bad query', () => {
    const mha = new nn.MultiheadAttention(4, 2);
    const q: Tensor = zeros([2, 1, 4]);
    expect(thrown(() => mha.forward('q' as never, q, q))).toBe(
      'MultiheadAttention: query must be a Tensor, got "q" (string)',
    );
    expect(thrown(() => mha.forward(zeros([2, 1, 3]), q, q))).toMatch(/^MultiheadAttention: /);
  });
});

/**
 * Every class in `nn`: how to build one, and a call with a bad input. A class added to `nn` without a
 * row here fails the test; a class that cannot fail on its input says why in `exempt`.
 */
const bad = 'x' as never;
const anyModule: Record<string, () => unknown> = {
  BatchNorm1d: () => new nn.BatchNorm1d(3).forward(bad),
  BatchNorm2d: () => new nn.BatchNorm2d(3).forward(bad),
  BatchNorm3d: () => new nn.BatchNorm3d(3).forward(bad),
  InstanceNorm1d: () => new nn.InstanceNorm1d(3).forward(bad),
  InstanceNorm2d: () => new nn.InstanceNorm2d(3).forward(bad),
  InstanceNorm3d: () => new nn.InstanceNorm3d(3).forward(bad),
  GroupNorm: () => new nn.GroupNorm(1, 3).forward(bad),
  LayerNorm: () => new nn.LayerNorm(3).forward(bad),
  RMSNorm: () => new nn.RMSNorm(3).forward(bad),
  Linear: () => new nn.Linear(3, 2).forward(bad),
  Conv2d: () => new nn.Conv2d(3, 2, 1).forward(bad),
  Conv1d: () => new nn.Conv1d(3, 2, 1).forward(bad),
  MaxPool2d: () => new nn.MaxPool2d(2).forward(bad),
  AvgPool2d: () => new nn.AvgPool2d(2).forward(bad),
  AdaptiveAvgPool2d: () => new nn.AdaptiveAvgPool2d(1).forward(bad),
  ReLU: () => new nn.ReLU().forward(bad),
  GELU: () => new nn.GELU().forward(bad),
  Tanh: () => new nn.Tanh().forward(bad),
  Sigmoid: () => new nn.Sigmoid().forward(bad),
  Softmax: () => new nn.Softmax(0).forward(bad),
  LogSoftmax: () => new nn.LogSoftmax(0).forward(bad),
  LeakyReLU: () => new nn.LeakyReLU().forward(bad),
  SiLU: () => new nn.SiLU().forward(bad),
  ELU: () => new nn.ELU().forward(bad),
  Softplus: () => new nn.Softplus().forward(bad),
  Dropout: () => new nn.Dropout().forward(bad),
  ModuleList: () => new nn.ModuleList([]).forward(),
  ModuleDict: () => new nn.ModuleDict({}).forward(),
  Flatten: () => new nn.Flatten().forward(bad),
  CrossEntropyLoss: () => new nn.CrossEntropyLoss().forward(bad, [0]),
  NLLLoss: () => new nn.NLLLoss().forward(bad, [0]),
  MSELoss: () => new nn.MSELoss().forward(bad, zeros([1])),
  BCEWithLogitsLoss: () => new nn.BCEWithLogitsLoss().forward(bad, zeros([1])),
  L1Loss: () => new nn.L1Loss().forward(bad, zeros([1])),
  SmoothL1Loss: () => new nn.SmoothL1Loss().forward(bad, zeros([1])),
  HuberLoss: () => new nn.HuberLoss().forward(bad, zeros([1])),
  KLDivLoss: () => new nn.KLDivLoss().forward(bad, zeros([1])),
  BCELoss: () => new nn.BCELoss().forward(bad, zeros([1])),
  Embedding: () => new nn.Embedding(3, 2).forward(bad),
  MultiheadAttention: () => new nn.MultiheadAttention(4, 2).forward(bad, zeros([1, 4]), zeros([1, 4])),
};
const exempt: Record<string, string> = {
  Module: 'the abstract base class',
  Sequential: 'passes its input to its first module, whose error names that module',
  Identity: 'returns any input unchanged, like torch.nn.Identity',
};

describe('every nn module names its class in errors', () => {
  const classes = Object.entries(nn).filter(
    ([, v]) => typeof v === 'function' && (v === nn.Module || v.prototype instanceof nn.Module),
  );

  it('the table covers every Module class in nn', () => {
    const names = classes.map(([name]) => name).sort();
    expect(names).toEqual([...Object.keys(anyModule), ...Object.keys(exempt)].sort());
  });

  it.each(Object.entries(anyModule))('%s', (name, call) => {
    expect(thrown(call)).toMatch(new RegExp(`^${name}: `));
  });

  it('Sequential reports the error of the module that failed', () => {
    expect(thrown(() => new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU()).forward(bad))).toMatch(/^Linear: /);
  });
});
