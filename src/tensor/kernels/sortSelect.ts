/**
 * Ordering kernels along one axis: arg-max/min, sort, top-k, and the scatter that carries a
 * gradient back to the chosen positions. Lines are the `[outer, n, inner]` view of ./alongAxis.ts.
 *
 * Order, torch's: NaN is larger than every number (sorted last ascending, first descending, picked
 * first by argmax and by argmin alike, since NaN propagates through max and min). Ties, as torch
 * 2.x's CPU kernels leave them: arg-max/min and max/min with a dim pick the first occurrence; a
 * stable sort keeps equal values in order; an unstable sort (torch's default) and topk leave them
 * where libstdc++'s std::sort / partial_sort / nth_element move them (replayed in ./stdSort.ts).
 * Indices are int32 positions along the axis. Every dtype can be ordered; only the scatter of a
 * gradient needs floats.
 */
import type { FloatArray, TensorData } from '../dtype.js';
import type { AxisLines } from './alongAxis.js';
import { introsort, nthElement, partialSort, type PairLine } from './stdSort.js';

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

/** Copies line (o, i) of x into `L` as (value, position) pairs. */
function loadLine(x: TensorData, base: number, n: number, inner: number, L: PairLine): void {
  for (let j = 0; j < n; j++) {
    L.keys[j] = x[base + j * inner]!;
    L.pos[j] = j;
  }
}

/** Writes the first k pairs of `L` as values and positions at `outBase`, stride `inner`. */
function storeLine(
  L: PairLine,
  k: number,
  outBase: number,
  inner: number,
  values: TensorData,
  indices: Int32Array,
): void {
  for (let j = 0; j < k; j++) {
    values[outBase + j * inner] = L.keys[j]!;
    indices[outBase + j * inner] = L.pos[j]!;
  }
}

/**
 * Sorts every line, NaN as the largest value, and writes values and positions with the layout
 * `[outer, n, inner]`. Ties, as torch's CPU sort leaves them:
 * - `stable`: in their original order (std::stable_sort; a stable order is unique);
 * - otherwise: where libstdc++'s std::sort (introsort, ./stdSort.ts) moves them. Up to 16
 *   elements that is an insertion sort, so ties keep their order; past 16 they do not (torch:
 *   `torch.zeros(20).sort().indices` starts `[10, 19, 18, ...]`).
 */
export function sortLines(
  x: TensorData,
  lines: AxisLines,
  descending: boolean,
  stable: boolean,
  values: TensorData,
  indices: Int32Array,
): void {
  const { outer, n, inner } = lines;
  const L: PairLine = { keys: new Float64Array(n), pos: new Int32Array(n), descending };
  const order = stable ? new Array<number>(n) : [];
  const compare = descending
    ? (p: number, q: number): number => compareAscending(L.keys[q]!, L.keys[p]!)
    : (p: number, q: number): number => compareAscending(L.keys[p]!, L.keys[q]!);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      loadLine(x, base, n, inner, L);
      if (stable) {
        for (let j = 0; j < n; j++) order[j] = j;
        order.sort(compare); // Array.prototype.sort is stable (ECMAScript 2019)
        for (let j = 0; j < n; j++) {
          values[base + j * inner] = L.keys[order[j]!]!;
          indices[base + j * inner] = order[j]!;
        }
      } else {
        introsort(L, 0, n);
        storeLine(L, n, base, inner, values, indices);
      }
    }
  }
}

/**
 * The k largest (or smallest) of every line and their positions, layout `[outer, k, inner]`,
 * exactly as torch's CPU topk (aten/src/ATen/native/TopKImpl.h) picks and orders them:
 * - when `64 k <= n`: std::partial_sort of the line (always sorted, `sorted` is not read);
 * - otherwise std::nth_element at k - 1, then, when `sorted`, std::sort of the first k - 1.
 * Ties therefore come in whatever order those libstdc++ algorithms leave them (./stdSort.ts
 * replays their moves); with `sorted = false` the k chosen come in nth_element's order.
 */
export function topkLines(
  x: TensorData,
  lines: AxisLines,
  k: number,
  largest: boolean,
  sorted: boolean,
  values: TensorData,
  indices: Int32Array,
): void {
  const { outer, n, inner } = lines;
  if (k === 0) return;
  const L: PairLine = { keys: new Float64Array(n), pos: new Int32Array(n), descending: largest };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      loadLine(x, o * n * inner + i, n, inner, L);
      if (k * 64 <= n) {
        partialSort(L, 0, k, n);
      } else {
        nthElement(L, 0, k - 1, n);
        if (sorted) introsort(L, 0, k - 1);
      }
      storeLine(L, k, o * k * inner + i, inner, values, indices);
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
