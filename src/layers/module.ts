/**
 * `Module`: the base of every layer, with torch.nn.Module's bookkeeping: train/eval mode,
 * parameters, buffers, child modules, and state dicts with PyTorch's key names.
 *
 * Registration stores the field's name, not the tensor, so reassigning a field
 * (`bn.weight = ...`, or tying `wte.weight = lmHead.weight`) is seen by `parameters()` and
 * `stateDict()`. A field is registered in one of two ways:
 *   - automatically, as torch's `__setattr__` does: a Module or an `nn.Parameter` assigned to a
 *     field (class fields included) is registered under the field's name, in assignment order
 *     (see "Auto-registration" at the end of this file);
 *   - explicitly, with `registerParameter` / `registerBuffer` / `registerModule`, for buffers and
 *     for camelCase fields saved under snake_case keys (`runningVar` as `running_var`).
 */
import { checkBoolean, describeValue } from '../tensor/check.js';
import type { RemovableHandle } from '../autograd/hooks.js';
import { bumpVersion } from '../autograd/saved.js';
import { Tensor } from '../autograd/tensor.js';
import { describe, emptyRecord, isPlainObject, quote } from '../tensor/records.js';
import { fmtShape } from '../tensor/shape.js';
import { isParameter, markParameter } from './parameter.js';
import {
  callWithHooks,
  HookList,
  type ForwardHook,
  type ForwardPreHook,
  type FullBackwardHook,
  type ModuleHooks,
} from './hooks.js';

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
 * dicts with PyTorch's key names. A subclass implements `forward`; its Module and `nn.Parameter`
 * fields are registered by name, other tensors with `registerBuffer` / `registerParameter`.
 * @example
 * class MLP extends Module {
 *   fc1 = new nn.Linear(4, 8);
 *   scale = nn.Parameter(ones([8]));
 *   forward(x: Tensor): Tensor {
 *     return this.fc1.call(x).mul(this.scale);
 *   }
 * }
 * Object.keys(new MLP().stateDict()); // ['fc1.weight', 'fc1.bias', 'scale']
 */
export abstract class Module {
  /** Training mode (the default) or evaluation mode; see `train()` and `eval()`. */
  training = true;
  private readonly paramEntries: Entry[] = [];
  private readonly bufferEntries: (Entry & { persistent: boolean })[] = [];
  private readonly childEntries: Entry[] = [];
  private readonly hooks: ModuleHooks = {
    forwardPre: new HookList(),
    forward: new HookList(),
    fullBackward: new HookList(),
  };

  constructor() {
    // Every module is seen through a Proxy that registers Modules and Parameters assigned to its
    // fields; see "Auto-registration" at the end of this file.
    return new Proxy(this, Module.registering);
  }

  /**
   * The layer's computation, `y = f(x)`.
   * @example
   * const y = layer.forward(x);
   */
  abstract forward(...inputs: any[]): any; // eslint-disable-line @typescript-eslint/no-explicit-any

  /**
   * Registers `fn(module, inputs)`, run by `call` before `forward`; it may return replacement inputs.
   * @example
   * const h = model.registerForwardPreHook((m, inputs) => console.log(inputs.length)); h.remove();
   */
  registerForwardPreHook(fn: ForwardPreHook): RemovableHandle {
    return this.hooks.forwardPre.add(fn, 'registerForwardPreHook');
  }

  /**
   * Registers `fn(module, inputs, output)`, run by `call` after `forward`; it may return a replacement output.
   * @example
   * const acts: Tensor[] = [];
   * model.registerForwardHook((m, inputs, output) => void acts.push(output.detach()));
   */
  registerForwardHook(fn: ForwardHook): RemovableHandle {
    return this.hooks.forward.add(fn, 'registerForwardHook');
  }

  /**
   * Registers `fn(module, gradInput, gradOutput)`, run in backward once the gradient with respect
   * to the module's input is known (for a call made through `call`); it may return replacement
   * input gradients. Modules with at most one input that requires grad are supported.
   * @example
   * layer.registerFullBackwardHook((m, gradInput, gradOutput) => console.log(gradOutput[0]!.shape));
   */
  registerFullBackwardHook(fn: FullBackwardHook): RemovableHandle {
    return this.hooks.fullBackward.add(fn, 'registerFullBackwardHook');
  }

  /**
   * Registers field `field` (default: same as key) as a parameter stored under `key`.
   * @example
   * this.registerParameter('weight');
   */
  protected registerParameter(key: string, field: string = key): void {
    this.register(this.paramEntries, key, field, {});
    const value = this.read<unknown>(field);
    if (value instanceof Tensor) markParameter(value); // so that `weight instanceof nn.Parameter`, as in torch
  }

  /**
   * Registers field `field` as a buffer (not trained, saved in the state dict if persistent).
   * @example
   * this.registerBuffer('running_mean', 'runningMean');
   */
  protected registerBuffer(key: string, field: string = key, persistent = true): void {
    this.register(this.bufferEntries, key, field, { persistent });
  }

  /**
   * Registers field `field` as a child module whose state-dict keys are prefixed with `key.`.
   * @example
   * this.registerModule('encoder'); // its weight is saved as 'encoder.weight'
   */
  protected registerModule(key: string, field: string = key): void {
    this.register(this.childEntries, key, field, {});
  }

  /**
   * Adds `{ key, field }` to `list`, or renames the entry of `field` (or of `key`) in place; an
   * entry of `field` in another list is dropped (the field changes kind, as in torch).
   */
  private register<E extends Entry>(list: E[], key: string, field: string, extra: Omit<E, keyof Entry>): void {
    for (const other of [this.paramEntries, this.bufferEntries, this.childEntries] as Entry[][]) {
      if (other === list) continue;
      const at = other.findIndex((e) => e.field === field);
      if (at >= 0) other.splice(at, 1);
    }
    const existing = list.find((e) => e.field === field) ?? list.find((e) => e.key === key);
    if (existing === undefined) list.push({ key, field, ...extra } as E);
    else Object.assign(existing, { key, field, ...extra });
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
   * new nn.BatchNorm2d(64).toString();
   * // 'BatchNorm2d(64, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)'
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
    this.training = checkBoolean(mode, `${this.constructor.name}.train`, 'mode');
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
   * Direct children, in registration order.
   * @example
   * model.children().length;
   */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and every descendant, each once, depth first (this one first).
   * @example
   * model.modules().filter((m) => m instanceof nn.Linear).length;
   */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Calls `fn` on every descendant (children first, depth first) and then on this module, as
   * torch's `apply`; returns this. The usual use is custom initialisation.
   * @example
   * model.apply((m) => { if (m instanceof nn.Linear) nn.init.zeros_(m.bias!); });
   */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Sets `requiresGrad` of every parameter (false freezes the module); returns this.
   * @example
   * backbone.requiresGrad_(false); // fine-tune only the head
   */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') {
      throw new Error(`requiresGrad_: requiresGrad must be true or false, got ${describeValue(requiresGrad)}`);
    }
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * Runs the module: `m.call(x)` is torch's `m(x)`: `forward` with the module's hooks around it
   * (src/layers/hooks.ts), so containers and models should call children through it; calling
   * `forward` directly skips the hooks, as in torch.
   * A method rather than a callable module: a Proxy around a function would lose `instanceof`
   * checks on the class, TypeScript's typing of the fields, and readable stack traces.
   * @example
   * const y = model.call(x);
   */
  call<M extends Module>(this: M, ...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    const forward = (...args: unknown[]): Tensor => (this.forward as (...a: unknown[]) => Tensor)(...args);
    return callWithHooks(this, this.hooks, inputs, forward) as ReturnType<M['forward']>;
  }

  /**
   * This module and all descendants as `[dotted name, module]` (this one is `''`), depth first in
   * registration order. A module reachable twice is listed once (torch's `remove_duplicate=True`).
   * @example
   * model.namedModules().map(([name]) => name); // ['', '0', '1', ...]
   */
  namedModules(prefix = '', removeDuplicate = true): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (removeDuplicate) {
        if (seen.has(m)) return;
        seen.add(m);
      }
      out.push([name, m]);
      for (const [key, child] of m.namedChildren()) visit(child, name === '' ? key : `${name}.${key}`);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Every parameter with its dotted state-dict name, e.g. `['0.weight', t]`. A tensor reachable
   * twice (tied weights) is listed once, under its first name, as torch's `named_parameters()`.
   * @example
   * for (const [name, p] of model.namedParameters()) console.log(name, p.shape);
   */
  namedParameters(): [string, Tensor][] {
    return this.namedTensors((m) => m.paramEntries);
  }

  /**
   * Every parameter (what an optimizer updates), each tensor once.
   * @example
   * const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
   */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /**
   * Every buffer with its dotted name (non-persistent ones included), each tensor once.
   * @example
   * new nn.BatchNorm1d(4).namedBuffers().map(([name]) => name);
   * // ['running_mean', 'running_var', 'num_batches_tracked']
   */
  namedBuffers(): [string, Tensor][] {
    return this.namedTensors((m) => m.bufferEntries);
  }

  /** The non-null tensors of `entries` in this module and every descendant, with dotted names, each once. */
  private namedTensors(entries: (m: Module) => readonly Entry[]): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const { key, field } of entries(m)) {
        const t = m.read<Tensor>(field);
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        out.push([prefix === '' ? key : `${prefix}.${key}`, t]);
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
    for (const [prefix, m] of this.namedModules('', false)) {
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
      this.namedModules('', false).flatMap(([prefix, m]) =>
        m.optionalStateKeys().map((k) => (prefix === '' ? k : `${prefix}.${k}`)),
      ),
    );
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(sd, k) && !optional.has(k));
    const unexpectedKeys = Object.keys(sd).filter((k) => !Object.hasOwn(own, k));
    const owners = new Map<string, [Module, string]>();
    for (const [prefix, m] of this.namedModules('', false)) {
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
        problems.push(
          `size mismatch for ${k}: copying a param with shape ${fmtShape(src.shape)}, the shape in the ` +
            `current model is ${fmtShape(target.shape)}`,
        );
      } else {
        const [m, key] = owners.get(k)!;
        const problem = m.loadedValueProblem(key, src);
        if (problem !== null) problems.push(`${quote(k)}: ${problem}`);
      }
    }
    if (strict) {
      if (missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length > 0)
        problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (problems.length > 0) {
      throw new Error(
        `loadStateDict: error(s) loading state dict for ${this.constructor.name}:\n  ${problems.join('\n  ')}`,
      );
    }
    for (const [k, target] of Object.entries(own)) {
      if (!Object.hasOwn(sd, k)) continue;
      target.data.set(sd[k]!.data);
      bumpVersion(target); // shares the module tensor's storage and version
    }
    return { missingKeys, unexpectedKeys };
  }

  // Auto-registration ---------------------------------------------------------------------------
  // torch registers a Module or Parameter assigned to an attribute (`Module.__setattr__`). Here the
  // base constructor returns a Proxy of the module whose one trap, `defineProperty`, sees every
  // field write: class fields (defined on the returned proxy after `super()`), assignments in
  // constructors and methods (an ordinary [[Set]] on a proxy ends in its [[DefineOwnProperty]]),
  // and `Object.defineProperty`. Reads are not trapped. A field already registered keeps its entry,
  // so reassigning it (tying weights) is seen through the field's name.

  /** The handler of every module's Proxy. */
  private static readonly registering: ProxyHandler<Module> = {
    defineProperty(target, prop, descriptor): boolean {
      if (!Reflect.defineProperty(target, prop, descriptor)) return false;
      if (typeof prop === 'string' && 'value' in descriptor) target.autoRegister(prop, descriptor.value);
      return true;
    },
  };

  /** Registers `field` under its own name if `value` is a Module or a Parameter and the field is new. */
  private autoRegister(field: string, value: unknown): void {
    if (!(value instanceof Module) && !isParameter(value)) return;
    const known = (list: readonly Entry[]): boolean => list.some((e) => e.field === field);
    if (known(this.paramEntries) || known(this.bufferEntries) || known(this.childEntries)) return;
    if (value instanceof Module) this.childEntries.push({ key: field, field });
    else this.paramEntries.push({ key: field, field });
  }
}
