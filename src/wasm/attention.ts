/**
 * Attention's WebAssembly calls, the stand-ins for src/tensor/kernels/attention.ts: the storage
 * q, k and v read from (one copy when they share it, as the head-split columns of one projection
 * do) is copied into the arena once, the products run per batch matrix on attention.wat reading
 * q, k, v through their row strides, and the softmax (forward and backward) runs on all rows at
 * once on elementwise.wat. Operands whose feature axis is not contiguous are declined.
 */
import type { AttentionSizes, MatrixBatch } from '../tensor/kernels/attention.js';
import { wasmRuntime, type Arena } from './runtime.js';

type F32 = Float32Array;

/** Where each operand's matrices lie in the arena, after copying in the storage spans they read. */
interface Placed {
  /** Byte address of matrix b of the operand. */
  readonly at: (b: number) => number;
  readonly row: number;
}

/**
 * Lays out the spans of storage that `ops` read (`rows` x `features` each; operands sharing a data
 * array share one span), or null when an operand's feature axis is not contiguous. `copy` then
 * copies them in (after `arena.commit()`).
 */
function placeSpans(
  arena: Arena,
  ops: readonly { m: MatrixBatch; rows: number; features: number }[],
): { placed: Placed[]; copy: () => void } | null {
  const spans = new Map<MatrixBatch['data'], { lo: number; hi: number; at: number }>();
  for (const { m, rows, features } of ops) {
    if (m.col !== 1 || m.row < 0 || !(m.data instanceof Float32Array)) return null;
    let lo = Infinity;
    let hi = -Infinity;
    for (const b of m.base) {
      lo = Math.min(lo, b);
      hi = Math.max(hi, b + (rows - 1) * m.row + features);
    }
    const span = spans.get(m.data);
    spans.set(m.data, { lo: Math.min(lo, span?.lo ?? lo), hi: Math.max(hi, span?.hi ?? hi), at: 0 });
  }
  for (const span of spans.values()) span.at = arena.alloc((span.hi - span.lo) * 4);
  const placed = ops.map(({ m }) => {
    const span = spans.get(m.data)!;
    return { at: (b: number) => span.at + (m.base[b]! - span.lo) * 4, row: m.row };
  });
  const copy = (): void => {
    for (const [data, { lo, hi, at }] of spans) arena.f32(at, hi - lo).set((data as F32).subarray(lo, hi));
  };
  return { placed, copy };
}

/** p [count, L, S] and o [count, L, Ev] (see attentionForward). False to decline. */
export function wasmAttentionForward(
  q: MatrixBatch,
  k: MatrixBatch,
  v: MatrixBatch,
  z: AttentionSizes,
  p: F32,
  o: F32,
): boolean {
  const { attention, elementwise, arena } = wasmRuntime();
  const { count, L, S, E, Ev, scale } = z;
  const causal = z.causal ? 1 : 0;
  arena.reset();
  const layout = placeSpans(arena, [
    { m: q, rows: L, features: E },
    { m: k, rows: S, features: E },
    { m: v, rows: S, features: Ev },
  ]);
  if (layout === null) return false;
  const n = count * L * S;
  const sAt = arena.alloc(n * 4 + 16); // vector loops pass a row's end by up to 3 floats
  const pAt = arena.alloc(n * 4 + 16);
  const oAt = arena.alloc(count * L * Ev * 4);
  if (!arena.commit()) return false;
  layout.copy();
  const [qp, kp, vp] = layout.placed as [Placed, Placed, Placed];
  for (let b = 0; b < count; b++) {
    attention.scores(qp.at(b), qp.row, kp.at(b), kp.row, sAt + b * L * S * 4, L, S, E, scale, causal, -Infinity);
  }
  elementwise['softmax_rows']!(sAt, pAt, count * L, S);
  for (let b = 0; b < count; b++) {
    attention.weighted(pAt + b * L * S * 4, vp.at(b), vp.row, oAt + b * L * Ev * 4, L, S, Ev, 1, causal, 0);
  }
  p.set(arena.f32(pAt, n));
  o.set(arena.f32(oAt, count * L * Ev));
  return true;
}

/** dq, dk, dv from dO and the forward's p (see attentionBackward). False to decline. */
export function wasmAttentionBackward(
  q: MatrixBatch,
  k: MatrixBatch,
  v: MatrixBatch,
  z: AttentionSizes,
  p: F32,
  dO: F32,
  dq: F32 | null,
  dk: F32 | null,
  dv: F32 | null,
): boolean {
  const { attention, elementwise, arena } = wasmRuntime();
  const { count, L, S, E, Ev, scale } = z;
  const causal = z.causal ? 1 : 0;
  arena.reset();
  const layout = placeSpans(arena, [
    { m: q, rows: L, features: E },
    { m: k, rows: S, features: E },
    { m: v, rows: S, features: Ev },
  ]);
  if (layout === null) return false;
  const n = count * L * S;
  const pAt = arena.alloc(n * 4 + 16);
  const dOAt = arena.alloc(count * L * Ev * 4);
  const dpAt = arena.alloc(n * 4 + 16);
  const dsAt = arena.alloc(n * 4 + 16);
  const outAt = arena.alloc(count * Math.max(L * E, S * E, S * Ev) * 4);
  if (!arena.commit()) return false;
  layout.copy();
  arena.f32(pAt, n).set(p.subarray(0, n));
  arena.f32(dOAt, count * L * Ev).set(dO.subarray(0, count * L * Ev));
  const [qp, kp, vp] = layout.placed as [Placed, Placed, Placed];
  const pOf = (b: number): number => pAt + b * L * S * 4;
  const dOOf = (b: number): number => dOAt + b * L * Ev * 4;
  if (dv !== null) {
    for (let b = 0; b < count; b++) {
      attention.weighted(pOf(b), dOOf(b), Ev, outAt + b * S * Ev * 4, L, S, Ev, 1, causal, 1);
    }
    dv.set(arena.f32(outAt, count * S * Ev));
  }
  if (dq === null && dk === null) return true;
  for (let b = 0; b < count; b++) {
    attention.scores(dOOf(b), Ev, vp.at(b), vp.row, dpAt + b * L * S * 4, L, S, Ev, 1, causal, 0);
  }
  elementwise['softmax_backward_rows']!(pAt, dpAt, dsAt, count * L, S, 0);
  const dsOf = (b: number): number => dsAt + b * L * S * 4;
  if (dq !== null) {
    for (let b = 0; b < count; b++) {
      attention.weighted(dsOf(b), kp.at(b), kp.row, outAt + b * L * E * 4, L, S, E, scale, causal, 0);
    }
    dq.set(arena.f32(outAt, count * L * E));
  }
  if (dk !== null) {
    for (let b = 0; b < count; b++) {
      attention.weighted(dsOf(b), qp.at(b), qp.row, outAt + b * S * E * 4, L, S, E, scale, causal, 1);
    }
    dk.set(arena.f32(outAt, count * S * E));
  }
  return true;
}
