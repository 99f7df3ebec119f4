/**
 * Ordering kernels along one axis: arg-max/min, sort, top-k, and the scatter that carries a
 * gradient back to the chosen positions. Lines are the `[outer, n, inner]` view of ./alongAxis.ts.
 *
 * Order, torch's: NaN is larger than every number (sorted last ascending, first descending, picked
 * first by argmax and by argmin alike, since NaN propagates through max and min); equal values keep
 * their original order (a stable sort: torch's CPU sort is stable), and arg-max/min pick the first
 * occurrence. Indices are int32 positions along the axis. Every dtype can be ordered; only the
 * scatter of a gradient needs floats.
 */
import type { FloatArray, TensorData } from '../dtype.js';
import type { AxisLines } from './alongAxis.js';

/** Ascending order with NaN last; 0 for equal values (and -0 = 0), so a stable sort keeps ties in place. */
export function compareAscending(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = a !== a;
  const bn = b !== b;
  return an === bn ? 0 : an ? 1 : -1;
}

/**
 * For each line (o, i): the position of its largest (`'max'`) or smallest (`'min'`) element, the
 * first one among ties, the first NaN if there is one. `indices` and `values` (optional) have the
 * `[outer, inner]` layout; lines must not be empty.
 */
export function argReduceLines(
  x: TensorData,
  lines: AxisLines,
  mode: 'max' | 'min',
  indices: Int32Array,
  values: TensorData | null,
): void {
  const { outer, n, inner } = lines;
  const sign = mode === 'max' ? 1 : -1;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = 0;
      let bestValue = x[base]!;
      for (let k = 1; k < n && bestValue === bestValue; k++) {
        const v = x[base + k * inner]!;
        if (v !== v || sign * (v - bestValue) > 0) {
          best = k;
          bestValue = v;
        }
      }
      indices[o * inner + i] = best;
      if (values !== null) values[o * inner + i] = bestValue;
    }
  }
}

/**
 * Sorts every line, stably (ties keep their order, in both directions), NaN as the largest value,
 * and writes the first `k` of each (all of them for a sort) as values and positions, with the
 * layout `[outer, k, inner]`. Top-k is this with `k` < n: the k largest (`descending`) or smallest.
 */
export function sortLines(
  x: TensorData,
  lines: AxisLines,
  descending: boolean,
  k: number,
  values: TensorData,
  indices: Int32Array,
): void {
  const { outer, n, inner } = lines;
  const order = new Array<number>(n);
  const line = new Float64Array(n);
  const compare = descending
    ? (p: number, q: number): number => compareAscending(line[q]!, line[p]!)
    : (p: number, q: number): number => compareAscending(line[p]!, line[q]!);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let j = 0; j < n; j++) {
        order[j] = j;
        line[j] = x[base + j * inner]!;
      }
      order.sort(compare); // Array.prototype.sort is stable (ECMAScript 2019)
      const outBase = o * k * inner + i;
      for (let j = 0; j < k; j++) {
        values[outBase + j * inner] = line[order[j]!]!;
        indices[outBase + j * inner] = order[j]!;
      }
    }
  }
}

/**
 * The gradient of a selection: `out[(o, indices[o, j, i], i)] += g[(o, j, i)]` for the k chosen
 * positions of every line. `g` and `indices` have the layout `[outer, k, inner]`, `out` the input's
 * `[outer, n, inner]`; it is added into, so start from zeros.
 */
export function scatterLines(g: FloatArray, indices: Int32Array, lines: AxisLines, k: number, out: FloatArray): void {
  const { outer, n, inner } = lines;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < inner; i++) {
        const from = (o * k + j) * inner + i;
        out[(o * n + indices[from]!) * inner + i] += g[from]!;
      }
    }
  }
}
