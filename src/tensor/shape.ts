/**
 * Shapes, strides, axes and broadcasting: the index arithmetic every kernel and op shares.
 *
 * Shape letters used across typegrad: N batch, C channels, G groups, H/W (and D/L) spatial extents.
 * All storage is contiguous row-major: the last axis varies fastest.
 */
import { describeValue, fmtList } from './check.js';

/**
 * A shape as typegrad stores it: a frozen array of non-negative integers.
 * @inline
 */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous shape, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** `[2, 3]` -> `"[2, 3]"`: the form shapes take in error messages (abbreviated past 8 axes). */
export function fmtShape(shape: Shape): string {
  return fmtList(shape);
}

/**
 * The most elements one tensor may hold: 2^31 - 1. Engines cap typed arrays differently (V8 in
 * Node 20 at 2^32 elements, older Firefox and Safari lower), and kernels index with Int32Array
 * (max-pool argmax, class targets), so 2^31 - 1 is the bound that holds everywhere. Note that
 * 2^31 - 1 float32 elements are 8 GiB: the bound keeps the error clear, not the allocation small.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** A count as messages print it: `1e10` past a billion, else plain. */
function fmtCount(n: number): string {
  return n >= 1e9 ? n.toExponential().replace('e+', 'e') : String(n);
}

/**
 * Throws unless a tensor of `shape` fits in one typed array (at most `MAX_ELEMENTS` elements):
 * `zeros: shape [100000, 100000] has 1e10 elements, more than the 2147483647 a tensor can hold`.
 * Called wherever a size comes from user input, before anything is allocated.
 */
export function checkSize(shape: Shape, where: string, argName = 'shape'): void {
  const n = sizeOf(shape);
  if (n > MAX_ELEMENTS) {
    throw new Error(
      `${where}: ${argName} ${fmtShape(shape)} has ${fmtCount(n)} elements, more than the ${MAX_ELEMENTS} ` +
        `a tensor can hold`,
    );
  }
}

/** Throws unless `shape` is an array of finite non-negative integers with at most `MAX_ELEMENTS` elements. */
export function checkShape(shape: Shape, where: string, argName = 'shape'): void {
  if (!Array.isArray(shape)) {
    throw new Error(`${where}: ${argName} must be an array of non-negative integers, got ${describeValue(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new Error(`${where}: ${argName} must contain finite non-negative integers, got ${describeValue(shape)}`);
    }
  }
  checkSize(shape, where, argName);
}

/** Normalizes one possibly negative axis into `[0, ndim)`, or throws naming the argument. */
export function normalizeAxis(axis: number, ndim: number, where: string, argName = 'axis'): number {
  // Like torch, a 0-d tensor accepts the axes of a 1-d one (0 and -1); both mean axis 0.
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(axis) || axis < -n || axis >= n) {
    throw new Error(
      `${where}: ${argName} must be an integer in [${-n}, ${n - 1}] for a tensor of rank ${ndim}, got ` +
        `${describeValue(axis)}`,
    );
  }
  return axis < 0 ? axis + n : axis;
}

/**
 * Normalizes an axis set: `undefined` means every axis; negative axes count from the end; the result
 * is sorted. Repeated axes (after normalization) throw, like torch.
 */
export function normalizeAxes(
  axes: number | readonly number[] | undefined,
  ndim: number,
  where: string,
  argName = 'axes',
): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    throw new Error(
      `${where}: ${argName} must be an integer, an array of integers or undefined, got ${describeValue(axes)}`,
    );
  }
  const list = typeof axes === 'number' ? [axes] : axes;
  const seen = new Set<number>();
  const out: number[] = [];
  for (const a of list) {
    const n = normalizeAxis(a, ndim, where, argName);
    if (seen.has(n)) {
      throw new Error(`${where}: ${argName} must not repeat an axis, got ${fmtList(list)} (axis ${n} appears twice)`);
    }
    seen.add(n);
    if (ndim > 0) out.push(n);
  }
  return out.sort((x, y) => x - y);
}

/** The NumPy broadcast of two shapes, or an Error naming both. */
export function broadcastShapes(a: Shape, b: Shape, where: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${where}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dimension ${i - n} is ` +
          `${da} vs ${db}; expected equal sizes or 1)`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  checkSize(out, where, 'broadcast shape');
  return out;
}

/**
 * Strides for reading a tensor of shape `from` as if it had the (broadcast) shape `to`:
 * broadcast dimensions get stride 0.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const fromStrides = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const offset = to.length - from.length;
  for (let i = 0; i < from.length; i++) {
    out[i + offset] = from[i] === 1 && to[i + offset] !== 1 ? 0 : fromStrides[i]!;
  }
  return out;
}

/** Shapes equal element by element. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Resolves a `reshape` target (one `-1` allowed) against a size, or throws naming the argument.
 */
export function resolveReshape(from: Shape, to: readonly number[], where: string): number[] {
  const size = sizeOf(from);
  let infer = -1;
  let known = 1;
  for (let i = 0; i < to.length; i++) {
    const d = to[i]!;
    if (d === -1 && infer < 0) {
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new Error(
        `${where}: shape must contain non-negative integers and at most one -1, got ${describeValue(to)}`,
      );
    } else {
      known *= d;
    }
  }
  const out = [...to];
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new Error(`${where}: shape ${fmtShape(to)} is invalid for input of size ${size} (shape ${fmtShape(from)})`);
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new Error(
      `${where}: shape ${fmtShape(to)} has ${known} elements, expected ${size} to match input shape ${fmtShape(from)}`,
    );
  }
  return out;
}
