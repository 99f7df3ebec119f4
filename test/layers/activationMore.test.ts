/**
 * LeakyReLU, SiLU, ELU, Softplus (src/autograd/ops/activation.ts, src/layers/activation.ts): values
 * and gradients against torch in float64 (test/fixtures/modules.py), float64 gradcheck, modules.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, tensor, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, randomTensor } from '../autograd/fixtures.js';

const fixture = loadFixture('modules') as {
  activations: Record<string, { x: FixtureTensor; y: FixtureTensor; upstream: FixtureTensor; dx: FixtureTensor }>;
};

const f64 = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(Float64Array.from(t.data), t.shape, { dtype: 'float64', requiresGrad });

const FNS: Record<string, (x: Tensor) => Tensor> = {
  'LeakyReLU()': (x) => new nn.LeakyReLU().forward(x),
  'LeakyReLU(0.2)': (x) => F.leakyRelu(x, 0.2),
  'SiLU()': (x) => new nn.SiLU().forward(x),
  'ELU()': (x) => F.elu(x),
  'ELU(0.5)': (x) => new nn.ELU(0.5).forward(x),
  'Softplus()': (x) => new nn.Softplus().forward(x),
  'Softplus(2, 5)': (x) => new nn.Softplus(2, 5).forward(x),
  'Softplus(0.5, 1)': (x) => F.softplus(x, 0.5, 1),
};

describe('activations against torch (float64)', () => {
  it('covers every fixture case', () =>
    expect(Object.keys(FNS).sort()).toEqual(Object.keys(fixture.activations).sort()));

  it.each(Object.keys(FNS))('%s: values and gradient', (name) => {
    const c = fixture.activations[name]!;
    const x = f64(c.x, true);
    const y = FNS[name]!(x);
    // float64 on both sides; exp/log1p may differ in the last ulps between libms
    expectClose(y, c.y.data, { rtol: 1e-14, atol: 1e-300 });
    y.mul(f64(c.upstream)).sum().backward();
    expectClose(x.grad!, c.dx.data, { rtol: 1e-14, atol: 1e-300 });
  });

  it.each(Object.keys(FNS))('%s: passes gradcheck away from the kinks', (name) => {
    // |x| in [0.05, 1.9]: away from the kinks at 0 and from the Softplus switches (x = 2 and x = 2.5)
    const x = randomTensor([3, 4], 7, { maxAbs: 1.9, minAbs: 0.05 });
    expectGradcheck((t) => FNS[name]!(t!), [x]);
  });

  it('keeps the input dtype, and prints its options', () => {
    expect(F.silu(tensor([1, 2])).dtype).toBe('float32');
    expect(String(new nn.LeakyReLU(0.2))).toBe('LeakyReLU(negativeSlope=0.2)');
    expect(String(new nn.ELU())).toBe('ELU(alpha=1)');
    expect(String(new nn.Softplus(2, 5))).toBe('Softplus(beta=2, threshold=5)');
    expect(new nn.SiLU().parameters()).toEqual([]);
  });

  it('rejects bad arguments', () => {
    expect(() => new nn.LeakyReLU(NaN)).toThrow('LeakyReLU: negativeSlope must be a number, got NaN');
    expect(() => new nn.ELU('1' as unknown as number)).toThrow('ELU: alpha must be a number, got "1" (string)');
    expect(() => new nn.Softplus(1, NaN)).toThrow('Softplus: threshold must be a number, got NaN');
    expect(() => F.silu([1] as unknown as Tensor)).toThrow('silu: input must be a Tensor, got [1] (array)');
    expect(() => F.elu(tensor(new Int32Array([1])))).toThrow(
      "elu: input must have a floating dtype ('float32' or 'float64'), got 'int32'",
    );
  });
});
