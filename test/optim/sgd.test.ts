import { describe, expect, it } from 'vitest';
import { optim, tensor, type Tensor } from '../../src/index.js';
import type { SGDGroupOptions } from '../../src/optim/sgd.js';
import { expectClose } from '../helpers.js';

/**
 * torch.optim.SGD written out in float64 from its algorithm box (PyTorch 2.x, maximize negating the
 * gradient first): the parameter after each of the steps, one gradient per step.
 */
function sgdReference(theta0: number[], grads: number[][], o: SGDGroupOptions): number[][] {
  const theta = [...theta0];
  let b: number[] | null = null;
  const out: number[][] = [];
  for (const grad of grads) {
    const g = grad.map((gi, i) => (o.maximize ? -gi : gi) + o.weightDecay * theta[i]!);
    let d = g;
    if (o.momentum !== 0) {
      b = b === null ? [...g] : b.map((bi, i) => o.momentum * bi + (1 - o.dampening) * g[i]!);
      d = o.nesterov ? g.map((gi, i) => gi + o.momentum * b![i]!) : b;
    }
    for (let i = 0; i < theta.length; i++) theta[i] = theta[i]! - o.lr * d[i]!;
    out.push([...theta]);
  }
  return out;
}

const base: SGDGroupOptions = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };
const theta0 = [1, -2, 0.5, 3];
const grads = [
  [0.5, -1, 2, 0.25],
  [0.25, 0.5, -1, 1],
  [-0.75, 0.125, 0.5, -2],
  [1, 1, -0.5, 0.5],
];

function run(options: Partial<SGDGroupOptions>, dtype: 'float32' | 'float64'): number[][] {
  const p = tensor(theta0, [2, 2], { dtype, requiresGrad: true });
  const opt = new optim.SGD([p], { ...base, ...options });
  return grads.map((g) => {
    p.grad = tensor(g, [2, 2], { dtype });
    opt.step();
    return Array.from(p.data);
  });
}

describe('SGD', () => {
  it('plain SGD is theta - lr * g (hand-computed)', () => {
    const p = tensor([1, 2]);
    p.grad = tensor([0.5, -4]);
    new optim.SGD([p], { lr: 0.25 }).step();
    expect(Array.from(p.data)).toEqual([0.875, 3]);
  });

  it('momentum: the first step sets the buffer to the gradient itself, without dampening (hand-computed)', () => {
    const p = tensor([1], undefined, { dtype: 'float64' });
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    p.grad = tensor([0.5], undefined, { dtype: 'float64' });
    opt.step(); // b1 = 0.5, theta = 1 - 0.05
    expect((opt.stateDict().state[0]!['momentum_buffer'] as Tensor).item()).toBe(0.5);
    expect(p.item()).toBe(0.95);
    opt.step(); // b2 = 0.9 * 0.5 + 0.5 * 0.5 = 0.7, theta = 0.95 - 0.07
    expect((opt.stateDict().state[0]!['momentum_buffer'] as Tensor).item()).toBeCloseTo(0.7, 15);
    expect(p.item()).toBeCloseTo(0.88, 15);
  });

  const configs: [string, Partial<SGDGroupOptions>][] = [
    ['plain', {}],
    ['momentum', { momentum: 0.9 }],
    ['momentum + dampening', { momentum: 0.9, dampening: 0.3 }],
    ['nesterov', { momentum: 0.8, nesterov: true }],
    ['weight decay', { weightDecay: 0.1 }],
    ['momentum + weight decay', { momentum: 0.9, weightDecay: 0.01, lr: 0.05 }],
    ['nesterov + weight decay', { momentum: 0.5, nesterov: true, weightDecay: 0.2 }],
    ['maximize', { maximize: true }],
    [
      'maximize + momentum + dampening + weight decay',
      { maximize: true, momentum: 0.7, dampening: 0.1, weightDecay: 0.3 },
    ],
    ['maximize + nesterov + weight decay', { maximize: true, momentum: 0.6, nesterov: true, weightDecay: 0.05 }],
  ];

  it.each(configs)('%s: four float64 steps follow the formula', (_, options) => {
    const expected = sgdReference(theta0, grads, { ...base, ...options });
    const actual = run(options, 'float64');
    // float64 throughout; only the association of a few products may differ from the reference.
    actual.forEach((a, t) => expectClose(a, expected[t]!, { rtol: 1e-14, atol: 1e-15 }, `step ${t + 1}`));
  });

  it.each(configs)('%s: four float32 steps stay within float32 rounding of the float64 formula', (_, options) => {
    const expected = sgdReference(theta0, grads, { ...base, ...options });
    const actual = run(options, 'float32');
    // Parameter and buffer are rounded to float32 after each step (2^-24 relative each), 4 steps.
    actual.forEach((a, t) => expectClose(a, expected[t]!, { rtol: 1e-6, atol: 1e-7 }, `step ${t + 1}`));
  });

  it('weight decay shrinks towards zero under maximize too (PyTorch 2.x order)', () => {
    const p = tensor([2], undefined, { dtype: 'float64' });
    p.grad = tensor([0], undefined, { dtype: 'float64' });
    new optim.SGD([p], { lr: 0.1, weightDecay: 0.5, maximize: true }).step();
    expect(p.item()).toBe(1.9); // 2 - 0.1 * (0 + 0.5 * 2)
  });

  it("validates its options with torch's conditions", () => {
    const p = [tensor([1])];
    expect(() => new optim.SGD(p, { lr: -0.1 })).toThrow('SGD: lr must be a finite number >= 0, got -0.1');
    expect(() => new optim.SGD(p, { lr: 0.1, momentum: -1 })).toThrow(
      'SGD: momentum must be a finite number >= 0, got -1',
    );
    expect(() => new optim.SGD(p, { lr: 0.1, weightDecay: -1 })).toThrow(
      'SGD: weightDecay must be a finite number >= 0, got -1',
    );
    expect(() => new optim.SGD(p, { lr: 0.1, nesterov: true })).toThrow(
      'SGD: nesterov requires momentum > 0 and dampening = 0, got momentum 0 and dampening 0',
    );
    expect(() => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      'SGD: nesterov requires momentum > 0 and dampening = 0, got momentum 0.9 and dampening 0.1',
    );
    expect(() => new optim.SGD(p, {} as { lr: number })).toThrow('SGD: lr must be a finite number >= 0, got undefined');
    expect(() => new optim.SGD(p, { lr: 0.1, weight_decay: 0.1 } as never)).toThrow(
      'SGD: unknown option "weight_decay"; expected one of lr, momentum, dampening, weightDecay, nesterov, maximize',
    );
  });
});
