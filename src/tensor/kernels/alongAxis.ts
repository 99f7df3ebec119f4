/**
 * Kernels that walk one axis of a contiguous tensor: cumulative sums and products along it.
 *
 * ## The view
 * A contiguous tensor of shape `[..., n, ...]` with the walked axis in the middle is read as
 * `[outer, n, inner]`: `outer` = product of the axes before it, `inner` = product of those after.
 * Element `(o, k, i)` is at `(o * n + k) * inner + i`, so the `n` elements of one line are `inner`
 * apart. A whole-tensor reduction is the view `[1, size, 1]`.
 *
 * Accumulators are float64 (JS numbers); only stored results are rounded to the output's type.
 * Pure functions over typed arrays; they allocate nothing inside their loops and write only their
 * output arguments.
 */
import type { FloatArray } from '../dtype.js';
import type { Shape } from '../shape.js';

/** `[outer, n, inner]` for walking `axis` (non-negative) of a contiguous tensor of `shape`. */
export interface AxisLines {
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

/** The `[outer, n, inner]` view of `shape` around `axis`; a 0-d tensor is one line of one element. */
export function axisLines(shape: Shape, axis: number): AxisLines {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, n: shape.length === 0 ? 1 : shape[axis]!, inner };
}

/**
 * Running sums along each line: `out[k] = x[0] + ... + x[k]` (torch.cumsum), or with `reverse`
 * `out[k] = x[k] + ... + x[n-1]` (the gradient of cumsum). `out` has the shape of x.
 */
export function cumsumLines(x: FloatArray, lines: AxisLines, out: FloatArray, reverse = false): void {
  const { outer, n, inner } = lines;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const at = base + (reverse ? n - 1 - k : k) * inner;
        acc += x[at]!;
        out[at] = acc;
      }
    }
  }
}

/** `out[o * inner + i]` = the product of line (o, i) (1 for an empty line). */
export function prodLines(x: FloatArray, lines: AxisLines, out: FloatArray): void {
  const { outer, n, inner } = lines;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let acc = 1;
      for (let k = 0; k < n; k++) acc *= x[base + k * inner]!;
      out[o * inner + i] = acc;
    }
  }
}

/**
 * The product of every other element of its line: `out[k] = prod_{j != k} x[j]`, as
 * (exclusive prefix product) * (exclusive suffix product), never a division by x[k], so zeros are
 * exact: one zero in a line leaves only its own entry non-zero, two or more make every entry 0.
 * This is d prod / d x[k], torch's prod_safe_zeros_backward. `out` has the shape of x.
 */
export function prodOthersLines(x: FloatArray, lines: AxisLines, out: FloatArray): void {
  const { outer, n, inner } = lines;
  const prefix = new Float64Array(n); // prefix[k] = x[0] * ... * x[k-1], kept in float64
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let acc = 1;
      for (let k = 0; k < n; k++) {
        prefix[k] = acc;
        acc *= x[base + k * inner]!;
      }
      let suffix = 1; // x[k+1] * ... * x[n-1]
      for (let k = n - 1; k >= 0; k--) {
        out[base + k * inner] = prefix[k]! * suffix;
        suffix *= x[base + k * inner]!;
      }
    }
  }
}
