/**
 * Linear's WebAssembly calls, the stand-ins for src/tensor/kernels/linear.ts: the forward
 * (y = x W^T + b) and the backward (dx, dW, db) each as one call, every operand copied into the
 * arena once and every result copied out once. The products run on matmul.wat's `gemm` (W^T's
 * panels packed from W in place by `pack_bt`; dy^T by matmul.wat's blocked transpose), the bias
 * rows and the bias gradient's float64 column sums on linear.wat.
 */
import { wasmRuntime } from './runtime.js';

type F32 = Float32Array;

/** Floats of the panels `pack_b` / `pack_bt` write for a product with `cols` output columns. */
const packed = (cols: number, k: number): number => Math.ceil(cols / 8) * 8 * k;

/** y [n, m] = x [n, k] W [m, k]^T (+ b [m]). False when the memory cannot grow. */
export function wasmLinearForward(x: F32, w: F32, b: F32 | null, y: F32, n: number, k: number, m: number): boolean {
  const { matmul, linear, arena } = wasmRuntime();
  arena.reset();
  const xAt = arena.alloc(n * k * 4);
  const wAt = arena.alloc(m * k * 4);
  const bpAt = arena.alloc(packed(m, k) * 4);
  const yAt = arena.alloc(n * m * 4);
  const bAt = arena.alloc(m * 4);
  if (!arena.commit()) return false;
  arena.f32(xAt, n * k).set(x.subarray(0, n * k));
  arena.f32(wAt, m * k).set(w.subarray(0, m * k));
  matmul.pack_bt(wAt, k, m, bpAt);
  matmul.gemm(xAt, bpAt, yAt, n, k, m);
  if (b !== null) {
    arena.f32(bAt, m).set(b.subarray(0, m));
    linear.add_rows(yAt, bAt, n, m);
  }
  y.set(arena.f32(yAt, n * m));
  return true;
}

/**
 * dx [n, k] = dy W, dW [m, k] = dy^T x, db [m] = column sums of dy (float64), for dy [n, m],
 * x [n, k], W [m, k]; each only when its array is given. False when the memory cannot grow.
 */
export function wasmLinearBackward(
  dy: F32,
  x: F32,
  w: F32,
  dx: F32 | null,
  dW: F32 | null,
  db: F32 | null,
  n: number,
  k: number,
  m: number,
): boolean {
  const { matmul, linear, arena } = wasmRuntime();
  arena.reset();
  const dyAt = arena.alloc(n * m * 4);
  const wAt = dx === null ? 0 : arena.alloc(m * k * 4);
  const xAt = dW === null ? 0 : arena.alloc(n * k * 4);
  const dyTAt = dW === null ? 0 : arena.alloc(m * n * 4);
  const bpAt = arena.alloc(packed(k, Math.max(n, m)) * 4);
  const outAt = arena.alloc(Math.max(dx === null ? 0 : n * k, dW === null ? 0 : m * k) * 4);
  const accAt = db === null ? 0 : arena.alloc(m * 8);
  if (!arena.commit()) return false;
  arena.f32(dyAt, n * m).set(dy.subarray(0, n * m));
  if (dx !== null) {
    // dx = dy [n, m] @ W [m, k]
    arena.f32(wAt, m * k).set(w.subarray(0, m * k));
    matmul.pack_b(wAt, m, k, bpAt);
    matmul.gemm(dyAt, bpAt, outAt, n, m, k);
    dx.set(arena.f32(outAt, n * k));
  }
  if (dW !== null) {
    // dW = dy^T [m, n] @ x [n, k]
    arena.f32(xAt, n * k).set(x.subarray(0, n * k));
    matmul.transpose(dyAt, n, m, dyTAt);
    matmul.pack_b(xAt, n, k, bpAt);
    matmul.gemm(dyTAt, bpAt, outAt, m, n, k);
    dW.set(arena.f32(outAt, m * k));
  }
  if (db !== null) {
    linear.sum_rows(dyAt, n, m, accAt);
    db.set(arena.f64(accAt, m));
  }
  return true;
}
