/**
 * In-place ops and version counters (src/autograd/ops/inplace.ts, saved.ts): results and versions
 * against torch (test/fixtures/views.py), writes through views, the autograd errors (leaf, view of
 * a leaf, expanded view, broadcast), gradients through in-place ops on non-leaves against torch,
 * and the saved-tensor check for every kind of op that saves (mul, matmul, linear, conv, norms,
 * unary outputs), including the optimizer step between forward and backward.
 */
import { describe, expect, it } from 'vitest';
import { arange, functional, nn, noGrad, optim, tensor, where, zeros, type Tensor } from '../../src/index.js';
import { conv2d } from '../../src/layers/functional/conv.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, randomTensor } from './fixtures.js';

const cases = loadFixture('views');
const fromFixture = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(Array.from(t.data), t.shape, { requiresGrad });
const operand = (v: FixtureTensor | number): Tensor | number => (typeof v === 'number' ? v : fromFixture(v));

interface InplaceCase {
  op: 'add_' | 'sub_' | 'mul_' | 'div_' | 'fill_' | 'zero_' | 'copy_' | 'clamp_';
  x: FixtureTensor;
  other?: FixtureTensor | number;
  min?: number | null;
  max?: number | null;
  out: FixtureTensor;
  version: number;
}

function runInplace(c: InplaceCase, x: Tensor): Tensor {
  switch (c.op) {
    case 'zero_':
      return x.zero_();
    case 'clamp_':
      return x.clamp_(c.min, c.max);
    case 'copy_':
      return x.copy_(operand(c.other!) as Tensor);
    default:
      return x[c.op](operand(c.other!));
  }
}

describe('in-place results against torch (fixture)', () => {
  (cases['inplace'] as InplaceCase[]).forEach((c, k) => {
    it(`${k}: ${c.op}${c.op === 'clamp_' ? `(${c.min}, ${c.max})` : ''}`, () => {
      const x = fromFixture(c.x);
      const before = x.data;
      const returned = runInplace(c, x);
      expect(returned).toBe(x);
      expect(x.data).toBe(before); // the same storage, written in place
      // float32 arithmetic on float32 values: the same IEEE operation as torch, so exact
      expectClose(x, c.out.data, { rtol: 0, atol: 0 });
      expect(x.version).toBe(c.version);
    });
  });
});

describe('writes through views (fixture)', () => {
  const f12 = (): Tensor =>
    tensor(
      Array.from({ length: 12 }, (_, i) => i),
      [3, 4],
    );
  const run: Record<string, () => Tensor> = {
    'select(0,1).fill_(5)': () => {
      const x = f12();
      x.select(0, 1).fill_(5);
      return x;
    },
    't().select(0,0).mul_(10)': () => {
      const x = f12();
      x.transpose(0, 1).select(0, 0).mul_(10);
      return x;
    },
    'slice(1,1,null,2).add_([100,200])': () => {
      const x = f12();
      x.slice(1, 1, null, 2).add_(tensor([100, 200]));
      return x;
    },
    'view(2,6).narrow(1,2,3).copy_; x.add_(1); v': () => {
      const x = f12();
      const v = x.view([2, 6]);
      v.narrow(1, 2, 3).copy_(tensor([-1, -2, -3]));
      x.add_(1);
      return v;
    },
    't().clamp_(2,9)': () => {
      const x = f12();
      x.transpose(0, 1).clamp_(2, 9);
      return x;
    },
  };
  for (const c of cases['throughViews'] as { name: string; out: FixtureTensor; version: number }[]) {
    it(c.name, () => {
      const y = run[c.name]!();
      expect(Array.from(y.data)).toEqual(Array.from(c.out.data));
      expect(y.version).toBe(c.version);
    });
  }

  it("the base sees a view's write and the view sees the base's", () => {
    const x = zeros([2, 3]);
    const row = x.select(0, 1);
    row.fill_(5);
    expect(x.toArray()).toEqual([
      [0, 0, 0],
      [5, 5, 5],
    ]);
    x.mul_(2);
    expect(row.toArray()).toEqual([10, 10, 10]);
    expect([x.version, row.version]).toEqual([2, 2]); // one counter for the storage
  });

  it('reads the argument before writing, even when it overlaps self', () => {
    const x = arange(4).reshape([2, 2]).contiguous();
    x.add_(x.transpose(0, 1));
    expect(x.toArray()).toEqual([
      [0, 3],
      [3, 6],
    ]);
  });
});

describe("in-place errors (torch's messages)", () => {
  const errorList = cases['versionErrors'] as { name: string; error: string }[];
  const errors = Object.fromEntries(errorList.map((e) => [e.name, e.error]));

  it('on a leaf that requires grad, with grad mode on', () => {
    expect(() => tensor([1, 2, 3], undefined, { requiresGrad: true }).add_(1)).toThrow(`add_: ${errors['leaf']}`);
  });
  it('on a view of such a leaf', () => {
    const w = zeros([3, 2]).requiresGrad_();
    expect(() => w.select(1, 0).add_(1)).toThrow(`add_: ${errors['view of leaf']}`);
  });
  it('on an expanded view (elements sharing memory)', () => {
    expect(() => zeros([3, 1]).expand([3, 4]).add_(1)).toThrow(`add_: ${errors['expanded']}`);
  });
  it("when the argument does not broadcast to self's shape", () => {
    expect(() => zeros([3]).add_(zeros([2, 3]))).toThrow(`add_: ${errors['broadcast']}`);
    expect(() => zeros([3]).copy_(zeros([2]))).toThrow('copy_: shapes [3] and [2] cannot be broadcast');
  });
  it('bad arguments', () => {
    expect(() => zeros([2]).fill_(zeros([2]))).toThrow(
      'fill_: fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.',
    );
    expect(() => zeros([2]).clamp_()).toThrow("clamp_: at least one of 'min' or 'max' must not be null");
    expect(() => zeros([2]).mul_('2' as unknown as number)).toThrow(
      'mul_: other must be a Tensor or a number, got "2" (string)',
    );
    expect(() => zeros([2]).copy_(3 as unknown as Tensor)).toThrow('copy_: src must be a Tensor, got number');
  });
  it('through a view made in noGrad of a tensor that requires grad, with grad mode on', () => {
    const h = tensor([1, 2], undefined, { requiresGrad: true }).mul(2);
    const v = noGrad(() => h.select(0, 0));
    expect(() => v.mul_(3)).toThrow(
      'mul_: this view was created inside noGrad and is being modified in place with grad mode on',
    );
  });
  it('all of these are allowed inside noGrad (how optimizers and init write parameters)', () => {
    const w = tensor([1, 2, 3], undefined, { requiresGrad: true });
    noGrad(() => {
      w.mul_(2);
      w.select(0, 0).fill_(-1);
    });
    expect(w.toArray()).toEqual([-1, 4, 6]);
    expect([w.version, w.isLeaf, w.requiresGrad, w.gradFn]).toEqual([2, true, true, null]);
  });
});

describe('gradients through in-place ops on non-leaves (fixture)', () => {
  interface GradCase {
    op: string;
    x: FixtureTensor;
    other?: FixtureTensor | number;
    min?: number;
    max?: number;
    gx: FixtureTensor;
    gother?: FixtureTensor;
  }
  for (const c of cases['nonleafInplace'] as GradCase[]) {
    it(c.op, () => {
      const x = fromFixture(c.x, true);
      const o = typeof c.other === 'object' ? fromFixture(c.other, true) : null;
      const h = x.mul(1.5);
      const z = h.add(1); // recorded before the in-place op: its gradient must reach the old h
      let loss: Tensor;
      if (c.op === 'clamp_') {
        h.clamp_(c.min, c.max);
        loss = h.tanh().sum();
      } else if (c.op === 'copy_') {
        h.copy_(o!);
        loss = h.tanh().sum();
      } else if (c.op === 'fill_') {
        h.fill_(c.other as number);
        loss = h.tanh().sum().add(x.mul(x).sum());
      } else {
        (h as unknown as Record<string, (t: Tensor) => Tensor>)[c.op]!(o!);
        loss = h.tanh().sum().add(z.mul(z).sum());
      }
      expect(h.gradFn!.name).toBe(c.op);
      loss.backward();
      // float32 chains of a few ops in a different order from torch: agree to a few ulps
      expectClose(x.grad!, c.gx.data, { rtol: 1e-5, atol: 1e-6 });
      if (c.gother !== undefined) expectClose(o!.grad!, c.gother.data, { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it('gradcheck through each in-place op on a non-leaf (float64)', () => {
    const x = (): Tensor => randomTensor([3, 4], 21, { dtype: 'float64' });
    const o = (): Tensor => randomTensor([4], 22, { dtype: 'float64', minAbs: 0.5, maxAbs: 2, positive: true });
    expectGradcheck((a, b) => a!.mul(1).add_(b!).mul(a!), [x(), o()]);
    expectGradcheck((a, b) => a!.mul(1).sub_(b!).tanh(), [x(), o()]);
    expectGradcheck((a, b) => a!.mul(1).mul_(b!).tanh(), [x(), o()]);
    expectGradcheck((a, b) => a!.mul(1).div_(b!).tanh(), [x(), o()]);
    expectGradcheck((a) => a!.mul(1).clamp_(-0.3, 0.4).tanh(), [x()]);
    expectGradcheck((a, b) => a!.mul(1).copy_(b!).mul(a!), [x(), o()]);
    expectGradcheck((a, b) => a!.mul(1).fill_(b!.sum()).mul(a!), [x(), o()]);
    expectGradcheck((a) => a!.mul(1).zero_().add(a!.exp()), [x()]);
  });

  it('a tensor that needs no grad becomes part of the graph when it copies one that does', () => {
    const w = tensor([1, 2], undefined, { requiresGrad: true });
    const buf = zeros([2]);
    buf.copy_(w);
    expect([buf.requiresGrad, buf.gradFn?.name]).toEqual([true, 'copy_']);
    buf
      .mul(tensor([3, 4]))
      .sum()
      .backward();
    expect(w.grad!.toArray()).toEqual([3, 4]);
  });
});

describe('saved tensors are checked against in-place writes', () => {
  const errorList = cases['versionErrors'] as { name: string; error: string }[];
  const errors = Object.fromEntries(errorList.map((e) => [e.name, e.error]));
  const torchTail = (msg: string): string => msg.slice(msg.indexOf(']]') + 2, msg.indexOf(' Hint:'));

  it("mul: a saved non-leaf written after the forward (torch's message)", () => {
    const w = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const a = w.mul(2);
    const b = a.mul(w);
    a.mul_(3);
    const tail = torchTail(errors['mul saved non-leaf']!); // ", which is output 0 of Mul, is at version 1; ..."
    expect(() => b.sum().backward()).toThrow(`modified by an inplace operation: [float32 [3]]${tail}`);
  });
  it("exp: its saved output written in place (torch's message)", () => {
    const a = tensor([1, 2, 3], undefined, { requiresGrad: true }).exp();
    a.add_(1);
    expect(() => a.sum().backward()).toThrow(`[float32 [3]]${torchTail(errors['exp saved output']!)}`);
  });
  it('each op that saves its input', () => {
    const ops: [string, (t: Tensor) => Tensor][] = [
      ['log', (t) => t.log()],
      ['abs', (t) => t.abs()],
      ['relu', (t) => t.relu()],
      ['gelu', (t) => t.gelu()],
      ['pow', (t) => t.pow(3)],
      ['pow tensor', (t) => t.pow(t.detach())],
      ['var', (t) => t.var()],
      ['max', (t) => t.max()],
      ['div', (t) => tensor([1, 1, 1]).div(t)],
      ['softplus', (t) => functional.softplus(t)],
      ['layerNorm', (t) => functional.layerNorm(t, [3])],
      ['leakyRelu', (t) => functional.leakyRelu(t)],
      ['silu', (t) => functional.silu(t)],
      ['elu', (t) => functional.elu(t)],
    ];
    for (const [name, f] of ops) {
      const x = tensor([1, 2, 3], undefined, { requiresGrad: true }).mul(1);
      const y = f(x);
      noGrad(() => x.add_(1));
      expect(() => y.sum().backward(), name).toThrow('is at version 1; expected version 0 instead.');
    }
  });
  it('each op that saves its output', () => {
    const ops: [string, (t: Tensor) => Tensor][] = [
      ['exp', (t) => t.exp()],
      ['sqrt', (t) => t.sqrt()],
      ['sigmoid', (t) => t.sigmoid()],
      ['tanh', (t) => t.tanh()],
      ['softmax', (t) => functional.softmax(t, 0)],
      ['logSoftmax', (t) => functional.logSoftmax(t, 0)],
    ];
    for (const [name, f] of ops) {
      const y = f(tensor([1, 2, 3], undefined, { requiresGrad: true }));
      y.mul_(1); // y is a non-leaf: the write is recorded, and its old value was saved
      expect(() => y.sum().backward(), name).toThrow(', is at version 1; expected version 0 instead.');
    }
  });
  it('where and maskedFill save their bool condition', () => {
    const cond = tensor([1, 0, 1], undefined, { dtype: 'bool' });
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const y = where(cond, x, 0);
    const z = x.maskedFill(cond, 0);
    cond.fill_(false);
    expect(() => y.sum().backward()).toThrow('[bool [3]] is at version 1; expected version 0 instead.');
    expect(() => z.sum().backward()).toThrow('[bool [3]] is at version 1; expected version 0 instead.');
  });
  it('binaryCrossEntropy saves its target', () => {
    const target = tensor([0, 1]);
    const loss = functional.binaryCrossEntropy(tensor([0.2, 0.7], undefined, { requiresGrad: true }), target);
    target.fill_(1);
    expect(() => loss.backward()).toThrow('[float32 [2]] is at version 1; expected version 0 instead.');
  });
  it('matmul: both operands', () => {
    const a = randomTensor([2, 3], 1);
    const b = randomTensor([3, 4], 2);
    const y = a.matmul(b);
    noGrad(() => b.mul_(2));
    expect(() => y.sum().backward()).toThrow('[float32 [3, 4]] is at version 1; expected version 0 instead.');
  });
  it('legitimate writes still work: after backward, on unsaved tensors, and inside noGrad on fresh ones', () => {
    const w = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const y = w.add(1).sum(); // add saves nothing
    noGrad(() => w.mul_(2));
    y.backward();
    expect(w.grad!.toArray()).toEqual([1, 1, 1]);
    w.grad = null;
    const z = w.mul(w).sum();
    z.backward(); // d/dw = 2w = [4, 8, 12]
    noGrad(() => w.sub_(w.grad!)); // the usual SGD step, after backward
    expect(w.toArray()).toEqual([-2, -4, -6]);
  });

  // torch: "... modified by an inplace operation: [torch.FloatTensor [4]] is at version 2; expected version 1"
  const layerCases: [string, () => nn.Module, number[], boolean][] = [
    ['Linear (input requires grad)', () => new nn.Linear(4, 3), [2, 4], true],
    ['Conv2d', () => new nn.Conv2d(2, 3, 3), [1, 2, 5, 5], false],
    ['LayerNorm', () => new nn.LayerNorm(4), [2, 4], false],
    ['BatchNorm1d', () => new nn.BatchNorm1d(4), [3, 4], false],
  ];
  for (const [name, make, shape, inputGrad] of layerCases) {
    it(`${name}: forward, opt.step(), backward throws`, () => {
      const m = make();
      const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
      const x = randomTensor(shape, 5, { requiresGrad: inputGrad });
      const y = m.forward(x);
      y.sum().backward(undefined, { retainGraph: true });
      opt.step();
      expect(() => y.backward(y.detach().mul(0).add(1))).toThrow('modified by an inplace operation');
    });
  }
  it('Linear whose input needs no grad does not save the weight (like torch): no error', () => {
    const m = new nn.Linear(4, 3);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const y = m.forward(randomTensor([2, 4], 5, { requiresGrad: false }));
    y.sum().backward(undefined, { retainGraph: true });
    opt.step();
    expect(() => y.sum().backward()).not.toThrow();
  });
  it('conv2d checks the weight even when x needs no grad, and names the op', () => {
    const w = randomTensor([3, 2, 3, 3], 8);
    const y = conv2d(randomTensor([1, 2, 5, 5], 9, { requiresGrad: false }), w);
    expect(y.gradFn!.name).toBe('conv2d');
    noGrad(() => w.zero_());
    expect(() => y.sum().backward()).toThrow('[float32 [3, 2, 3, 3]] is at version 1; expected version 0 instead.');
  });
  it('conv2d saves x too: writing x in place before backward throws, even when only the weight needs grad', () => {
    // torch's convolution saves input and weight whenever any of them needs a gradient
    const x = randomTensor([1, 2, 5, 5], 10, { requiresGrad: false });
    const y = conv2d(x, randomTensor([3, 2, 3, 3], 11));
    noGrad(() => x.mul_(2));
    expect(() => y.sum().backward()).toThrow('[float32 [1, 2, 5, 5]] is at version 1; expected version 0 instead.');
  });
  it('loadStateDict bumps the versions of what it writes', () => {
    const m = new nn.LayerNorm(3);
    const y = m.forward(randomTensor([2, 3], 4));
    m.loadStateDict(new nn.LayerNorm(3).stateDict());
    expect(m.weight!.version).toBe(1);
    expect(() => y.sum().backward()).toThrow('[float32 [3]] is at version 1; expected version 0 instead.');
  });
  it('Adam steps bump versions too', () => {
    const p = tensor([1, 2], undefined, { requiresGrad: true });
    const opt = new optim.Adam([p], { lr: 0.1 });
    p.mul(p).sum().backward();
    opt.step();
    opt.step();
    expect(p.version).toBe(2);
  });
});

describe('optimizers and views', () => {
  it('reject a non-contiguous parameter (its data is a copy, so updates would be lost)', () => {
    const p = zeros([3, 2]).transpose(0, 1).requiresGrad_();
    expect(() => new optim.SGD([p], { lr: 0.1 })).toThrow(
      'SGD: param group 0: params[0] must be contiguous (it is a strided view, strides [1, 2]); ' +
        'call contiguous() before requiresGrad_()',
    );
  });
});

describe('in-place ops on int32 and bool tensors (fixture)', () => {
  interface DtypeCase {
    name: string;
    out?: FixtureTensor;
    version?: number;
    error?: string;
    x?: FixtureTensor;
    gx?: FixtureTensor;
    gv?: FixtureTensor;
  }
  const dtypeCases = cases['dtypeInplace'] as DtypeCase[];
  const i32 = (): Tensor => tensor([1, -2, 3], undefined, { dtype: 'int32' });
  const bools = (): Tensor => tensor([1, 0, 1], undefined, { dtype: 'bool' });
  const arange6 = (dtype: 'float32' | 'int32'): Tensor => tensor([0, 1, 2, 3, 4, 5], [2, 3], { dtype });
  const run: Record<string, () => Tensor> = {
    'int32.add_(1.5)': () => i32().add_(1.5),
    'int32.add_(2)': () => i32().add_(2),
    'int32.mul_(int32)': () => i32().mul_(tensor([2, 3, -1], undefined, { dtype: 'int32' })),
    'int32.div_(2)': () => i32().div_(2),
    'int32.clamp_(0.5)': () => i32().clamp_(0.5),
    'int32.clamp_(0, 2)': () => i32().clamp_(0, 2),
    'bool.add_(1)': () => bools().add_(1),
    'bool.clamp_(0, 1)': () => bools().clamp_(0, 1),
    'int32.fill_(1.7)': () => i32().fill_(1.7),
    'int32.fill_(-1.7)': () => i32().fill_(-1.7),
    'bool.fill_(2)': () => bools().fill_(2),
    'bool.copy_(float)': () => bools().copy_(tensor([0.5, 0, NaN])),
    'int32.copy_(float)': () => i32().copy_(tensor([2.7, -2.7, 0.2])),
    'float.copy_(bool)': () => zeros([3]).copy_(bools()),
    'float.maskedFill_': () => arange6('float32').maskedFill_(tensor([1, 0, 1], undefined, { dtype: 'bool' }), -1.5),
    'int32.maskedFill_': () => arange6('int32').maskedFill_(tensor([[1], [0]], undefined, { dtype: 'bool' }), 7),
    'float.t().maskedFill_': () => {
      const x = arange6('float32');
      x.transpose(0, 1).maskedFill_(tensor([1, 0], undefined, { dtype: 'bool' }), 9);
      return x;
    },
  };
  // torch's dtype names in these messages -> typegrad's (int32 stands where torch has int64)
  const torchNames: Record<string, string> = {
    Float: 'float32',
    Int: 'int32',
    int: 'int32',
    Long: 'int32',
    Bool: 'bool',
    bool: 'bool',
  };
  for (const c of dtypeCases.filter((d) => d.name in run)) {
    it(c.name, () => {
      if (c.error !== undefined) {
        const ours = c.error.replace(/type (\w+)/g, (_, t: string) => `type ${torchNames[t] ?? t}`);
        expect(run[c.name]!).toThrow(ours);
        return;
      }
      const y = run[c.name]!();
      expect(Array.from(y.data)).toEqual(Array.from(c.out!.data));
      expect(y.version).toBe(c.version);
    });
  }

  it('maskedFill_ on a non-leaf: gradients of self and of a 0-d value tensor', () => {
    const c = dtypeCases.find((d) => d.name === 'maskedFill_ grads')!;
    const x = fromFixture(c.x!, true);
    const v = tensor(0.5, undefined, { requiresGrad: true });
    const h = x.mul(2);
    h.maskedFill_(tensor([1, 0, 1], undefined, { dtype: 'bool' }), v);
    h.mul(h).sum().backward();
    expectClose(x.grad!, c.gx!.data, { rtol: 1e-6, atol: 0 });
    expectClose(v.grad!, c.gv!.data, { rtol: 1e-6, atol: 0 });
  });

  it('maskedFill_ saves its mask: writing the mask before backward throws', () => {
    const mask = tensor([1, 0], undefined, { dtype: 'bool' });
    const h = tensor([1, 2], undefined, { requiresGrad: true }).mul(1);
    h.maskedFill_(mask, 0);
    mask.fill_(false);
    expect(() => h.sum().backward()).toThrow('[bool [2]] is at version 1; expected version 0 instead.');
  });
});

describe("in-place writes through views of non-leaves (torch's CopySlices; fixture)", () => {
  type ViewCase = { name: string; gx?: FixtureTensor; go?: FixtureTensor };
  const vi = cases['viewInplace'] as { x: FixtureTensor; o: FixtureTensor; cases: ViewCase[] };
  const byName = Object.fromEntries(vi.cases.map((c) => [c.name, c]));
  const x = (): Tensor => fromFixture(vi.x, true);
  const o = (): Tensor => fromFixture(vi.o, true);
  // float32 chains of a few ops in a different order from torch: agree to a few ulps
  const tol = { rtol: 1e-5, atol: 1e-6 };

  it("select(...).mul_(other): gradients of the base's input and of other", () => {
    const [xs, os] = [x(), o()];
    const h = xs.mul(1.5);
    h.select(0, 1).mul_(os);
    expect(h.gradFn!.name).toBe('copySlices(mul_)');
    h.tanh().sum().backward();
    expectClose(xs.grad!, byName['select.mul_']!.gx!.data, tol);
    expectClose(os.grad!, byName['select.mul_']!.go!.data, tol);
  });
  it('a view made before the write is regenerated: its gradient goes through the write', () => {
    const xs = x();
    const h = xs.mul(1.5);
    const a = h.slice(1, 1, 3);
    h.select(0, 0).mul_(2);
    a.mul(a).sum().add(h.tanh().sum()).backward();
    expect(a.gradFn!.name).toBe('asStrided');
    expectClose(xs.grad!, byName['stale view']!.gx!.data, tol);
  });
  it('clamp_ through a transposed view', () => {
    const xs = x();
    const h = xs.mul(1.5);
    h.transpose(0, 1).clamp_(-0.5, 0.5);
    h.tanh().sum().backward();
    expectClose(xs.grad!, byName['t.clamp_']!.gx!.data, tol);
  });
  it('copying a parameter into a row of a buffer makes the buffer part of the graph', () => {
    const w = o();
    const buf = zeros([3, 4]);
    buf.select(0, 1).copy_(w);
    expect([buf.requiresGrad, buf.isLeaf]).toEqual([true, false]);
    buf.mul(buf).sum().backward();
    expectClose(w.grad!, byName['buffer.select.copy_']!.go!.data, tol);
  });
  it('two in-place ops in a row on a strided slice', () => {
    const [xs, os] = [x(), o()];
    const h = xs.mul(1.5);
    h.slice(1, null, null, 2)
      .add_(os.slice(0, 0, 2))
      .div_(os.slice(0, 2));
    h.mul(h).sum().backward();
    expectClose(xs.grad!, byName['slice.add_.div_']!.gx!.data, tol);
    expectClose(os.grad!, byName['slice.add_.div_']!.go!.data, tol);
  });
  it('gradcheck through writes into views (float64)', () => {
    const a = (): Tensor => randomTensor([3, 4], 31, { dtype: 'float64' });
    const b = (): Tensor => randomTensor([4], 32, { dtype: 'float64', minAbs: 0.5, maxAbs: 2, positive: true });
    expectGradcheck(
      (p, q) => {
        const h = p!.mul(1);
        h.select(0, 2).mul_(q!);
        h.narrow(1, 1, 2)
          .transpose(0, 1)
          .div_(q!.slice(0, 0, 2).unsqueeze(1));
        return h.tanh();
      },
      [a(), b()],
    );
    expectGradcheck(
      (p, q) => {
        const h = p!.mul(1);
        const stale = h.select(1, 0);
        h.slice(0, 1).copy_(q!.expand([2, 4]));
        return stale.unsqueeze(1).mul(h);
      },
      [a(), b()],
    );
  });
});

describe('every in-place op bumps the version a saved tensor is checked against', () => {
  const bool = (v: number[]): Tensor => tensor(v, undefined, { dtype: 'bool' });
  const writes: [string, (t: Tensor) => unknown][] = [
    ['add_', (t) => t.add_(1)],
    ['sub_', (t) => t.sub_(tensor([1, 2]))],
    ['mul_', (t) => t.mul_(2)],
    ['div_', (t) => t.div_(2)],
    ['zero_', (t) => t.zero_()],
    ['fill_', (t) => t.fill_(3)],
    ['copy_', (t) => t.copy_(tensor([5, 6]))],
    ['clamp_', (t) => t.clamp_(0, 1)],
    ['maskedFill_', (t) => t.maskedFill_(bool([1, 0]), 0)],
  ];
  for (const [name, write] of writes) {
    it(name, () => {
      const w = tensor([1, 2], undefined, { requiresGrad: true });
      const x = tensor([3, 4]);
      const y = w.mul(x); // saves x for w's gradient
      write(x);
      expect(x.version).toBe(1);
      expect(() => y.sum().backward(), name).toThrow('[float32 [2]] is at version 1; expected version 0 instead.');
    });
  }
});
