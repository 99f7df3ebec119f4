/**
 * Containers: `Sequential` (modules applied in order, state-dict keys `0.weight`, `1.bias`, ... as in
 * torch), `ModuleList`, `ModuleDict`, and the small `Identity` and `Flatten`.
 */
import { checkTensor } from '../autograd/check.js';
import { describeValue } from '../tensor/check.js';
import type { Tensor } from '../autograd/tensor.js';
import { Module } from './module.js';

/**
 * The shared part of `Sequential` and `ModuleList`: modules in a list, each registered under its
 * index (`0`, `1`, ...), indexable with negative indices, iterable.
 */
abstract class IndexedModules<M extends Module> extends Module implements Iterable<M> {
  private readonly list: M[] = [];

  /** Adds a module at the end (registered under the next index); returns this. */
  append(module: M): this {
    if (!(module instanceof Module)) {
      throw new Error(
        `${this.constructor.name}: every element must be a Module` +
          `, got ${describeValue(module)} at index ${this.list.length}`,
      );
    }
    // A field named by the index: the auto-registration of Module gives it the key '0', '1', ...
    (this as unknown as Record<string, Module>)[String(this.list.length)] = module;
    this.list.push(module);
    return this;
  }

  /** Appends every module of `modules` in order; returns this. */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.list.length;
  }

  /** The module at `index` (negative counts from the end, like Array.prototype.at). */
  at(index: number): M {
    const n = this.list.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new Error(
        `${this.constructor.name}: index must be an integer in [${-n}, ${n - 1}], got ${describeValue(index)}`,
      );
    }
    return this.list[index < 0 ? index + n : index]!;
  }

  /** Same as `at(index)`, for those used to torch's `seq[i]`. */
  get(index: number): M {
    return this.at(index);
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.list[Symbol.iterator]();
  }
}

/**
 * Chains modules: `forward(x) = m[n-1](...m[1](m[0](x)))`. Children are registered under their index,
 * so the state dict of `new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2))` has keys
 * `0.weight`, `0.bias`, `2.weight`, `2.bias`, exactly like torch.nn.Sequential.
 * @example const mlp = new Sequential(new Linear(784, 100), new Sigmoid(), new Linear(100, 10))
 */
export class Sequential extends IndexedModules<Module> {
  constructor(...modules: Module[]) {
    super();
    this.extend(modules);
  }

  /** Applies every module in order (through `call`). */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this) y = m.call(y);
    return y;
  }
}

/**
 * A list of modules, registered under `0`, `1`, ... like torch.nn.ModuleList; it has no forward of
 * its own: a model loops over it.
 * @example
 * class Blocks extends nn.Module {
 *   layers = new nn.ModuleList([new nn.Linear(8, 8), new nn.Linear(8, 8)]);
 *   forward(x: Tensor): Tensor {
 *     for (const layer of this.layers) x = layer.call(x).relu();
 *     return x;
 *   }
 * }
 */
export class ModuleList<M extends Module = Module> extends IndexedModules<M> {
  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  /** A ModuleList is not callable (torch raises NotImplementedError too); iterate over it. */
  forward(): Tensor {
    throw new Error('ModuleList: has no forward; call its modules, e.g. for (const m of list) x = m.call(x)');
  }
}

/**
 * Modules by name, registered under their keys like torch.nn.ModuleDict (insertion order).
 * The modules live in the dictionary, not in fields, so a key never clashes with a method name.
 * @example
 * const heads = new nn.ModuleDict({ cls: new nn.Linear(8, 10), box: new nn.Linear(8, 4) });
 * heads.get('cls').call(features);
 */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly store = new Map<string, M>();

  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? modules : Object.entries(modules);
    for (const [key, m] of entries as Iterable<[string, M]>) this.set(key, m);
  }

  /** The module under `key`; throws (naming the keys) when there is none, like torch's KeyError. */
  get(key: string): M {
    const m = this.store.get(key);
    if (m === undefined) {
      throw new Error(
        `ModuleDict: no module under key "${String(key)}"` +
          `; keys: ${[...this.store.keys()].map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return m;
  }

  /** Puts `module` under `key` (replacing any, keeping its place); returns this. */
  set(key: string, module: M): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new Error(`ModuleDict: key must be a non-empty string without "."` + `, got ${describeValue(key)}`);
    }
    if (!(module instanceof Module)) {
      throw new Error(`ModuleDict: the value under "${key}" must be a Module, got ${describeValue(module)}`);
    }
    this.store.set(key, module);
    return this;
  }

  /** Whether a module is stored under `key`. */
  has(key: string): boolean {
    return this.store.has(key);
  }

  /** Removes and returns the module under `key` (torch's `pop`). */
  delete(key: string): M {
    const m = this.get(key);
    this.store.delete(key);
    return m;
  }

  /** Number of modules. */
  get length(): number {
    return this.store.size;
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...this.store.keys()];
  }

  /** The modules, in insertion order. */
  values(): M[] {
    return [...this.store.values()];
  }

  /** `[key, module]` pairs, in insertion order. */
  entries(): [string, M][] {
    return [...this.store.entries()];
  }

  /** The children are the stored modules, under their keys. */
  override namedChildren(): [string, Module][] {
    return this.entries();
  }

  /** A ModuleDict is not callable (torch raises NotImplementedError too); call its modules. */
  forward(): Tensor {
    throw new Error('ModuleDict: has no forward; call its modules, e.g. dict.get(key).call(x)');
  }
}

/**
 * y = x: a placeholder layer (torch.nn.Identity); constructor arguments are accepted and ignored.
 * @example new Identity().forward(x) === x  // true
 */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }

  /** Returns its input. */
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Merges axes startDim..endDim (inclusive; defaults 1 and -1, torch's nn.Flatten) into one.
 * @example new Flatten().forward(zeros([32, 16, 7, 7]))  // [32, 784]
 */
export class Flatten extends Module {
  /** First axis merged (negative counts from the end). */
  readonly startDim: number;
  /** Last axis merged, inclusive (negative counts from the end). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) {
      throw new Error(
        `Flatten: startDim and endDim must be integers, got ${describeValue(startDim)} and ${describeValue(endDim)}`,
      );
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** Flattens axes startDim..endDim. */
  forward(x: Tensor): Tensor {
    checkTensor(x, 'Flatten', 'input');
    return x.flatten(this.startDim, this.endDim);
  }
}
