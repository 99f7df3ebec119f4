/**
 * Joining and splitting along an axis: cat, stack, split, chunk, unbind.
 *
 *   cat(ts, dim)   y = [t_0 | t_1 | ...] along dim        backward: dt_k = g[.., off_k : off_k + n_k, ..]
 *   stack(ts, dim) cat of the tensors each unsqueezed at dim (backward through cat and unsqueeze)
 *   split, chunk, unbind: consecutive pieces along dim, views of x (narrow, select) as in torch;
 *   each piece's backward writes its gradient into zeros at its place, and the engine sums them.
 */
import { allocate, promote } from '../../tensor/dtype.js';
import { catRows } from '../../tensor/kernels/indexing.js';
import { fmtShape, normalizeAxis, sizeOf } from '../../tensor/shape.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';
import { narrowCopy } from './indexing.js';

function checkTensorList(tensors: readonly Tensor[], where: string): void {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new Error(
      `${where}: tensors must be a non-empty list of Tensors, got ` +
        `${Array.isArray(tensors) ? '[]' : String(tensors)}`,
    );
  }
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${where}: tensors[${i}] must be a Tensor, got ${typeof t}`);
  });
}

/**
 * Concatenates `tensors` along `dim`; their shapes must match on every other axis. The dtype is the
 * promotion of all inputs (float64 wins). Like torch, 1-d empty tensors (shape [0]) are skipped.
 * @example
 * cat([tensor([[1, 2]]), tensor([[3, 4]])], 0); // [[1, 2], [3, 4]]
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList(tensors, 'cat');
  tensors.forEach((t, i) => {
    if (t.ndim === 0) throw new Error(`cat: zero-dimensional tensor (at position ${i}) cannot be concatenated`);
  });
  const dtype = tensors.map((t) => t.dtype).reduce(promote);
  const skipped = (t: Tensor) => t.ndim === 1 && t.size === 0;
  const parts = tensors.filter((t) => !skipped(t));
  let seen = 0;
  const partOf = tensors.map((t) => (skipped(t) ? -1 : seen++)); // position in parts, -1 if skipped
  const first = parts[0] ?? tensors[0]!;
  const d = normalizeAxis(dim, first.ndim, 'cat', 'dim');
  tensors.forEach((t, i) => {
    if (skipped(t)) return;
    if (t.ndim !== first.ndim) {
      throw new Error(`cat: tensors must have the same number of dimensions: got ${first.ndim} and ${t.ndim}`);
    }
    first.shape.forEach((s, a) => {
      if (a !== d && t.shape[a] !== s) {
        throw new Error(
          `cat: sizes of tensors must match except in dimension ${d}. Expected size ${s} but got size ${t.shape[a]} ` +
            `for tensor number ${i} in the list (shapes ${fmtShape(first.shape)} and ${fmtShape(t.shape)})`,
        );
      }
    });
  });
  const sizes = parts.map((t) => t.shape[d]!);
  const outShape = first.shape.map((s, a) => (a === d ? sizes.reduce((p, q) => p + q, 0) : s));
  const outer = sizeOf(first.shape.slice(0, d));
  const out = allocate(dtype, sizeOf(outShape));
  catRows(
    parts.map((t) => t.data),
    parts.map((t) => t.size / outer || 0),
    outer,
    out,
  );
  const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((p, q) => p + q, 0));
  return record(
    new Tensor(out, outShape),
    'cat',
    tensors,
    (g) =>
      tensors.map((t, i) => {
        const k = partOf[i]!;
        if (!t.requiresGrad) return null;
        // a skipped empty tensor gets an empty gradient, as in torch
        if (k < 0) return new Tensor(allocate(t.dtype, 0), t.shape);
        return narrowCopy(g, d, starts[k]!, sizes[k]!, 'catBackward').to(t.dtype);
      }),
    { dim: d },
  );
}

/**
 * Joins same-shaped `tensors` along a new axis `dim` (in [-ndim-1, ndim]).
 * @example
 * stack([tensor([1, 2]), tensor([3, 4])], 1); // [[1, 3], [2, 4]]
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList(tensors, 'stack');
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s, a) => s !== first.shape[a])) {
      throw new Error(
        `stack: expects each tensor to be equal size, but got ${fmtShape(first.shape)} at entry 0 and ` +
          `${fmtShape(t.shape)} at entry ${i}`,
      );
    }
  });
  const d = normalizeAxis(dim, first.ndim + 1, 'stack', 'dim');
  return cat(
    tensors.map((t) => t.unsqueeze(d)),
    d,
  );
}

function checkSplitInput(x: Tensor, dim: number, where: string): number {
  if (x.ndim === 0) throw new Error(`${where}: expects at least a 1-dimensional tensor, got a 0-d tensor`);
  return normalizeAxis(dim, x.ndim, where, 'dim');
}

function piecesOf(x: Tensor, d: number, sizes: readonly number[]): Tensor[] {
  let start = 0;
  return sizes.map((len) => {
    const piece = x.narrow(d, start, len);
    start += len;
    return piece;
  });
}

/**
 * Splits `x` along `dim` into pieces of `sizeOrSizes` (the last piece may be smaller), or into
 * pieces of the listed sizes, which must sum to the size of `dim`.
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  const d = checkSplitInput(x, dim, 'split');
  const n = x.shape[d]!;
  if (Array.isArray(sizeOrSizes)) {
    const sizes = sizeOrSizes as readonly number[];
    if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new Error(`split: split_sizes must contain only non-negative integers, got [${sizes.join(', ')}]`);
    }
    const total = sizes.reduce((p, q) => p + q, 0);
    if (total !== n) {
      throw new Error(
        `split: split_sizes must sum exactly to ${n} (the input's size at dimension ${d}), but got ` +
          `split_sizes=[${sizes.join(', ')}]`,
      );
    }
    return piecesOf(x, d, sizes);
  }
  const size = sizeOrSizes as number;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw new Error(`split: split_size must be a non-negative integer or a list of them, got ${String(size)}`);
  }
  if (size === 0 && n !== 0) {
    throw new Error(`split: split_size can only be 0 if the dimension size is 0, but got dimension size of ${n}`);
  }
  const count = size === 0 ? 1 : Math.max(Math.ceil(n / size), 1);
  const sizes = Array.from({ length: count }, (_, k) => Math.min(size, n - k * size));
  return piecesOf(x, d, sizes);
}

/**
 * Splits `x` along `dim` into at most `chunks` pieces of `ceil(size / chunks)` elements (the last
 * smaller; fewer pieces when they run out), exactly as torch.chunk.
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = checkSplitInput(x, dim, 'chunk');
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  }
  const n = x.shape[d]!;
  if (n === 0) return piecesOf(x, d, new Array<number>(chunks).fill(0));
  const size = Math.ceil(n / chunks);
  const count = Math.ceil(n / size);
  return piecesOf(
    x,
    d,
    Array.from({ length: count }, (_, k) => Math.min(size, n - k * size)),
  );
}

/** The slices of `x` along `dim`, that axis removed (torch.unbind). */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = checkSplitInput(x, dim, 'unbind');
  return Array.from({ length: x.shape[d]! }, (_, i) => x.select(d, i));
}
