/**
 * Module bookkeeping (src/layers/module.ts, parameter.ts, container.ts): auto-registration of
 * Module and Parameter fields (class fields included) in assignment order, tied weights, the
 * module-tree walks, ModuleList / ModuleDict / Identity, `call`, and the key lists against torch
 * (test/fixtures/module_tree.py).
 */
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, ones, optim, tensor, type Tensor, zeros } from '../../src/index.js';
import { loadFixture } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';

class MLP extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  act = new nn.ReLU();
  scale = nn.Parameter(ones([8]));
  fc2 = new nn.Linear(8, 2);
  forward(x: Tensor): Tensor {
    return this.fc2.call(this.act.call(this.fc1.call(x)).mul(this.scale));
  }
}

class Tied extends nn.Module {
  wte = new nn.Linear(4, 10, { bias: false });
  blocks = new nn.ModuleList([new nn.Linear(4, 4), new nn.Identity(), new nn.Linear(4, 4)]);
  heads = new nn.ModuleDict({ cls: new nn.Linear(4, 3), box: new nn.Linear(4, 2) });
  lmHead = new nn.Linear(4, 10, { bias: false });
  constructor() {
    super();
    this.registerModule('lm_head', 'lmHead'); // renames the auto-registered 'lmHead' in place
    this.wte.weight = this.lmHead.weight;
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const block of this.blocks) h = block.call(h);
    return this.lmHead.call(h);
  }
}

class Shared extends nn.Module {
  a = new nn.Linear(2, 2);
  b = new nn.Sequential(this.a, new nn.ReLU());
  forward(x: Tensor): Tensor {
    return this.b.call(x);
  }
}

interface Tree {
  named_parameters: string[];
  num_parameters: number;
  state_dict: string[];
  named_modules: string[];
  named_children: string[];
  apply_order: string[];
}

function tree(m: nn.Module): Tree {
  const order: string[] = [];
  m.apply((mod) => order.push(mod.constructor.name));
  return {
    named_parameters: m.namedParameters().map(([n]) => n),
    num_parameters: m.parameters().length,
    state_dict: Object.keys(m.stateDict()),
    named_modules: m.namedModules().map(([n]) => n),
    named_children: m.namedChildren().map(([n]) => n),
    apply_order: order,
  };
}

describe('Module auto-registration', () => {
  const torchTrees = loadFixture('module_tree') as Record<string, Tree>;

  it.each([
    ['mlp', () => new MLP()],
    ['tied', () => new Tied()],
    ['shared', () => new Shared()],
  ] as const)('%s: the same names, counts and walk orders as torch', (name, make) => {
    expect(tree(make())).toEqual(torchTrees[name]);
  });

  it('registers class fields: parameters, state dict, print and eval all see them', () => {
    const m = new MLP();
    expect(m.parameters().length).toBe(5);
    expect(m.children().map((c) => c.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear']);
    expect(String(m)).toBe(
      'MLP(\n  (fc1): Linear(inFeatures=4, outFeatures=8, bias=true)\n  (act): ReLU()\n' +
        '  (fc2): Linear(inFeatures=8, outFeatures=2, bias=true)\n)',
    );
    m.eval();
    expect(m.modules().every((c) => !c.training)).toBe(true);
    m.train();
    expect(m.fc1.training).toBe(true);
  });

  it('registers fields assigned in the constructor and later, in assignment order', () => {
    class Late extends nn.Module {
      first: nn.Linear;
      second: nn.Module | null = null;
      constructor() {
        super();
        this.first = new nn.Linear(1, 1);
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Late();
    expect(m.namedChildren().map(([n]) => n)).toEqual(['first']);
    m.second = new nn.Tanh();
    expect(m.namedChildren().map(([n]) => n)).toEqual(['first', 'second']);
    m.second = null; // like torch, a None child is kept as a name but skipped
    expect(m.children().length).toBe(1);
  });

  it('does not register plain tensors, numbers or arrays', () => {
    class Plain extends nn.Module {
      w = zeros([2], { requiresGrad: true });
      k = 3;
      list = [new nn.Linear(1, 1)];
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Plain();
    expect(m.parameters()).toEqual([]);
    expect(m.children()).toEqual([]);
  });

  it('reassigning a registered parameter field is seen (tying), without duplicates', () => {
    const m = new Tied();
    expect(m.wte.weight).toBe(m.lmHead.weight);
    const params = m.parameters();
    expect(new Set(params).size).toBe(params.length);
    const sd = m.stateDict();
    expect(sd['wte.weight']!.data).toBe(sd['lm_head.weight']!.data); // both keys, one storage
    expect(() => new optim.AdamW(m.parameters())).not.toThrow();
  });

  it('a tied model trains: AdamW steps and the two uses share one tensor', () => {
    manualSeed(3);
    const m = new Tied();
    const opt = new optim.AdamW(m.parameters(), { lr: 0.1 });
    const x = tensor([[1, -1, 0.5, 2]]);
    const before = Array.from(m.wte.weight.data);
    m.call(x).sum().backward();
    opt.step();
    expect(Array.from(m.wte.weight.data)).not.toEqual(before);
    expect(m.wte.weight).toBe(m.lmHead.weight);
  });

  it('a field can change kind: a buffer registered explicitly, then renamed', () => {
    class Buf extends nn.Module {
      runningMean = zeros([3]);
      constructor() {
        super();
        this.registerBuffer('running_mean', 'runningMean');
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Buf();
    expect(Object.keys(m.stateDict())).toEqual(['running_mean']);
    expect(m.parameters()).toEqual([]);
  });
});

describe('nn.Parameter', () => {
  it('shares storage with its data, requires grad, is a leaf, and is recognised by instanceof', () => {
    const t = tensor([1, 2, 3]);
    const p = nn.Parameter(t);
    expect(p.data).toBe(t.data);
    expect(p).not.toBe(t);
    expect(t.requiresGrad).toBe(false); // the input is not changed
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(p instanceof nn.Parameter).toBe(true);
    expect(t instanceof nn.Parameter).toBe(false);
    expect(p.mul(2) instanceof nn.Parameter).toBe(false); // ops give plain tensors, as in torch
    expect(new nn.Parameter(t, false).requiresGrad).toBe(false);
    expect(new nn.Linear(2, 2).weight instanceof nn.Parameter).toBe(true);
    expect(new nn.BatchNorm1d(2).weight instanceof nn.Parameter).toBe(true); // registered explicitly
    expect(new nn.BatchNorm1d(2).runningMean instanceof nn.Parameter).toBe(false); // a buffer
  });

  it('rejects what is not a Tensor', () => {
    expect(() => nn.Parameter([1, 2] as unknown as Tensor)).toThrow(
      'Parameter: data must be a Tensor, got [1, 2] (array)',
    );
    expect(() => nn.Parameter(zeros([1]), 1 as unknown as boolean)).toThrow(
      'Parameter: requiresGrad must be true or false, got 1',
    );
    const ints = tensor(new Int32Array([1, 2]));
    expect(() => nn.Parameter(ints)).toThrow(
      "Parameter: only tensors of floating dtype can require gradients, got dtype 'int32'",
    );
    expect(nn.Parameter(ints, false).dtype).toBe('int32'); // a frozen integer parameter is allowed, as in torch
  });
});

describe('module walks', () => {
  it('namedModules lists a shared module once; stateDict keeps every path', () => {
    const m = new Shared();
    expect(m.namedModules().map(([n]) => n)).toEqual(['', 'a', 'b', 'b.1']);
    expect(m.namedModules('', false).map(([n]) => n)).toEqual(['', 'a', 'b', 'b.0', 'b.1']);
    expect(Object.keys(m.stateDict())).toEqual(['a.weight', 'a.bias', 'b.0.weight', 'b.0.bias']);
  });

  it('apply visits children first, then the module; returns this', () => {
    const m = new MLP();
    const seen: nn.Module[] = [];
    expect(m.apply((x) => seen.push(x))).toBe(m);
    expect(seen).toEqual([m.fc1, m.act, m.fc2, m]);
  });

  it('requiresGrad_ freezes and unfreezes every parameter', () => {
    const m = new MLP();
    m.fc1.requiresGrad_(false);
    expect(m.parameters().map((p) => p.requiresGrad)).toEqual([true, false, false, true, true]);
    m.requiresGrad_();
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(() => m.requiresGrad_('no' as unknown as boolean)).toThrow(
      'requiresGrad_: requiresGrad must be true or false, got "no" (string)',
    );
  });

  it('call runs forward', () => {
    const m = new MLP().eval();
    const x = tensor([[1, 2, 3, 4]]);
    expectClose(m.call(x), m.forward(x), { rtol: 0, atol: 0 }); // the same ops on the same values
  });
});

describe('ModuleList', () => {
  it('keys 0, 1, ...; indexable, iterable, appendable', () => {
    const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.ReLU()]);
    expect(list.length).toBe(2);
    expect(list.at(-1)).toBeInstanceOf(nn.ReLU);
    list.append(new nn.Linear(2, 3)).extend([new nn.Tanh()]);
    expect([...list].map((m) => m.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear', 'Tanh']);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(String(new nn.ModuleList([new nn.ReLU()]))).toBe('ModuleList(\n  (0): ReLU()\n)');
  });

  it('has no forward, and rejects non-modules and bad indices', () => {
    const list = new nn.ModuleList();
    expect(() => list.forward()).toThrow('ModuleList: has no forward');
    expect(() => list.append({} as nn.Module)).toThrow(
      'ModuleList: every element must be a Module, got an object at index 0',
    );
    expect(() => list.at(0)).toThrow('ModuleList: index must be an integer in [0, -1], got 0');
  });
});

describe('ModuleDict', () => {
  it('keeps insertion order; set replaces in place; keys may be method names', () => {
    const d = new nn.ModuleDict<nn.Module>({ train: new nn.Linear(2, 2), b: new nn.ReLU() });
    d.set('c', new nn.Linear(2, 1));
    d.set('train', new nn.Linear(2, 3));
    expect(d.keys()).toEqual(['train', 'b', 'c']);
    expect(d.length).toBe(3);
    expect(d.get('train')).toBeInstanceOf(nn.Linear);
    expect(Object.keys(d.stateDict())).toEqual(['train.weight', 'train.bias', 'c.weight', 'c.bias']);
    expect(d.train(false)).toBe(d); // the method still works
    expect(d.values().every((m) => !m.training)).toBe(true);
    expect(d.delete('b')).toBeInstanceOf(nn.ReLU);
    expect(d.has('b')).toBe(false);
  });

  it('rejects bad keys, missing keys and non-modules', () => {
    const d = new nn.ModuleDict({ a: new nn.ReLU() });
    expect(() => d.get('x')).toThrow('ModuleDict: no module under key "x"; keys: "a"');
    expect(() => d.set('a.b', new nn.ReLU())).toThrow(
      'ModuleDict: key must be a non-empty string without ".", got "a.b"',
    );
    expect(() => d.set('z', 3 as unknown as nn.Module)).toThrow(
      'ModuleDict: the value under "z" must be a Module, got 3',
    );
    expect(() => d.forward()).toThrow('ModuleDict: has no forward');
  });
});

describe('Identity', () => {
  it('returns its input and ignores constructor arguments', () => {
    const x = tensor([1, 2]);
    expect(new nn.Identity(54, { unused: true }).forward(x)).toBe(x);
    expect(new nn.Identity().parameters()).toEqual([]);
  });
});
