/**
 * Scaled dot-product attention as one op, for what a transformer block runs: no mask or the causal
 * one, no dropout, q [*, L, E], k [*, S, E], v [*, S, Ev] with the same batch axes *. q, k and v are
 * read in place through their strides (the heads of a fused q/k/v projection are views; nothing is
 * copied), and the backward is written out (src/tensor/kernels/attention.ts):
 *
 *   forward:   p  = softmax(scale q k^T + mask)     o = p v
 *   backward:  dv = p^T do     ds = p (do v^T - rowsum(p do v^T))     dq = scale ds k     dk = scale ds^T q
 *
 * The same values as the composition of src/layers/functional/attention.ts (matmul, mul, add,
 * softmax, matmul; test/autograd/attention.test.ts compares them), in one pass per direction.
 * scaledDotProductAttention checks the arguments and picks this op when it applies.
 */
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import type { MatrixBatch } from '../../tensor/kernels/attention.js';
import { kernels } from '../../kernels/registry.js';
import { sizeOf, stridesOf } from '../../tensor/shape.js';
import { handOver } from '../handOver.js';
import { record } from '../record.js';
import { saveIf } from '../saved.js';
import { Tensor } from '../tensor.js';

/** The matrices of t [*, rows, features] as they lie in its storage (no copy). */
function matricesOf(t: Tensor): MatrixBatch {
  const strides = t.stride();
  const nb = t.ndim - 2;
  const batch = t.shape.slice(0, nb);
  const base = new Array<number>(sizeOf(batch));
  const idx = new Array<number>(nb).fill(0);
  let at = t.storageOffset();
  for (let b = 0; b < base.length; b++) {
    base[b] = at;
    for (let d = nb - 1; d >= 0; d--) {
      idx[d]!++;
      at += strides[d]!;
      if (idx[d]! < batch[d]!) break;
      at -= strides[d]! * batch[d]!;
      idx[d] = 0;
    }
  }
  return { data: t.storage.array as FloatArray, base, row: strides[nb]!, col: strides[nb + 1]! };
}

/**
 * A fresh tensor of `shape` laid out densely in the order of t's strides (its last axis kept last),
 * as torch lays out attention's output and gradients: for q [B, H, L, E] viewed from a [B, L, 3 H E]
 * projection that is [B, L, H, E] memory, so that transposing it back to [B, L, H E] is free.
 */
function denseLike(t: Tensor, shape: readonly number[], dtype: 'float32' | 'float64'): Tensor {
  const strides = t.stride();
  const n = shape.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => strides[b]! - strides[a]! || a - b);
  const data = allocate(dtype, sizeOf(shape));
  if (order[n - 1] !== n - 1 || order.every((a, i) => a === i)) return new Tensor(data, shape);
  const memoryShape = order.map((a) => shape[a]!);
  const memoryStrides = stridesOf(memoryShape);
  const viewStrides = new Array<number>(n);
  order.forEach((a, i) => (viewStrides[a] = memoryStrides[i]!));
  return new Tensor(data, shape, false, {
    base: new Tensor(data, memoryShape),
    strides: viewStrides,
    offset: 0,
    detached: true,
  });
}

/**
 * softmax(scale q k^T (+ the causal mask)) v for floating q, k, v of one dtype and the same batch
 * axes, L, S, E, Ev >= 1 (the caller checks). The gradients follow the memory order of q, k, v
 * (see `denseLike`); the output follows q's where torch's does (4-D, E == Ev), else is contiguous.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, scale: number, causal: boolean): Tensor {
  const batch = q.shape.slice(0, -2);
  const [L, E] = q.shape.slice(-2) as [number, number];
  const S = k.shape[k.ndim - 2]!;
  const Ev = v.shape[v.ndim - 1]!;
  const z = { count: sizeOf(batch), L, S, E, Ev, scale, causal };
  const dtype = q.dtype as 'float32' | 'float64';
  const [qm, km, vm] = [matricesOf(q), matricesOf(k), matricesOf(v)];
  const p = allocate(dtype, z.count * L * S);
  // torch's flash kernel (4-D, E == Ev, unit last strides) writes o in q's order; its math kernel, contiguous
  const flash = q.ndim === 4 && E === Ev && [q, k, v].every((t) => t.stride()[3] === 1);
  const o = flash
    ? denseLike(q, [...batch, L, Ev], dtype)
    : new Tensor(allocate(dtype, z.count * L * Ev), [...batch, L, Ev]);
  kernels().attentionForward(qm, km, vm, z, p, matricesOf(o));
  const needed = q.requiresGrad || k.requiresGrad || v.requiresGrad;
  // the backward reads q and k (for dk and dq) and v (for ds) as they are now
  const saved = [saveIf(needed, q), saveIf(needed, k), saveIf(needed, v)];
  return record(o, 'scaledDotProductAttention', [q, k, v], (g) => {
    for (const check of saved) check?.();
    const [dq, dk, dv] = [q, k, v].map((t) => (t.requiresGrad ? denseLike(t, t.shape, dtype) : null));
    const out = (d: Tensor | null | undefined): MatrixBatch | null => (d ? matricesOf(d) : null);
    kernels().attentionBackward(qm, km, vm, z, p, matricesOf(g), out(dq), out(dk), out(dv));
    // a fresh contiguous gradient is the engine's to keep (handOver); a strided one is a view
    return [dq, dk, dv].map((d) => (d?.isContiguous() ? handOver(d) : (d ?? null)));
  });
}
