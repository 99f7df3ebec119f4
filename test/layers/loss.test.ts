/**
 * Losses (src/autograd/ops/loss.ts, src/layers/loss.ts): crossEntropy with every reduction, class
 * weights, ignoreIndex and label smoothing against a float64 reference written here from torch's
 * definition (aten LossNLL.cpp: cross_entropy_loss_label_smoothing, cross_entropy_loss_prob_target);
 * nllLoss, mseLoss, binaryCrossEntropyWithLogits likewise; gradcheck; stability on logits of 1e4.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from '../autograd/fixtures.js';

type Reduction = 'mean' | 'sum' | 'none';

interface CeCase {
  name: string;
  shape: number[];
  targets: number[];
  reduction: Reduction;
  labelSmoothing?: number;
  weight?: number[];
  ignoreIndex?: number;
}

/**
 * torch's cross-entropy on class indices, in float64. With logp = log softmax over the class axis,
 * per element (n, s) with target t (0 everywhere when t is ignored):
 *   nll = -w[t] logp[t],  smooth = -sum_c w[c] logp[c],  weight = w[t]
 * 'mean': (1 - eps) sum(nll) / sum(weight) + eps/C sum(smooth) / sum(weight); 'sum' likewise
 * without the divisions; 'none': (1 - eps) nll + eps/C smooth per element.
 */
function refCrossEntropy(x: Tensor, c: CeCase): number[] {
  const [n, C] = c.shape as [number, number];
  const s = c.shape.slice(2).reduce((p, d) => p * d, 1);
  const eps = c.labelSmoothing ?? 0;
  const ignore = c.ignoreIndex ?? -100;
  const w = c.weight ?? new Array<number>(C).fill(1);
  const nll: number[] = [];
  const smooth: number[] = [];
  const weight: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < s; k++) {
      const at = (cls: number): number => x.data[(b * C + cls) * s + k]!;
      let m = -Infinity;
      for (let cls = 0; cls < C; cls++) m = Math.max(m, at(cls));
      let z = 0;
      for (let cls = 0; cls < C; cls++) z += Math.exp(at(cls) - m);
      const logp = (cls: number): number => at(cls) - m - Math.log(z);
      const t = c.targets[b * s + k]!;
      if (t === ignore) {
        nll.push(0);
        smooth.push(0);
        weight.push(0);
        continue;
      }
      nll.push(-w[t]! * logp(t));
      let sm = 0;
      for (let cls = 0; cls < C; cls++) sm -= w[cls]! * logp(cls);
      smooth.push(sm);
      weight.push(w[t]!);
    }
  }
  const total = (a: number[]): number => a.reduce((p, v) => p + v, 0);
  if (c.reduction === 'none') return nll.map((v, i) => (1 - eps) * v + (eps / C) * smooth[i]!);
  if (c.reduction === 'sum') return [(1 - eps) * total(nll) + (eps / C) * total(smooth)];
  return [((1 - eps) * total(nll)) / total(weight) + ((eps / C) * total(smooth)) / total(weight)];
}

/** Targets as a user passes them: number[] for [N], a Tensor of shape [N, *] otherwise. */
function targetsOf(c: CeCase): number[] | Tensor {
  return c.shape.length === 2 ? c.targets : tensor(c.targets, [c.shape[0]!, ...c.shape.slice(2)], { dtype: 'int32' });
}

const CE_CASES: CeCase[] = [];
for (const reduction of ['mean', 'sum', 'none'] as const) {
  CE_CASES.push(
    { name: `${reduction}`, shape: [5, 4], targets: [0, 3, 1, 1, 2], reduction },
    {
      name: `${reduction}, labelSmoothing 0.1`,
      shape: [5, 4],
      targets: [0, 3, 1, 1, 2],
      reduction,
      labelSmoothing: 0.1,
    },
    { name: `${reduction}, class weights`, shape: [5, 4], targets: [0, 3, 1, 1, 2], reduction, weight: [0.5, 2, 1, 3] },
    { name: `${reduction}, ignoreIndex -100`, shape: [5, 4], targets: [0, -100, 1, -100, 2], reduction },
    {
      name: `${reduction}, ignoreIndex 1 + weights + smoothing 0.2`,
      shape: [5, 4],
      targets: [0, 3, 1, 1, 2],
      reduction,
      ignoreIndex: 1,
      weight: [0.5, 2, 1, 3],
      labelSmoothing: 0.2,
    },
    {
      name: `${reduction}, spatial [N, C, L]`,
      shape: [2, 3, 4],
      targets: [0, 1, 2, 0, 2, 2, 1, 0],
      reduction,
      labelSmoothing: 0.3,
      weight: [1, 2, 0.5],
    },
  );
}

describe('crossEntropy', () => {
  it.each(CE_CASES.map((c) => [c.name, c] as const))('%s equals the float64 reference', (_, c) => {
    const x = randomTensor(c.shape, 1, { maxAbs: 4 });
    const y = F.crossEntropy(x, targetsOf(c), {
      reduction: c.reduction,
      ...(c.labelSmoothing === undefined ? {} : { labelSmoothing: c.labelSmoothing }),
      ...(c.weight === undefined ? {} : { weight: tensor(c.weight) }),
      ...(c.ignoreIndex === undefined ? {} : { ignoreIndex: c.ignoreIndex }),
    });
    expect(y.shape).toEqual(c.reduction === 'none' ? [c.shape[0]!, ...c.shape.slice(2)] : []);
    // float32 log-softmax (a few ulps of values up to ~8) and float32 sums of <= 8 terms
    expectClose(y, refCrossEntropy(x, c), { rtol: 1e-5, atol: 1e-6 }, c.name);
  });

  it.each(CE_CASES.map((c) => [c.name, c] as const))('gradcheck, %s', (_, c) => {
    const opts = {
      reduction: c.reduction,
      ...(c.labelSmoothing === undefined ? {} : { labelSmoothing: c.labelSmoothing }),
      ...(c.weight === undefined ? {} : { weight: tensor(c.weight, undefined, { dtype: 'float64' }) }),
      ...(c.ignoreIndex === undefined ? {} : { ignoreIndex: c.ignoreIndex }),
    };
    expectGradcheck((x) => F.crossEntropy(x!, targetsOf(c), opts), [randomTensor(c.shape, 2, { maxAbs: 3 })]);
  });

  it('accepts targets as a Tensor of integer values, a number[] and, for one sample [C], a number', () => {
    const x = randomTensor([3, 5], 3);
    // exact: the same computation on the same targets
    expectClose(F.crossEntropy(x, tensor([4, 0, 2], undefined, { dtype: 'int32' })), F.crossEntropy(x, [4, 0, 2]), {
      rtol: 0,
      atol: 0,
    });
    const row = randomTensor([5], 4);
    const single = F.crossEntropy(row, 2);
    expect(single.shape).toEqual([]);
    // float32 log-softmax of 5 values
    expectClose(
      single,
      refCrossEntropy(row.reshape([1, 5]), { name: '', shape: [1, 5], targets: [2], reduction: 'mean' }),
      { rtol: 1e-6, atol: 1e-6 },
    );
  });

  it('takes class probabilities when the targets have the logits shape (with label smoothing and weights)', () => {
    const x = randomTensor([3, 4], 5, { maxAbs: 3 });
    const probs = F.softmax(randomTensor([3, 4], 6, { requiresGrad: false }), 1);
    const w = [1, 2, 0.5, 1];
    const eps = 0.1;
    const ref: number[] = [];
    for (let n = 0; n < 3; n++) {
      const row = Array.from(x.data.slice(n * 4, n * 4 + 4));
      const m = Math.max(...row);
      const lz = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      let l = 0;
      for (let c = 0; c < 4; c++) l -= w[c]! * (probs.data[n * 4 + c]! * (1 - eps) + eps / 4) * (row[c]! - m - lz);
      ref.push(l);
    }
    const opts = { weight: tensor(w), labelSmoothing: eps };
    // float32 log-softmax and products, sums of 4 terms
    expectClose(F.crossEntropy(x, probs, { ...opts, reduction: 'none' }), ref, { rtol: 1e-5, atol: 1e-6 });
    expectClose(F.crossEntropy(x, probs, opts), [ref.reduce((s, v) => s + v, 0) / 3], { rtol: 1e-5, atol: 1e-6 });
    expectGradcheck(
      (xi, p) => F.crossEntropy(xi!, p!, { labelSmoothing: eps }),
      [x, probs.detach().requiresGrad_(false)],
    );
  });

  it('is stable on logits of 1e4', () => {
    const x = tensor(
      [
        [1e4, 0, -1e4],
        [0, 1e4, 0],
      ],
      undefined,
      { requiresGrad: true },
    );
    const loss = F.crossEntropy(x, [2, 1], { reduction: 'none' });
    // row 0: -logp[2] = 2e4 exactly; row 1: -logp[1] = log(1 + 2e^-1e4) = 0 (exact in float32)
    expectClose(loss, [2e4, 0], { rtol: 0, atol: 0 });
    loss.sum().backward();
    expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true);
    // d/dx = softmax - onehot: [1, 0, -1] and [0, 0, 0]
    expectClose(x.grad!, [1, 0, -1, 0, 0, 0], { rtol: 0, atol: 1e-7 });
  });

  it('gives NaN for a mean over only ignored targets, like torch', () => {
    expect(F.crossEntropy(randomTensor([2, 3], 7), [-100, -100]).item()).toBeNaN();
  });

  it('CrossEntropyLoss keeps its options and saves its class weight as a buffer', () => {
    const x = randomTensor([4, 3], 8);
    const targets = [0, 2, 1, 2];
    const m = new nn.CrossEntropyLoss({ weight: tensor([1, 2, 3]), labelSmoothing: 0.1, reduction: 'sum' });
    // exact: the same function with the same options
    expectClose(
      m.forward(x, targets),
      F.crossEntropy(x, targets, { weight: tensor([1, 2, 3]), labelSmoothing: 0.1, reduction: 'sum' }),
      { rtol: 0, atol: 0 },
    );
    expect(Object.keys(m.stateDict())).toEqual(['weight']);
    expect(m.parameters()).toEqual([]);
    expect(Object.keys(new nn.CrossEntropyLoss().stateDict())).toEqual([]);
  });

  it('rejects float tensors of class indices, as torch does (int32 stands for int64)', () => {
    const x = randomTensor([3, 5], 3);
    expect(() => F.crossEntropy(x, tensor([4, 0, 2]))).toThrow(
      'crossEntropy: targets must be an int32 tensor of class indices (or class probabilities shaped like the input), ' +
        'got a float32 tensor of shape [3]',
    );
    expect(() => F.nllLoss(x, tensor([4, 0, 2], undefined, { dtype: 'float64' }))).toThrow(
      'nllLoss: targets must be an int32 tensor of class indices',
    );
    expect(() => new nn.CrossEntropyLoss().forward(x, tensor([4, 0, 2]))).toThrow('CrossEntropyLoss: targets must be');
    // class probabilities (float targets shaped like the input) stay accepted
    expect(F.crossEntropy(x, F.softmax(randomTensor([3, 5], 4), 1)).shape).toEqual([]);
  });

  it('does not mutate its inputs', () => {
    const x = randomTensor([3, 4], 9);
    const t = tensor([1, 0, 3], undefined, { dtype: 'int32' });
    const w = tensor([1, 2, 3, 4]);
    expectInputsUnchanged([x, t, w], () => F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.2 }).backward());
  });

  it('names the argument in its errors', () => {
    const x = randomTensor([3, 4], 10);
    expect(() => F.crossEntropy(x, [0, 4, 1])).toThrow(
      'crossEntropy: targets must be class indices in [0, 3] (or ignoreIndex -100), got 4 at flat index 1',
    );
    expect(() => F.crossEntropy(x, [0, 1.5, 1])).toThrow(/got 1.5 at flat index 1/);
    expect(() => F.crossEntropy(x, [0, 1])).toThrow(
      'crossEntropy: targets must have shape [3] to match the input, got [2]',
    );
    expect(() => F.crossEntropy(x, [0, 1, 2], { reduction: 'avg' as Reduction })).toThrow(
      `crossEntropy: reduction must be 'mean', 'sum' or 'none', got "avg" (string)`,
    );
    expect(() => F.crossEntropy(x, [0, 1, 2], { labelSmoothing: 1.5 })).toThrow(
      'crossEntropy: labelSmoothing must be in [0, 1], got 1.5',
    );
    expect(() => F.crossEntropy(x, [0, 1, 2], { weight: tensor([1, 2]) })).toThrow(
      'crossEntropy: weight must be a Tensor of shape [4] (one per class), got [2]',
    );
  });
});

describe('nllLoss', () => {
  it('picks -w[t] * logp[t] and divides the mean by the total weight of kept targets', () => {
    const logp = F.logSoftmax(randomTensor([4, 3], 11), 1);
    const t = [2, 0, -100, 1];
    const w = [0.5, 2, 3];
    const ref: number[] = t.map((c, n) => (c < 0 ? 0 : -w[c]! * logp.data[n * 3 + c]!));
    const opts = { weight: tensor(w) };
    // products of two float32 values, computed in float64 and rounded once; sums of 4 terms
    expectClose(F.nllLoss(logp, t, { ...opts, reduction: 'none' }), ref, { rtol: 1e-6, atol: 1e-7 });
    expectClose(F.nllLoss(logp, t, opts), [ref.reduce((s, v) => s + v, 0) / (3 + 0.5 + 2)], { rtol: 1e-6, atol: 1e-7 });
    const unweighted = t.reduce((acc, c, n) => acc + (c < 0 ? 0 : -logp.data[n * 3 + c]!), 0);
    expectClose(new nn.NLLLoss({ reduction: 'sum' }).forward(logp, t), [unweighted], { rtol: 1e-6, atol: 1e-7 });
  });

  it('passes gradcheck, 2-D and spatial', () => {
    expectGradcheck((lp) => F.nllLoss(lp!, [1, 0, 2]), [randomTensor([3, 3], 12)]);
    expectGradcheck(
      (lp) =>
        F.nllLoss(
          lp!,
          tensor(
            [
              [0, 1],
              [2, 2],
            ],
            undefined,
            { dtype: 'int32' },
          ),
          { reduction: 'none', weight: tensor([1, 2, 3], undefined, { dtype: 'float64' }) },
        ),
      [randomTensor([2, 3, 2], 13)],
    );
  });
});

describe('mseLoss', () => {
  it('is the mean, sum or elementwise (a - b)^2', () => {
    const a = randomTensor([3, 4], 14);
    const b = randomTensor([3, 4], 15);
    const sq = Array.from(a.data, (v, i) => (v - b.data[i]!) ** 2);
    // float32 differences squared (rounded twice) and float32 sums of 12 terms
    expectClose(F.mseLoss(a, b, { reduction: 'none' }), sq, { rtol: 1e-6, atol: 1e-7 });
    expectClose(F.mseLoss(a, b, { reduction: 'sum' }), [sq.reduce((s, v) => s + v, 0)], { rtol: 1e-6, atol: 1e-7 });
    expectClose(new nn.MSELoss().forward(a, b), [sq.reduce((s, v) => s + v, 0) / 12], { rtol: 1e-6, atol: 1e-7 });
  });

  it('passes gradcheck for both operands', () => {
    expectGradcheck((a, b) => F.mseLoss(a!, b!), [randomTensor([2, 3], 16), randomTensor([2, 3], 17)]);
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  /** -[pw y log s(x) + (1 - y) log(1 - s(x))] * w, in float64 (fine for moderate x). */
  function refBce(x: number, y: number, pw = 1, w = 1): number {
    const s = 1 / (1 + Math.exp(-x));
    return -(pw * y * Math.log(s) + (1 - y) * Math.log(1 - s)) * w;
  }

  it('equals -[pw y log s(x) + (1 - y) log(1 - s(x))], with posWeight broadcast over the last axis and weight', () => {
    const x = randomTensor([3, 2], 18, { maxAbs: 5 });
    const y = tensor([
      [0, 1],
      [0.3, 0.9],
      [1, 0],
    ]);
    const pw = [2, 0.5];
    const w = [1, 3];
    const ref = Array.from(x.data, (v, i) => refBce(v, y.data[i]!, pw[i % 2], w[i % 2]));
    const opts = { posWeight: tensor(pw), weight: tensor(w) };
    // float32 ops on O(1) values, log1p / exp of float32 inputs
    expectClose(F.binaryCrossEntropyWithLogits(x, y, { ...opts, reduction: 'none' }), ref, { rtol: 1e-5, atol: 1e-6 });
    expectClose(new nn.BCEWithLogitsLoss(opts).forward(x, y), [ref.reduce((s, v) => s + v, 0) / 6], {
      rtol: 1e-5,
      atol: 1e-6,
    });
  });

  it('is stable on logits of 1e4 and exact at 0', () => {
    const loss = F.binaryCrossEntropyWithLogits(tensor([1e4, -1e4, 1e4, 0]), tensor([0, 1, 1, 1]), {
      reduction: 'none',
    });
    // -log(1 - s(1e4)) = 1e4, -log s(-1e4) = 1e4, -log s(1e4) = 0, -log s(0) = log 2
    expectClose(loss, [1e4, 1e4, 0, Math.LN2], { rtol: 1e-7, atol: 1e-7 });
  });

  it('passes gradcheck for logits (including 0, where |x| has its kink), targets and posWeight', () => {
    const x = tensor([0, 0.5, -1.5, 2, -0.25, 1], [2, 3], { requiresGrad: true });
    const y = randomTensor([2, 3], 19, { positive: true });
    const pw = randomTensor([3], 20, { positive: true, minAbs: 0.5 });
    expectGradcheck((xi, yi, p) => F.binaryCrossEntropyWithLogits(xi!, yi!, { posWeight: p! }), [x, y, pw]);
  });

  it('names the argument in its errors', () => {
    expect(() => F.binaryCrossEntropyWithLogits(randomTensor([2, 3], 1), randomTensor([3, 2], 2))).toThrow(
      "binaryCrossEntropyWithLogits: targets must have the logits' shape [2, 3], got [3, 2]",
    );
  });
});

describe('softplus', () => {
  it('is ln(1 + e^x) without overflow, with gradient sigmoid(x)', () => {
    // ln(1 + e^x) in float64 for moderate x; x and 0 at the extremes
    expectClose(
      F.softplus(tensor([-1e4, -3, 0, 3, 1e4])),
      [0, Math.log1p(Math.exp(-3)), Math.LN2, 3 + Math.log1p(Math.exp(-3)), 1e4],
      { rtol: 1e-7, atol: 1e-8 },
    );
    expectGradcheck((z) => F.softplus(z!), [randomTensor([6], 21, { maxAbs: 4 })]);
  });
});

describe('loss modules check their options when built, under their own names', () => {
  it.each([
    [() => new nn.CrossEntropyLoss({ reduction: 'avg' as never }), "CrossEntropyLoss: reduction must be 'mean', 'sum'"],
    [
      () => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 }),
      'CrossEntropyLoss: labelSmoothing must be in [0, 1], got 1.5',
    ],
    [() => new nn.CrossEntropyLoss({ ignoreIndex: 0.5 }), 'CrossEntropyLoss: ignoreIndex must be an integer, got 0.5'],
    [() => new nn.CrossEntropyLoss({ weight: [1, 2] as never }), 'CrossEntropyLoss: weight must be a Tensor or null'],
    [() => new nn.NLLLoss({ reduction: 'batchmean' as never }), "NLLLoss: reduction must be 'mean', 'sum' or 'none'"],
    [() => new nn.NLLLoss({ ignoreIndex: NaN }), 'NLLLoss: ignoreIndex must be an integer, got NaN'],
    [() => new nn.MSELoss({ reduction: 'none ' as never }), "MSELoss: reduction must be 'mean', 'sum' or 'none'"],
    [
      () => new nn.BCEWithLogitsLoss({ posWeight: 3 as never }),
      'BCEWithLogitsLoss: posWeight must be a Tensor or null',
    ],
    [() => new nn.L1Loss({ reduction: 'max' as never }), "L1Loss: reduction must be 'mean', 'sum' or 'none'"],
    [() => new nn.SmoothL1Loss({ beta: -1 }), 'SmoothL1Loss: beta must be a number >= 0, got -1'],
    [() => new nn.HuberLoss({ delta: 0 }), 'HuberLoss: delta must be a number > 0, got 0'],
    [() => new nn.KLDivLoss({ reduction: 'avg' as never }), "KLDivLoss: reduction must be 'mean', 'sum' or 'none'"],
    [() => new nn.KLDivLoss({ logTarget: 1 as never }), 'KLDivLoss: logTarget must be true or false, got 1'],
    [() => new nn.BCELoss({ weight: 'w' as never }), 'BCELoss: weight must be a Tensor or null, got "w" (string)'],
    [() => new nn.MSELoss('sum' as never), 'MSELoss: options must be an object, got "sum" (string)'],
  ])('%#: %s', (build, message) => {
    expect(build).toThrow(message);
  });

  it('accept the defaults and every valid option, and the functional losses still name themselves', () => {
    expect(new nn.KLDivLoss({ reduction: 'batchmean', logTarget: true }).reduction).toBe('batchmean');
    expect(new nn.SmoothL1Loss({ beta: 0 }).beta).toBe(0);
    expect(new nn.CrossEntropyLoss({ labelSmoothing: 1, ignoreIndex: -1 }).labelSmoothing).toBe(1);
    const x = tensor([0.5, 3]);
    expect(() => F.smoothL1Loss(x, x, { beta: -1 })).toThrow('smoothL1Loss: beta must be a number >= 0, got -1');
    expect(() => F.huberLoss(x, x, { delta: 0 })).toThrow('huberLoss: delta must be a number > 0, got 0');
    expect(() => F.klDiv(x, x, { reduction: 'avg' as never })).toThrow("klDiv: reduction must be 'mean', 'sum'");
    expect(() => F.crossEntropy(tensor([[1, 2]]), tensor(Int32Array.of(0)), { labelSmoothing: -0.1 })).toThrow(
      'crossEntropy: labelSmoothing must be in [0, 1], got -0.1',
    );
  });
});
