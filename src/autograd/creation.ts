/**
 * Making tensors: from values, filled, ranges, and random with the seeded generator.
 */
import { allocate, type DType, type FloatArray } from '../tensor/dtype.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { checkShape, fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from './tensor.js';

/**
 * Options shared by the creation functions.
 * @example
 * zeros([3], { requiresGrad: true, dtype: 'float64' });
 */
export interface CreateOptions {
  /** Record operations on the new tensor for backward (default false). */
  requiresGrad?: boolean;
  /** Element type (default `'float32'`). */
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
 * Values `tensor()` accepts: a number, nested arrays of numbers, or a typed array.
 * @example
 * const values: TensorValues = [[1, 2], [3, 4]];
 */
export type TensorValues = number | readonly TensorValues[] | Float32Array | Float64Array;

function make(data: FloatArray, shape: Shape, opts: CreateOptions | undefined): Tensor {
  return new Tensor(data, shape, opts?.requiresGrad ?? false);
}

function checkDtype(dtype: DType | undefined, where: string): DType {
  const d = dtype ?? 'float32';
  if (d !== 'float32' && d !== 'float64') throw new Error(`${where}: dtype must be 'float32' or 'float64', got ${String(d)}`);
  return d;
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

function flattenInto(values: TensorValues, shape: number[], axis: number, out: FloatArray, offset: { i: number }): void {
  if (axis === shape.length) {
    if (typeof values !== 'number') {
      throw new Error(`tensor: values must be rectangular nested arrays of numbers; found ${Array.isArray(values) ? 'an array' : typeof values} where a number was expected at depth ${axis}`);
    }
    out[offset.i++] = values;
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[axis]) {
    throw new Error(
      `tensor: values must be rectangular; expected ${shape[axis]} entries at depth ${axis}, got ${Array.isArray(values) ? values.length : typeof values}`,
    );
  }
  for (const v of values as readonly TensorValues[]) flattenInto(v, shape, axis + 1, out, offset);
}

/**
 * A tensor from values (copied); the shape is inferred from the nesting, or, with `shape`, flat
 * values are laid out row-major in it.
 * @example
 * tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true }); // shape [2, 2]
 * tensor([1, 2, 3, 4, 5, 6], [2, 3]);                          // row-major: [[1, 2, 3], [4, 5, 6]]
 * tensor(new Float32Array([0.5, 1.5]));                        // shape [2]
 */
export function tensor(values: TensorValues, shape?: readonly number[], opts?: CreateOptions): Tensor {
  const dtype = checkDtype(opts?.dtype, 'tensor');
  let data: FloatArray;
  let inferred: number[];
  if (values instanceof Float32Array || values instanceof Float64Array) {
    data = allocate(dtype, values.length);
    data.set(values);
    inferred = [values.length];
  } else if (typeof values === 'number') {
    data = allocate(dtype, 1);
    data[0] = values;
    inferred = [];
  } else if (Array.isArray(values)) {
    inferred = inferShape(values);
    data = allocate(dtype, sizeOf(inferred));
    flattenInto(values, inferred, 0, data, { i: 0 });
  } else {
    throw new Error(`tensor: values must be a number, nested arrays or a Float32Array/Float64Array, got ${typeof values}`);
  }
  if (shape === undefined) return make(data, inferred, opts);
  checkShape(shape, 'tensor');
  if (sizeOf(shape) !== data.length) {
    throw new Error(`tensor: shape ${fmtShape(shape)} needs ${sizeOf(shape)} values, got ${data.length}`);
  }
  return make(data, shape, opts);
}

/**
 * A tensor of `shape` filled with `value`.
 * @example
 * full([2, 2], 7); // [[7, 7], [7, 7]]
 */
export function full(shape: readonly number[], value: number, opts?: CreateOptions): Tensor {
  checkShape(shape, 'full');
  if (typeof value !== 'number') throw new Error(`full: value must be a number, got ${typeof value}`);
  const data = allocate(checkDtype(opts?.dtype, 'full'), sizeOf(shape));
  data.fill(value);
  return make(data, shape, opts);
}

/**
 * A tensor of `shape` filled with zeros.
 * @example
 * zeros([2, 3]);
 */
export function zeros(shape: readonly number[], opts?: CreateOptions): Tensor {
  return full(shape, 0, opts);
}

/**
 * A tensor of `shape` filled with ones.
 * @example
 * ones([3], { requiresGrad: true });
 */
export function ones(shape: readonly number[], opts?: CreateOptions): Tensor {
  return full(shape, 1, opts);
}

/**
 * Evenly spaced values `start + i * step` in [start, end), like torch.arange.
 * @example
 * arange(5);           // [0, 1, 2, 3, 4]
 * arange(1, 4);        // [1, 2, 3]
 * arange(0, 1, 0.25);  // [0, 0.25, 0.5, 0.75]
 */
export function arange(startOrEnd: number, end?: number, step = 1, opts?: CreateOptions): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  if (![start, stop, step].every(Number.isFinite)) {
    throw new Error(`arange: start, end and step must be finite, got start=${start}, end=${stop}, step=${step}`);
  }
  if (step === 0) throw new Error('arange: step must be non-zero, got 0');
  if ((stop - start) / step < 0) {
    throw new Error(`arange: step (${step}) must move from start (${start}) towards end (${stop})`);
  }
  const n = Math.ceil((stop - start) / step);
  const data = allocate(checkDtype(opts?.dtype, 'arange'), n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return make(data, [n], opts);
}

/**
 * Uniform samples in [0, 1) from the seeded generator (see `manualSeed`).
 * @example
 * manualSeed(0);
 * rand([2, 3]).mul(2).sub(1); // uniform in [-1, 1)
 */
export function rand(shape: readonly number[], opts?: RandomOptions): Tensor {
  checkShape(shape, 'rand');
  const gen = opts?.generator ?? defaultGenerator;
  const data = allocate(checkDtype(opts?.dtype, 'rand'), sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.uniform();
  return make(data, shape, opts);
}

/**
 * Standard normal samples (mean 0, variance 1) from the seeded generator (see `manualSeed`).
 * @example
 * manualSeed(0);
 * const w = randn([784, 10]).mul(Math.sqrt(2 / 784)).requiresGrad_(); // He initialisation
 */
export function randn(shape: readonly number[], opts?: RandomOptions): Tensor {
  checkShape(shape, 'randn');
  const gen = opts?.generator ?? defaultGenerator;
  const data = allocate(checkDtype(opts?.dtype, 'randn'), sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.normal();
  return make(data, shape, opts);
}
