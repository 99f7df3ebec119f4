/**
 * Attention's WebAssembly calls, the stand-ins for src/tensor/kernels/attention.ts: the storage
 * q, k and v read from (one copy when they share it, as the head-split columns of one projection
 * do) is copied into the arena once, the products run per batch matrix on attention.wat reading
 * q, k, v through their row strides, and the softmax (forward and backward) runs on all rows at
 * once on elementwise.wat. The outputs are written through their strides into a copy of the span
 * of storage they cover, copied back whole. Operands whose feature axis is not contiguous are declined.
 */
import type { FloatArray } from '../tensor/dtype.js';
import { wasmRuntime, type Arena } from './runtime.js';

// The types of src/tensor/kernels/attention.ts's MatrixBatch and AttentionSizes, restated here
// (src/wasm imports no TypeScript kernel; the registry checks that the two signatures agree).

/** Matrix b's element (i, e) is data[base[b] + i * row + e * col]. */
interface MatrixBatch {
  readonly data: FloatArray;
  readonly base: readonly number[];
  readonly row: number;
  readonly col: number;
}

/** count matrix triples, L queries, S keys, E and Ev features, the scale, the causal mask. */
type AttentionSizes = Readonly<Record<'count' | 'L' | 'S' | 'E' | 'Ev' | 'scale', number> & { causal: boolean }>;

type F32 = Float32Array;

/** An operand of a call: its matrices and their rows and features. */
interface Operand {
  readonly m: MatrixBatch | null;
  readonly rows: number;
  readonly features: number;
}

/** Where an operand's matrices lie in the arena (byte address of matrix b), and its row stride. */
interface Placed {
  readonly at: (b: number) => number;
  readonly row: number;
}

/** The storage span [lo, hi) that some operands read or write, and its copy in the arena. */
interface Span {
  lo: number;
  hi: number;
  at: number;
  /** Whether the operands leave gaps in it (then an output's span is copied in first). */
  gaps: boolean;
}

/**
 * Lays out the spans of storage that `ops` touch (operands sharing a data array share one span),
 * or null when an operand's feature axis is not contiguous. A null operand is placed nowhere.
 */
function placeSpans(
  arena: Arena,
  ops: readonly Operand[],
): { placed: (Placed | null)[]; spans: Map<F32, Span> } | null {
  const spans = new Map<F32, Span>();
  const used = new Map<F32, number>();
  for (const { m, rows, features } of ops) {
    if (m === null) continue;
    if (m.col !== 1 || m.row < 0 || !(m.data instanceof Float32Array)) return null;
    let lo = Infinity;
    let hi = -Infinity;
    for (const b of m.base) {
      lo = Math.min(lo, b);
      hi = Math.max(hi, b + (rows - 1) * m.row + features);
    }
    const span = spans.get(m.data);
    spans.set(m.data, { lo: Math.min(lo, span?.lo ?? lo), hi: Math.max(hi, span?.hi ?? hi), at: 0, gaps: false });
    used.set(m.data, (used.get(m.data) ?? 0) + m.base.length * rows * features);
  }
  for (const [data, span] of spans) {
    span.at = arena.alloc((span.hi - span.lo) * 4);
    span.gaps = used.get(data)! < span.hi - span.lo;
  }
  const placed = ops.map(({ m }) => {
    if (m === null) return null;
    const span = spans.get(m.data as F32)!;
    return { at: (b: number) => span.at + (m.base[b]! - span.lo) * 4, row: m.row };
  });
  return { placed, spans };
}

/** Copies each span's storage into the arena (inputs; outputs with gaps, which keep their values). */
function copyIn(arena: Arena, spans: Map<F32, Span>, outputs = false): void {
  for (const [data, { lo, hi, at, gaps }] of spans) {
    if (!outputs || gaps) arena.f32(at, hi - lo).set(data.subarray(lo, hi));
  }
}

/** Copies the spans of outputs back into their storage. */
function copyOut(arena: Arena, spans: Map<F32, Span>): void {
  for (const [data, { lo, hi, at }] of spans) data.set(arena.f32(at, hi - lo), lo);
}

/**
 * One call's layout: q, k, v (and dO) copied in, `outputs` placed, `scratch` float32 buffers of
 * the given lengths (each padded by 4 floats: the softmax's vector loops pass a row's end by up
 * to 3). Null when the call is declined.
 */
function setUp(inputs: readonly Operand[], outputs: readonly Operand[], scratch: readonly number[]) {
  const { arena } = wasmRuntime();
  arena.reset();
  const ins = placeSpans(arena, inputs);
  const outs = placeSpans(arena, outputs);
  if (ins === null || outs === null) return null;
  const buffers = scratch.map((n) => arena.alloc(n * 4 + 16));
  if (!arena.commit()) return null;
  copyIn(arena, ins.spans);
  copyIn(arena, outs.spans, true);
  return { inputs: ins.placed, outputs: outs.placed, buffers, finish: () => copyOut(arena, outs.spans) };
}

/** p [count, L, S] and o (see attentionForward). False to decline. */
export function wasmAttentionForward(
  q: MatrixBatch,
  k: MatrixBatch,
  v: MatrixBatch,
  z: AttentionSizes,
  p: F32,
  o: MatrixBatch,
): boolean {
  const { attention, elementwise, arena } = wasmRuntime();
  const { count, L, S, E, Ev, scale } = z;
  const causal = z.causal ? 1 : 0;
  const n = count * L * S;
  const call = setUp(
    [
      { m: q, rows: L, features: E },
      { m: k, rows: S, features: E },
      { m: v, rows: S, features: Ev },
    ],
    [{ m: o, rows: L, features: Ev }],
    [n, n],
  );
  if (call === null) return false;
  const [qp, kp, vp] = call.inputs as Placed[];
  const op = call.outputs[0]!;
  const [sAt, pAt] = call.buffers as [number, number];
  for (let b = 0; b < count; b++) {
    attention.scores(qp!.at(b), qp!.row, kp!.at(b), kp!.row, sAt + b * L * S * 4, L, S, E, scale, causal, -Infinity);
  }
  elementwise['softmax_rows']!(sAt, pAt, count * L, S);
  for (let b = 0; b < count; b++) {
    attention.weighted(pAt + b * L * S * 4, vp!.at(b), vp!.row, op.at(b), op.row, L, S, Ev, 1, causal, 0);
  }
  p.set(arena.f32(pAt, n));
  call.finish();
  return true;
}

/** dq, dk, dv from dO and the forward's p (see attentionBackward). False to decline. */
export function wasmAttentionBackward(
  q: MatrixBatch,
  k: MatrixBatch,
  v: MatrixBatch,
  z: AttentionSizes,
  p: F32,
  dO: MatrixBatch,
  dq: MatrixBatch | null,
  dk: MatrixBatch | null,
  dv: MatrixBatch | null,
): boolean {
  const { attention, elementwise, arena } = wasmRuntime();
  const { count, L, S, E, Ev, scale } = z;
  const causal = z.causal ? 1 : 0;
  const n = count * L * S;
  const call = setUp(
    [
      { m: q, rows: L, features: E },
      { m: k, rows: S, features: E },
      { m: v, rows: S, features: Ev },
      { m: dO, rows: L, features: Ev },
    ],
    [
      { m: dq, rows: L, features: E },
      { m: dk, rows: S, features: E },
      { m: dv, rows: S, features: Ev },
    ],
    [n, n, n],
  );
  if (call === null) return false;
  const [qp, kp, vp, gp] = call.inputs as Placed[];
  const [dqp, dkp, dvp] = call.outputs;
  const [pAt, dpAt, dsAt] = call.buffers as [number, number, number];
  arena.f32(pAt, n).set(p.subarray(0, n));
  const pOf = (b: number): number => pAt + b * L * S * 4;
  const dsOf = (b: number): number => dsAt + b * L * S * 4;
  for (let b = 0; b < count && dvp; b++) {
    attention.weighted(pOf(b), gp!.at(b), gp!.row, dvp.at(b), dvp.row, L, S, Ev, 1, causal, 1);
  }
  if (dqp || dkp) {
    for (let b = 0; b < count; b++) {
      attention.scores(gp!.at(b), gp!.row, vp!.at(b), vp!.row, dpAt + b * L * S * 4, L, S, Ev, 1, causal, 0);
    }
    elementwise['softmax_backward_rows']!(pAt, dpAt, dsAt, count * L, S, 0);
  }
  for (let b = 0; b < count && dqp; b++) {
    attention.weighted(dsOf(b), kp!.at(b), kp!.row, dqp.at(b), dqp.row, L, S, E, scale, causal, 0);
  }
  for (let b = 0; b < count && dkp; b++) {
    attention.weighted(dsOf(b), qp!.at(b), qp!.row, dkp.at(b), dkp.row, L, S, E, scale, causal, 1);
  }
  call.finish();
  return true;
}
