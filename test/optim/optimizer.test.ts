import { describe, expect, it } from 'vitest';
import { optim, tensor, Tensor } from '../../src/index.js';

/** Two float32 parameters with deterministic gradients for step `t`. */
function setGrads(params: Tensor[], t: number): void {
  params.forEach((p, k) => {
    p.grad = tensor(
      Array.from(p.data, (_, i) => Math.sin(1 + t + 3 * k + i)),
      [...p.shape],
    );
  });
}

function makeParams(): Tensor[] {
  return [
    tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      { requiresGrad: true },
    ),
    tensor([0.5, -0.5, 0.25], undefined, { requiresGrad: true }),
  ];
}

type Factory = (params: Tensor[] | { params: Tensor[] }[]) => optim.Optimizer<object>;
const factories: [string, Factory][] = [
  ['SGD', (p) => new optim.SGD(p as Tensor[], { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['Adam', (p) => new optim.Adam(p as Tensor[], { lr: 0.05, amsgrad: true })],
  ['AdamW', (p) => new optim.AdamW(p as Tensor[], { lr: 0.05 })],
];

describe.each(factories)('%s: the Optimizer bookkeeping', (name, make) => {
  it('a state dict loaded into a fresh optimizer continues bitwise identically', () => {
    const a = makeParams();
    const optA = make(a);
    for (let t = 0; t < 3; t++) {
      setGrads(a, t);
      optA.step();
    }
    const saved = optA.stateDict();
    const b = a.map((p) => p.clone());
    const optB = make(b);
    optB.loadStateDict(saved);
    for (let t = 3; t < 6; t++) {
      setGrads(a, t);
      setGrads(b, t);
      optA.step();
      optB.step();
    }
    b.forEach((p, k) => expect(Array.from(p.data), `param ${k}`).toEqual(Array.from(a[k]!.data)));
  });

  it("the state dict has PyTorch's layout and is a copy", () => {
    const params = makeParams();
    const opt = make(params);
    setGrads(params, 0);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd)).toEqual(['state', 'param_groups']);
    expect(Object.keys(sd.state)).toEqual(['0', '1']);
    expect(sd.param_groups).toHaveLength(1);
    expect(sd.param_groups[0]!.params).toEqual([0, 1]);
    const first = Object.values(sd.state[0]!).find((v) => v instanceof Tensor) as Tensor;
    const before = Array.from(first.data);
    opt.step();
    expect(Array.from(first.data)).toEqual(before);
    (sd.param_groups[0] as unknown as { lr: number }).lr = 123;
    expect((opt.paramGroups[0] as unknown as { lr: number }).lr).not.toBe(123);
  });

  it('skips parameters without a gradient and never changes the gradients', () => {
    const [w, b] = makeParams();
    const opt = make([w!, b!]);
    w!.grad = tensor([
      [1, -1],
      [0.5, 2],
    ]);
    const gradBefore = Array.from(w!.grad.data);
    const bBefore = Array.from(b!.data);
    opt.step();
    expect(Array.from(b!.data)).toEqual(bBefore);
    expect(Array.from(w!.grad.data)).toEqual(gradBefore);
    expect(opt.state.has(b!)).toBe(false);
    expect(Array.from(w!.data)).not.toEqual([1, 2, 3, 4]);
  });

  it('zeroGrad sets every gradient to null', () => {
    const params = makeParams();
    const opt = make(params);
    setGrads(params, 0);
    opt.zeroGrad();
    expect(params.map((p) => p.grad)).toEqual([null, null]);
  });

  it('loadStateDict rejects a state dict of another shape of optimizer', () => {
    const params = makeParams();
    const opt = make(params);
    setGrads(params, 0);
    opt.step();
    const sd = opt.stateDict();
    const other = make([params[0]!]);
    expect(() => other.loadStateDict(sd)).toThrow(
      `${name}.loadStateDict: parameter group 0 has 2 parameters in the state dict, 1 in this optimizer`,
    );
    const swapped = make([params[1]!, params[0]!]);
    expect(() => swapped.loadStateDict(sd)).toThrow(
      /state\[0\]\.\w+ has shape \[2, 2\], expected the parameter's shape \[3\]/,
    );
    const twoGroups = make([{ params: [params[0]!] }, { params: [params[1]!] }] as never);
    expect(() => twoGroups.loadStateDict(sd)).toThrow(
      `${name}.loadStateDict: the state dict has 1 parameter groups, this optimizer has 2`,
    );
  });
});

describe('parameter groups', () => {
  it('each group uses its own options; the others come from the defaults', () => {
    const a = tensor([1]);
    const b = tensor([1]);
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    a.grad = tensor([1]);
    b.grad = tensor([1]);
    opt.step();
    expect([a.item(), b.item()]).toEqual([Math.fround(0.9), 0.5]);
    expect(opt.stateDict().param_groups.map((g) => [g.lr, g.params])).toEqual([
      [0.1, [0]],
      [0.5, [1]],
    ]);
  });

  it('changing lr in paramGroups takes effect on the next step (how a schedule is written)', () => {
    const p = tensor([1]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    opt.paramGroups[0]!.lr = 1;
    p.grad = tensor([0.25]);
    opt.step();
    expect(p.item()).toBe(0.75);
  });

  it('addParamGroup validates the group', () => {
    const opt = new optim.Adam([tensor([1])]);
    expect(() => opt.addParamGroup({ params: [tensor([2])], betas: [0.9, 1.5] })).toThrow(
      'Adam: param group 1: betas[1] must be in [0, 1), got 1.5',
    );
    expect(() => opt.addParamGroup({ params: [tensor([2])], weight_decay: 1 } as never)).toThrow(
      'Adam: param group 1: unknown option "weight_decay"',
    );
  });
});

describe('loading state dicts written the PyTorch way', () => {
  it('accepts step as a 0-d tensor (as torch saves it) and continues identically', () => {
    const a = tensor([1, -1]);
    const b = tensor([1, -1]);
    const optA = new optim.Adam([a], { lr: 0.1 });
    const optB = new optim.Adam([b], { lr: 0.1 });
    a.grad = tensor([0.5, 2]);
    b.grad = tensor([0.5, 2]);
    optA.step();
    const sd = optA.stateDict();
    sd.state[0]!['step'] = tensor(1);
    optB.loadStateDict(sd);
    b.data.set(a.data);
    optA.step();
    optB.step();
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(optB.stateDict().state[0]!['step']).toBe(2);
  });

  it('rejects snake_case option names in a saved group, naming the one found', () => {
    const p = tensor([1]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    const sd = opt.stateDict();
    (sd.param_groups[0] as unknown as Record<string, unknown>)['weight_decay'] = 0;
    expect(() => opt.loadStateDict(sd)).toThrow('SGD.loadStateDict: param group 0: unknown option "weight_decay"');
  });
});

describe('Optimizer argument errors', () => {
  it('rejects what torch rejects', () => {
    const p = tensor([1], undefined, { requiresGrad: true });
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(
      'SGD: params is an empty list; expected at least one parameter',
    );
    expect(() => new optim.SGD(p as never, { lr: 0.1 })).toThrow(
      'SGD: params must be an array of Tensors or of parameter groups {params, ...options}, got a Tensor',
    );
    expect(() => new optim.Adam([p.mul(2)])).toThrow(
      "Adam: param group 0: params[0] is not a leaf tensor (made by 'mul'); only leaves can be optimized",
    );
    expect(() => new optim.Adam([p, p])).toThrow('Adam: param group 0: params[1] appears more than once');
    expect(() => new optim.Adam([{ params: [p] }, { params: [p] }])).toThrow(
      'Adam: param group 1: params[0] appears more than once',
    );
    expect(() => new optim.Adam([3] as never)).toThrow(
      'Adam: param group 0: expected {params: Tensor[], ...options}, got 3',
    );
  });

  it("step rejects a gradient whose shape is not the parameter's", () => {
    const p = tensor([1, 2]);
    p.grad = tensor([1, 2], [2, 1]);
    expect(() => new optim.SGD([p], { lr: 0.1 }).step()).toThrow(
      'SGD.step: the gradient of a parameter of shape [2] must have shape [2], got shape [2, 1]',
    );
  });
});

describe('training through autograd', () => {
  const fits: [string, (p: Tensor[]) => optim.Optimizer<object>][] = [
    ['SGD with momentum', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9 })],
    ['Adam', (p) => new optim.Adam(p, { lr: 0.1 })],
    ['AdamW without decay', (p) => new optim.AdamW(p, { lr: 0.1, weightDecay: 0 })],
  ];
  it.each(fits)('%s fits y = 2x + 1', (_, make) => {
    const x = tensor([[-1], [0], [1], [2]]);
    const y = tensor([[-1], [1], [3], [5]]);
    const w = tensor([[0]], undefined, { requiresGrad: true });
    const b = tensor([0], undefined, { requiresGrad: true });
    const opt = make([w, b]);
    let loss = Infinity;
    for (let i = 0; i < 500; i++) {
      opt.zeroGrad();
      const l = x.matmul(w).add(b).sub(y).pow(2).mean();
      l.backward();
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(1e-6);
    // The fitted line, to the precision a loss below 1e-6 implies.
    expect(w.item()).toBeCloseTo(2, 2);
    expect(b.item()).toBeCloseTo(1, 2);
  });
});
