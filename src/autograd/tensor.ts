/**
 * The Tensor: contiguous row-major storage (`Float32Array`, or `Float64Array` for float64 tensors)
 * with a shape, plus the autograd fields. Every differentiable method is a one-line call into
 * `./ops/`, where each op's forward and backward sit side by side.
 */
import { allocate, dtypeOf, type DType, type FloatArray } from '../tensor/dtype.js';
import { formatTensor, toNested, type NestedArray } from '../tensor/format.js';
import { checkShape, fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import { runBackward } from './backward.js';
import { add, div, mul, sub } from './ops/binary.js';
import { abs, exp, gelu, log, neg, pow, relu, sigmoid, sqrt, tanh } from './ops/unary.js';
import { matmul } from './ops/matmul.js';
import { max, mean, sum, variance, type VarOptions } from './ops/reduce.js';
import { expand, flatten, permute, reshape, squeeze, transpose, unsqueeze } from './ops/shape.js';
import { toDtype } from './ops/cast.js';

/** A recorded operation: how to turn the output's gradient into gradients for its inputs. */
export interface GradFn {
  /** The op's name, for error messages and debugging (`'mul'`, `'batchNorm'`, ...). */
  readonly name: string;
  /** The tensors the op read. */
  readonly inputs: readonly Tensor[];
  /**
   * Gradients with respect to each input given the output's gradient; `null` for inputs that need
   * none. A gradient may have the broadcast shape; the engine reduces it to the input's shape.
   * Set to null once the graph is freed by `backward()`.
   */
  backward: ((grad: Tensor) => readonly (Tensor | null)[]) | null;
}

/** Options for `backward`. */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again (default false, like torch). */
  retainGraph?: boolean;
}

/** An n-dimensional array of float32 (or float64) numbers that can record its computation. */
export class Tensor {
  /** Sizes of each axis. */
  readonly shape: readonly number[];
  /** Contiguous row-major elements; length = product(shape). */
  readonly data: FloatArray;
  /** Accumulated gradient of a leaf that requires grad, after `backward()`. */
  grad: Tensor | null = null;
  /** Whether operations on this tensor are recorded for backward. */
  requiresGrad: boolean;
  /** The op that produced this tensor, or null for a leaf. */
  gradFn: GradFn | null = null;

  /**
   * Wraps `data` (not copied) as a tensor of `shape`. Most code should use `tensor()`, `zeros()`, ...
   */
  constructor(data: FloatArray, shape: Shape, requiresGrad = false) {
    checkShape(shape, 'Tensor');
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: data has ${data.length} elements, expected ${sizeOf(shape)} for shape ${fmtShape(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
  }

  /** `'float32'` or `'float64'`. */
  get dtype(): DType {
    return dtypeOf(this.data);
  }
  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }
  /** A leaf was created by the user, not by an op that recorded a graph. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  // Arithmetic with NumPy broadcasting -------------------------------------------------------
  /** `this + other`, broadcast. */
  add(other: Tensor | number): Tensor { return add(this, other); }
  /** `this - other`, broadcast. */
  sub(other: Tensor | number): Tensor { return sub(this, other); }
  /** `this * other`, broadcast. */
  mul(other: Tensor | number): Tensor { return mul(this, other); }
  /** `this / other`, broadcast. */
  div(other: Tensor | number): Tensor { return div(this, other); }
  /** `this ** p`, elementwise; p a number or a broadcastable tensor. */
  pow(p: Tensor | number): Tensor { return pow(this, p); }

  // Elementwise functions --------------------------------------------------------------------
  /** `-x`. */
  neg(): Tensor { return neg(this); }
  /** `e^x`. */
  exp(): Tensor { return exp(this); }
  /** Natural logarithm. */
  log(): Tensor { return log(this); }
  /** Square root. */
  sqrt(): Tensor { return sqrt(this); }
  /** `|x|`. */
  abs(): Tensor { return abs(this); }
  /** `max(x, 0)`. */
  relu(): Tensor { return relu(this); }
  /** `1 / (1 + e^-x)`. */
  sigmoid(): Tensor { return sigmoid(this); }
  /** Hyperbolic tangent. */
  tanh(): Tensor { return tanh(this); }
  /** Exact GELU, `x * Phi(x)` (torch's default `approximate='none'`). */
  gelu(): Tensor { return gelu(this); }

  // Linear algebra ---------------------------------------------------------------------------
  /** Matrix product with torch.matmul's rules (1-D operands, broadcast batch dims). */
  matmul(other: Tensor): Tensor { return matmul(this, other); }

  // Reductions (on the shared axis-reduction kernel) ------------------------------------------
  /** Sum over `axes` (all by default). */
  sum(axes?: number | number[], keepDim = false): Tensor { return sum(this, axes, keepDim); }
  /** Mean over `axes` (all by default). */
  mean(axes?: number | number[], keepDim = false): Tensor { return mean(this, axes, keepDim); }
  /** Variance over `axes` with `correction` (default 1, unbiased, like torch.var). */
  var(axes?: number | number[], opts?: VarOptions): Tensor { return variance(this, axes, opts); }
  /** Maximum over `axes` (all by default); the gradient is shared evenly among ties, like torch.amax. */
  max(axes?: number | number[], keepDim = false): Tensor { return max(this, axes, keepDim); }

  // Shape ------------------------------------------------------------------------------------
  /** Same elements, new shape (one -1 is inferred). Shares storage. */
  reshape(shape: readonly number[]): Tensor { return reshape(this, shape); }
  /** Reorders axes: output axis i is input axis `axes[i]`. */
  permute(axes: readonly number[]): Tensor { return permute(this, axes); }
  /** Swaps two axes. */
  transpose(a: number, b: number): Tensor { return transpose(this, a, b); }
  /** Merges axes `start..end` (inclusive, default all) into one. */
  flatten(start = 0, end = -1): Tensor { return flatten(this, start, end); }
  /** Broadcasts to `shape` (size-1 axes repeat; new leading axes may be added). */
  expand(shape: readonly number[]): Tensor { return expand(this, shape); }
  /** Inserts a size-1 axis at `axis`. */
  unsqueeze(axis: number): Tensor { return unsqueeze(this, axis); }
  /** Removes size-1 axes (`axis` given: only that one). */
  squeeze(axis?: number): Tensor { return squeeze(this, axis); }

  // Conversion -------------------------------------------------------------------------------
  /** This tensor as `dtype` (itself when it already is). Differentiable. */
  to(dtype: DType): Tensor { return toDtype(this, dtype); }
  /** A new tensor with the same values that is not part of any graph. Shares storage. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }
  /** A copy with its own storage, outside any graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }
  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item: expected a tensor with exactly 1 element, got shape ${fmtShape(this.shape)} (${this.size} elements)`);
    }
    return this.data[0]!;
  }
  /** The elements as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    return toNested(this.data, this.shape);
  }
  /** A readable rendering, e.g. `tensor([[1.0000, 2.0000]], requiresGrad=true)`. */
  toString(): string {
    return formatTensor(this.data, this.shape, this.requiresGrad, this.gradFn?.name ?? null);
  }

  /** Node's `console.log` and `util.inspect` show `toString()` (a plain symbol: no Node API used). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // Autograd ---------------------------------------------------------------------------------
  /**
   * Accumulates d(this)/d(leaf) into the `.grad` of every leaf that requires grad.
   * `grad` is the gradient of some scalar with respect to this tensor; it defaults to 1 for a
   * one-element tensor and is required otherwise.
   */
  backward(grad?: Tensor, opts?: BackwardOptions): void {
    runBackward(this, grad, opts?.retainGraph ?? false);
  }

  /** Sets `requiresGrad` in place and returns this tensor (only on leaves). */
  requiresGrad_(value = true): this {
    if (!this.isLeaf) throw new Error(`requiresGrad_: only leaf tensors can change requiresGrad; this tensor was made by '${this.gradFn!.name}'`);
    this.requiresGrad = value;
    return this;
  }
}

/** A new tensor of `shape` filled with zeros, of `dtype`. */
export function emptyLike(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}
