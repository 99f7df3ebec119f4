/**
 * Scaled dot-product attention as one kernel per direction (the op: src/autograd/ops/attention.ts),
 * for a batch of matrix triples read in place through strides (q, k, v may be views, such as the
 * head-split columns of one projection's output, without a copy):
 *
 *   forward,  per batch matrix b (q [L, E], k [S, E], v [S, Ev]):
 *     s = scale q k^T   (entries j > i set to -inf when causal)       [L, S]
 *     p = softmax(s) by rows (softmaxRows: float64 sums)             [L, S]   saved for backward
 *     o = p v                                                          [L, Ev]
 *   backward, from do [L, Ev]:
 *     dv = p^T do,   dp = do v^T,   ds = p (dp - rowsum(dp p))  (softmaxBackwardRows)
 *     dq = scale ds k,   dk = scale ds^T q
 *
 * The causal mask is torch's `is_causal` (query i attends to keys 0..i, the [L, S] lower triangle);
 * every row keeps key 0, so no row is all -inf. Entries masked out have p = 0 exactly, so their
 * products are skipped (j <= i only). Dot products and sums over keys accumulate in float64.
 */
import type { FloatArray } from '../dtype.js';
import { softmaxBackwardRows, softmaxRows } from './softmax.js';

/**
 * A batch of matrices read (or written) in place: matrix b's element (i, e) is
 * data[base[b] + i * row + e * col].
 */
export interface MatrixBatch {
  readonly data: FloatArray;
  readonly base: readonly number[];
  readonly row: number;
  readonly col: number;
}

/** Sizes of one attention call: `count` matrix triples, L queries, S keys, E and Ev features. */
export interface AttentionSizes {
  readonly count: number;
  readonly L: number;
  readonly S: number;
  readonly E: number;
  readonly Ev: number;
  readonly scale: number;
  readonly causal: boolean;
}

/** Keys row i sees: all S, or 0..i when causal. */
const keysOf = (i: number, z: AttentionSizes): number => (z.causal ? Math.min(i + 1, z.S) : z.S);

/** out[b, i, j] = alpha sum_e a(b, i, e) c(b, j, e) over the keys row i sees, `fill` elsewhere. */
function scores(
  a: MatrixBatch,
  c: MatrixBatch,
  z: AttentionSizes,
  E: number,
  alpha: number,
  fill: number,
  out: FloatArray,
) {
  const { L, S } = z;
  for (let b = 0; b < z.count; b++) {
    for (let i = 0; i < L; i++) {
      const seen = keysOf(i, z);
      const at = (b * L + i) * S;
      for (let j = 0; j < S; j++) {
        if (j >= seen) {
          out[at + j] = fill;
          continue;
        }
        let sum = 0;
        for (let e = 0; e < E; e++) {
          sum += a.data[a.base[b]! + i * a.row + e * a.col]! * c.data[c.base[b]! + j * c.row + e * c.col]!;
        }
        out[at + j] = alpha * sum;
      }
    }
  }
}

/**
 * out(b, r, :) = alpha sum_x w(b, r, x) m(b, x, :): with `transposed` false r is a query and x a key
 * (w = p, o = p v), with it true r is a key and x a query (w = p^T, dv = p^T do).
 */
function weighted(
  w: FloatArray,
  m: MatrixBatch,
  z: AttentionSizes,
  F: number,
  alpha: number,
  transposed: boolean,
  out: MatrixBatch,
) {
  const { L, S } = z;
  const rows = transposed ? S : L;
  const acc = new Float64Array(F);
  for (let b = 0; b < z.count; b++) {
    for (let r = 0; r < rows; r++) {
      acc.fill(0);
      // the (query, key) pairs of row r: queries i >= r for key r (causal), keys 0..i for query r
      const from = transposed && z.causal ? r : 0;
      const to = transposed ? L : keysOf(r, z);
      for (let x = from; x < to; x++) {
        const wx = transposed ? w[(b * L + x) * S + r]! : w[(b * L + r) * S + x]!;
        const at = m.base[b]! + x * m.row;
        for (let f = 0; f < F; f++) acc[f] += wx * m.data[at + f * m.col]!;
      }
      const to0 = out.base[b]! + r * out.row;
      for (let f = 0; f < F; f++) out.data[to0 + f * out.col] = alpha * acc[f]!;
    }
  }
}

/** The forward: p [count, L, S] (softmax weights, contiguous) and o, written through its strides. */
export function attentionForward(
  q: MatrixBatch,
  k: MatrixBatch,
  v: MatrixBatch,
  z: AttentionSizes,
  p: FloatArray,
  o: MatrixBatch,
): void {
  scores(q, k, z, z.E, z.scale, -Infinity, p);
  softmaxRows(p, z.count * z.L, z.S, false, p);
  weighted(p, v, z, z.Ev, 1, false, o);
}

/**
 * The backward from dO (the gradient of o) and the forward's p: dq [count, L, E], dk [count, S, E],
 * dv [count, S, Ev], each written through its strides when given.
 */
export function attentionBackward(
  q: MatrixBatch,
  k: MatrixBatch,
  v: MatrixBatch,
  z: AttentionSizes,
  p: FloatArray,
  dO: MatrixBatch,
  dq: MatrixBatch | null,
  dk: MatrixBatch | null,
  dv: MatrixBatch | null,
): void {
  const { count, L, S, E, Ev } = z;
  if (dv !== null) weighted(p, dO, z, Ev, 1, true, dv);
  if (dq === null && dk === null) return;
  // dp = do v^T (0 where masked: p is 0 there, so ds is too), then ds through the softmax
  const ds = new Float64Array(count * L * S);
  scores(dO, v, z, Ev, 1, 0, ds);
  softmaxBackwardRows(p, ds, count * L, S, false, ds);
  if (dq !== null) weighted(ds, k, z, E, z.scale, false, dq);
  if (dk !== null) weighted(ds, q, z, E, z.scale, true, dk);
}
