/**
 * L1, SmoothL1, Huber, KLDiv and BCE losses (src/autograd/ops/lossMore.ts, src/layers/loss.ts):
 * values and gradients for input and target against torch in float64 (test/fixtures/modules.py),
 * float64 gradcheck, modules, errors.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, tensor, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, randomTensor } from '../autograd/fixtures.js';

interface Run {
  out: FixtureTensor;
  upstream: FixtureTensor;
  dInput: FixtureTensor;
  dTarget: FixtureTensor;
}
const fixture = loadFixture('modules') as {
  regression: {
    input: FixtureTensor;
    target: FixtureTensor;
    runs: (Run & { fn: 'l1Loss' | 'smoothL1Loss' | 'huberLoss'; opts: Record<string, unknown> })[];
  };
  klDiv: {
    input: FixtureTensor;
    target: FixtureTensor;
    targetWithZero: FixtureTensor;
    logTarget: FixtureTensor;
    runs: (Run & { reduction: F.KLDivReduction; logTarget: boolean; zeroTargetOut: FixtureTensor | null })[];
  };
  bce: {
    input: FixtureTensor;
    target: FixtureTensor;
    weight: FixtureTensor;
    runs: (Run & { reduction: F.Reduction; weighted: boolean })[];
  };
};
const f64 = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(Float64Array.from(t.data), t.shape, { dtype: 'float64', requiresGrad });
// float64 on both sides; a few roundings apart (log/exp of different libms, sums in another order)
const TOL = { rtol: 1e-13, atol: 1e-15 };

function check(
  run: Run,
  loss: (input: Tensor, target: Tensor) => Tensor,
  input: FixtureTensor,
  target: FixtureTensor,
): void {
  const a = f64(input, true);
  const b = f64(target, true);
  const out = loss(a, b);
  expect([...out.shape]).toEqual(run.out.shape);
  expectClose(out, run.out.data, TOL);
  out.mul(f64(run.upstream)).sum().backward();
  expectClose(a.grad!, run.dInput.data, TOL);
  expectClose(b.grad!, run.dTarget.data, TOL);
}

describe('regression losses against torch (float64)', () => {
  const { input, target, runs } = fixture.regression;
  it.each(runs.map((r) => [`${r.fn} ${JSON.stringify(r.opts)}`, r] as const))('%s', (_, r) => {
    check(r, (a, b) => F[r.fn](a, b, r.opts), input, target);
  });

  const LOSSES: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['l1Loss', (a, b) => F.l1Loss(a, b)],
    ['smoothL1Loss beta 2', (a, b) => F.smoothL1Loss(a, b, { beta: 2, reduction: 'sum' })],
    ['huberLoss delta 2', (a, b) => F.huberLoss(a, b, { delta: 2 })],
  ];
  it.each(LOSSES)('%s passes gradcheck (broadcast target, both branches)', (_, loss) => {
    // |differences| between 0.8 and 2.7: away from 0 and from beta = delta = 2, on both sides of it
    const a = randomTensor([3, 4], 1, { maxAbs: 0.2 });
    const b = tensor([[1.2, -1, 2.5, -2.5]], undefined, { requiresGrad: true });
    expectGradcheck((x, y) => loss(x!, y!), [a, b]);
  });

  it('modules keep their options; HuberLoss(delta) = delta * SmoothL1Loss(beta = delta)', () => {
    const a = f64(input);
    const b = f64(target);
    expectClose(new nn.L1Loss({ reduction: 'sum' }).forward(a, b), F.l1Loss(a, b, { reduction: 'sum' }), {
      rtol: 0,
      atol: 0,
    });
    const huber = new nn.HuberLoss({ delta: 0.7 }).forward(a, b);
    expectClose(huber, new nn.SmoothL1Loss({ beta: 0.7 }).forward(a, b).mul(0.7), { rtol: 1e-15, atol: 0 });
  });

  it('rejects bad options', () => {
    const a = tensor([1]);
    expect(() => F.smoothL1Loss(a, a, { beta: -1 })).toThrow('smoothL1Loss: beta must be a number >= 0, got -1');
    expect(() => F.huberLoss(a, a, { delta: 0 })).toThrow('huberLoss: delta must be a number > 0, got 0');
    expect(() => F.l1Loss(a, a, { reduction: 'avg' as 'mean' })).toThrow(
      `l1Loss: reduction must be 'mean', 'sum' or 'none', got "avg" (string)`,
    );
    expect(() => F.l1Loss(a, [1] as unknown as Tensor)).toThrow(
      'l1Loss: input and target must be Tensors, got a Tensor of shape [1] and [1] (array)',
    );
  });
});

describe('klDiv against torch (float64)', () => {
  const k = fixture.klDiv;
  it.each(k.runs.map((r) => [`${r.reduction}${r.logTarget ? ', logTarget' : ''}`, r] as const))('%s', (_, r) => {
    check(
      r,
      (a, b) => new nn.KLDivLoss({ reduction: r.reduction, logTarget: r.logTarget }).forward(a, b),
      k.input,
      r.logTarget ? k.logTarget : k.target,
    );
    if (r.zeroTargetOut !== null) {
      // a zero target probability contributes 0 (0 log 0 = 0), as torch's xlogy
      expectClose(F.klDiv(f64(k.input), f64(k.targetWithZero), { reduction: 'none' }), r.zeroTargetOut.data, TOL);
    }
  });

  it.each([false, true])('passes gradcheck for input and target (logTarget %s)', (logTarget) => {
    const logq = randomTensor([2, 3], 4, { maxAbs: 2 });
    // probabilities must be > 0 for the derivative ln t + 1; log-targets may be anything
    const t = tensor(
      [
        [0.2, 0.5, 0.3],
        [0.7, 0.05, 0.25],
      ],
      undefined,
      { requiresGrad: true },
    );
    expectGradcheck((a, b) => F.klDiv(a!, b!, { reduction: 'batchmean', logTarget }), [logq, t]);
  });

  it("rejects 'batchmean' without a batch axis and an unknown reduction", () => {
    expect(() => F.klDiv(tensor(0), tensor(0.5), { reduction: 'batchmean' })).toThrow(
      "klDiv: reduction 'batchmean' needs an input with a batch axis, got shape []",
    );
    expect(() => F.klDiv(tensor([0]), tensor([1]), { reduction: 'batch' as 'sum' })).toThrow(
      `klDiv: reduction must be 'mean', 'sum' or 'none', got "batch" (string)`,
    );
  });
});

describe('binaryCrossEntropy against torch (float64)', () => {
  const c = fixture.bce;
  it.each(c.runs.map((r) => [`${r.reduction}${r.weighted ? ', weighted' : ''}`, r] as const))(
    '%s (inputs 0 and 1 clamp the logs at -100)',
    (_, r) => {
      const weight = r.weighted ? f64(c.weight) : null;
      check(r, (a, b) => new nn.BCELoss({ weight, reduction: r.reduction }).forward(a, b), c.input, c.target);
    },
  );

  it('passes gradcheck inside (0, 1)', () => {
    const p = tensor(
      [
        [0.3, 0.8],
        [0.55, 0.1],
      ],
      undefined,
      { requiresGrad: true },
    );
    const y = tensor(
      [
        [1, 0.25],
        [0, 1],
      ],
      undefined,
      { requiresGrad: true },
    );
    expectGradcheck((a, b) => F.binaryCrossEntropy(a!, b!, { weight: tensor([2, 0.5]) }), [p, y]);
  });

  it('saves its weight as a buffer and rejects inputs outside [0, 1] and other shapes', () => {
    expect(Object.keys(new nn.BCELoss({ weight: tensor([1, 2]) }).stateDict())).toEqual(['weight']);
    expect(() => F.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([1, 0]))).toThrow(
      'binaryCrossEntropy: all elements of input should be between 0 and 1, got 1.5 at flat index 1',
    );
    expect(() => F.binaryCrossEntropy(tensor([NaN]), tensor([1]))).toThrow(
      'binaryCrossEntropy: all elements of input should be between 0 and 1, got NaN at flat index 0',
    );
    expect(() => F.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1]))).toThrow(
      "binaryCrossEntropy: target must have the input's shape [2], got [1]",
    );
  });
});
