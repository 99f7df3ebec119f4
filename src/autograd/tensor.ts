/**
 * The Tensor: a typed-array storage (shared by all views of it, with a version counter), read
 * through an offset and strides as an array of some shape, plus the autograd fields. `data` is
 * always contiguous row-major (a copy for non-contiguous views), so kernels never see strides.
 * Every differentiable method is a one-line call into `./ops/`, where each op's forward and
 * backward sit side by side; views are in ops/shape.ts, in-place ops in ops/inplace.ts.
 */
import { checkBoolean } from '../tensor/check.js';
import {
  allocate,
  describeValue,
  dtypeOf,
  isFloating,
  isTensorData,
  type DType,
  type TensorData,
} from '../tensor/dtype.js';
import { formatTensor, toNested, type NestedArray } from '../tensor/format.js';
import { checkShape, fmtShape, normalizeAxis, sizeOf, stridesOf, type Shape } from '../tensor/shape.js';
import { stridedCopy } from '../tensor/kernels/elementwise.js';
import { runBackward } from './backward.js';
import type { PlacedGrad } from './placedGrad.js';
import { add, div, mul, sub } from './ops/binary.js';
import { abs, exp, gelu, log, neg, pow, relu, sigmoid, sqrt, tanh } from './ops/unary.js';
import { matmul } from './ops/matmul.js';
import { amin, logsumexp, max, mean, norm, prod, std, sum, variance, type VarOptions } from './ops/reduce.js';
import { cumsum } from './ops/cumulative.js';
import { normalFill, uniformFill, type FillOptions } from './ops/randomFill.js';
import {
  argExtreme,
  extremeAlong,
  sort,
  topk,
  type SortOptions,
  type TopkOptions,
  type ValuesIndices,
} from './ops/sortSelect.js';
import {
  clamp,
  cos,
  expm1,
  log10,
  log1p,
  log2,
  reciprocal,
  rsqrt,
  sin,
  square,
  stepFunction,
} from './ops/unaryMath.js';
import {
  contiguous,
  expand,
  flatten,
  narrow,
  permute,
  reshape,
  select,
  slice,
  squeeze,
  transpose,
  unsqueeze,
  view,
} from './ops/shape.js';
import { add_, clamp_, copy_, div_, fill_, maskedFill_, mul_, sub_, zero_ } from './ops/inplace.js';
import { addHook, retainOn, type RemovableHandle, type TensorHook } from './hooks.js';
import { toDtype } from './ops/cast.js';
import { all, any, compare, logical, maskedFill, predicate } from './ops/compare.js';
import { chunk, split, unbind } from './ops/join.js';
import { at, type IndexEntry } from './ops/at.js';
import { gather, indexAdd, indexSelect, scatterAdd, type IndexAddOptions } from './ops/indexing.js';
import { flip, repeat, roll, tril, triu } from './ops/reorder.js';

/**
 * A recorded operation: how to turn the output's gradient into gradients for its inputs.
 * @example
 * const y = tensor([1, 2], undefined, { requiresGrad: true }).mul(3);
 * y.gradFn!.name;            // 'mul'
 * y.gradFn!.inputs.length;   // 2 (the tensor and the scalar 3)
 */
export interface GradFn {
  /** The op's name, for error messages and debugging (`'mul'`, `'batchNorm'`, ...). */
  readonly name: string;
  /** The tensors the op read. */
  readonly inputs: readonly Tensor[];
  /**
   * Gradients with respect to each input given the output's gradient; `null` for inputs that need
   * none. A gradient may have the broadcast shape; the engine reduces it to the input's shape.
   * A view's gradient may come as a PlacedGrad (placedGrad.ts), which the engine writes into place.
   * Set to null once the graph is freed by `backward()`.
   */
  backward: ((grad: Tensor) => readonly (Tensor | PlacedGrad | null)[]) | null;
  /**
   * Where each input's gradient goes, fixed when the op was recorded: the input's grad function,
   * the input itself for a leaf, or null for an input that needs no gradient.
   */
  readonly next: readonly (GraphNode | null)[];
}

/**
 * A node of the backward graph: the grad function of a non-leaf, or a leaf tensor.
 * @example
 * const y = tensor([1, 2], undefined, { requiresGrad: true }).mul(2);
 * const node: GraphNode | null = y.gradFn; // the grad function of mul
 */
export type GraphNode = GradFn | Tensor;

/**
 * Options for `backward`.
 * @example
 * loss.backward(undefined, { retainGraph: true }); // the graph survives for a second backward
 */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again (default false, like torch). */
  retainGraph?: boolean;
}

/**
 * An n-dimensional array of float32 (or float64) numbers that can record its computation.
 *
 * Storage is a typed array shared by a tensor and its views: element `[i0, ..., ik]` is at
 * `storage[offset + sum_j i_j * stride_j]`. A tensor made by an op owns contiguous row-major
 * storage (`stride_j = prod_{m > j} shape[m]`, offset 0); view ops (`select`, `slice`, `transpose`,
 * `expand`, `view`, ...) return tensors with other strides over the same storage, like torch.
 * Create tensors with `tensor()`, `zeros()`, `randn()`, ...; every op returns a new tensor and never
 * mutates its inputs, except the in-place ops (`add_`, `fill_`, ...), which bump `version`.
 * @example
 * const x = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
 * const loss = x.mul(x).sum();   // sum of x^2
 * loss.backward();
 * x.grad!.toArray();             // [[2, 4], [6, 8]] = 2x
 */
export class Tensor {
  /** Sizes of each axis. */
  readonly shape: readonly number[];
  /** The storage this tensor reads, shared with every view of it (and its version counter). */
  readonly storage: Storage;
  /** Where element [0, ..., 0] sits in the storage. */
  private readonly offset: number;
  /** Elements to step in the storage per step along each axis (null: contiguous row-major, computed on demand). */
  private readonly viewStrides: readonly number[] | null;
  /** The tensor whose storage this view reads (torch's `._base`); null for a tensor that owns its storage. */
  readonly base: Tensor | null;
  private readonly numel: number;
  /** `data` of a contiguous view: the storage range itself (null when not contiguous). */
  private readonly contiguousData: TensorData | null;
  /** `data` of a non-contiguous view: a contiguous copy, valid while the storage has `copyVersion`. */
  private copy: TensorData | null = null;
  private copyVersion = -1;
  /** Accumulated gradient of a leaf that requires grad, after `backward()`. */
  grad: Tensor | null = null;
  #requiresGrad = false;
  /** The op that produced this tensor, or null for a leaf. */
  gradFn: GradFn | null = null;

  /**
   * Wraps `data` (not copied) as a tensor of `shape`. Most code should use `tensor()`, `zeros()`, ...
   * @example
   * new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
   */
  constructor(data: TensorData, shape: Shape, requiresGrad = false, view?: ViewSpec) {
    if (!isTensorData(data)) {
      throw new Error(
        `Tensor: data must be a Float32Array, Float64Array, Int32Array or Uint8Array (bool), got ` +
          `${describeValue(data)}`,
      );
    }
    checkShape(shape, 'Tensor');
    if (view === undefined && data.length !== sizeOf(shape)) {
      throw new Error(
        `Tensor: data has ${data.length} elements, expected ${sizeOf(shape)} for shape ${fmtShape(shape)}`,
      );
    }
    this.shape = Object.freeze([...shape]);
    this.numel = sizeOf(shape);
    this.storage = view?.base.storage ?? { array: data, version: 0 };
    this.offset = view?.offset ?? 0;
    // a tensor that owns its storage is contiguous: its strides are only computed if asked for
    this.viewStrides = view ? Object.freeze([...view.strides]) : null;
    this.base = view === undefined || view.detached ? null : (view.base.base ?? view.base);
    const array = this.storage.array;
    this.contiguousData =
      view !== undefined && !isContiguousLayout(this.shape, view.strides)
        ? null
        : this.offset === 0 && this.numel === array.length
          ? array
          : array.subarray(this.offset, this.offset + this.numel);
    this.requiresGrad = requiresGrad;
  }

  /** Whether operations on this tensor are recorded for backward (only floating tensors can). */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  /**
   * Turns recording on or off; an Error for an int32 or bool tensor, like torch.
   * @example
   * const w = zeros([3]);
   * w.requiresGrad = true;
   */
  set requiresGrad(value: boolean) {
    if (value && !isFloating(this.dtype)) {
      throw new Error(`Tensor: only tensors of floating dtype can require gradients, got dtype '${this.dtype}'`);
    }
    this.#requiresGrad = value;
  }

  /**
   * The elements, contiguous and row-major (length = product(shape)). For a contiguous tensor this
   * is its storage range itself (writes show in every view); for a non-contiguous view it is a
   * contiguous copy, made once per storage version; writes to that copy are lost (use the in-place
   * ops, `copy_`, `fill_`, ..., to write through a view).
   */
  get data(): TensorData {
    if (this.contiguousData !== null) return this.contiguousData;
    if (this.copy === null || this.copyVersion !== this.storage.version) {
      const out = allocate(this.dtype, this.numel);
      stridedCopy(this.storage.array.subarray(this.offset), this.strides(), this.shape, out);
      this.copy = out;
      this.copyVersion = this.storage.version;
    }
    return this.copy;
  }

  /** `'float32'`, `'float64'`, `'int32'` or `'bool'`: what kind of typed array `data` is. */
  get dtype(): DType {
    return dtypeOf(this.storage.array);
  }
  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return this.numel;
  }
  /**
   * The storage's version: it counts the in-place writes to this tensor or any view sharing its
   * storage (torch's `._version`). Saved tensors are checked against it in backward.
   * @example
   * const x = zeros([2]); x.add_(1); x.version; // 1
   */
  get version(): number {
    return this.storage.version;
  }
  /**
   * Storage steps per step along each axis, or along `dim` only (torch's `stride()`).
   * @example
   * zeros([2, 3]).transpose(0, 1).stride(); // [1, 3]
   */
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    if (dim === undefined) return [...this.strides()];
    return this.strides()[normalizeAxis(dim, this.ndim, 'stride', 'dim')] ?? 1;
  }
  private strides(): readonly number[] {
    return this.viewStrides ?? stridesOf(this.shape);
  }
  /**
   * Index in the storage of the first element (torch's `storage_offset()`).
   * @example
   * arange(6).reshape([2, 3]).select(0, 1).storageOffset(); // 3
   */
  storageOffset(): number {
    return this.offset;
  }
  /**
   * Whether the elements lie in the storage in row-major order without gaps (torch's `is_contiguous()`).
   * @example
   * zeros([2, 3]).transpose(0, 1).isContiguous(); // false
   */
  isContiguous(): boolean {
    return this.contiguousData !== null;
  }
  /** A leaf was created by the user, not by an op that recorded a graph. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  // Arithmetic with NumPy broadcasting -------------------------------------------------------
  /**
   * `this + other` elementwise, with NumPy broadcasting.
   * @example
   * tensor([1, 2]).add(tensor([[10], [20]])); // [[11, 12], [21, 22]]
   */
  add(other: Tensor | number): Tensor {
    return add(this, other);
  }
  /**
   * `this - other` elementwise, with NumPy broadcasting.
   * @example
   * tensor([5, 7]).sub(1); // [4, 6]
   */
  sub(other: Tensor | number): Tensor {
    return sub(this, other);
  }
  /**
   * `this * other` elementwise, with NumPy broadcasting.
   * @example
   * tensor([[1, 2], [3, 4]]).mul(tensor([10, 100])); // [[10, 200], [30, 400]]
   */
  mul(other: Tensor | number): Tensor {
    return mul(this, other);
  }
  /**
   * `this / other` elementwise, with NumPy broadcasting.
   * @example
   * tensor([1, 2]).div(4); // [0.25, 0.5]
   */
  div(other: Tensor | number): Tensor {
    return div(this, other);
  }
  /**
   * `this ** p` elementwise; `p` is a number or a broadcastable tensor. d/dx = p x^(p-1).
   * @example
   * tensor([2, 3]).pow(2); // [4, 9]
   */
  pow(p: Tensor | number): Tensor {
    return pow(this, p);
  }

  // Elementwise functions --------------------------------------------------------------------
  /**
   * Negation, `-x`.
   * @example
   * tensor([1, -2]).neg(); // [-1, 2]
   */
  neg(): Tensor {
    return neg(this);
  }
  /**
   * The exponential `e^x`, elementwise.
   * @example
   * tensor([0, 1]).exp(); // [1, 2.7183]
   */
  exp(): Tensor {
    return exp(this);
  }
  /**
   * The natural logarithm `ln x`, elementwise.
   * @example
   * tensor([1, Math.E]).log(); // [0, 1]
   */
  log(): Tensor {
    return log(this);
  }
  /**
   * The square root, elementwise.
   * @example
   * tensor([4, 9]).sqrt(); // [2, 3]
   */
  sqrt(): Tensor {
    return sqrt(this);
  }
  /**
   * The absolute value `|x|`; its gradient is sign(x) (0 at 0, like torch).
   * @example
   * tensor([-1.5, 2]).abs(); // [1.5, 2]
   */
  abs(): Tensor {
    return abs(this);
  }
  /**
   * The rectifier `max(x, 0)`, elementwise.
   * @example
   * tensor([-1, 0.5]).relu(); // [0, 0.5]
   */
  relu(): Tensor {
    return relu(this);
  }
  /**
   * The logistic sigmoid `1 / (1 + e^-x)`, elementwise.
   * @example
   * tensor([0]).sigmoid(); // [0.5]
   */
  sigmoid(): Tensor {
    return sigmoid(this);
  }
  /**
   * The hyperbolic tangent, elementwise.
   * @example
   * tensor([0, 1]).tanh(); // [0, 0.7616]
   */
  tanh(): Tensor {
    return tanh(this);
  }
  /**
   * Exact GELU, `x * Phi(x)` with Phi the standard normal CDF (torch's default `approximate='none'`).
   * @example
   * tensor([0, 1]).gelu(); // [0, 0.8413]
   */
  gelu(): Tensor {
    return gelu(this);
  }

  // Linear algebra ---------------------------------------------------------------------------
  /**
   * Matrix product `C[i, j] = sum_k A[i, k] B[k, j]`, with torch.matmul's rules for 1-D operands
   * and broadcast batch dimensions.
   * @example
   * tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])); // [[3], [7]]
   */
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }

  // Reductions (on the shared axis-reduction kernel) ------------------------------------------
  /**
   * Sum over `axes` (all axes by default; negative axes count from the end), accumulated in float64.
   * @example
   * tensor([[1, 2], [3, 4]]).sum(0); // [4, 6]
   */
  sum(axes?: number | number[], keepDim = false): Tensor {
    return sum(this, axes, keepDim);
  }
  /**
   * Mean over `axes` (all axes by default): `sum(x) / n`, accumulated in float64.
   * @example
   * tensor([[1, 2], [3, 4]]).mean(-1, true); // [[1.5], [3.5]]
   */
  mean(axes?: number | number[], keepDim = false): Tensor {
    return mean(this, axes, keepDim);
  }
  /**
   * Variance over `axes`: `sum((x - mean)^2) / (n - correction)`, two-pass in float64;
   * `correction` defaults to 1 (unbiased, like torch.var).
   * @example
   * tensor([1, 2, 3, 4]).var(); // 1.6667
   * tensor([1, 2, 3, 4]).var(0, { correction: 0 }); // 1.25
   */
  var(axes?: number | number[], opts?: VarOptions): Tensor {
    return variance(this, axes, opts);
  }
  /**
   * Like torch.max. With no argument or a list of axes: the maximum over those axes (all by default),
   * a Tensor, ties sharing the gradient (`amax`). With one axis `dim` (a number): `{ values, indices }`,
   * the maximum along `dim` and its int32 position (the first among ties; NaN wins), the gradient
   * going to that position only. Migration: before int32 indices, `x.max(1)` returned the tensor of
   * values; write `x.max(1).values`, or `x.amax(1)` to keep the tie-sharing gradient.
   * @example
   * const x = tensor([[1, 5], [7, 2]]);
   * x.max();                            // 7 (0-d)
   * x.max([1]);                         // [5, 7]
   * const { values, indices } = x.max(1); // values [5, 7], indices [1, 0]
   */
  max(): Tensor;
  max(axes: number[] | undefined, keepDim?: boolean): Tensor;
  max(dim: number, keepDim?: boolean): ValuesIndices;
  max(axes?: number | number[], keepDim = false): Tensor | ValuesIndices {
    return typeof axes === 'number' ? extremeAlong(this, 'max', axes, keepDim) : max(this, axes, keepDim);
  }

  // Shape ------------------------------------------------------------------------------------
  /**
   * The same elements in a new shape (one -1 is inferred): a view sharing storage when the strides
   * allow it (always for a contiguous tensor), else a copy, like torch.
   * @example
   * arange(6).reshape([2, -1]); // shape [2, 3]
   */
  reshape(shape: readonly number[]): Tensor {
    return reshape(this, shape);
  }
  /**
   * Reorders axes: output axis i is input axis `axes[i]` (a view sharing storage).
   * @example
   * zeros([2, 3, 4]).permute([2, 0, 1]).shape; // [4, 2, 3]
   */
  permute(axes: readonly number[]): Tensor {
    return permute(this, axes);
  }
  /**
   * Swaps axes `a` and `b` (a view sharing storage).
   * @example
   * tensor([[1, 2, 3]]).transpose(0, 1); // [[1], [2], [3]]
   */
  transpose(a: number, b: number): Tensor {
    return transpose(this, a, b);
  }
  /**
   * Merges axes `start..end` (inclusive; default all) into one; a view when the strides allow, else a copy.
   * @example
   * zeros([2, 3, 4]).flatten(1).shape; // [2, 12]
   */
  flatten(start = 0, end = -1): Tensor {
    return flatten(this, start, end);
  }
  /**
   * Broadcasts to `shape`: size-1 axes repeat and new leading axes may be added; -1 keeps a size.
   * A view: the repeated axes have stride 0, so it cannot be written in place.
   * @example
   * tensor([[1], [2]]).expand([2, 3]); // [[1, 1, 1], [2, 2, 2]]
   */
  expand(shape: readonly number[]): Tensor {
    return expand(this, shape);
  }
  /**
   * Inserts a size-1 axis at `axis`; shares storage.
   * @example
   * zeros([3]).unsqueeze(0).shape; // [1, 3]
   */
  unsqueeze(axis: number): Tensor {
    return unsqueeze(this, axis);
  }
  /**
   * Removes size-1 axes (only `axis`, if given); shares storage.
   * @example
   * zeros([1, 3, 1]).squeeze().shape; // [3]
   */
  squeeze(axis?: number): Tensor {
    return squeeze(this, axis);
  }

  /**
   * The same storage read as `shape` (one -1 inferred), like torch's `view`: throws when the
   * strides cannot express it (use `reshape`, which copies then).
   * @example
   * arange(6).view([3, 2]).shape; // [3, 2]
   */
  view(shape: readonly number[]): Tensor {
    return view(this, shape);
  }
  /**
   * This tensor when contiguous, else a contiguous copy (differentiable).
   * @example
   * zeros([2, 3]).transpose(0, 1).contiguous().isContiguous(); // true
   */
  contiguous(): Tensor {
    return contiguous(this);
  }
  /**
   * The slice at index `i` of axis `dim`, with that axis removed (a view; negative i counts from the end).
   * @example
   * tensor([[1, 2], [3, 4]]).select(0, -1); // [3, 4]
   */
  select(dim: number, i: number): Tensor {
    return select(this, dim, i);
  }
  /**
   * `length` elements from `start` along `dim` (a view).
   * @example
   * arange(5).narrow(0, 1, 3); // [1, 2, 3]
   */
  narrow(dim: number, start: number, length: number): Tensor {
    return narrow(this, dim, start, length);
  }
  /**
   * Python's `x[start:end:step]` along `dim` (a view): negative bounds count from the end, bounds
   * out of range are clamped, null means the default; `step` must be positive, as in torch.
   * @example
   * arange(6).slice(0, 1, null, 2); // [1, 3, 5]
   */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return slice(this, dim, start, end, step);
  }

  // In place (torch's trailing underscore; each bumps the storage version) --------------------
  /**
   * `this += other` in place (other broadcast to this shape); returns this.
   * @example
   * const x = zeros([2]); x.add_(1); // x is [1, 1]
   */
  add_(other: Tensor | number): this {
    add_(this, other);
    return this;
  }
  /**
   * `this -= other` in place; returns this.
   * @example
   * ones([2]).sub_(tensor([1, 2])); // [0, -1]
   */
  sub_(other: Tensor | number): this {
    sub_(this, other);
    return this;
  }
  /**
   * `this *= other` in place; returns this.
   * @example
   * ones([2]).mul_(3); // [3, 3]
   */
  mul_(other: Tensor | number): this {
    mul_(this, other);
    return this;
  }
  /**
   * `this /= other` in place; returns this.
   * @example
   * ones([2]).div_(4); // [0.25, 0.25]
   */
  div_(other: Tensor | number): this {
    div_(this, other);
    return this;
  }
  /**
   * Sets every element to 0 in place; returns this.
   * @example
   * randn([3]).zero_(); // [0, 0, 0]
   */
  zero_(): this {
    zero_(this);
    return this;
  }
  /**
   * Sets every element to `value` (a number, a boolean or a 0-d tensor) in place; returns this.
   * @example
   * const x = zeros([2, 3]); x.select(0, 1).fill_(5); // x is [[0, 0, 0], [5, 5, 5]]
   */
  fill_(value: Tensor | number | boolean): this {
    fill_(this, value);
    return this;
  }
  /**
   * Copies `src` (broadcast to this shape, converted to this dtype) into this tensor; returns this.
   * @example
   * zeros([2, 2]).copy_(tensor([1, 2])); // [[1, 2], [1, 2]]
   */
  copy_(src: Tensor): this {
    copy_(this, src);
    return this;
  }
  /**
   * Clamps every element into [min, max] in place (either may be null); NaN stays NaN, as in torch.
   * @example
   * tensor([-2, 0.5, 3]).clamp_(0, 1); // [0, 0.5, 1]
   */
  clamp_(min?: number | null, max?: number | null): this {
    clamp_(this, min, max);
    return this;
  }
  /**
   * Writes `value` wherever the bool `mask` (broadcast to this shape) is true, in place; returns this.
   * @example
   * const x = zeros([3]); x.maskedFill_(tensor([1, 0, 1]).to('bool'), 7); // x is [7, 0, 7]
   */
  maskedFill_(mask: Tensor, value: number | boolean | Tensor): this {
    maskedFill_(this, mask, value);
    return this;
  }

  // Conversion -------------------------------------------------------------------------------
  /**
   * This tensor converted to `dtype` (itself when it already has it); differentiable.
   * @example
   * tensor([0.1]).to('float64').dtype; // 'float64'
   */
  to(dtype: DType): Tensor {
    return toDtype(this, dtype);
  }
  /**
   * A tensor with the same values that belongs to no graph; shares storage and its version.
   * @example
   * const frozen = w.detach(); // frozen.requiresGrad === false
   */
  detach(): Tensor {
    return new Tensor(this.storage.array, this.shape, false, {
      base: this,
      strides: this.strides(),
      offset: this.offset,
      detached: true,
    });
  }
  /**
   * A copy with its own storage, outside any graph.
   * @example
   * const snapshot = w.clone();
   */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }
  /**
   * The value of a one-element tensor as a number; a bool tensor gives 1 or 0 (torch gives a Python
   * bool; a number keeps this method's type the same for every dtype).
   * @example
   * tensor([[3]]).item(); // 3
   */
  item(): number {
    if (this.size !== 1) {
      throw new Error(
        `item: expected a tensor with exactly 1 element, got shape ${fmtShape(this.shape)} (${this.size} elements)`,
      );
    }
    return this.data[0]!;
  }
  /**
   * The elements as nested arrays (one value for a 0-d tensor); booleans for a bool tensor, like torch's tolist().
   * @example
   * arange(4).reshape([2, 2]).toArray(); // [[0, 1], [2, 3]]
   */
  toArray(): NestedArray {
    return toNested(this.data, this.shape);
  }
  /**
   * A rendering like torch's `print(t)`: aligned columns, scientific notation for wide ranges, the
   * middle of tensors over 1000 elements elided, and `dtype=` / `gradFn=` suffixes.
   * @example
   * tensor([[1, 2.5]]).toString(); // 'tensor([[1.0000, 2.5000]])'
   * arange(3).toString();          // 'tensor([0, 1, 2], dtype=int32)'
   */
  toString(): string {
    return formatTensor(this.data, this.shape, this.requiresGrad, this.gradFn?.name ?? null);
  }

  /** Node's `console.log` and `util.inspect` show `toString()` (a plain symbol: no Node API used). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // Autograd ---------------------------------------------------------------------------------
  /**
   * Accumulates d(this)/d(leaf) into the `.grad` of every leaf that requires grad (`+=`).
   * `grad` is the gradient of some scalar with respect to this tensor; it defaults to 1 for a
   * one-element tensor and is required otherwise.
   * @example
   * const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
   * x.mul(x).sum().backward();
   * x.grad!.toArray(); // [2, 4, 6]
   */
  backward(grad?: Tensor, opts?: BackwardOptions): void {
    runBackward(this, grad, checkBoolean(opts?.retainGraph ?? false, 'backward', 'retainGraph'));
  }

  // Indexing (ops/indexing.ts, ops/at.ts) ---------------------------------------------------
  /**
   * torch's `x[...]`: per axis an integer (select), `null` (`:`), a `{ start, end, step }` slice, or
   * an int32/bool tensor (advanced indexing, NumPy's rules). Ints and slices alone give a view.
   * @example
   * x.at(null, -1);   // x[:, -1]
   * C.at(X);          // C[X]: one row of C per element of the int32 tensor X
   */
  at(...indices: IndexEntry[]): Tensor {
    return at(this, indices);
  }
  /**
   * The positions `index` (1-d int32) of this tensor along `dim`.
   * @example
   * tensor([[1, 2], [3, 4]]).indexSelect(1, tensor([1, 1], undefined, { dtype: 'int32' })); // [[2, 2], [4, 4]]
   */
  indexSelect(dim: number, index: Tensor): Tensor {
    return indexSelect(this, dim, index);
  }
  /**
   * `out[p] = this[p with axis dim replaced by index[p]]`; the result has index's shape.
   * @example
   * tensor([[1, 2], [3, 4]]).gather(1, tensor([[1], [0]], undefined, { dtype: 'int32' })); // [[2], [3]]
   */
  gather(dim: number, index: Tensor): Tensor {
    return gather(this, dim, index);
  }
  /**
   * A copy with `src[p]` added at `p with axis dim replaced by index[p]` (torch's scatter_add).
   * @example
   * zeros([3]).scatterAdd(0, tensor([0, 0, 2], undefined, { dtype: 'int32' }), ones([3])); // [2, 0, 1]
   */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return scatterAdd(this, dim, index, src);
  }
  /**
   * A copy with `alpha * source[.., k, ..]` added at position `index[k]` along `dim` (torch's index_add).
   * @example
   * zeros([3, 2]).indexAdd(0, tensor([2, 0], undefined, { dtype: 'int32' }), ones([2, 2]), { alpha: 2 });
   */
  indexAdd(dim: number, index: Tensor, source: Tensor, opts?: IndexAddOptions): Tensor {
    return indexAdd(this, dim, index, source, opts);
  }

  // Joining, splitting and rearranging (ops/join.ts, ops/reorder.ts) -------------------------
  /**
   * Splits along `dim` into pieces of `sizeOrSizes` (the last may be smaller) or of the listed sizes.
   * The pieces are views sharing this tensor's storage, as in torch.
   * @example
   * arange(5).split(2); // [[0, 1], [2, 3], [4]]
   * arange(5).split([1, 4]); // [[0], [1, 2, 3, 4]]
   */
  split(sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
    return split(this, sizeOrSizes, dim);
  }
  /**
   * At most `chunks` pieces of `ceil(size / chunks)` along `dim`, like torch.chunk (views).
   * @example
   * arange(5).chunk(4).map((c) => c.size); // [2, 2, 1]
   */
  chunk(chunks: number, dim = 0): Tensor[] {
    return chunk(this, chunks, dim);
  }
  /**
   * The slices along `dim`, that axis removed (views).
   * @example
   * tensor([[1, 2], [3, 4]]).unbind(1); // [[1, 3], [2, 4]]
   */
  unbind(dim = 0): Tensor[] {
    return unbind(this, dim);
  }
  /**
   * Tiles the tensor `sizes[i]` times along each axis (extra leading sizes add axes).
   * @example
   * tensor([1, 2]).repeat(2, 2); // [[1, 2, 1, 2], [1, 2, 1, 2]]
   */
  repeat(...sizes: number[]): Tensor {
    return repeat(this, sizes);
  }
  /**
   * Reverses the order of elements along each of `dims`.
   * @example
   * tensor([[1, 2], [3, 4]]).flip([0, 1]); // [[4, 3], [2, 1]]
   */
  flip(dims: number | readonly number[]): Tensor {
    return flip(this, dims);
  }
  /**
   * Shifts elements along `dims`, wrapping around; without `dims` over the flattened tensor.
   * @example
   * tensor([1, 2, 3, 4]).roll(1); // [4, 1, 2, 3]
   */
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    return roll(this, shifts, dims);
  }
  /**
   * Lower triangle of the last two axes: keeps `[i, j]` with `j - i <= k`, zeros the rest.
   * @example
   * ones([3, 3]).tril(); // [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
   */
  tril(k = 0): Tensor {
    return tril(this, k);
  }
  /**
   * Upper triangle of the last two axes: keeps `[i, j]` with `j - i >= k`, zeros the rest.
   * @example
   * ones([3, 3]).triu(1); // [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
   */
  triu(k = 0): Tensor {
    return triu(this, k);
  }

  /**
   * Makes backward fill `.grad` of this non-leaf tensor too (a no-op on a leaf), like torch's `retain_grad`.
   * @example
   * const h = x.mul(2); h.retainGrad(); h.sum().backward(); h.grad!.toArray(); // ones
   */
  retainGrad(): void {
    if (!this.requiresGrad) throw new Error("retainGrad: can't retain_grad on Tensor that has requiresGrad=false");
    if (this.gradFn !== null) retainOn(this.gradFn, this);
  }
  /**
   * Registers `fn(grad)`, run when this tensor's gradient is computed (before a leaf accumulates
   * it); a returned tensor replaces the gradient. Returns a handle whose `remove()` unregisters it.
   * @example
   * const h = w.registerHook((g) => g.clamp_(-1, 1)); ... h.remove();
   */
  registerHook(fn: TensorHook): RemovableHandle {
    if (typeof fn !== 'function') throw new Error(`registerHook: fn must be a function, got ${typeof fn}`);
    if (!this.requiresGrad) {
      throw new Error("registerHook: cannot register a hook on a tensor that doesn't require gradient");
    }
    return addHook(this.gradFn ?? this, fn);
  }

  /**
   * Sets `requiresGrad` in place and returns this tensor (only on leaves).
   * @example
   * const w = randn([3, 2]).mul(0.1).requiresGrad_(); // a scaled leaf that trains
   */
  requiresGrad_(value = true): this {
    if (!this.isLeaf)
      throw new Error(
        `requiresGrad_: only leaf tensors can change requiresGrad; this tensor was made by '${this.gradFn!.name}'`,
      );
    this.requiresGrad = checkBoolean(value, 'requiresGrad_', 'value');
    return this;
  }

  // Comparisons, logical ops and masks (dtype 'bool' results, no graph; see ops/compare.ts) ----
  /**
   * `this == other` elementwise with broadcasting, as a bool tensor (NaN equals nothing).
   * @example
   * tensor([1, 2, 3]).eq(2).toArray(); // [false, true, false]
   */
  eq(other: Tensor | number): Tensor {
    return compare('eq', this, other, 'eq');
  }
  /**
   * `this != other` elementwise, as a bool tensor (true where either side is NaN).
   * @example
   * tensor([1, NaN]).ne(tensor([1, NaN])).toArray(); // [false, true]
   */
  ne(other: Tensor | number): Tensor {
    return compare('ne', this, other, 'ne');
  }
  /**
   * `this < other` elementwise, as a bool tensor.
   * @example
   * tensor([1, 2, 3]).lt(2).toArray(); // [true, false, false]
   */
  lt(other: Tensor | number): Tensor {
    return compare('lt', this, other, 'lt');
  }
  /**
   * `this <= other` elementwise, as a bool tensor.
   * @example
   * tensor([1, 2, 3]).le(2).toArray(); // [true, true, false]
   */
  le(other: Tensor | number): Tensor {
    return compare('le', this, other, 'le');
  }
  /**
   * `this > other` elementwise, as a bool tensor.
   * @example
   * tensor([1, 2, 3]).gt(2).toArray(); // [false, false, true]
   */
  gt(other: Tensor | number): Tensor {
    return compare('gt', this, other, 'gt');
  }
  /**
   * `this >= other` elementwise, as a bool tensor.
   * @example
   * tensor([1, 2, 3]).ge(2).toArray(); // [false, true, true]
   */
  ge(other: Tensor | number): Tensor {
    return compare('ge', this, other, 'ge');
  }
  /**
   * Logical and of the truth values (non-zero is true), broadcast, as a bool tensor.
   * @example
   * tensor([true, true]).logicalAnd(tensor([true, false])).toArray(); // [true, false]
   */
  logicalAnd(other: Tensor): Tensor {
    return logical('logicalAnd', this, other, 'logicalAnd');
  }
  /**
   * Logical or of the truth values, broadcast, as a bool tensor.
   * @example
   * tensor([0, 2]).logicalOr(tensor([0, 0])).toArray(); // [false, true]
   */
  logicalOr(other: Tensor): Tensor {
    return logical('logicalOr', this, other, 'logicalOr');
  }
  /**
   * Logical exclusive or of the truth values, broadcast, as a bool tensor.
   * @example
   * tensor([true, true]).logicalXor(tensor([true, false])).toArray(); // [false, true]
   */
  logicalXor(other: Tensor): Tensor {
    return logical('logicalXor', this, other, 'logicalXor');
  }
  /**
   * Logical not: true where the element is zero (torch's `~mask` for bool tensors).
   * @example
   * tensor([true, false]).logicalNot().toArray(); // [false, true]
   */
  logicalNot(): Tensor {
    return predicate('logicalNot', this);
  }
  /**
   * True where the element is NaN.
   * @example
   * tensor([1, NaN]).isnan().toArray(); // [false, true]
   */
  isnan(): Tensor {
    return predicate('isnan', this);
  }
  /**
   * True where the element is +Infinity or -Infinity.
   * @example
   * tensor([1, -Infinity, NaN]).isinf().toArray(); // [false, true, false]
   */
  isinf(): Tensor {
    return predicate('isinf', this);
  }
  /**
   * True where the element is neither NaN nor infinite.
   * @example
   * tensor([1, Infinity, NaN]).isfinite().toArray(); // [true, false, false]
   */
  isfinite(): Tensor {
    return predicate('isfinite', this);
  }
  /**
   * Whether any element along `axes` (all by default) is non-zero, as a bool tensor.
   * @example
   * tensor([[0, 1], [0, 0]]).any(1).toArray(); // [true, false]
   */
  any(axes?: number | number[], keepDim = false): Tensor {
    return any(this, axes, keepDim);
  }
  /**
   * Whether every element along `axes` (all by default) is non-zero, as a bool tensor.
   * @example
   * tensor([[1, 1], [0, 1]]).all(1).toArray(); // [true, false]
   */
  all(axes?: number | number[], keepDim = false): Tensor {
    return all(this, axes, keepDim);
  }
  /**
   * This tensor with `value` wherever the bool `mask` (broadcast to this shape) is true; keeps
   * this tensor's dtype. Differentiable in this tensor (and in a 0-d tensor value).
   * @example
   * tensor([1, 2, 3]).maskedFill(tensor([true, false, true]), 0); // [0, 2, 0]
   */
  maskedFill(mask: Tensor, value: number | boolean | Tensor): Tensor {
    return maskedFill(this, mask, value);
  }
  // Toolbox: elementwise math, clamping, more reductions (ops/unaryMath.ts, ops/reduce.ts) -----
  /**
   * The sine, elementwise. d/dx = cos x.
   * @example
   * tensor([0, Math.PI / 2]).sin(); // [0, 1]
   */
  sin(): Tensor {
    return sin(this);
  }
  /**
   * The cosine, elementwise. d/dx = -sin x.
   * @example
   * tensor([0, Math.PI]).cos(); // [1, -1]
   */
  cos(): Tensor {
    return cos(this);
  }
  /**
   * The base-2 logarithm, elementwise.
   * @example
   * tensor([1, 8]).log2(); // [0, 3]
   */
  log2(): Tensor {
    return log2(this);
  }
  /**
   * The base-10 logarithm, elementwise.
   * @example
   * tensor([1, 100]).log10(); // [0, 2]
   */
  log10(): Tensor {
    return log10(this);
  }
  /**
   * `ln(1 + x)`, accurate for small x, elementwise.
   * @example
   * tensor([1e-10]).log1p(); // [1e-10]
   */
  log1p(): Tensor {
    return log1p(this);
  }
  /**
   * `e^x - 1`, accurate for small x, elementwise.
   * @example
   * tensor([1e-10]).expm1(); // [1e-10]
   */
  expm1(): Tensor {
    return expm1(this);
  }
  /**
   * `x^2`, elementwise.
   * @example
   * tensor([-3, 2]).square(); // [9, 4]
   */
  square(): Tensor {
    return square(this);
  }
  /**
   * `1 / sqrt(x)`, elementwise.
   * @example
   * tensor([4, 0.25]).rsqrt(); // [0.5, 2]
   */
  rsqrt(): Tensor {
    return rsqrt(this);
  }
  /**
   * `1 / x`, elementwise.
   * @example
   * tensor([2, -4]).reciprocal(); // [0.5, -0.25]
   */
  reciprocal(): Tensor {
    return reciprocal(this);
  }
  /**
   * 1 for x > 0, -1 for x < 0, else 0 (also for NaN, like torch.sign); gradient 0.
   * @example
   * tensor([-2, 0, 3]).sign(); // [-1, 0, 1]
   */
  sign(): Tensor {
    return stepFunction('sign', this);
  }
  /**
   * Rounds down to an integer, elementwise; gradient 0 (torch's convention).
   * @example
   * tensor([-1.5, 1.5]).floor(); // [-2, 1]
   */
  floor(): Tensor {
    return stepFunction('floor', this);
  }
  /**
   * Rounds up to an integer, elementwise; gradient 0.
   * @example
   * tensor([-1.5, 1.5]).ceil(); // [-1, 2]
   */
  ceil(): Tensor {
    return stepFunction('ceil', this);
  }
  /**
   * Rounds to the nearest integer, halves to even like torch.round; gradient 0.
   * @example
   * tensor([0.5, 1.5, 2.5, -0.5]).round(); // [0, 2, 2, -0]
   */
  round(): Tensor {
    return stepFunction('round', this);
  }
  /**
   * Limits every element to [min, max] (either may be omitted with null/undefined; numbers or broadcastable
   * tensors), like torch.clamp: NaN propagates, min > max gives max, the gradient is 1 inside [min, max] inclusive.
   * @example
   * tensor([-2, 0.5, 3]).clamp(0, 1); // [0, 0.5, 1]
   * tensor([-2, 3]).clamp(null, 0);   // [-2, 0]
   */
  clamp(min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
    return clamp(this, min, max);
  }
  /**
   * Standard deviation over `axes` (all by default), `sqrt(var)` with var's `correction` (default 1, like torch.std).
   * @example
   * tensor([1, 2, 3, 4]).std(); // 1.2910
   */
  std(axes?: number | number[], opts?: VarOptions): Tensor {
    return std(this, axes, opts);
  }
  /**
   * Product of all elements, or along `dim` (torch.prod), in float64; the gradient is exact with zeros.
   * @example
   * tensor([[1, 2], [3, 4]]).prod(1); // [2, 12]
   */
  prod(dim?: number, keepDim = false): Tensor {
    return prod(this, dim, keepDim);
  }
  /**
   * Running sums along `dim`: `y[k] = x[0] + ... + x[k]` (torch.cumsum), in float64.
   * @example
   * tensor([1, 2, 3]).cumsum(0); // [1, 3, 6]
   */
  cumsum(dim: number): Tensor {
    return cumsum(this, dim);
  }
  /**
   * `log(sum(exp(x)))` over `dim` (an axis or several), computed stably like torch.logsumexp.
   * @example
   * tensor([[0, 0], [1, 1]]).logsumexp(1); // [0.6931, 1.6931]
   */
  logsumexp(dim: number | number[], keepDim = false): Tensor {
    return logsumexp(this, dim, keepDim);
  }
  /**
   * The vector p-norm over `dim` (all axes by default), like torch.linalg.vector_norm:
   * p = 2 (default), 1, Infinity, -Infinity, 0 (non-zero count) or any other number.
   * @example
   * tensor([3, -4]).norm();          // 5
   * tensor([3, -4]).norm(Infinity);  // 4
   */
  norm(p = 2, dim?: number | number[], keepDim = false): Tensor {
    return norm(this, p, dim, keepDim);
  }
  /**
   * Maximum over `axes` (all by default), like torch.amax: a tensor; the gradient is shared evenly among ties.
   * @example
   * tensor([[1, 5], [7, 2]]).amax(1); // [5, 7]
   */
  amax(axes?: number | number[], keepDim = false): Tensor {
    return max(this, axes, keepDim, 'amax');
  }
  /**
   * Minimum over `axes` (all by default), like torch.amin: a tensor; the gradient is shared evenly among ties.
   * @example
   * tensor([[1, 5], [7, 2]]).amin(1); // [1, 2]
   */
  amin(axes?: number | number[], keepDim = false): Tensor {
    return amin(this, axes, keepDim);
  }
  /**
   * Like torch.min: no argument or a list of axes gives the minimum over them (`amin`); one axis `dim`
   * gives `{ values, indices }` (see `max`).
   * @example
   * tensor([[1, 5], [7, 2]]).min(1); // { values: [1, 2], indices: [0, 1] }
   */
  min(): Tensor;
  min(axes: number[] | undefined, keepDim?: boolean): Tensor;
  min(dim: number, keepDim?: boolean): ValuesIndices;
  min(axes?: number | number[], keepDim = false): Tensor | ValuesIndices {
    return typeof axes === 'number' ? extremeAlong(this, 'min', axes, keepDim) : amin(this, axes, keepDim);
  }
  /**
   * The int32 position of the maximum along `dim`, or in the flattened tensor without one (torch.argmax):
   * the first among ties; NaN counts as the maximum.
   * @example
   * tensor([[1, 5, 5], [7, 2, 0]]).argmax(1); // [1, 0]
   * tensor([[1, 5], [7, 2]]).argmax();        // 2 (flat index)
   */
  argmax(dim?: number, keepDim = false): Tensor {
    return argExtreme(this, 'max', dim, keepDim);
  }
  /**
   * The int32 position of the minimum along `dim`, or in the flattened tensor (torch.argmin).
   * @example
   * tensor([[1, 5], [7, 0]]).argmin(1); // [0, 1]
   */
  argmin(dim?: number, keepDim = false): Tensor {
    return argExtreme(this, 'min', dim, keepDim);
  }
  /**
   * The `k` largest (or, with `largest: false`, smallest) elements along `dim` (default -1) and their int32
   * positions, in order (torch.topk); equal values come in torch's CPU order. The values are differentiable.
   * @example
   * tensor([1, 9, 3, 7]).topk(2); // { values: [9, 7], indices: [1, 3] }
   */
  topk(k: number, dim = -1, opts?: TopkOptions): ValuesIndices {
    return topk(this, k, dim, opts);
  }
  /**
   * The elements sorted along `dim` (default -1), ascending unless `descending`, and the int32 positions
   * they came from (torch.sort): NaN sorted as the largest, ties in torch's CPU order (kept in order when
   * `stable`). The values are differentiable.
   * @example
   * tensor([3, 1, 2]).sort();                        // { values: [1, 2, 3], indices: [1, 2, 0] }
   * tensor([3, 1, 2]).sort(0, { descending: true }); // { values: [3, 2, 1], indices: [0, 2, 1] }
   */
  sort(dim = -1, opts?: SortOptions): ValuesIndices {
    return sort(this, dim, opts);
  }
  /**
   * Fills this tensor in place with samples of N(mean, std^2) and returns it (torch's normal_); not
   * allowed on a tensor that requires grad unless inside `noGrad`.
   * @example
   * zeros([3, 3]).normal_(0, 0.02);
   */
  normal_(mean = 0, std = 1, opts?: FillOptions): this {
    normalFill(this, mean, std, opts);
    return this;
  }
  /**
   * Fills this tensor in place with samples of U[from, to) and returns it (torch's uniform_).
   * @example
   * zeros([2, 2]).uniform_(-1, 1);
   */
  uniform_(from = 0, to = 1, opts?: FillOptions): this {
    uniformFill(this, from, to, opts);
    return this;
  }
}

/**
 * One storage array shared by a tensor and its views, with the version that in-place writes bump.
 * @example
 * zeros([3]).storage.version; // 0
 */
export interface Storage {
  /** The elements, shared by every view of this storage. */
  readonly array: TensorData;
  /** Bumped by every in-place write; saved tensors compare it in backward. */
  version: number;
}

/**
 * How a view reads its base's storage (the optional fourth constructor argument, for view ops).
 * @example
 * const x = zeros([2, 3]);
 * const spec: ViewSpec = { base: x, strides: [1, 3], offset: 0 }; // x transposed
 */
export interface ViewSpec {
  /** The tensor whose storage the view reads. */
  readonly base: Tensor;
  /** Elements to step in the storage per step along each axis. */
  readonly strides: readonly number[];
  /** Index in the storage of the view's first element. */
  readonly offset: number;
  /** `detach()`: shares the storage and its version but is not a view for autograd (no `base`). */
  readonly detached?: boolean;
}

/** A view of `base`'s storage with the given geometry, outside any graph (view ops record it). */
export function viewOf(base: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  return new Tensor(base.storage.array, shape, false, { base, strides, offset });
}

/** Row-major without gaps: torch's rule, where axes of size 1 may have any stride and empty tensors are contiguous. */
export function isContiguousLayout(shape: Shape, strides: readonly number[]): boolean {
  if (sizeOf(shape) === 0) return true;
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/** A new tensor of `shape` filled with zeros, of `dtype`. */
export function emptyLike(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}
