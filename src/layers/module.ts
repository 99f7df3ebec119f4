/**
 * `Module`: the base of every layer, with torch.nn.Module's bookkeeping: train/eval mode,
 * parameters, buffers, child modules, and state dicts with PyTorch's key names.
 *
 * A subclass keeps its tensors in ordinary camelCase fields (`this.runningVar`) and registers each
 * under its PyTorch state-dict key (`running_var`). Registration stores the field's name, not the
 * tensor, so reassigning a field (`bn.weight = ...`) is seen by `parameters()` and `stateDict()`.
 */
import { Tensor } from '../autograd/tensor.js';
import { describe, emptyRecord, isPlainObject, quote } from '../tensor/records.js';
import { fmtShape } from '../tensor/shape.js';

/**
 * Options of `loadStateDict`.
 * @example
 * model.loadStateDict(sd, { strict: false }); // report, rather than throw on, missing/unexpected keys
 */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true, like torch). */
  strict?: boolean;
}

/**
 * What `loadStateDict` found, like torch's `_IncompatibleKeys`.
 * @example
 * const { missingKeys, unexpectedKeys } = model.loadStateDict(sd, { strict: false });
 */
export interface LoadStateDictResult {
  /** Keys of this module's state dict that `sd` did not have. */
  missingKeys: string[];
  /** Keys of `sd` that this module does not have. */
  unexpectedKeys: string[];
}

type Entry = { key: string; field: string };

/**
 * `{ kernelSize: [2, 2], ceilMode: true }` -> `'kernelSize=[2, 2], ceilMode=true'`: the form
 * `extraRepr()` uses for constructor options (undefined fields are left out).
 * @example
 * reprFields({ p: 0.5 }); // 'p=0.5'
 */
export function reprFields(fields: Record<string, unknown>): string {
  const show = (v: unknown): string => (Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v));
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');
}

/**
 * The base class of all layers: train/eval mode, parameters, buffers, child modules, and state
 * dicts with PyTorch's key names. A subclass implements `forward` and registers its tensors by field.
 * @example
 * class Scale extends Module {
 *   weight = ones([3], { requiresGrad: true });
 *   constructor() {
 *     super();
 *     this.registerParameter('weight');
 *   }
 *   forward(x: Tensor): Tensor {
 *     return x.mul(this.weight);
 *   }
 * }
 * Object.keys(new Scale().stateDict()); // ['weight']
 */
export abstract class Module {
  /** Training mode (the default) or evaluation mode; see `train()` and `eval()`. */
  training = true;
  private readonly paramEntries: Entry[] = [];
  private readonly bufferEntries: (Entry & { persistent: boolean })[] = [];
  private readonly childEntries: Entry[] = [];

  /**
   * The layer's computation, `y = f(x)`.
   * @example
   * const y = layer.forward(x);
   */
  abstract forward(...inputs: Tensor[]): Tensor;

  /**
   * Registers field `field` (default: same as key) as a parameter stored under `key`.
   * @example
   * this.registerParameter('weight');
   */
  protected registerParameter(key: string, field: string = key): void {
    this.paramEntries.push({ key, field });
  }

  /**
   * Registers field `field` as a buffer (not trained, saved in the state dict if persistent).
   * @example
   * this.registerBuffer('running_mean', 'runningMean');
   */
  protected registerBuffer(key: string, field: string = key, persistent = true): void {
    this.bufferEntries.push({ key, field, persistent });
  }

  /**
   * Registers field `field` as a child module whose state-dict keys are prefixed with `key.`.
   * @example
   * this.registerModule('encoder'); // its weight is saved as 'encoder.weight'
   */
  protected registerModule(key: string, field: string = key): void {
    this.childEntries.push({ key, field });
  }

  /**
   * Local state-dict keys that `loadStateDict` lets be absent, keeping their current value. The
   * default is none; BatchNorm and InstanceNorm name `num_batches_tracked`, as torch does for state
   * dicts without version metadata (every safetensors file, every hand-built dict).
   */
  protected optionalStateKeys(): readonly string[] {
    return [];
  }

  /**
   * What is wrong with `value` as the new value of local state-dict key `key`, or null when it may
   * be loaded. `loadStateDict` has already checked that it is a Tensor of the right shape; the
   * default accepts it. NormBase requires `num_batches_tracked` to be a non-negative integer.
   */
  protected loadedValueProblem(key: string, value: Tensor): string | null {
    void key;
    void value;
    return null;
  }


  private read<T>(field: string): T | null {
    return ((this as unknown as Record<string, unknown>)[field] ?? null) as T | null;
  }

  /**
   * The text between the parentheses of this module's `toString()`, like torch's `extra_repr`:
   * its constructor arguments. Empty by default.
   * @example
   * new nn.BatchNorm2d(64).toString(); // 'BatchNorm2d(64, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)'
   */
  protected extraRepr(): string {
    return '';
  }

  /**
   * The module tree in torch's layout: the class name with `extraRepr()`, then each child on its
   * own line as `(key): ...`, indented.
   * @example
   * console.log(String(new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU())));
   * // Sequential(
   * //   (0): Linear(inFeatures=2, outFeatures=3, bias=true)
   * //   (1): ReLU()
   * // )
   */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    const children = this.namedChildren();
    if (children.length === 0) return `${head})`;
    const lines = children.map(([key, child]) => `  (${key}): ${child.toString().replaceAll('\n', '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }

  /** Node's `console.log` shows `toString()` (a plain symbol: no Node API used). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * Sets training mode (or evaluation mode with `false`) on this module and every descendant.
   * @example
   * model.train(); // batch statistics, dropout on
   */
  train(mode = true): this {
    this.training = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  /**
   * Sets evaluation mode, `train(false)`: running statistics, dropout off.
   * @example
   * model.eval();
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Direct children as `[key, module]`.
   * @example
   * for (const [name, child] of model.namedChildren()) console.log(name, child);
   */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const { key, field } of this.childEntries) {
      const m = this.read<Module>(field);
      if (m !== null) out.push([key, m]);
    }
    return out;
  }

  /**
   * This module and all descendants as `[dotted name, module]` (this one is `''`).
   * @example
   * model.namedModules().map(([name]) => name); // ['', '0', '1', ...]
   */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [key, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix === '' ? key : `${prefix}.${key}`));
    }
    return out;
  }

  /**
   * Every parameter with its dotted state-dict name, e.g. `['0.weight', t]`.
   * @example
   * for (const [name, p] of model.namedParameters()) console.log(name, p.shape);
   */
  namedParameters(): [string, Tensor][] {
    return this.namedTensors((m) => m.paramEntries);
  }

  /**
   * Every parameter (what an optimizer updates).
   * @example
   * const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
   */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /**
   * Every buffer with its dotted name (non-persistent ones included).
   * @example
   * new nn.BatchNorm1d(4).namedBuffers().map(([name]) => name); // ['running_mean', 'running_var', 'num_batches_tracked']
   */
  namedBuffers(): [string, Tensor][] {
    return this.namedTensors((m) => m.bufferEntries);
  }

  /** The non-null tensors of `entries` in this module and every descendant, with dotted names. */
  private namedTensors(entries: (m: Module) => readonly Entry[]): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const { key, field } of entries(m)) {
        const t = m.read<Tensor>(field);
        if (t !== null) out.push([prefix === '' ? key : `${prefix}.${key}`, t]);
      }
    }
    return out;
  }

  /**
   * Every buffer (running statistics and the like).
   * @example
   * new nn.BatchNorm1d(4).buffers().length; // 3
   */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /**
   * Sets the `.grad` of every parameter to null (torch's default `set_to_none=True`).
   * @example
   * model.zeroGrad();
   * loss.backward();
   */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Parameters and persistent buffers by PyTorch's key names, in registration order. The tensors
   * are detached views sharing storage with the module's (like torch's `state_dict()`). The record
   * is prototype-free (`Object.create(null)`), so any key is an ordinary entry.
   * @example
   * Object.keys(new nn.LayerNorm(8).stateDict()); // ['weight', 'bias']
   * const bytes = saveSafetensors(model.stateDict());
   */
  stateDict(): Record<string, Tensor> {
    const out = emptyRecord<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      const name = (key: string): string => (prefix === '' ? key : `${prefix}.${key}`);
      for (const { key, field } of m.paramEntries) {
        const t = m.read<Tensor>(field);
        if (t !== null) out[name(key)] = t.detach();
      }
      for (const { key, field, persistent } of m.bufferEntries) {
        const t = m.read<Tensor>(field);
        if (t !== null && persistent) out[name(key)] = t.detach();
      }
    }
    return out;
  }

  /**
   * Copies values from `sd` into this module's parameters and buffers, in place (so optimizers
   * holding the tensors see the new values). `sd` must be a plain object (a `Map` is an error), and
   * every value under one of this module's keys a Tensor of the right shape (`undefined` included:
   * an error, not a missing key). A bad value always throws; with `strict` (the default) missing or
   * unexpected keys throw too, each listed by name. Everything is checked before anything is
   * written, so a failed load changes nothing. Keys are own properties only (`"constructor"` is
   * not inherited from `Object.prototype`).
   * @example
   * model.loadStateDict(loadSafetensors(bytes));
   */
  loadStateDict(sd: Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    if (!isPlainObject(sd)) {
      throw new Error(`loadStateDict: expected a plain object of name -> Tensor, got ${describe(sd)}`);
    }
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const optional = new Set(
      this.namedModules().flatMap(([prefix, m]) => m.optionalStateKeys().map((k) => (prefix === '' ? k : `${prefix}.${k}`))),
    );
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(sd, k) && !optional.has(k));
    const unexpectedKeys = Object.keys(sd).filter((k) => !Object.hasOwn(own, k));
    const owners = new Map<string, [Module, string]>();
    for (const [prefix, m] of this.namedModules()) {
      for (const { key } of [...m.paramEntries, ...m.bufferEntries]) {
        owners.set(prefix === '' ? key : `${prefix}.${key}`, [m, key]);
      }
    }
    const problems: string[] = [];
    for (const [k, target] of Object.entries(own)) {
      if (!Object.hasOwn(sd, k)) continue;
      const src: unknown = sd[k];
      if (!(src instanceof Tensor)) {
        problems.push(`while copying the parameter named ${quote(k)}: expected a Tensor, got ${describe(src)}`);
      } else if (src.shape.join(',') !== target.shape.join(',')) {
        problems.push(`size mismatch for ${k}: copying a param with shape ${fmtShape(src.shape)}, the shape in the current model is ${fmtShape(target.shape)}`);
      } else {
        const [m, key] = owners.get(k)!;
        const problem = m.loadedValueProblem(key, src);
        if (problem !== null) problems.push(`${quote(k)}: ${problem}`);
      }
    }
    if (strict) {
      if (missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (problems.length > 0) {
      throw new Error(`loadStateDict: error(s) loading state dict for ${this.constructor.name}:\n  ${problems.join('\n  ')}`);
    }
    for (const [k, target] of Object.entries(own)) {
      if (Object.hasOwn(sd, k)) target.data.set(sd[k]!.data);
    }
    return { missingKeys, unexpectedKeys };
  }
}
