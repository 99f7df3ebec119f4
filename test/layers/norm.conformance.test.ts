/**
 * External reference data: every ONNX node test and PyTorch-converted test in
 * test/fixtures/conformance (a committed copy; see its NOTICE.md) passes through the public API,
 * both the functional form and the module
 * with loaded state. Tolerance: rtol 1e-5 + atol 1e-6, as the conformance README prescribes
 * (the stored outputs were computed partly in float32; a pure relative bound fails near zero).
 *
 * ONNX -> PyTorch conventions (test/fixtures/conformance/SEMANTICS.md):
 *   - BatchNormalization momentum weights the OLD value: torch momentum = 1 - onnx momentum.
 *   - ONNX blends the BIASED batch variance into running_var; PyTorch (and typegrad) the unbiased
 *     one. So the torch-style expectation is onnx_running_var + (1 - m_onnx) * var_biased / (n - 1),
 *     with var_biased computed here in float64 from the input.
 *   - LayerNormalization/RMSNormalization axis a: normalizedShape = x.shape.slice(a).
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, tensor, type Tensor } from '../../src/index.js';
import { expectClose, loadConformance, type ConformanceCase, type ConformanceTensor } from '../helpers.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const onnxCases = loadConformance('onnx');
const torchCases = loadConformance('pytorch');

function t(c: ConformanceTensor): Tensor {
  return tensor(Float32Array.from(c.data), c.shape);
}
function input(c: ConformanceCase, i: number): Tensor {
  return t(c.inputs[i]!);
}
function output(c: ConformanceCase, i: number): ConformanceTensor {
  return c.outputs[i]!;
}
function attr(c: ConformanceCase, name: string): number {
  return c.attributes[name] as number;
}
/** ONNX axis -> PyTorch normalizedShape. */
function normalizedShape(x: Tensor, axis: number): number[] {
  return x.shape.slice(axis < 0 ? axis + x.ndim : axis);
}

/** Per-channel biased variance of x (N, C, *) in float64, written from the formula. */
function channelVarianceBiased(x: Tensor): { v: Float64Array; n: number } {
  const c = x.shape[1]!;
  const inner = x.size / (x.shape[0]! * c);
  const n = x.size / c;
  const mean = new Float64Array(c);
  const v = new Float64Array(c);
  x.data.forEach((val, i) => (mean[Math.floor(i / inner) % c] += val / n));
  x.data.forEach((val, i) => {
    const ch = Math.floor(i / inner) % c;
    v[ch] += (val - mean[ch]!) ** 2 / n;
  });
  return { v, n };
}

function batchNormModule(
  rank: number,
  channels: number,
  opts: { eps: number; momentum: number },
): nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d {
  if (rank === 2 || rank === 3) return new nn.BatchNorm1d(channels, opts);
  if (rank === 4) return new nn.BatchNorm2d(channels, opts);
  return new nn.BatchNorm3d(channels, opts);
}

function instanceNormModule(
  rank: number,
  channels: number,
  eps: number,
): nn.InstanceNorm1d | nn.InstanceNorm2d | nn.InstanceNorm3d {
  const opts = { eps, affine: true };
  if (rank === 3) return new nn.InstanceNorm1d(channels, opts);
  if (rank === 4) return new nn.InstanceNorm2d(channels, opts);
  return new nn.InstanceNorm3d(channels, opts);
}

function checkBatchNorm(c: ConformanceCase): void {
  const [x, scale, b, mean, variance] = [0, 1, 2, 3, 4].map((i) => input(c, i)) as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
  const eps = attr(c, 'epsilon');
  const training = (c.attributes.training_mode ?? 0) === 1;
  const momentum = 1 - (attr(c, 'momentum') ?? 0.9); // ONNX weights the old value; torch the new one
  const channels = x.shape[1]!;
  const sd = {
    weight: scale,
    bias: b,
    running_mean: mean.clone(),
    running_var: variance.clone(),
    num_batches_tracked: tensor(0, []),
  };

  // Functional form.
  const runMean = mean.clone();
  const runVar = variance.clone();
  const y = F.batchNorm(x, runMean, runVar, { weight: scale, bias: b, training, momentum, eps });
  expectClose(y, t(output(c, 0)), TOL, `${c.file} functional Y`);

  // Module with loaded state.
  const m = batchNormModule(x.ndim, channels, { eps, momentum });
  m.loadStateDict(sd);
  m.train(training);
  expectClose(m.forward(x), t(output(c, 0)), TOL, `${c.file} module Y`);

  if (training) {
    const expectedMean = t(output(c, 1));
    const { v, n } = channelVarianceBiased(x);
    const onnxVar = output(c, 2).data;
    const torchVar = onnxVar.map((ov, ch) => ov + (momentum * v[ch]!) / (n - 1)); // unbiased blend
    for (const [label, rm, rv] of [
      ['functional', runMean, runVar],
      ['module', m.runningMean!, m.runningVar!],
    ] as const) {
      expectClose(rm, expectedMean, TOL, `${c.file} ${label} running_mean`);
      expectClose(rv, torchVar, TOL, `${c.file} ${label} running_var (torch convention)`);
    }
    expect(m.numBatchesTracked!.item()).toBe(1);
  }
}

function checkLayerNorm(c: ConformanceCase): void {
  const [x, scale] = [input(c, 0), input(c, 1)];
  const bias = c.inputs.length > 2 ? input(c, 2) : null;
  const eps = attr(c, 'epsilon');
  const shape = normalizedShape(x, attr(c, 'axis'));
  // ONNX allows a broadcastable Scale/B; in every case here they have exactly normalizedShape.
  const weight = scale.reshape(shape);
  const y = F.layerNorm(x, shape, { weight, bias: bias?.reshape(shape) ?? null, eps });
  expectClose(y, t(output(c, 0)), TOL, `${c.file} functional Y`);

  const m = new nn.LayerNorm(shape, { eps, bias: bias !== null });
  m.loadStateDict(bias ? { weight, bias: bias.reshape(shape) } : { weight });
  expectClose(m.forward(x), t(output(c, 0)), TOL, `${c.file} module Y`);

  // Mean and InvStdDev outputs: the saved statistics, through the public reductions.
  const axes = shape.map((_, i) => x.ndim - shape.length + i);
  if (c.outputs.length > 1) expectClose(x.mean(axes, true), t(output(c, 1)), TOL, `${c.file} Mean`);
  if (c.outputs.length > 2) {
    const invStd = x.var(axes, { correction: 0, keepDim: true }).add(eps).sqrt().pow(-1);
    expectClose(invStd, t(output(c, 2)), TOL, `${c.file} InvStdDev`);
  }
}

function checkGroupNorm(c: ConformanceCase): void {
  const [x, scale, bias] = [input(c, 0), input(c, 1), input(c, 2)];
  const eps = attr(c, 'epsilon');
  const groups = attr(c, 'num_groups');
  const y = F.groupNorm(x, groups, { weight: scale, bias, eps });
  expectClose(y, t(output(c, 0)), TOL, `${c.file} functional Y`);
  const m = new nn.GroupNorm(groups, x.shape[1]!, { eps });
  m.loadStateDict({ weight: scale, bias });
  expectClose(m.forward(x), t(output(c, 0)), TOL, `${c.file} module Y`);
}

function checkInstanceNorm(c: ConformanceCase): void {
  const [x, scale, bias] = [input(c, 0), input(c, 1), input(c, 2)];
  const eps = attr(c, 'epsilon');
  const y = F.instanceNorm(x, { weight: scale, bias, eps });
  expectClose(y, t(output(c, 0)), TOL, `${c.file} functional Y`);
  const m = instanceNormModule(x.ndim, x.shape[1]!, eps);
  m.loadStateDict({ weight: scale, bias });
  expectClose(m.forward(x), t(output(c, 0)), TOL, `${c.file} module Y (train)`);
  expectClose(m.eval().forward(x), t(output(c, 0)), TOL, `${c.file} module Y (eval, untracked)`);
}

function checkRmsNorm(c: ConformanceCase): void {
  const [x, scale] = [input(c, 0), input(c, 1)];
  const eps = attr(c, 'epsilon'); // always explicit: ONNX's default 1e-5 differs from torch's
  const shape = normalizedShape(x, attr(c, 'axis'));
  // The scale is broadcastable to normalizedShape; expand it to exactly that shape.
  const weight = scale
    .reshape([...Array(Math.max(0, shape.length - scale.ndim)).fill(1), ...scale.shape])
    .expand(shape);
  const y = F.rmsNorm(x, shape, { weight, eps });
  expectClose(y, t(output(c, 0)), TOL, `${c.file} functional Y`);
  const m = new nn.RMSNorm(shape, { eps });
  m.loadStateDict({ weight: weight.clone() });
  expectClose(m.forward(x), t(output(c, 0)), TOL, `${c.file} module Y`);
}

const checks: Record<string, (c: ConformanceCase) => void> = {
  BatchNormalization: checkBatchNorm,
  LayerNormalization: checkLayerNorm,
  GroupNormalization: checkGroupNorm,
  InstanceNormalization: checkInstanceNorm,
  RMSNormalization: checkRmsNorm,
};

describe('conformance: test/fixtures/conformance', () => {
  it('finds the reference data (23 ONNX cases, 3 PyTorch cases)', () => {
    expect(onnxCases.length).toBe(23);
    expect(torchCases.length).toBe(3);
  });

  for (const c of [...onnxCases, ...torchCases]) {
    it(`${c.file} (${c.op})`, () => {
      const check = checks[c.op];
      expect(check, `no harness for op ${c.op}`).toBeDefined();
      check!(c);
    });
  }
});
