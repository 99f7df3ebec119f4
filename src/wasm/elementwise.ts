/**
 * The WebAssembly calls of the elementwise kernels (elementwise.wat): `unary` and `binary` of
 * src/tensor/kernels/elementwise.ts for float32 data, with the same parameters and a boolean
 * result (true when done, false when the TypeScript kernel must run: no such export, a layout the
 * wasm rows cannot express, or memory that cannot grow). The registry (src/kernels/registry.ts)
 * decides which ops and sizes come here.
 *
 * Data streams through the arena (runtime.ts) in chunks of about 64 Ki elements, so that a chunk is
 * copied in, computed and copied out while it sits in L2. A unary op runs in place on its chunk.
 * A binary op is first reduced to at most three axes (`collapse`: size-1 axes dropped, axes that
 * both operands walk contiguously merged), then run as blocks of rows: the last two axes are the
 * rows and the row elements of `binary_<op>`, the first (if any) a loop here.
 */
import { broadcastStrides, type Shape } from '../tensor/shape.js';
import { wasmRuntime } from './runtime.js';

/** Elements per chunk: 64 Ki float32 (256 KiB) per buffer. */
const CHUNK = 1 << 16;
/** Bytes after each buffer that the vector loops may touch (elementwise.wat reads whole groups of 4). */
const PAD = 16;

/** `out[i] = op(x[i])` through `unary_<op>`; false when elementwise.wat has no such export. */
export function wasmUnary(op: string, x: Float32Array, out: Float32Array): boolean {
  const { elementwise, arena } = wasmRuntime();
  const fn = elementwise[`unary_${op}`];
  if (fn === undefined) return false;
  const n = x.length;
  const chunk = Math.min(n, CHUNK);
  arena.reset();
  const at = arena.alloc(chunk * 4 + PAD);
  if (!arena.commit()) return false;
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    arena.f32(at, m).set(x.subarray(i, i + m));
    fn(at, m);
    out.set(arena.f32(at, m), i);
  }
  return true;
}

/**
 * The output shape with its size-1 axes dropped and neighbouring axes merged where both operands
 * step through them as one (stride[k] = stride[k + 1] * size[k + 1] for each, broadcast strides
 * 0 included). Returns sizes and the two operands' element strides, outermost first.
 */
export function collapse(
  outShape: Shape,
  aStrides: readonly number[],
  bStrides: readonly number[],
): { size: number[]; a: number[]; b: number[] } {
  const size: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let k = 0; k < outShape.length; k++) {
    const d = outShape[k]!;
    if (d === 1) continue;
    const last = size.length - 1;
    if (last >= 0 && a[last] === aStrides[k]! * d && b[last] === bStrides[k]! * d) {
      size[last] = size[last]! * d;
      a[last] = aStrides[k]!;
      b[last] = bStrides[k]!;
    } else {
      size.push(d);
      a.push(aStrides[k]!);
      b.push(bStrides[k]!);
    }
  }
  return { size, a, b };
}

/** Elements of an operand that a block of `rows` rows reads (its strides `row`, `step`). */
function span(rows: number, inner: number, row: number, step: number): number {
  return (rows - 1) * row + (inner - 1) * step + 1;
}

/**
 * `out = op(a, b)` broadcast to `outShape` through `binary_<op>`; false when elementwise.wat has
 * no such export or the layout needs more than three axes after `collapse`.
 */
export function wasmBinary(
  op: string,
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
  out: Float32Array,
): boolean {
  const { elementwise, arena } = wasmRuntime();
  const fn = elementwise[`binary_${op}`];
  if (fn === undefined) return false;
  const c = collapse(outShape, broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape));
  while (c.size.length < 3) {
    c.size.unshift(1);
    c.a.unshift(0);
    c.b.unshift(0);
  }
  if (c.size.length > 3) return false;
  const [blocks, rows, inner] = c.size as [number, number, number];
  const [aBlock, aRow, aStep] = c.a as [number, number, number];
  const [bBlock, bRow, bStep] = c.b as [number, number, number];
  if (aStep > 1 || bStep > 1) return false;
  const rowsPerChunk = Math.max(1, Math.min(rows, Math.floor(CHUNK / inner)));
  arena.reset();
  const aAt = arena.alloc(span(rowsPerChunk, inner, aRow, aStep) * 4 + PAD);
  const bAt = arena.alloc(span(rowsPerChunk, inner, bRow, bStep) * 4 + PAD);
  const outAt = arena.alloc(rowsPerChunk * inner * 4 + PAD);
  if (!arena.commit()) return false;
  for (let blk = 0; blk < blocks; blk++) {
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const rc = Math.min(rowsPerChunk, rows - r);
      const a0 = blk * aBlock + r * aRow;
      const b0 = blk * bBlock + r * bRow;
      const aLen = span(rc, inner, aRow, aStep);
      const bLen = span(rc, inner, bRow, bStep);
      arena.f32(aAt, aLen).set(a.subarray(a0, a0 + aLen));
      arena.f32(bAt, bLen).set(b.subarray(b0, b0 + bLen));
      fn(aAt, aRow, aStep, bAt, bRow, bStep, outAt, rc, inner);
      out.set(arena.f32(outAt, rc * inner), (blk * rows + r) * inner);
    }
  }
  return true;
}

/** Rows per chunk of a [rows, n] call, and the arena buffers of `count` row blocks (padded). */
function rowChunks(rows: number, n: number, count: number): { per: number; at: number[] } | null {
  const { arena } = wasmRuntime();
  const per = Math.max(1, Math.min(rows, Math.floor(CHUNK / n)));
  arena.reset();
  const at = Array.from({ length: count }, () => arena.alloc(per * n * 4 + PAD));
  return arena.commit() ? { per, at } : null;
}

/**
 * `softmaxRows` (src/tensor/kernels/softmax.ts) in wasm: softmax_rows, or for `log` row_max_sum,
 * then ls = f32(ln s) per row here (WebAssembly has no log), then log_softmax_apply.
 */
export function wasmSoftmaxRows(x: Float32Array, rows: number, n: number, log: boolean, out: Float32Array): boolean {
  const { elementwise: w, arena } = wasmRuntime();
  const c = rowChunks(rows, n, 2);
  if (c === null) return false;
  const [xAt, yAt] = c.at as [number, number];
  const mAt = log ? arena.alloc(c.per * 4) : 0;
  const lsAt = log ? arena.alloc(c.per * 4) : 0;
  const sAt = log ? arena.alloc(c.per * 8) : 0;
  if (!arena.commit()) return false;
  for (let r = 0; r < rows; r += c.per) {
    const rc = Math.min(c.per, rows - r);
    arena.f32(xAt, rc * n).set(x.subarray(r * n, (r + rc) * n));
    if (log) {
      w['row_max_sum']!(xAt, rc, n, mAt, sAt);
      const s = arena.f64(sAt, rc);
      const ls = arena.f32(lsAt, rc);
      for (let i = 0; i < rc; i++) ls[i] = Math.log(s[i]!);
      w['log_softmax_apply']!(xAt, yAt, rc, n, mAt, lsAt);
    } else {
      w['softmax_rows']!(xAt, yAt, rc, n);
    }
    out.set(arena.f32(yAt, rc * n), r * n);
  }
  return true;
}

/** `softmaxBackwardRows` (src/tensor/kernels/softmax.ts) in wasm: softmax_backward_rows. */
export function wasmSoftmaxBackwardRows(
  y: Float32Array,
  dy: Float32Array,
  rows: number,
  n: number,
  log: boolean,
  dx: Float32Array,
): boolean {
  const { elementwise: w, arena } = wasmRuntime();
  const c = rowChunks(rows, n, 3);
  if (c === null) return false;
  const [yAt, dyAt, dxAt] = c.at as [number, number, number];
  for (let r = 0; r < rows; r += c.per) {
    const rc = Math.min(c.per, rows - r);
    arena.f32(yAt, rc * n).set(y.subarray(r * n, (r + rc) * n));
    arena.f32(dyAt, rc * n).set(dy.subarray(r * n, (r + rc) * n));
    w['softmax_backward_rows']!(yAt, dyAt, dxAt, rc, n, log ? 1 : 0);
    dx.set(arena.f32(dxAt, rc * n), r * n);
  }
  return true;
}
