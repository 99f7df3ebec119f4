/**
 * Bad input at the public API, as tables the next sweep can extend: each row is a call and the
 * message (or the start of it) it must throw. Every row must throw a plain Error naming the called
 * function and the argument, never a TypeError from inside an op, and must not allocate the
 * oversized tensors it describes.
 */
import { describe, expect, it } from 'vitest';
import {
  arange,
  functional as F,
  full,
  gradcheck,
  nn,
  noGrad,
  ones,
  optim,
  rand,
  randn,
  tensor,
  type Tensor,
  zeros,
} from '../../src/index.js';
import { describeValue } from '../../src/tensor/check.js';
import { MAX_ELEMENTS } from '../../src/tensor/shape.js';

type Row = [label: string, call: () => unknown, message: string | RegExp];

/** Runs each row: it must throw an Error (not a TypeError or RangeError) whose message matches. */
function expectErrors(rows: Row[]): void {
  for (const [label, call, message] of rows) {
    let thrown: unknown = null;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `${label}: did not throw`).toBeInstanceOf(Error);
    const err = thrown as Error;
    expect(err.constructor, `${label}: ${err.message}`).toBe(Error);
    if (typeof message === 'string') expect(err.message, label).toContain(message);
    else expect(err.message, label).toMatch(message);
    expect(err.message.length, `${label}: message too long`).toBeLessThan(400);
  }
}

describe('describeValue: how messages print values', () => {
  it.each([
    [1.5, '1.5'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    ['0.1', '"0.1" (string)'],
    [true, 'true (boolean)'],
    [undefined, 'undefined'],
    [null, 'null'],
    [[0, 0, 0], '[0, 0, 0] (array)'],
    [[1, 'a', null], '[1, "a", null] (array)'],
    [new Float32Array(3), 'a Float32Array of length 3'],
    [zeros([2, 3]), 'a Tensor of shape [2, 3]'],
    [{ a: 1 }, 'an object'],
    [new Map(), 'a Map'],
    [Object.create(null), 'an object'],
    [JSON.parse('{"constructor": {"name": "Evil"}}'), 'an object'], // an own key never names the class
    [[zeros([1]), new Map(), {}], '[Tensor, Map, object] (array)'],
    [new Int8Array(2), 'an Int8Array of length 2'],
    [() => 1, 'a function'],
    [10n, '10n (bigint)'],
  ] as [unknown, string][])('%s -> %s', (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });

  it('abbreviates long arrays and strings', () => {
    expect(describeValue(Array.from({ length: 1e6 }, (_, i) => i))).toBe(
      '[0, 1, 2, 3, 4, 5, ..., 999998, 999999] (1000000 entries) (array)',
    );
    expect(describeValue('x'.repeat(1000)).length).toBeLessThan(60);
  });
});

describe('sizes are checked before anything is allocated', () => {
  const limit = `more than the ${MAX_ELEMENTS} a tensor can hold`;
  it('the bound is 2^31 - 1 elements', () => {
    expect(MAX_ELEMENTS).toBe(2 ** 31 - 1);
  });

  it('creation functions, shape ops and layer constructors', () => {
    expectErrors([
      ['zeros', () => zeros([1e5, 1e5]), `zeros: shape [100000, 100000] has 1e10 elements, ${limit}`],
      ['ones', () => ones([1e5, 1e5]), 'ones: shape [100000, 100000] has 1e10 elements'],
      ['full', () => full([1e5, 1e5], 2), 'full: shape [100000, 100000] has 1e10 elements'],
      ['rand', () => rand([2 ** 31, 4]), 'rand: shape [2147483648, 4] has 8.589934592e9 elements'],
      ['randn', () => randn([2 ** 31, 4]), 'randn: shape [2147483648, 4] has 8.589934592e9 elements'],
      ['randn at the bound + 1', () => randn([2 ** 31]), 'randn: shape [2147483648] has 2.147483648e9 elements'],
      ['tensor with shape', () => tensor([1], [1e5, 1e5]), 'tensor: shape [100000, 100000] has 1e10 elements'],
      ['arange', () => arange(0, 1e10), 'arange: result shape [10000000000] has 1e10 elements'],
      ['expand', () => zeros([1, 1]).expand([1e5, 1e5]), 'expand: shape [100000, 100000] has 1e10 elements'],
      ['broadcast add', () => zeros([1e5, 1]).add(zeros([1, 1e5])), 'add: broadcast shape [100000, 100000] has 1e10'],
      ['broadcast mul', () => zeros([1e5, 1]).mul(zeros([1e5])), 'mul: broadcast shape [100000, 100000] has 1e10'],
      ['matmul', () => zeros([1e5, 1]).matmul(zeros([1, 1e5])), 'matmul: result shape [100000, 100000] has 1e10'],
      [
        'conv2d',
        () => F.conv2d(zeros([1, 1, 1, 1]), zeros([1, 1, 1, 1]), null, { padding: 50000 }),
        'conv2d: output shape [1, 1, 100001, 100001]',
      ],
      [
        'adaptiveAvgPool2d',
        () => F.adaptiveAvgPool2d(zeros([1, 1, 2, 2]), 1e5),
        'adaptiveAvgPool2d: output shape [1, 1, 100000, 100000]',
      ],
      ['Linear', () => new nn.Linear(1e5, 1e5), 'Linear: weight shape [100000, 100000] has 1e10 elements'],
      ['Conv2d', () => new nn.Conv2d(1e5, 1e5, 1), 'Conv2d: weight shape [100000, 100000, 1, 1] has 1e10'],
      ['BatchNorm1d', () => new nn.BatchNorm1d(2 ** 32), 'BatchNorm1d: parameter shape [4294967296] has 4.294967296e9'],
      ['InstanceNorm2d', () => new nn.InstanceNorm2d(2 ** 32), 'InstanceNorm2d: parameter shape [4294967296]'],
      ['GroupNorm', () => new nn.GroupNorm(1, 2 ** 32), 'GroupNorm: parameter shape [4294967296]'],
      ['LayerNorm', () => new nn.LayerNorm([1e5, 1e5]), 'LayerNorm: normalizedShape [100000, 100000] has 1e10'],
      ['RMSNorm', () => new nn.RMSNorm([1e5, 1e5]), 'RMSNorm: normalizedShape [100000, 100000] has 1e10'],
    ]);
  });

  it('a shape of a million axes prints abbreviated', () => {
    const shape = new Array<number>(1e6).fill(10);
    expectErrors([
      [
        'zeros',
        () => zeros(shape),
        'zeros: shape [10, 10, 10, 10, 10, 10, ..., 10, 10] (1000000 entries) has Infinity',
      ],
    ]);
    const bad = [...new Array<number>(1e6).fill(1), -1];
    expectErrors([
      ['zeros negative', () => zeros(bad), 'zeros: shape must contain finite non-negative integers, got [1, 1, 1, 1'],
    ]);
  });

  it('sizes up to the bound pass the check (small real allocations)', () => {
    expect(zeros([2 ** 10, 2 ** 10]).size).toBe(2 ** 20);
    expect(zeros([0, 2 ** 40]).size).toBe(0); // no elements, however large an axis
  });
});

describe('tensor arguments are checked at the boundary', () => {
  const x2 = zeros([4, 3]);
  const x4 = zeros([2, 3, 4, 4]);
  const rv = ones([3]);

  it('the cases from the hardening review', () => {
    const lin = new nn.Linear(3, 2);
    expectErrors([
      [
        'BatchNorm2d.forward(undefined)',
        () => new nn.BatchNorm2d(3).forward(undefined as never),
        'BatchNorm2d: input must be a Tensor, got undefined',
      ],
      [
        'GroupNorm.forward(null)',
        () => new nn.GroupNorm(1, 3).forward(null as never),
        'GroupNorm: input must be a Tensor, got null',
      ],
      [
        'InstanceNorm2d.forward(5)',
        () => new nn.InstanceNorm2d(3).forward(5 as never),
        'InstanceNorm2d: input must be a Tensor, got 5',
      ],
      [
        'batchNorm array runningMean',
        () => F.batchNorm(x4, [0, 0, 0] as never, rv),
        'batchNorm: runningMean must be a Tensor or null, got [0, 0, 0] (array)',
      ],
      [
        'batchNorm Float32Array runningMean',
        () => F.batchNorm(x4, new Float32Array(3) as never, rv),
        'batchNorm: runningMean must be a Tensor or null, got a Float32Array of length 3',
      ],
      [
        'instanceNorm array runningVar',
        () => F.instanceNorm(x4, { runningVar: [1, 1, 1] as never }),
        'instanceNorm: runningVar must be a Tensor or null, got [1, 1, 1] (array)',
      ],
      [
        'layerNorm(x, undefined)',
        () => F.layerNorm(x2, undefined as never),
        'layerNorm: normalizedShape must be a positive integer or a non-empty array of them, got undefined',
      ],
      [
        'Linear.forward(undefined)',
        () => lin.forward(undefined as never),
        'Linear: input must be a Tensor, got undefined',
      ],
      [
        'Linear.forward(array)',
        () => lin.forward([[1, 2, 3]] as never),
        'Linear: input must be a Tensor, got [array] (array)',
      ],
      [
        'linear(x, undefined)',
        () => F.linear(x2, undefined as never),
        'linear: weight must be a Tensor, got undefined',
      ],
      [
        'AdaptiveAvgPool2d(undefined)',
        () => new nn.AdaptiveAvgPool2d(undefined as never),
        'AdaptiveAvgPool2d: outputSize must be an integer >= 1 or a pair of them',
      ],
      [
        'BCE posWeight array',
        () => F.binaryCrossEntropyWithLogits(x2, x2, { posWeight: [1, 2, 3] as never }),
        'binaryCrossEntropyWithLogits: posWeight must be a Tensor or null, got [1, 2, 3] (array)',
      ],
      [
        'BCEWithLogitsLoss posWeight array',
        () => new nn.BCEWithLogitsLoss({ posWeight: [1, 2, 3] as never }).forward(x2, x2),
        'posWeight must be a Tensor or null',
      ],
    ]);
  });

  it('every module forward rejects a non-Tensor input by name', () => {
    const modules: [string, nn.Module & { forward(x: Tensor): Tensor }][] = [
      ['BatchNorm1d', new nn.BatchNorm1d(3)],
      ['BatchNorm2d', new nn.BatchNorm2d(3)],
      ['BatchNorm3d', new nn.BatchNorm3d(3)],
      ['InstanceNorm1d', new nn.InstanceNorm1d(3)],
      ['InstanceNorm2d', new nn.InstanceNorm2d(3)],
      ['InstanceNorm3d', new nn.InstanceNorm3d(3)],
      ['GroupNorm', new nn.GroupNorm(1, 3)],
      ['LayerNorm', new nn.LayerNorm(3)],
      ['RMSNorm', new nn.RMSNorm(3)],
      ['Linear', new nn.Linear(3, 2)],
      ['Conv2d', new nn.Conv2d(3, 2, 1)],
      ['MaxPool2d', new nn.MaxPool2d(2)],
      ['AvgPool2d', new nn.AvgPool2d(2)],
      ['AdaptiveAvgPool2d', new nn.AdaptiveAvgPool2d(1)],
      ['ReLU', new nn.ReLU()],
      ['GELU', new nn.GELU()],
      ['Tanh', new nn.Tanh()],
      ['Sigmoid', new nn.Sigmoid()],
      ['Softmax', new nn.Softmax(1)],
      ['LogSoftmax', new nn.LogSoftmax(1)],
      ['Dropout', new nn.Dropout(0.5)],
      ['LeakyReLU', new nn.LeakyReLU()],
      ['SiLU', new nn.SiLU()],
      ['ELU', new nn.ELU()],
      ['Softplus', new nn.Softplus()],
      ['Flatten', new nn.Flatten()],
    ];
    const bad: unknown[] = [undefined, null, 5, '5', [1, 2], new Float32Array(2), { shape: [2] }];
    const rows: Row[] = modules.flatMap(([name, m]) =>
      bad.map((v): Row => [
        `${m.constructor.name}.forward(${describeValue(v)})`,
        () => m.forward(v as never),
        `${name}: `,
      ]),
    );
    expectErrors(rows.map(([label, call]) => [label, call, /^\w+: (input|x) must be a Tensor, got /]));
    expectErrors(rows);
  });

  it('every functional form and Tensor method names the tensor argument it got', () => {
    const t = zeros([2, 3]);
    const img = zeros([1, 3, 4, 4]);
    const rows: Row[] = [
      ['add', () => t.add('1' as never), 'add: other must be a Tensor or a number, got "1" (string)'],
      ['sub', () => t.sub(null as never), 'sub: other must be a Tensor or a number, got null'],
      ['mul', () => t.mul([1] as never), 'mul: other must be a Tensor or a number, got [1] (array)'],
      ['div', () => t.div(undefined as never), 'div: other must be a Tensor or a number, got undefined'],
      ['pow', () => t.pow('2' as never), 'pow: p must be a Tensor or a number, got "2" (string)'],
      ['matmul', () => t.matmul([[1]] as never), 'matmul: other must be a Tensor, got [array] (array)'],
      [
        'backward',
        () =>
          t
            .requiresGrad_()
            .mul(2)
            .backward('g' as never),
        'backward: grad must be a Tensor',
      ],
      ['conv2d weight', () => F.conv2d(img, null as never), 'conv2d: weight must be a Tensor, got null'],
      [
        'conv2d bias',
        () => F.conv2d(img, zeros([2, 3, 1, 1]), [0, 0] as never),
        'conv2d: bias must be a Tensor or null, got [0, 0] (array)',
      ],
      [
        'linear bias',
        () => F.linear(t, zeros([4, 3]), [0] as never),
        'linear: bias must be a Tensor or null, got [0] (array)',
      ],
      [
        'batchNorm weight',
        () => F.batchNorm(img, null, null, { training: true, weight: [1, 1, 1] as never }),
        'batchNorm: weight must be a Tensor or null',
      ],
      [
        'groupNorm bias',
        () => F.groupNorm(img, 1, { bias: 0 as never }),
        'groupNorm: bias must be a Tensor or null, got 0',
      ],
      [
        'layerNorm weight',
        () => F.layerNorm(t, 3, { weight: new Float32Array(3) as never }),
        'layerNorm: weight must be a Tensor or null, got a Float32Array',
      ],
      [
        'crossEntropy input',
        () => F.crossEntropy(undefined as never, [0]),
        'crossEntropy: input must be a Tensor, got undefined',
      ],
      [
        'crossEntropy weight',
        () => F.crossEntropy(t, [0, 1], { weight: [1, 1, 1] as never }),
        'crossEntropy: weight must be a Tensor or null',
      ],
      ['nllLoss input', () => F.nllLoss('x' as never, [0]), 'nllLoss: input must be a Tensor, got "x" (string)'],
      ['mseLoss target', () => F.mseLoss(t, [0] as never), 'mseLoss: target must be a Tensor, got [0] (array)'],
      [
        'bce targets',
        () => F.binaryCrossEntropyWithLogits(t, 1 as never),
        'binaryCrossEntropyWithLogits: targets must be a Tensor, got 1',
      ],
      [
        'bce weight',
        () => F.binaryCrossEntropyWithLogits(t, t, { weight: 'w' as never }),
        'binaryCrossEntropyWithLogits: weight must be a Tensor or null',
      ],
      ['softmax', () => F.softmax([1, 2] as never, 0), 'softmax: x must be a Tensor, got [1, 2] (array)'],
      ['softplus', () => F.softplus(null as never), 'softplus: input must be a Tensor, got null'],
      ['noGrad', () => noGrad(5 as never), 'noGrad: fn must be a function, got 5'],
      ['maxPool2d', () => F.maxPool2d(null as never, 2), 'maxPool2d: input must be a Tensor, got null'],
    ];
    expectErrors(rows);
  });

  it('optimizers check each gradient is a Tensor of the parameter shape in step()', () => {
    for (const make of [(p: Tensor) => new optim.SGD([p], { lr: 0.1 }), (p: Tensor) => new optim.Adam([p])]) {
      const p = zeros([3], { requiresGrad: true });
      const opt = make(p);
      const name = opt.constructor.name;
      p.grad = new Float32Array(3) as never;
      expectErrors([
        [
          `${name} Float32Array grad`,
          () => opt.step(),
          `${name}.step: the gradient of a parameter of shape [3] must be a Tensor of shape [3], got a Float32Array of length 3`,
        ],
      ]);
      p.grad = zeros([3, 1]);
      expectErrors([
        [
          `${name} wrong shape`,
          () => opt.step(),
          `${name}.step: the gradient of a parameter of shape [3] must have shape [3], got shape [3, 1]`,
        ],
      ]);
      p.grad = [1, 2, 3] as never;
      expectErrors([[`${name} array grad`, () => opt.step(), 'got [1, 2, 3] (array)']]);
      expect(Array.from(p.data)).toEqual([0, 0, 0]); // nothing was updated
    }
  });
});

describe('options are validated (no silent acceptance)', () => {
  const x = zeros([2, 3, 4, 4]);
  const t = zeros([4, 3]);
  it('boolean options reject non-booleans', () => {
    expectErrors([
      [
        'batchNorm training',
        () => F.batchNorm(x, null, null, { training: 'yes' as never }),
        'batchNorm: training must be true or false, got "yes" (string)',
      ],
      [
        'instanceNorm useInputStats',
        () => F.instanceNorm(x, { useInputStats: 1 as never }),
        'instanceNorm: useInputStats must be true or false, got 1',
      ],
      [
        'dropout training',
        () => F.dropout(t, 0.5, { training: 'false' as never }),
        'dropout: training must be true or false, got "false" (string)',
      ],
      [
        'maxPool2d ceilMode',
        () => F.maxPool2d(x, 2, { ceilMode: 1 as never }),
        'maxPool2d: ceilMode must be true or false, got 1',
      ],
      [
        'avgPool2d countIncludePad',
        () => F.avgPool2d(x, 2, { countIncludePad: 'no' as never }),
        'avgPool2d: countIncludePad must be true or false',
      ],
      [
        'zeros requiresGrad',
        () => zeros([2], { requiresGrad: 'yes' as never }),
        'zeros: requiresGrad must be true or false, got "yes" (string)',
      ],
      ['sum keepDim', () => t.sum(0, 1 as never), 'sum: keepDim must be true or false, got 1'],
      ['var keepDim', () => t.var(0, { keepDim: 'y' as never }), 'var: keepDim must be true or false'],
      [
        'Linear bias',
        () => new nn.Linear(2, 2, { bias: 'false' as never }),
        'Linear: bias must be true or false, got "false" (string)',
      ],
      ['Conv2d bias', () => new nn.Conv2d(2, 2, 1, { bias: 0 as never }), 'Conv2d: bias must be true or false, got 0'],
      [
        'BatchNorm2d affine',
        () => new nn.BatchNorm2d(3, { affine: 'no' as never }),
        'BatchNorm2d: affine must be true or false',
      ],
      [
        'BatchNorm2d trackRunningStats',
        () => new nn.BatchNorm2d(3, { trackRunningStats: 0 as never }),
        'trackRunningStats must be true or false, got 0',
      ],
      [
        'GroupNorm affine',
        () => new nn.GroupNorm(1, 3, { affine: 1 as never }),
        'GroupNorm: affine must be true or false, got 1',
      ],
      [
        'LayerNorm elementwiseAffine',
        () => new nn.LayerNorm(3, { elementwiseAffine: 'y' as never }),
        'LayerNorm: elementwiseAffine must be true or false',
      ],
      [
        'Module.train',
        () => new nn.Linear(2, 2).train('yes' as never),
        'Linear.train: mode must be true or false, got "yes" (string)',
      ],
      [
        'backward retainGraph',
        () =>
          zeros([1], { requiresGrad: true })
            .sum()
            .backward(undefined, { retainGraph: 1 as never }),
        'backward: retainGraph must be true or false, got 1',
      ],
      [
        'requiresGrad_',
        () => zeros([1]).requiresGrad_('yes' as never),
        'requiresGrad_: value must be true or false, got "yes" (string)',
      ],
      [
        'gradcheck raise',
        () =>
          gradcheck((t) => t.sum(), [zeros([1], { requiresGrad: true, dtype: 'float64' })], { raise: 'no' as never }),
        'gradcheck: raise must be true or false',
      ],
    ]);
  });

  it('integer options reject fractions', () => {
    expectErrors([
      [
        'nllLoss ignoreIndex',
        () => F.nllLoss(t, [0, 1, 2, 0], { ignoreIndex: 1.5 }),
        'nllLoss: ignoreIndex must be an integer, got 1.5',
      ],
      [
        'crossEntropy ignoreIndex',
        () => F.crossEntropy(t, [0, 1, 2, 0], { ignoreIndex: 1.5 }),
        'crossEntropy: ignoreIndex must be an integer, got 1.5',
      ],
      [
        'CrossEntropyLoss ignoreIndex',
        () => new nn.CrossEntropyLoss({ ignoreIndex: NaN }),
        'CrossEntropyLoss: ignoreIndex must be an integer, got NaN',
      ],
      [
        'avgPool2d divisorOverride',
        () => F.avgPool2d(x, 2, { divisorOverride: 1.5 }),
        'avgPool2d: divisorOverride must be a non-zero integer or null, got 1.5',
      ],
      ['groupNorm numGroups 0', () => F.groupNorm(x, 0), 'groupNorm: numGroups must be a positive integer, got 0'],
      ['groupNorm numGroups -1', () => F.groupNorm(x, -1), 'groupNorm: numGroups must be a positive integer, got -1'],
      [
        'groupNorm numGroups NaN',
        () => F.groupNorm(x, NaN),
        'groupNorm: numGroups must be a positive integer, got NaN',
      ],
      [
        'groupNorm numGroups 1.5',
        () => F.groupNorm(x, 1.5),
        'groupNorm: numGroups must be a positive integer, got 1.5',
      ],
      [
        'groupNorm numGroups string',
        () => F.groupNorm(x, '3' as never),
        'groupNorm: numGroups must be a positive integer, got "3" (string)',
      ],
    ]);
  });

  it('mseLoss throws on different shapes instead of broadcasting (torch broadcasts with a warning)', () => {
    expectErrors([
      [
        'mseLoss [4,1] vs [4]',
        () => F.mseLoss(zeros([4, 1]), zeros([4])),
        "mseLoss: target must have the input's shape [4, 1], got [4]",
      ],
      [
        'MSELoss [4] vs [4,1]',
        () => new nn.MSELoss().forward(zeros([4]), zeros([4, 1])),
        "MSELoss: target must have the input's shape [4], got [4, 1]",
      ],
    ]);
  });
});

describe('options arguments must be objects (a default parameter does not cover null)', () => {
  const x = zeros([2, 3, 4, 4]);
  const t = zeros([4, 3]);
  it.each([
    ['batchNorm', () => F.batchNorm(x, null, null, null as never)],
    ['instanceNorm', () => F.instanceNorm(x, null as never)],
    ['groupNorm', () => F.groupNorm(x, 3, 5 as never)],
    ['layerNorm', () => F.layerNorm(t, 3, 'eps' as never)],
    ['rmsNorm', () => F.rmsNorm(t, 3, null as never)],
    ['conv2d', () => F.conv2d(x, zeros([2, 3, 1, 1]), null, null as never)],
    ['maxPool2d', () => F.maxPool2d(x, 2, null as never)],
    ['avgPool2d', () => F.avgPool2d(x, 2, [2] as never)],
    ['dropout', () => F.dropout(t, 0.5, null as never)],
    ['crossEntropy', () => F.crossEntropy(t, [0, 1, 2, 0], null as never)],
    ['nllLoss', () => F.nllLoss(t, [0, 1, 2, 0], null as never)],
    ['mseLoss', () => F.mseLoss(t, t, null as never)],
    ['binaryCrossEntropyWithLogits', () => F.binaryCrossEntropyWithLogits(t, t, null as never)],
    ['var', () => t.var(0, null as never)],
    ['gradcheck', () => gradcheck((a) => a.sum(), [zeros([1], { requiresGrad: true })], null as never)],
    ['Linear', () => new nn.Linear(2, 2, null as never)],
    ['Conv2d', () => new nn.Conv2d(2, 2, 1, null as never)],
    ['BatchNorm2d', () => new nn.BatchNorm2d(3, null as never)],
    ['InstanceNorm1d', () => new nn.InstanceNorm1d(3, null as never)],
    ['GroupNorm', () => new nn.GroupNorm(1, 3, null as never)],
    ['LayerNorm', () => new nn.LayerNorm(3, null as never)],
    ['RMSNorm', () => new nn.RMSNorm(3, null as never)],
    ['MaxPool2d', () => new nn.MaxPool2d(2, null as never)],
    ['AvgPool2d', () => new nn.AvgPool2d(2, null as never)],
    ['Dropout', () => new nn.Dropout(0.5, null as never)],
    ['GELU', () => new nn.GELU(null as never)],
    ['CrossEntropyLoss', () => new nn.CrossEntropyLoss(null as never)],
    ['NLLLoss', () => new nn.NLLLoss(null as never)],
    ['MSELoss', () => new nn.MSELoss(null as never)],
    ['BCEWithLogitsLoss', () => new nn.BCEWithLogitsLoss(null as never)],
  ] as [string, () => unknown][])('%s', (name, call) =>
    expectErrors([[name, call, new RegExp(`^${name}: options must be an object, got `)]]),
  );

  it('gradcheck checks fn and inputs; rand/randn check the generator', () => {
    expectErrors([
      ['gradcheck fn', () => gradcheck(null as never, [zeros([1])]), 'gradcheck: fn must be a function, got null'],
      [
        'gradcheck inputs',
        () => gradcheck((a) => a, zeros([1]) as never),
        'gradcheck: inputs must be an array of Tensors, got a Tensor of shape [1]',
      ],
      [
        'gradcheck inputs[1]',
        () => gradcheck((a) => a, [zeros([1]), 3] as never),
        'gradcheck: inputs[1] must be a Tensor, got 3',
      ],
      ['randn generator', () => randn([2], { generator: 5 as never }), 'randn: generator must be a Generator, got 5'],
      [
        'rand generator',
        () => rand([2], { generator: {} as never }),
        'rand: generator must be a Generator, got an object',
      ],
    ]);
  });
});

describe('messages say the called function and print values with their type', () => {
  const x = zeros([2, 3, 4, 4]);
  it.each([
    [
      'eps "0.1"',
      () => F.layerNorm(x, 4, { eps: '0.1' as never }),
      'layerNorm: eps must be a finite number >= 0, got "0.1" (string)',
    ],
    ['eps NaN', () => F.groupNorm(x, 3, { eps: NaN }), 'groupNorm: eps must be a finite number >= 0, got NaN'],
    [
      'eps Infinity',
      () => new nn.BatchNorm2d(3, { eps: Infinity }),
      'BatchNorm2d: eps must be a finite number >= 0, got Infinity',
    ],
    ['momentum -Infinity', () => F.batchNorm(x, null, null, { training: true, momentum: -Infinity }), 'got -Infinity'],
    [
      'dropout p string',
      () => F.dropout(x, '0.5' as never),
      'dropout: dropout probability p must be in [0, 1], got "0.5" (string)',
    ],
    [
      'labelSmoothing NaN',
      () => F.crossEntropy(zeros([2, 3]), [0, 1], { labelSmoothing: NaN }),
      'labelSmoothing must be in [0, 1], got NaN',
    ],
    [
      'reduction',
      () => F.mseLoss(x, x, { reduction: 'avg' as never }),
      `mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg" (string)`,
    ],
    ['zeros names zeros', () => zeros([-1]), 'zeros: shape must contain'],
    [
      'ones names ones',
      () => ones('3' as never),
      'ones: shape must be an array of non-negative integers, got "3" (string)',
    ],
    ['numFeatures', () => new nn.BatchNorm1d(NaN), 'BatchNorm1d: numFeatures must be a positive integer, got NaN'],
    ['Linear inFeatures', () => new nn.Linear(1.5, 2), 'Linear: inFeatures must be a non-negative integer, got 1.5'],
    [
      'Adam betas',
      () => new optim.Adam([zeros([1], { requiresGrad: true })], { betas: [0.9, NaN] }),
      'betas[1] must be in [0, 1), got NaN',
    ],
    [
      'SGD lr',
      () => new optim.SGD([zeros([1], { requiresGrad: true })], { lr: '0.1' as never }),
      'SGD: lr must be a finite number >= 0, got "0.1" (string)',
    ],
    ['axis', () => zeros([2, 3]).sum(2.5), 'sum: axes must be an integer in [-2, 1] for a tensor of rank 2, got 2.5'],
    [
      'axes string',
      () => zeros([2, 3]).sum('0' as never),
      'sum: axes must be an integer, an array of integers or undefined, got "0" (string)',
    ],
  ] as [string, () => unknown, string][])('%s', (label, call, message) => expectErrors([[label, call, message]]));

  it('linear, mseLoss and BCE weights report shape errors under their own name (validated first)', () => {
    const t = zeros([4, 3]);
    expectErrors([
      [
        'linear inFeatures',
        () => F.linear(t, zeros([2, 5])),
        "linear: input's last axis must have size 5 (weight [2, 5]), got input [4, 3]",
      ],
      [
        'linear weight rank',
        () => F.linear(t, zeros([2, 3, 3])),
        'linear: weight must have shape [outFeatures, inFeatures] or [inFeatures], got [2, 3, 3]',
      ],
      [
        'linear bias shape',
        () => F.linear(t, zeros([2, 3]), zeros([3])),
        'linear: bias of shape [3] must broadcast to the output shape [4, 2]',
      ],
      ['mseLoss', () => F.mseLoss(t, zeros([3, 4])), 'mseLoss: target must have'],
      [
        'bce posWeight',
        () => F.binaryCrossEntropyWithLogits(t, t, { posWeight: zeros([4]) }),
        /^binaryCrossEntropyWithLogits: /,
      ],
      [
        'bce weight grows',
        () => F.binaryCrossEntropyWithLogits(t, t, { weight: zeros([2, 4, 3]) }),
        "binaryCrossEntropyWithLogits: weight of shape [2, 4, 3] must broadcast to the logits' shape [4, 3]",
      ],
    ]);
  });
});

describe("one value per channel or group: torch's _verify_batch_size / _verify_spatial_size", () => {
  const msg = 'expected more than 1 value per channel when training, got input size';
  it('groupNorm: N * C/G * prod(spatial) == 1 throws, in training and evaluation alike', () => {
    expectErrors([
      ['[1, 2] G=2', () => F.groupNorm(zeros([1, 2]), 2), `groupNorm: ${msg} [1, 2]`],
      ['[1, 2, 1] G=2', () => F.groupNorm(zeros([1, 2, 1]), 2), `groupNorm: ${msg} [1, 2, 1]`],
      ['[1, 3, 1, 1] G=3', () => F.groupNorm(zeros([1, 3, 1, 1]), 3), `groupNorm: ${msg} [1, 3, 1, 1]`],
      ['module, eval', () => new nn.GroupNorm(2, 2).eval().forward(zeros([1, 2])), `GroupNorm: ${msg} [1, 2]`],
    ]);
    // torch's product skips G: [2, 2] with G = 2 has one value per group but passes (output = bias).
    expect(
      Array.from(
        F.groupNorm(
          tensor([
            [1, 2],
            [3, 4],
          ]),
          2,
          { bias: tensor([5, 6]) },
        ).data,
      ),
    ).toEqual([5, 6, 5, 6]);
    expect(F.groupNorm(zeros([1, 4]), 2).shape).toEqual([1, 4]);
  });

  it('batchNorm: N * prod(spatial) == 1 throws in training only (also with C = 0)', () => {
    expectErrors([
      ['[1, 3]', () => F.batchNorm(zeros([1, 3]), null, null, { training: true }), `batchNorm: ${msg} [1, 3]`],
      ['[1, 3, 1]', () => F.batchNorm(zeros([1, 3, 1]), null, null, { training: true }), `batchNorm: ${msg} [1, 3, 1]`],
      ['[1, 0]', () => F.batchNorm(zeros([1, 0]), null, null, { training: true }), `batchNorm: ${msg} [1, 0]`],
    ]);
    expect(F.batchNorm(zeros([1, 3]), zeros([3]), ones([3])).shape).toEqual([1, 3]);
    // torch 2.13: "batch_norm eps must be positive during training"; 0 is fine in evaluation.
    expectErrors([
      [
        'eps 0',
        () => F.batchNorm(zeros([2, 3]), null, null, { training: true, eps: 0 }),
        'batchNorm: eps must be positive when training, got 0',
      ],
    ]);
    expect(F.batchNorm(zeros([1, 3]), zeros([3]), ones([3]), { eps: 0 }).shape).toEqual([1, 3]);
    expect(F.batchNorm(zeros([0, 3]), null, null, { training: true }).shape).toEqual([0, 3]);
  });

  it('instanceNorm: one spatial element throws when the input statistics are used', () => {
    expectErrors([
      [
        '[2, 3, 1]',
        () => F.instanceNorm(zeros([2, 3, 1])),
        'instanceNorm: expected more than 1 spatial element when training, got input size [2, 3, 1]',
      ],
    ]);
    const running = { runningMean: zeros([3]), runningVar: ones([3]), useInputStats: false };
    expect(F.instanceNorm(zeros([2, 3, 1]), running).shape).toEqual([2, 3, 1]);
  });
});

describe('inputs are not mutated by a failing call', () => {
  it('a rejected batchNorm leaves its running statistics as they were', () => {
    const rm = tensor([1, 2, 3]);
    expect(() => F.batchNorm(zeros([1, 3]), rm, ones([3]), { training: true })).toThrow();
    expect(Array.from(rm.data)).toEqual([1, 2, 3]);
  });
});
