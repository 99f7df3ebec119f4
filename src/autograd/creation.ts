/**
 * Making tensors: from values, filled, ranges, and random with the seeded generator.
 */
import {
  allocate,
  checkDtype,
  convertInto,
  dtypeOf,
  isFloating,
  isTensorData,
  toInt32,
  type DType,
  type TensorData,
} from '../tensor/dtype.js';
import { checkBoolean, describeValue } from '../tensor/check.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { fillBernoulli, fillPermutation, fillRandint, multinomialRows } from '../tensor/kernels/sampling.js';
import { checkShape, checkSize, fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from './tensor.js';

/**
 * Options shared by the creation functions.
 * @example
 * zeros([3], { requiresGrad: true, dtype: 'float64' });
 */
export interface CreateOptions {
  /** Record operations on the new tensor for backward (default false). */
  requiresGrad?: boolean;
  /**
   * Element type: `'float32'` (the default), `'float64'`, `'int32'` or `'bool'`. Values stored as
   * int32 are truncated toward zero; NaN, infinities and values outside int32's range throw.
   */
  dtype?: DType;
}

/**
 * Options of `rand` and `randn`.
 * @example
 * const gen = new Generator(42);
 * randn([2, 2], { generator: gen }); // independent of manualSeed
 */
export interface RandomOptions extends CreateOptions {
  /** Draw from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

/**
 * Values `tensor()` accepts: a number or boolean, nested arrays of them, or a typed array.
 * @example
 * const values: TensorValues = [[1, 2], [3, 4]];
 * const mask: TensorValues = [true, false];
 */
export type TensorValues = number | boolean | readonly TensorValues[] | TensorData;

function make(data: TensorData, shape: Shape, opts: CreateOptions | undefined, where: string): Tensor {
  const requiresGrad = checkBoolean(opts?.requiresGrad ?? false, where, 'requiresGrad');
  if (requiresGrad && !isFloating(dtypeOf(data))) {
    throw new Error(`${where}: only tensors of floating dtype can require gradients, got dtype '${dtypeOf(data)}'`);
  }
  return new Tensor(data, shape, requiresGrad);
}

function checkGenerator(generator: unknown, where: string): Generator {
  if (generator === undefined) return defaultGenerator;
  if (!(generator instanceof Generator)) {
    throw new Error(`${where}: generator must be a Generator, got ${describeValue(generator)}`);
  }
  return generator;
}

/** Infers the shape of rectangular nested arrays, or throws naming where they are ragged. */
function inferShape(values: TensorValues): number[] {
  const shape: number[] = [];
  let v: TensorValues = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0] as TensorValues;
  }
  return shape;
}

/** Counts booleans and numbers seen, so that all-boolean values make a bool tensor. */
interface Leaves {
  values: number[];
  booleans: number;
}

function flattenInto(values: TensorValues, shape: number[], axis: number, out: Leaves): void {
  if (axis === shape.length) {
    if (typeof values === 'boolean') {
      out.booleans++;
      out.values.push(values ? 1 : 0);
      return;
    }
    if (typeof values !== 'number') {
      throw new Error(
        `tensor: values must be rectangular nested arrays of numbers or booleans; ` +
          `found ${describeValue(values)} where a number was expected at depth ${axis}`,
      );
    }
    out.values.push(values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[axis]) {
    throw new Error(
      `tensor: values must be rectangular; expected ${shape[axis]} entries at depth ${axis}, got ` +
        `${Array.isArray(values) ? values.length : describeValue(values)}`,
    );
  }
  for (const v of values as readonly TensorValues[]) flattenInto(v, shape, axis + 1, out);
}

const BAD_VALUES =
  'tensor: values must be a number, a boolean, nested arrays or a Float32Array/Float64Array/Int32Array/Uint8Array';

/**
 * A tensor from values (copied); the shape is inferred from the nesting, or, with `shape`, flat
 * values are laid out row-major in it. The dtype is `opts.dtype`, else inferred like torch.tensor:
 * a typed array keeps its own (Int32Array -> int32, Uint8Array -> bool with nonzero -> true),
 * booleans make bool, and numbers make float32 (JS has no separate integers: use `{ dtype: 'int32' }`).
 * @example
 * tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true }); // shape [2, 2]
 * tensor([1, 2, 3, 4, 5, 6], [2, 3]);                          // row-major: [[1, 2, 3], [4, 5, 6]]
 * tensor(new Float32Array([0.5, 1.5]));                        // shape [2]
 * tensor([true, false]).dtype;                                 // 'bool'
 * tensor([2.7, -2.7], undefined, { dtype: 'int32' });          // [2, -2]
 */
export function tensor(values: TensorValues, shape?: readonly number[], opts?: CreateOptions): Tensor {
  let source: ArrayLike<number>;
  let inferredDtype: DType;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    if (!isTensorData(values)) throw new Error(`${BAD_VALUES}, got ${describeValue(values)}`);
    source = values;
    inferredDtype = dtypeOf(values);
    inferred = [values.length];
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    source = [Number(values)];
    inferredDtype = typeof values === 'boolean' ? 'bool' : 'float32';
    inferred = [];
  } else if (Array.isArray(values)) {
    inferred = inferShape(values);
    const leaves: Leaves = { values: [], booleans: 0 };
    flattenInto(values, inferred, 0, leaves);
    source = leaves.values;
    inferredDtype = leaves.booleans > 0 && leaves.booleans === leaves.values.length ? 'bool' : 'float32';
  } else {
    throw new Error(`${BAD_VALUES}, got ${describeValue(values)}`);
  }
  const dtype = opts?.dtype === undefined ? inferredDtype : checkDtype(opts.dtype, 'tensor');
  const data = allocate(dtype, source.length);
  convertInto(source, data, 'tensor');
  if (shape === undefined) return make(data, inferred, opts, 'tensor');
  checkShape(shape, 'tensor');
  if (sizeOf(shape) !== data.length) {
    throw new Error(`tensor: shape ${fmtShape(shape)} needs ${sizeOf(shape)} values, got ${data.length}`);
  }
  return make(data, shape, opts, 'tensor');
}

/** `full` under the name of the function the user called (zeros, ones, full). */
function filled(
  shape: readonly number[],
  value: number | boolean,
  opts: CreateOptions | undefined,
  where: string,
): Tensor {
  checkShape(shape, where);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`${where}: value must be a number or a boolean, got ${describeValue(value)}`);
  }
  const inferred = typeof value === 'boolean' ? 'bool' : 'float32';
  const dtype = opts?.dtype === undefined ? inferred : checkDtype(opts.dtype, where);
  const converted = allocate(dtype, 1);
  convertInto([Number(value)], converted, where);
  const data = allocate(dtype, sizeOf(shape));
  data.fill(converted[0]!);
  return make(data, shape, opts, where);
}

/**
 * A tensor of `shape` filled with `value`.
 * @example
 * full([2, 2], 7); // [[7, 7], [7, 7]]
 */
export function full(shape: readonly number[], value: number | boolean, opts?: CreateOptions): Tensor {
  return filled(shape, value, opts, 'full');
}

/**
 * A tensor of `shape` filled with zeros.
 * @example
 * zeros([2, 3]);
 */
export function zeros(shape: readonly number[], opts?: CreateOptions): Tensor {
  return filled(shape, 0, opts, 'zeros');
}

/**
 * A tensor of `shape` filled with ones.
 * @example
 * ones([3], { requiresGrad: true });
 */
export function ones(shape: readonly number[], opts?: CreateOptions): Tensor {
  return filled(shape, 1, opts, 'ones');
}

/**
 * Evenly spaced values `start + i * step` in [start, end), like torch.arange. With integer start,
 * end and step the dtype is int32 (torch: int64), otherwise float32; `opts.dtype` overrides.
 * @example
 * arange(5);           // [0, 1, 2, 3, 4], int32
 * arange(1, 4);        // [1, 2, 3]
 * arange(0, 1, 0.25);  // [0, 0.25, 0.5, 0.75], float32
 */
export function arange(startOrEnd: number, end?: number, step = 1, opts?: CreateOptions): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  if (![start, stop, step].every(Number.isFinite)) {
    const shown = [start, stop, step].map(describeValue);
    throw new Error(
      `arange: start, end and step must be finite numbers, got start=${shown[0]}, end=${shown[1]}, step=${shown[2]}`,
    );
  }
  if (step === 0) throw new Error('arange: step must be non-zero, got 0');
  if ((stop - start) / step < 0) {
    throw new Error(`arange: step (${step}) must move from start (${start}) towards end (${stop})`);
  }
  const n = Math.ceil((stop - start) / step);
  checkSize([n], 'arange', 'result shape');
  const integral = [start, stop, step].every(Number.isInteger);
  const inferred = integral ? 'int32' : 'float32';
  const dtype =
    opts?.dtype === undefined ? inferred : checkDtype(opts.dtype, 'arange', ['float32', 'float64', 'int32']);
  if (dtype === 'int32' && n > 0) {
    toInt32(start, 'arange');
    toInt32(start + (n - 1) * step, 'arange');
  }
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = dtype === 'int32' ? Math.trunc(start + i * step) : start + i * step;
  return make(data, [n], opts, 'arange');
}

/**
 * Uniform samples in [0, 1) from the seeded generator (see `manualSeed`).
 * @example
 * manualSeed(0);
 * rand([2, 3]).mul(2).sub(1); // uniform in [-1, 1)
 */
export function rand(shape: readonly number[], opts?: RandomOptions): Tensor {
  checkShape(shape, 'rand');
  const gen = checkGenerator(opts?.generator, 'rand');
  const data = allocate(checkDtype(opts?.dtype, 'rand', ['float32', 'float64']), sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.uniform();
  return make(data, shape, opts, 'rand');
}

/**
 * Standard normal samples (mean 0, variance 1) from the seeded generator (see `manualSeed`).
 * @example
 * manualSeed(0);
 * const w = randn([784, 10]).mul(Math.sqrt(2 / 784)).requiresGrad_(); // He initialisation
 */
export function randn(shape: readonly number[], opts?: RandomOptions): Tensor {
  checkShape(shape, 'randn');
  const gen = checkGenerator(opts?.generator, 'randn');
  const data = allocate(checkDtype(opts?.dtype, 'randn', ['float32', 'float64']), sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.normal();
  return make(data, shape, opts, 'randn');
}

/**
 * A tensor of `like`'s shape filled with `value`, of `like`'s dtype unless `opts.dtype` says otherwise.
 * @example
 * fullLike(tensor([1, 2]), 7); // [7, 7]
 */
export function fullLike(like: Tensor, value: number | boolean, opts?: CreateOptions): Tensor {
  if (!(like instanceof Tensor)) throw new Error(`fullLike: like must be a Tensor, got ${describeValue(like)}`);
  return full(like.shape, value, { ...opts, dtype: opts?.dtype ?? like.dtype });
}

/**
 * Zeros of `like`'s shape and dtype (or `opts.dtype`).
 * @example
 * zerosLike(randn([2, 3])).shape; // [2, 3]
 */
export function zerosLike(like: Tensor, opts?: CreateOptions): Tensor {
  return fullLike(like, 0, opts);
}

/**
 * Ones of `like`'s shape and dtype (or `opts.dtype`).
 * @example
 * onesLike(arange(3)).toArray(); // [1, 1, 1], int32
 */
export function onesLike(like: Tensor, opts?: CreateOptions): Tensor {
  return fullLike(like, 1, opts);
}

// Random sampling: bernoulli, randint, randperm, multinomial (kernels in tensor/kernels/sampling.ts) ----

/**
 * Options of the sampling functions.
 * @example
 * bernoulli(full([4], 0.5), { generator: new Generator(3) });
 */
export interface SampleOptions {
  /** Draw from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

/**
 * 1 with probability `p[i]`, else 0, elementwise (torch.bernoulli): same shape and dtype as `p`,
 * not differentiable. Every probability must be in [0, 1].
 * @example
 * manualSeed(0);
 * bernoulli(tensor([0, 0.5, 1])); // [0, 0 or 1, 1]
 */
export function bernoulli(p: Tensor, opts: SampleOptions = {}): Tensor {
  if (!(p instanceof Tensor)) throw new Error(`bernoulli: p must be a Tensor of probabilities, got ${typeof p}`);
  for (let i = 0; i < p.size; i++) {
    const v = p.data[i]!;
    if (!(v >= 0 && v <= 1))
      throw new Error(`bernoulli: p must contain probabilities in [0, 1], got ${v} at flat index ${i}`);
  }
  const out = allocate(p.dtype, p.size);
  fillBernoulli(opts.generator ?? defaultGenerator, p.data, out);
  return new Tensor(out, p.shape);
}

/**
 * Options of `randint`.
 * @example
 * randint(0, 10, [3], { dtype: 'float32', generator: new Generator(1) });
 */
export interface RandintOptions extends SampleOptions {
  /** Element type (default `'int32'`, torch's int64 narrowed like every typegrad index). */
  dtype?: DType;
}

/**
 * Uniform random integers in [low, high) of `shape` (torch.randint), exactly uniform (rejection
 * sampling on 32-bit draws). Also `randint(high, shape, opts)`, with low = 0.
 * @example
 * manualSeed(0);
 * randint(0, 6, [2, 3]);  // dice rolls 0..5, int32
 * randint(10, [4]);       // 0..9
 */
export function randint(low: number, high: number, shape: readonly number[], opts?: RandintOptions): Tensor;
export function randint(high: number, shape: readonly number[], opts?: RandintOptions): Tensor;
export function randint(
  a: number,
  b: number | readonly number[],
  c?: readonly number[] | RandintOptions,
  d?: RandintOptions,
): Tensor {
  const twoBounds = typeof b === 'number';
  const low = twoBounds ? a : 0;
  const high = twoBounds ? b : a;
  const shape = (twoBounds ? c : b) as readonly number[];
  const opts = ((twoBounds ? d : c) ?? {}) as RandintOptions;
  for (const [name, v] of [
    ['low', low],
    ['high', high],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new Error(`randint: ${name} must be an integer, got ${String(v)}`);
  }
  if (low >= high) throw new Error(`randint: expected low < high, got low=${low} >= high=${high}`);
  checkShape(shape, 'randint');
  const dtype = opts.dtype ?? 'int32';
  if (dtype === 'int32' && (low < -(2 ** 31) || high > 2 ** 31)) {
    throw new Error(`randint: [low, high) must fit in int32, got low=${low}, high=${high}`);
  }
  if (high - low > 2 ** 32) throw new Error(`randint: high - low must be at most 2^32, got ${high - low}`);
  const out = allocate(dtype, sizeOf(shape));
  fillRandint(opts.generator ?? defaultGenerator, low, high - low, out);
  return new Tensor(out, shape);
}

/**
 * A uniformly random permutation of 0..n-1 (torch.randperm), int32, by Fisher-Yates.
 * @example
 * manualSeed(0);
 * randperm(5); // e.g. [3, 0, 4, 1, 2]
 */
export function randperm(n: number, opts: SampleOptions = {}): Tensor {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2 ** 31) {
    throw new Error(`randperm: n must be a non-negative integer, got ${String(n)}`);
  }
  const out = new Int32Array(n);
  fillPermutation(opts.generator ?? defaultGenerator, out);
  return new Tensor(out, [n]);
}

/**
 * Options of `multinomial`.
 * @example
 * multinomial(tensor([1, 2, 7]), 5, { replacement: true });
 */
export interface MultinomialOptions extends SampleOptions {
  /** Draw with replacement (default false: every category at most once per row). */
  replacement?: boolean;
}

/**
 * `numSamples` category indices per row of `probs` (1-d: one distribution; 2-d: one per row),
 * drawn with probabilities proportional to the non-negative weights, like torch.multinomial:
 * int32, shape `[numSamples]` or `[rows, numSamples]`. Without replacement (the default) a row's
 * samples are distinct, in the order drawn; zero-weight categories come last, by index, once the
 * others are used up.
 * @example
 * manualSeed(0);
 * multinomial(tensor([0.1, 0.6, 0.3]), 2);                          // two distinct categories
 * multinomial(tensor([[1, 1], [0, 1]]), 4, { replacement: true });  // shape [2, 4]; row 1 is all 1s
 */
export function multinomial(probs: Tensor, numSamples: number, opts: MultinomialOptions = {}): Tensor {
  if (!(probs instanceof Tensor)) throw new Error(`multinomial: probs must be a Tensor, got ${typeof probs}`);
  if (probs.ndim !== 1 && probs.ndim !== 2) {
    throw new Error(
      `multinomial: probs must be 1-d or 2-d (prob_dist must be 1 or 2 dim), got shape ${fmtShape(probs.shape)}`,
    );
  }
  if (probs.dtype !== 'float32' && probs.dtype !== 'float64') {
    throw new Error(`multinomial: probs must be a float32 or float64 tensor, got dtype '${probs.dtype}'`);
  }
  if (typeof numSamples !== 'number' || !Number.isInteger(numSamples) || numSamples <= 0) {
    throw new Error(
      `multinomial: numSamples must be a positive integer (cannot sample n_sample <= 0 samples), got ` +
        `${String(numSamples)}`,
    );
  }
  const replacement = opts.replacement ?? false;
  const categories = probs.shape[probs.ndim - 1]!;
  const rows = probs.ndim === 2 ? probs.shape[0]! : 1;
  if (!replacement && numSamples > categories) {
    throw new Error(
      `multinomial: cannot sample numSamples > probs.size(-1) samples without replacement, got ` +
        `numSamples=${numSamples} > ${categories}`,
    );
  }
  const w = probs.data;
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let c = 0; c < categories; c++) {
      const v = w[r * categories + c]!;
      if (!(v >= 0 && v < Infinity)) {
        throw new Error(
          `multinomial: probability tensor contains either inf, nan or element < 0, got ${v} at flat ` +
            `index ${r * categories + c}`,
        );
      }
      total += v;
    }
    if (!(total > 0))
      throw new Error(`multinomial: invalid multinomial distribution (sum of probabilities <= 0) in row ${r}`);
  }
  const out = new Int32Array(rows * numSamples);
  multinomialRows(opts.generator ?? defaultGenerator, w, rows, categories, numSamples, replacement, out);
  return new Tensor(out, probs.ndim === 2 ? [rows, numSamples] : [numSamples]);
}
