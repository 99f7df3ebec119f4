import { describe, expect, it } from 'vitest';
import { optim, tensor, type Tensor } from '../../src/index.js';
import type { AdamGroupOptions } from '../../src/optim/adam.js';
import { expectClose } from '../helpers.js';

/**
 * torch.optim.Adam / AdamW written out in float64 from their algorithm boxes and adam.py (AMSGrad
 * keeps the running maximum of the raw second moment): the parameter after each step.
 */
function adamReference(theta0: number[], grads: number[][], o: AdamGroupOptions, decoupled: boolean): number[][] {
  const [beta1, beta2] = o.betas;
  let theta = [...theta0];
  let m = theta.map(() => 0);
  let v = theta.map(() => 0);
  let vmax = theta.map(() => 0);
  const out: number[][] = [];
  grads.forEach((grad, step) => {
    const t = step + 1;
    if (decoupled) theta = theta.map((x) => x * (1 - o.lr * o.weightDecay));
    const g = grad.map((gi, i) => (o.maximize ? -gi : gi) + (decoupled ? 0 : o.weightDecay * theta[i]!));
    m = m.map((mi, i) => beta1 * mi + (1 - beta1) * g[i]!);
    v = v.map((vi, i) => beta2 * vi + (1 - beta2) * g[i]! ** 2);
    vmax = vmax.map((x, i) => Math.max(x, v[i]!));
    const mHat = m.map((mi) => mi / (1 - beta1 ** t));
    const second = o.amsgrad ? vmax : v;
    theta = theta.map((x, i) => x - (o.lr * mHat[i]!) / (Math.sqrt(second[i]!) / Math.sqrt(1 - beta2 ** t) + o.eps));
    out.push([...theta]);
  });
  return out;
}

const base: AdamGroupOptions = {
  lr: 0.01,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
};
const theta0 = [1, -2, 0.5, 3, 0];
// Large gradients first, then small ones, so that AMSGrad's maximum differs from v_t.
const grads = [
  [4, -3, 2, 1, 0],
  [2, -1, 1, -0.5, 0.25],
  [0.1, 0.2, -0.1, 0.05, -0.5],
  [0.01, -0.02, 0.03, -0.04, 0.05],
  [-1, 0.5, 0.25, 2, 1],
];

function run(kind: 'Adam' | 'AdamW', options: Partial<AdamGroupOptions>, dtype: 'float32' | 'float64'): number[][] {
  const p = tensor(theta0, undefined, { dtype, requiresGrad: true });
  const opt = new optim[kind]([p], options);
  return grads.map((g) => {
    p.grad = tensor(g, undefined, { dtype });
    opt.step();
    return Array.from(p.data);
  });
}

describe('Adam and AdamW', () => {
  it('the first Adam step moves each element by about lr against the gradient sign (hand-computed)', () => {
    // t = 1: m = 0.1 g, v = 0.001 g^2, so m / (1 - 0.9) = g and sqrt(v / (1 - 0.999)) = |g|:
    // theta - lr * g / (|g| + eps).
    const p = tensor([1, 1], undefined, { dtype: 'float64' });
    p.grad = tensor([2, -0.5], undefined, { dtype: 'float64' });
    new optim.Adam([p], { lr: 0.1 }).step();
    // only the rounding of 1 - 0.9 and 1 - 0.999 differ
    expectClose(p, [1 - 0.1 * (2 / (2 + 1e-8)), 1 + 0.1 * (0.5 / (0.5 + 1e-8))], { rtol: 1e-15, atol: 0 });
  });

  const configs: [string, 'Adam' | 'AdamW', Partial<AdamGroupOptions>][] = [
    ['Adam defaults', 'Adam', {}],
    ['Adam lr and betas', 'Adam', { lr: 0.05, betas: [0.5, 0.9] }],
    ['Adam L2 weight decay', 'Adam', { weightDecay: 0.1 }],
    ['Adam amsgrad', 'Adam', { amsgrad: true, betas: [0.8, 0.5] }],
    ['Adam maximize + weight decay', 'Adam', { maximize: true, weightDecay: 0.05 }],
    ['Adam large eps', 'Adam', { eps: 0.1 }],
    ['AdamW default decay', 'AdamW', {}],
    ['AdamW strong decay + amsgrad', 'AdamW', { weightDecay: 0.5, lr: 0.1, amsgrad: true, betas: [0.8, 0.5] }],
    ['AdamW maximize', 'AdamW', { maximize: true, weightDecay: 0.2 }],
  ];

  it.each(configs)('%s: five float64 steps follow the formula', (_, kind, options) => {
    const resolved = { ...base, weightDecay: kind === 'AdamW' ? 1e-2 : 0, ...options };
    const expected = adamReference(theta0, grads, resolved, kind === 'AdamW');
    const actual = run(kind, { lr: base.lr, ...options }, 'float64');
    // float64 throughout; the reference orders a few products and quotients differently.
    actual.forEach((a, t) => expectClose(a, expected[t]!, { rtol: 1e-13, atol: 1e-15 }, `step ${t + 1}`));
  });

  it.each(configs)('%s: five float32 steps stay within float32 rounding of the float64 formula', (_, kind, options) => {
    const resolved = { ...base, weightDecay: kind === 'AdamW' ? 1e-2 : 0, ...options };
    const expected = adamReference(theta0, grads, resolved, kind === 'AdamW');
    const actual = run(kind, { lr: base.lr, ...options }, 'float32');
    // Parameter and moment buffers are rounded to float32 each step (2^-24 relative), five steps.
    actual.forEach((a, t) => expectClose(a, expected[t]!, { rtol: 2e-6, atol: 1e-7 }, `step ${t + 1}`));
  });

  it('amsgrad changes the result once the second moment falls (so the test above can tell them apart)', () => {
    const plain = run('Adam', { amsgrad: false, betas: [0.8, 0.5] }, 'float64');
    const ams = run('Adam', { amsgrad: true, betas: [0.8, 0.5] }, 'float64');
    expect(ams[4]).not.toEqual(plain[4]);
  });

  it('AdamW with weightDecay 0 is Adam', () => {
    expect(run('AdamW', { weightDecay: 0 }, 'float32')).toEqual(run('Adam', {}, 'float32'));
  });

  it("keeps torch's state names: step, exp_avg, exp_avg_sq, max_exp_avg_sq", () => {
    const p = tensor([1, 2]);
    p.grad = tensor([0.5, 0.5]);
    const opt = new optim.Adam([p], { amsgrad: true });
    opt.step();
    opt.step();
    const s = opt.stateDict().state[0]!;
    expect(Object.keys(s).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(s['step']).toBe(2);
    // exp_avg after two steps of g = 0.5: 0.9 * 0.05 + 0.1 * 0.5
    expectClose(s['exp_avg'] as Tensor, [0.095, 0.095], { rtol: 1e-7 }); // stored in float32
  });

  it("validates its options with torch's conditions", () => {
    const p = [tensor([1])];
    expect(() => new optim.Adam(p, { lr: -1 })).toThrow('Adam: lr must be a finite number >= 0, got -1');
    expect(() => new optim.Adam(p, { eps: -1e-8 })).toThrow('Adam: eps must be a finite number >= 0, got -1e-8');
    expect(() => new optim.Adam(p, { betas: [1, 0.999] })).toThrow('Adam: betas[0] must be in [0, 1), got 1');
    expect(() => new optim.Adam(p, { betas: [0.9, -0.1] })).toThrow('Adam: betas[1] must be in [0, 1), got -0.1');
    expect(() => new optim.Adam(p, { betas: [0.9] as never })).toThrow(
      'Adam: betas must be a pair [beta1, beta2], got [0.9]',
    );
    expect(() => new optim.AdamW(p, { weightDecay: -0.01 })).toThrow(
      'AdamW: weightDecay must be a finite number >= 0, got -0.01',
    );
    expect(() => new optim.AdamW(p, { amsgrad: 1 as never })).toThrow('AdamW: amsgrad must be true or false, got 1');
  });
});
