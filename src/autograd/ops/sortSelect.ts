/**
 * Selection along an axis: argmax/argmin, max/min with a dim, topk and sort, on any dtype. Each
 * returns int32 positions; the selected values are differentiable, their gradient scattered back to the chosen
 * positions (the kernels are in src/tensor/kernels/sortSelect.ts, with torch's NaN and tie order).
 */
import { allocate, type FloatArray, type TensorData } from '../../tensor/dtype.js';
import { floatData } from '../dtypeCheck.js';
import { axisLines, type AxisLines } from '../../tensor/kernels/alongAxis.js';
import { argReduceLines, scatterLines, sortLines, topkLines } from '../../tensor/kernels/sortSelect.js';
import { fmtShape, normalizeAxis } from '../../tensor/shape.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

/**
 * The selected values and their int32 positions along the axis, as torch's `(values, indices)`
 * named tuple: read the fields, or destructure it like the tuple.
 * @example
 * const { values, indices } = tensor([[1, 5, 2]]).max(1); // values [5], indices [1]
 * const [v, i] = tensor([3, 1, 2]).sort();               // as torch's  v, i = x.sort()
 */
export interface ValuesIndices extends Iterable<Tensor> {
  /** The selected elements (differentiable). */
  values: Tensor;
  /** Their positions along the axis, int32. */
  indices: Tensor;
}

/** `{ values, indices }` that also destructures as `[values, indices]`. */
function valuesIndices(values: Tensor, indices: Tensor): ValuesIndices {
  return {
    values,
    indices,
    *[Symbol.iterator]() {
      yield values;
      yield indices;
    },
  };
}

/**
 * Options of `Tensor.topk`.
 * @example
 * x.topk(3, -1, { largest: false }); // the three smallest per row
 */
export interface TopkOptions {
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /**
   * Return them in order (default true). With false they come in the order torch's CPU topk leaves
   * them (its std::nth_element's), which typegrad reproduces; only the set is documented by torch.
   */
  sorted?: boolean;
}

/**
 * Options of `Tensor.sort`.
 * @example
 * x.sort(0, { descending: true });
 */
export interface SortOptions {
  /** Largest first (default false). */
  descending?: boolean;
  /**
   * Keep the order of equal elements (default false: ties then come in the order torch's CPU sort,
   * libstdc++'s std::sort, leaves them, which typegrad reproduces).
   */
  stable?: boolean;
}

interface Along {
  axis: number;
  lines: AxisLines;
}

function along(x: Tensor, dim: number, where: string): Along {
  if (typeof dim !== 'number') throw new Error(`${where}: dim must be an axis (a number), got ${String(dim)}`);
  const axis = normalizeAxis(dim, x.ndim, where, 'dim');
  return { axis, lines: axisLines(x.shape, axis) };
}

/** x's shape with `axis` of size `k` (a 0-d tensor stays 0-d). */
function withAxisSize(x: Tensor, axis: number, k: number): number[] {
  return x.ndim === 0 ? [] : x.shape.map((d, i) => (i === axis ? k : d));
}

/** x's shape with `axis` removed, or kept as 1. */
function reducedShape(x: Tensor, axis: number, keepDim: boolean): number[] {
  if (x.ndim === 0) return [];
  return keepDim ? withAxisSize(x, axis, 1) : x.shape.filter((_, i) => i !== axis);
}

/**
 * A selection's `{ values, indices }`, the values recorded so that the gradient g goes back to the
 * positions: out[idx] += g. The indices tensor is saved, as torch saves it: writing it in place
 * before backward throws.
 */
function selected(
  x: Tensor,
  values: TensorData,
  shape: number[],
  indices: Tensor,
  a: Along,
  k: number,
  name: string,
): ValuesIndices {
  const saved = saveForBackward(indices);
  const y = record(new Tensor(values, shape), name, [x], (g) => {
    const gx = allocate(x.dtype, x.size) as FloatArray; // x requires grad, so it is floating
    scatterLines(floatData(g, name, 'grad'), saved().data as Int32Array, a.lines, k, gx);
    return [new Tensor(gx, x.shape)];
  });
  return valuesIndices(y, indices);
}

/** `selected` for topk and sort: the values and indices have x's shape with `k` along the axis. */
function selection(
  x: Tensor,
  values: TensorData,
  indices: Int32Array,
  a: Along,
  k: number,
  name: string,
): ValuesIndices {
  const shape = withAxisSize(x, a.axis, k);
  return selected(x, values, shape, new Tensor(indices, shape), a, k, name);
}

/**
 * The position of the largest (`'max'`) or smallest element, torch.argmax/argmin: along `dim`, or
 * of the flattened tensor when dim is undefined. The first among ties; NaN counts as the extreme.
 */
export function argExtreme(x: Tensor, mode: 'max' | 'min', dim?: number, keepDim = false): Tensor {
  const where = `arg${mode}`;
  const data = x.data;
  if (dim === undefined) {
    if (x.size === 0)
      throw new Error(
        `${where}: cannot take the ${where} of an empty tensor without a dim (input shape ${fmtShape(x.shape)})`,
      );
    const index = new Int32Array(1);
    argReduceLines(data, { outer: 1, n: x.size, inner: 1 }, mode, index, null);
    return new Tensor(index, keepDim ? x.shape.map(() => 1) : []);
  }
  const a = along(x, dim, where);
  checkNonEmpty(x, a, dim, where);
  const indices = new Int32Array(a.lines.outer * a.lines.inner);
  argReduceLines(data, a.lines, mode, indices, null);
  return new Tensor(indices, reducedShape(x, a.axis, keepDim));
}

function checkNonEmpty(x: Tensor, a: Along, dim: number, where: string): void {
  if (a.lines.n === 0 && a.lines.outer * a.lines.inner > 0) {
    throw new Error(`${where}: cannot reduce over dim ${dim} of size 0 (input shape ${fmtShape(x.shape)})`);
  }
}

/**
 * torch.max(x, dim) / torch.min(x, dim): the extreme of each line along `dim` and its position
 * (the first among ties; NaN propagates and wins). d values / dx = 1 at the chosen position only
 * (not split among ties: that is amax/amin).
 */
export function extremeAlong(x: Tensor, mode: 'max' | 'min', dim: number, keepDim = false): ValuesIndices {
  const data = x.data;
  const a = along(x, dim, mode);
  checkNonEmpty(x, a, dim, mode);
  const size = a.lines.outer * a.lines.inner;
  const indices = new Int32Array(size);
  const values = allocate(x.dtype, size);
  argReduceLines(data, a.lines, mode, indices, values);
  const shape = reducedShape(x, a.axis, keepDim);
  return selected(x, values, shape, new Tensor(indices, shape), a, 1, mode);
}

/**
 * The k largest (or smallest) elements along `dim` and their positions, torch.topk, in order
 * unless `sorted` is false. Ties come in torch's CPU order (see topkLines in
 * src/tensor/kernels/sortSelect.ts). d values / dx = 1 at each chosen position.
 */
export function topk(x: Tensor, k: number, dim = -1, opts: TopkOptions = {}): ValuesIndices {
  const data = x.data;
  const a = along(x, dim, 'topk');
  const n = a.lines.n;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new Error(`topk: k must be an integer in [0, ${n}] (the size of dim ${dim}), got ${k}`);
  }
  const size = a.lines.outer * k * a.lines.inner;
  const values = allocate(x.dtype, size);
  const indices = new Int32Array(size);
  topkLines(data, a.lines, k, opts.largest ?? true, opts.sorted ?? true, values, indices);
  return selection(x, values, indices, a, k, 'topk');
}

/**
 * The elements sorted along `dim` and the positions they came from, torch.sort, NaN sorted as the
 * largest value. Equal elements keep their order when `stable`; otherwise they come where torch's
 * CPU sort leaves them (see sortLines in src/tensor/kernels/sortSelect.ts), with torch's two
 * exceptions, both stable: a 1-d integer tensor of 32768 or more elements sorted ascending (torch
 * uses a radix sort there) and a line of stride 0 (an expanded axis: torch returns 0, 1, 2, ...).
 */
export function sort(x: Tensor, dim = -1, opts: SortOptions = {}): ValuesIndices {
  const data = x.data;
  const a = along(x, dim, 'sort');
  const descending = opts.descending ?? false;
  const n = a.lines.n;
  const radix = x.ndim === 1 && !descending && x.dtype === 'int32' && n >= RADIX_SORT_MIN;
  const expanded = x.ndim > 0 && x.stride()[a.axis] === 0;
  const stable = (opts.stable ?? false) || radix || expanded;
  const size = a.lines.outer * n * a.lines.inner;
  const values = allocate(x.dtype, size);
  const indices = new Int32Array(size);
  sortLines(data, a.lines, descending, stable, values, indices);
  return selection(x, values, indices, a, n, 'sort');
}

/** torch sorts a 1-d integer tensor this long with a (stable) radix sort: at::internal::GRAIN_SIZE. */
const RADIX_SORT_MIN = 32768;
