/**
 * Conv1d (src/layers/conv1d.ts, src/layers/functional/conv.ts): values and gradients against
 * torch in float64 (test/fixtures/modules.py), gradcheck, torch's parameter names, shapes and init bound.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, manualSeed, nn, tensor, zeros, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, randomTensor } from '../autograd/fixtures.js';

type Run = {
  opts: F.Conv1dOptions;
  x: FixtureTensor;
  weight: FixtureTensor;
  bias: FixtureTensor | null;
  y: FixtureTensor;
  upstream: FixtureTensor;
  dx: FixtureTensor;
  dWeight: FixtureTensor;
  dBias: FixtureTensor | null;
};
const fixture = loadFixture('modules') as {
  conv1d: Run[];
  conv1dModule: { stateDict: string[]; weightShape: number[]; bound: number };
};
const f64 = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(Float64Array.from(t.data), t.shape, { dtype: 'float64', requiresGrad });

describe('conv1d against torch (float64)', () => {
  it.each(fixture.conv1d.map((r) => [JSON.stringify(r.opts), r] as const))('%s: output and gradients', (_, r) => {
    const x = f64(r.x, true);
    const w = f64(r.weight, true);
    const b = r.bias === null ? null : f64(r.bias, true);
    const y = F.conv1d(x, w, b, r.opts);
    expect([...y.shape]).toEqual(r.y.shape);
    // float64 sums of a few dozen products, in another order than torch's
    expectClose(y, r.y.data, { rtol: 1e-12, atol: 1e-12 });
    y.mul(f64(r.upstream)).sum().backward();
    expectClose(x.grad!, r.dx.data, { rtol: 1e-12, atol: 1e-12 });
    expectClose(w.grad!, r.dWeight.data, { rtol: 1e-12, atol: 1e-12 });
    if (b !== null) expectClose(b.grad!, r.dBias!.data, { rtol: 1e-12, atol: 1e-12 });
  });

  it('passes gradcheck with stride, padding, dilation and groups', () => {
    const x = randomTensor([2, 4, 9], 1);
    const w = randomTensor([6, 2, 3], 2);
    const b = randomTensor([6], 3);
    expectGradcheck((a, c, d) => F.conv1d(a!, c!, d!, { stride: 2, padding: 2, dilation: 2, groups: 2 }), [x, w, b]);
  });
});

describe('nn.Conv1d', () => {
  it("has torch's parameter names and shapes, default init bound, and repr", () => {
    manualSeed(0);
    const m = new nn.Conv1d(6, 4, 5, { groups: 2 });
    expect(Object.keys(m.stateDict())).toEqual(fixture.conv1dModule.stateDict);
    expect([...m.weight.shape]).toEqual(fixture.conv1dModule.weightShape);
    const bound = fixture.conv1dModule.bound;
    for (const p of m.parameters()) expect(Array.from(p.data).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(m.weight instanceof nn.Parameter).toBe(true);
    expect(String(m)).toBe('Conv1d(6, 4, kernelSize=5, stride=1, padding=0, dilation=1, groups=2, bias=true)');
    expect(Object.keys(new nn.Conv1d(2, 2, 1, { bias: false }).stateDict())).toEqual(['weight']);
  });

  it('runs batched and unbatched inputs, with padding same', () => {
    const m = new nn.Conv1d(3, 5, 4, { padding: 'same' });
    expect([...m.forward(zeros([2, 3, 9])).shape]).toEqual([2, 5, 9]);
    expect([...m.call(zeros([3, 9])).shape]).toEqual([5, 9]);
  });

  it('rejects bad arguments', () => {
    expect(() => new nn.Conv1d(3, 4, 2, { groups: 2 })).toThrow(
      'Conv1d: inChannels (3) must be divisible by groups (2)',
    );
    expect(() => new nn.Conv1d(2, 4, 0)).toThrow('Conv1d: kernelSize must be an integer >= 1, got 0');
    expect(() => new nn.Conv1d(2, 4, 3, { padding: 'same', stride: 2 })).toThrow(
      "Conv1d: padding='same' is not supported for strided convolutions",
    );
    expect(() => F.conv1d(zeros([2, 3, 4, 5]), zeros([1, 3, 1]))).toThrow(
      'conv1d: input must be a Tensor of shape [N, C, L] or [C, L], got [2, 3, 4, 5]',
    );
    expect(() => F.conv1d(zeros([2, 3, 4]), zeros([1, 3]))).toThrow(
      'conv1d: weight must be a Tensor of shape [outChannels, inChannels/groups, kernelSize], got [1, 3]',
    );
    // The shared convolution checks name conv1d and show the weight as given (3-D), not its 4-D view.
    expect(() => F.conv1d(zeros([2, 3, 4]), zeros([1, 2, 1]))).toThrow(
      'conv1d: input has 3 channels but weight [1, 2, 1] with groups=1 expects 2 (weight.shape[1] * groups)',
    );
    expect(() => F.conv1d(zeros([2, 3, 4]), zeros([1, 3, 1]), zeros([2]))).toThrow(
      'conv1d: bias must be null or a Tensor of shape [1], got shape [2]',
    );
    // Through the module, the same checks name the module.
    expect(() => new nn.Conv1d(3, 4, 2).forward(zeros([2, 5, 4]))).toThrow(
      'Conv1d: input has 5 channels but weight [4, 3, 2] with groups=1 expects 3 (weight.shape[1] * groups)',
    );
    expect(() => new nn.Conv1d(3, 4, 9).forward(zeros([3, 4]))).toThrow(
      'Conv1d: the (padded) input 1x4 is smaller than the dilated kernel 1x9',
    );
  });
});
