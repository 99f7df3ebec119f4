/**
 * `Sequential` (modules applied in order, state-dict keys `0.weight`, `1.bias`, ... as in torch)
 * and `Flatten`.
 */
import type { Tensor } from '../autograd/tensor.js';
import { Module } from './module.js';

/**
 * Chains modules: `forward(x) = m[n-1](...m[1](m[0](x)))`. Children are registered under their index,
 * so the state dict of `new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2))` has keys
 * `0.weight`, `0.bias`, `2.weight`, `2.bias`, exactly like torch.nn.Sequential.
 * @example const mlp = new Sequential(new Linear(784, 100), new Sigmoid(), new Linear(100, 10))
 */
export class Sequential extends Module implements Iterable<Module> {
  private readonly modules: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end (registered under the next index); returns this. */
  append(module: Module): this {
    if (!(module instanceof Module)) {
      throw new Error(`Sequential: every element must be a Module, got ${module === null ? 'null' : typeof module} at index ${this.modules.length}`);
    }
    const key = String(this.modules.length);
    (this as unknown as Record<string, Module>)[key] = module;
    this.registerModule(key);
    this.modules.push(module);
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.modules.length;
  }

  /** The module at `index` (negative counts from the end, like Array.prototype.at). */
  at(index: number): Module {
    const n = this.modules.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new Error(`Sequential: index must be an integer in [${-n}, ${n - 1}], got ${index}`);
    }
    return this.modules[index < 0 ? index + n : index]!;
  }

  /** Same as `at(index)`, for those used to torch's `seq[i]`. */
  get(index: number): Module {
    return this.at(index);
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.modules[Symbol.iterator]();
  }

  /** Applies every module in order. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.modules) y = m.forward(y);
    return y;
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
      throw new Error(`Flatten: startDim and endDim must be integers, got ${startDim} and ${endDim}`);
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** Flattens axes startDim..endDim. */
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}
