/**
 * Hardening sweep, part 1: bad input to files, state dicts and optimizer state. Each table row is
 * one finding; the next sweep appends rows. Every rejection must be an Error (never a TypeError or
 * RangeError from deep inside) whose message names the function, and a rejected load must change
 * nothing: the state before and after is compared bit for bit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Module, Tensor, loadSafetensors, nn, optim, readSafetensors, saveSafetensors } from '../../src/index.js';
import { tensor } from '../../src/index.js';
import { loadSafetensorsFile, saveSafetensorsFile } from '../../src/io/node.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A safetensors file: the 8-byte little-endian header length, the header bytes as given, the data. */
function file(header: string | Uint8Array, data: ArrayLike<number> = []): Uint8Array {
  const json = typeof header === 'string' ? utf8(header) : header;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

const ENTRY = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
const ONE = [0, 0, 0x80, 0x3f]; // 1.0f, little-endian

/** Runs `fn` and returns the Error it throws, failing the test if it throws nothing or a non-Error subclass. */
function plainError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    // A TypeError or RangeError here would be a crash inside, not a check at the boundary.
    expect((e as Error).constructor).toBe(Error);
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('safetensors reader: malformed headers are clean, short errors', () => {
  const deep = (n: number): string => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'a UTF-8 byte-order mark before the JSON',
      file(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(`{"a":${ENTRY}}`)]), ONE),
      /^loadSafetensors: the header starts with a UTF-8 byte-order mark/,
    ],
    [
      'a tensor name twice (JSON.parse would keep the last)',
      file(`{"a":${ENTRY},"a":${ENTRY}}`, ONE),
      /^loadSafetensors: the header has the key "a" twice in one object$/,
    ],
    ['the same name, once spelled with an escape', file(`{"a":${ENTRY},"\\u0061":${ENTRY}}`, ONE), /key "a" twice/],
    [
      'a field twice in one tensor entry',
      file('{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}', ONE),
      /key "shape" twice/,
    ],
    ['a metadata key twice', file(`{"__metadata__":{"k":"1","k":"2"},"a":${ENTRY}}`, ONE), /key "k" twice/],
    [
      'an array nested 100000 deep as a tensor entry',
      file(deep(100_000)),
      /^loadSafetensors: tensor "a": expected an object \{dtype, shape, data_offsets\}, got \[array\] \(array\)$/,
    ],
    [
      'a shape nested 100000 deep',
      file(`{"a":{"dtype":"F32","shape":${'['.repeat(1e5)}${']'.repeat(1e5)},"data_offsets":[0,0]}}`),
      /shape must be an array of non-negative integers, got \[array\] \(array\)$/,
    ],
    [
      'a long name with a bad entry: the name is cut',
      file(`{"${'n'.repeat(10_000)}":3}`),
      /tensor "n{80}\.\.\.": expected an object/,
    ],
    [
      'a huge dtype string',
      file(`{"a":{"dtype":"${'F'.repeat(10_000)}","shape":[1],"data_offsets":[0,4]}}`, ONE),
      /unknown dtype "F{80}\.\.\."; expected one of/,
    ],
    [
      '__metadata__ as an array',
      file(`{"__metadata__":["x"],"a":${ENTRY}}`, ONE),
      /__metadata__ must be a plain object of string -> string, got \["x"\] \(array\)/,
    ],
    [
      'a metadata value that is an object',
      file(`{"__metadata__":{"k":{"x":1}}}`),
      /__metadata__ values must be strings; "k" is an object/,
    ],
    [
      'a shape too large to exist',
      file('{"a":{"dtype":"F32","shape":[9007199254740991,9007199254740991],"data_offsets":[0,4]}}', ONE),
      /tensor "a": data_offsets \[0, 4\] span 4 bytes, expected/,
    ],
  ];
  it.each(cases)('%s', (_, bytes, message) => {
    const e = plainError(() => readSafetensors(bytes));
    expect(e.message).toMatch(message);
    expect(e.message.length).toBeLessThan(400);
  });

  it('accepts what the reference accepts: "__metadata__": null, leading whitespace', () => {
    expect(Object.keys(readSafetensors(file(`{"__metadata__":null,"a":${ENTRY}}`, ONE)).metadata)).toEqual([]);
    expect(loadSafetensors(file(` \n{"a":${ENTRY}}`, ONE))['a']!.item()).toBe(1);
  });
});

describe('names that are special on Object.prototype are ordinary keys', () => {
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];

  it.each(names)('a tensor named %j in a file loads as an own entry of a prototype-free record', (name) => {
    const { tensors, metadata } = readSafetensors(file(`{${JSON.stringify(name)}:${ENTRY}}`, ONE));
    expect(Object.getPrototypeOf(tensors)).toBe(null);
    expect(Object.getPrototypeOf(metadata)).toBe(null);
    expect(Object.keys(tensors)).toEqual([name]);
    expect(tensors[name]).toBeInstanceOf(Tensor);
    expect(tensors[name]!.item()).toBe(1);
  });

  it.each(names)('an own key %j round-trips through saveSafetensors, as a tensor name and a metadata key', (name) => {
    const sd: Record<string, Tensor> = Object.create(null);
    sd[name] = tensor([1.5, -2]);
    sd['w'] = tensor([3]);
    const meta: Record<string, string> = JSON.parse(`{${JSON.stringify(name)}:"v","format":"pt"}`);
    const { tensors, metadata } = readSafetensors(saveSafetensors(sd, meta));
    expect(Object.keys(tensors).sort()).toEqual([name, 'w'].sort());
    expect(Array.from(tensors[name]!.data)).toEqual([1.5, -2]);
    expect(Object.hasOwn(metadata, name) && metadata[name]).toBe('v');
    expect(metadata['format']).toBe('pt');
  });

  it('a JSON-made state dict with an own "__proto__" key round-trips', () => {
    const sd = JSON.parse('{"__proto__": 0, "w": 0}') as Record<string, unknown>;
    sd['__proto__'] = tensor([7]); // assignment on an own data property keeps it own
    sd['w'] = tensor([8]);
    expect(Object.keys(sd)).toEqual(['__proto__', 'w']);
    const back = loadSafetensors(saveSafetensors(sd as Record<string, Tensor>));
    expect(back['__proto__']!.item()).toBe(7);
    expect(back['w']!.item()).toBe(8);
  });

  it('Module.stateDict() and Optimizer.stateDict().state are prototype-free', () => {
    const m = new nn.Linear(2, 1);
    expect(Object.getPrototypeOf(m.stateDict())).toBe(null);
    const opt = new optim.Adam(m.parameters());
    m.weight.grad = tensor([[1, 1]]);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.getPrototypeOf(sd.state)).toBe(null);
    expect(Object.getPrototypeOf(sd.state[0])).toBe(null);
  });

  it('a module key "constructor" is missing from {} (not inherited), and loads from an own entry', () => {
    class Odd extends Module {
      ['constructor_'] = tensor([1, 2]);
      constructor() {
        super();
        this.registerParameter('constructor', 'constructor_');
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Odd();
    expect(m.loadStateDict({}, { strict: false })).toEqual({ missingKeys: ['constructor'], unexpectedKeys: [] });
    expect(() => m.loadStateDict({})).toThrow(/missing keys: "constructor"/);
    m.loadStateDict(JSON.parse('{"constructor": 0}', (k, v) => (k === 'constructor' ? tensor([5, 6]) : v)));
    expect(Array.from(m['constructor_'].data)).toEqual([5, 6]);
  });
});

/** Every element of every tensor of a state dict, keyed by name: for "nothing changed" checks. */
function snapshot(sd: Record<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, Array.from(t.data)]));
}

describe('Module.loadStateDict: bad state dicts are errors and load nothing', () => {
  const make = (): nn.Sequential => new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
  /** A valid state dict for `make()` with every value different from a fresh module's. */
  const valid = (): Record<string, Tensor> => {
    const sd = make().stateDict();
    for (const t of Object.values(sd)) t.data.fill(2);
    return { ...sd };
  };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'an undefined value (was: silently kept the old value)',
      () => ({ ...valid(), '0.bias': undefined }),
      /while copying the parameter named "0.bias": expected a Tensor, got undefined/,
    ],
    [
      'a null value',
      () => ({ ...valid(), '1.running_var': null }),
      /named "1.running_var": expected a Tensor, got null/,
    ],
    ['a number', () => ({ ...valid(), '0.weight': 3 }), /named "0.weight": expected a Tensor, got 3$/],
    [
      'an array of numbers',
      () => ({ ...valid(), '0.bias': [1, 2, 3] }),
      /named "0.bias": expected a Tensor, got \[1, 2, 3\] \(array\)/,
    ],
    [
      'a Map (was: every key missing)',
      () => new Map(Object.entries(valid())),
      /^loadStateDict: expected a plain object of name -> Tensor, got a Map$/,
    ],
    [
      'an array',
      () => Object.values(valid()),
      /^loadStateDict: expected a plain object of name -> Tensor, got \[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor\] \(array\)$/,
    ],
    ['null', () => null, /^loadStateDict: expected a plain object of name -> Tensor, got null$/],
    [
      'a class instance',
      () => tensor([1]),
      /^loadStateDict: expected a plain object of name -> Tensor, got a Tensor of shape \[1\]$/,
    ],
    [
      'a fractional num_batches_tracked (was: the module could not be saved)',
      () => ({ ...valid(), '1.num_batches_tracked': tensor(1.5) }),
      /"1.num_batches_tracked": num_batches_tracked must be a non-negative integer \(a batch count\), got 1.5/,
    ],
    [
      'a negative num_batches_tracked',
      () => ({ ...valid(), '1.num_batches_tracked': tensor(-3) }),
      /a batch count\), got -3/,
    ],
    [
      'a NaN num_batches_tracked',
      () => ({ ...valid(), '1.num_batches_tracked': tensor(NaN) }),
      /a batch count\), got NaN/,
    ],
    [
      'a shape mismatch',
      () => ({ ...valid(), '0.bias': tensor([1, 2]) }),
      /size mismatch for 0.bias: copying a param with shape \[2\]/,
    ],
  ];
  it.each(cases)('%s', (_, sd, message) => {
    const m = make();
    const before = snapshot(m.stateDict());
    const e = plainError(() => m.loadStateDict(sd() as Record<string, Tensor>, { strict: false }));
    expect(e.message).toMatch(message);
    expect(snapshot(m.stateDict())).toEqual(before);
  });

  it('the valid state dict the rows start from does load (so each row fails for its own reason)', () => {
    const m = make();
    expect(m.loadStateDict(valid())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(
      Object.values(snapshot(m.stateDict()))
        .flat()
        .every((v) => v === 2),
    ).toBe(true);
    m.loadStateDict(loadSafetensors(saveSafetensors(m.stateDict()))); // and saves again
  });
});

describe('Optimizer.loadStateDict: every field is checked, and a failed load changes nothing', () => {
  type Mutate = (sd: Record<string, any>) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  const leaf = (v: number[] | number[][]): Tensor => tensor(v, undefined, { requiresGrad: true });
  const params = (): Tensor[] => [
    leaf([
      [1, 2],
      [3, 4],
    ]),
    leaf([0.5, -0.5]),
  ];
  const makers = {
    SGD: (p: Tensor[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }),
    Adam: (p: Tensor[]) => new optim.Adam(p, { lr: 0.01, amsgrad: true }),
  };
  /** An optimizer that has stepped twice, so every state field exists. */
  function stepped(kind: keyof typeof makers): { opt: optim.Optimizer<object>; p: Tensor[] } {
    const p = params();
    const opt = makers[kind](p) as optim.Optimizer<object>;
    for (let t = 0; t < 2; t++) {
      p.forEach(
        (x, k) =>
          (x.grad = tensor(
            Array.from(x.data, (_, i) => Math.sin(t + k + i)),
            [...x.shape],
          )),
      );
      opt.step();
    }
    return { opt, p };
  }
  const cases: [keyof typeof makers, string, Mutate, RegExp][] = [
    [
      'SGD',
      'a Map',
      (sd) => new Map(Object.entries(sd)),
      /^SGD.loadStateDict: expected a plain object \{state, param_groups\}, got a Map$/,
    ],
    [
      'SGD',
      'state as a Map',
      (sd) => ({ ...sd, state: new Map() }),
      /state must be a plain object of index -> state, got a Map/,
    ],
    [
      'SGD',
      'param_groups not an array',
      (sd) => ({ ...sd, param_groups: {} }),
      /param_groups must be an array, got an object/,
    ],
    [
      'SGD',
      'a group that is a Map',
      (sd) => ({ ...sd, param_groups: [new Map()] }),
      /param group 0: expected a plain object/,
    ],
    [
      'SGD',
      'momentum_buffer of the wrong shape',
      (sd) => ((sd.state[1].momentum_buffer = tensor([1, 2, 3])), sd),
      /state\[1\].momentum_buffer has shape \[3\], expected the parameter's shape \[2\]/,
    ],
    [
      'SGD',
      'momentum_buffer a number',
      (sd) => ((sd.state[0].momentum_buffer = 0), sd),
      /state\[0\].momentum_buffer must be a Tensor, got 0$/,
    ],
    [
      'SGD',
      'momentum_buffer undefined',
      (sd) => ((sd.state[0].momentum_buffer = undefined), sd),
      /must be a Tensor, got undefined/,
    ],
    [
      'SGD',
      'an unknown state field',
      (sd) => ((sd.state[0].step = 3), sd),
      /state\[0\]: unknown field "step"; SGD keeps momentum_buffer/,
    ],
    [
      'SGD',
      'a state entry for no parameter',
      (sd) => ((sd.state[2] = sd.state[0]), sd),
      /state has an entry for parameter "2", which no parameter group lists/,
    ],
    [
      'SGD',
      'a state key that only looks like an index',
      (sd) => ((sd.state['01'] = sd.state[0]), sd),
      /parameter "01"/,
    ],
    [
      'SGD',
      'a parameter index twice',
      (sd) => ((sd.param_groups[0].params = [0, 0]), sd),
      /parameter index 0 appears more than once/,
    ],
    [
      'SGD',
      'a fractional parameter index',
      (sd) => ((sd.param_groups[0].params = [0, 0.5]), sd),
      /params\[1\] must be a parameter index \(an integer >= 0\), got 0.5$/,
    ],
    [
      'SGD',
      'lr -1',
      (sd) => ((sd.param_groups[0].lr = -1), sd),
      /param group 0: lr must be a finite number >= 0, got -1/,
    ],
    ['SGD', 'lr NaN', (sd) => ((sd.param_groups[0].lr = NaN), sd), /lr must be a finite number >= 0, got NaN/],
    [
      'SGD',
      'nesterov with dampening',
      (sd) => (Object.assign(sd.param_groups[0], { nesterov: true, dampening: 0.5 }), sd),
      /nesterov requires momentum > 0 and dampening = 0/,
    ],
    [
      'SGD',
      'an own "__proto__" option (JSON-made)',
      (sd) => ({ ...sd, param_groups: [{ ...JSON.parse('{"__proto__":{"x":1}}'), ...sd.param_groups[0] }] }),
      /param group 0: unknown option "__proto__"/,
    ],
    [
      'Adam',
      'no exp_avg_sq (was: a TypeError at the next step)',
      (sd) => (delete sd.state[0].exp_avg_sq, sd),
      /^Adam.loadStateDict: state\[0\]: missing exp_avg_sq; a Adam state needs step, exp_avg, exp_avg_sq together$/,
    ],
    ['Adam', 'no step', (sd) => (delete sd.state[1].step, sd), /state\[1\]: missing step/],
    [
      'Adam',
      'step -5 (was: NaN parameters)',
      (sd) => ((sd.state[0].step = -5), sd),
      /state\[0\].step must be a step count \(an integer >= 0\), got -5$/,
    ],
    ['Adam', 'a fractional step', (sd) => ((sd.state[0].step = 1.5), sd), /step must be a step count .*got 1.5$/],
    ['Adam', 'a NaN step', (sd) => ((sd.state[0].step = NaN), sd), /step count .*got NaN$/],
    [
      'Adam',
      'a step tensor holding 2.5',
      (sd) => ((sd.state[0].step = tensor(2.5)), sd),
      /got a tensor of shape \[\] holding 2.5/,
    ],
    [
      'Adam',
      'a step tensor of two elements',
      (sd) => ((sd.state[0].step = tensor([1, 2])), sd),
      /got a tensor of shape \[2\]$/,
    ],
    ['Adam', 'a step string', (sd) => ((sd.state[0].step = '2'), sd), /got "2" \(string\)/],
    [
      'Adam',
      'exp_avg of the wrong shape',
      (sd) => ((sd.state[0].exp_avg = tensor([1, 2, 3, 4])), sd),
      /state\[0\].exp_avg has shape \[4\], expected the parameter's shape \[2, 2\]/,
    ],
    [
      'Adam',
      'exp_avg_sq of the wrong shape',
      (sd) => ((sd.state[1].exp_avg_sq = tensor([[1, 2]])), sd),
      /exp_avg_sq has shape \[1, 2\]/,
    ],
    [
      'Adam',
      'a negative exp_avg_sq',
      (sd) => ((sd.state[1].exp_avg_sq.data[1] = -1), sd),
      /state\[1\].exp_avg_sq must have no negative element \(a second moment\), got -1 at index 1/,
    ],
    [
      'Adam',
      'a negative max_exp_avg_sq',
      (sd) => ((sd.state[0].max_exp_avg_sq.data[3] = -0.5), sd),
      /max_exp_avg_sq must have no negative/,
    ],
    [
      'Adam',
      'betas [0.9, 1]',
      (sd) => ((sd.param_groups[0].betas = [0.9, 1]), sd),
      /param group 0: betas\[1\] must be in \[0, 1\), got 1/,
    ],
    ['Adam', 'eps -1', (sd) => ((sd.param_groups[0].eps = -1), sd), /eps must be a finite number >= 0, got -1/],
    [
      'Adam',
      'amsgrad "yes"',
      (sd) => ((sd.param_groups[0].amsgrad = 'yes'), sd),
      /amsgrad must be true or false, got "yes" \(string\)/,
    ],
    [
      'Adam',
      'a torch option name',
      (sd) => ((sd.param_groups[0].weight_decay = 0), sd),
      /unknown option "weight_decay"/,
    ],
  ];
  it.each(cases)('%s: %s', (kind, _, mutate, message) => {
    const { opt, p } = stepped(kind);
    const before = JSON.stringify(opt.stateDict(), (_k, v) => (v instanceof Tensor ? Array.from(v.data) : v));
    const sd = mutate(opt.stateDict() as unknown as Record<string, unknown>);
    const e = plainError(() => opt.loadStateDict(sd as never));
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`${kind}.loadStateDict: `)).toBe(true);
    expect(JSON.stringify(opt.stateDict(), (_k, v) => (v instanceof Tensor ? Array.from(v.data) : v))).toBe(before);
    // The optimizer still steps to finite values after the refused load.
    p.forEach(
      (x) =>
        (x.grad = tensor(
          Array.from(x.data, () => 0.1),
          [...x.shape],
        )),
    );
    opt.step();
    expect(p.every((x) => x.data.every(Number.isFinite))).toBe(true);
  });

  it.each(['SGD', 'Adam'] as const)('%s: the unmutated state dict loads (each row fails for its own reason)', (k) => {
    const { opt } = stepped(k);
    opt.loadStateDict(opt.stateDict());
  });

  it('accepts a 0-d step tensor (torch), no max_exp_avg_sq (amsgrad switched on), an empty entry', () => {
    const { opt } = stepped('Adam');
    const sd = opt.stateDict();
    sd.state[0]!['step'] = tensor(2);
    delete sd.state[0]!['max_exp_avg_sq'];
    sd.state[1] = {};
    opt.loadStateDict(sd);
    expect(opt.stateDict().state[0]!['step']).toBe(2);
  });
});

describe('typegrad/node file helpers name the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typegrad-hardening-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, file(`{"a":${ENTRY},"a":${ENTRY}}`, ONE));
  const cases: [string, () => unknown, RegExp][] = [
    [
      'a directory (was: EISDIR without the path)',
      () => loadSafetensorsFile(dir),
      /^loadSafetensorsFile: cannot read ".*typegrad-hardening-\w+": EISDIR/,
    ],
    [
      'a file that does not exist',
      () => loadSafetensorsFile(join(dir, 'none.safetensors')),
      /^loadSafetensorsFile: cannot read ".*none.safetensors": ENOENT/,
    ],
    [
      'a malformed file',
      () => loadSafetensorsFile(bad),
      /^loadSafetensors: the header has the key "a" twice in one object \(file ".*bad.safetensors"\)$/,
    ],
    [
      'a path that is not a string',
      () => loadSafetensorsFile(3 as never),
      /^loadSafetensorsFile: path must be a non-empty string, got number$/,
    ],
    [
      'writing into a directory that does not exist',
      () => saveSafetensorsFile(join(dir, 'no', 'x.safetensors'), { w: tensor([1]) }),
      /^saveSafetensorsFile: cannot write ".*x.safetensors": ENOENT/,
    ],
    [
      'writing a Map',
      () => saveSafetensorsFile(join(dir, 'x.safetensors'), new Map() as never),
      /^saveSafetensors: stateDict must be a plain object of name -> Tensor, got a Map$/,
    ],
  ];
  it.each(cases)('%s', (_, fn, message) => {
    expect(plainError(fn).message).toMatch(message);
  });
});
