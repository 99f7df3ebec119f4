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
