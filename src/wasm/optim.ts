/**
 * The optimizer updates' WebAssembly calls (optim.wat): one fused in-place pass over a parameter,
 * its gradient and its state, streamed through the arena in chunks. Each chunk's arrays are
 * copied in, updated, and the written ones (the parameter and the state buffers, never the
 * gradient) copied back. The scalars arrive as the registry unpacks them from the TypeScript
 * kernel's (src/tensor/kernels/optim.ts), with the switches as bit flags (see optim.wat).
 */
import { wasmRuntime } from './runtime.js';

type F32 = Float32Array;

/**
 * Elements per chunk: 16 Ki float32 (64 KiB) per array keeps the five arrays of an AMSGrad step
 * in L2 while they are copied in, updated and copied out.
 */
const CHUNK = 1 << 14;

/**
 * Streams `arrays` (all of one length) through the arena: per chunk, copies each in, runs
 * `kernel(addresses, length)`, copies back those marked `written`. False when the memory cannot grow.
 * Plain indexed loops (no destructuring, no per-chunk closures): the update runs once per
 * parameter per step, and its optimized code should stay monomorphic.
 */
function streamUpdate(
  arrays: readonly (F32 | null)[],
  written: readonly boolean[],
  kernel: (at: readonly number[], length: number) => void,
): boolean {
  const { arena } = wasmRuntime();
  const n = arrays[0]!.length;
  const chunk = Math.min(n, CHUNK);
  const count = arrays.length;
  arena.reset();
  const at: number[] = [];
  for (let j = 0; j < count; j++) at.push(arrays[j] === null ? 0 : arena.alloc(chunk * 4));
  if (!arena.commit()) return false;
  for (let begin = 0; begin < n; begin += chunk) {
    const length = Math.min(n, begin + chunk) - begin;
    for (let j = 0; j < count; j++) {
      const a = arrays[j] ?? null;
      if (a !== null)
        arena.f32(at[j]!, length).set(begin === 0 && length === n ? a : a.subarray(begin, begin + length));
    }
    kernel(at, length);
    for (let j = 0; j < count; j++) {
      const a = arrays[j] ?? null;
      if (a !== null && written[j]) a.set(arena.f32(at[j]!, length), begin);
    }
  }
  return true;
}

/** Which of the arrays each update writes back (the gradient never). */
const SGD_WRITTEN = [true, false, true];
const ADAM_WRITTEN = [true, false, true, true, true];

/** The wasm calls of the optimizer kernels; each returns true when done, false to decline. */
export function createOptimCalls() {
  /** SGD: flags 1 maximize, 2 weight decay, 4 momentum buffer, 8 first step, 16 nesterov. */
  const sgd = (
    theta: F32,
    grad: F32,
    buffer: F32 | null,
    lr: number,
    momentum: number,
    oneMinusDampening: number,
    weightDecay: number,
    flags: number,
  ): boolean => {
    const { optim } = wasmRuntime();
    return streamUpdate([theta, grad, buffer], SGD_WRITTEN, (at, length) =>
      optim.sgd(at[0]!, at[1]!, at[2]!, length, lr, momentum, oneMinusDampening, weightDecay, flags),
    );
  };

  /** Adam: flags 1 maximize, 2 amsgrad; `s` the scalars in optim.wat's order (beta1 ... bias2Sqrt). */
  const adam = (
    theta: F32,
    grad: F32,
    m: F32,
    v: F32,
    vmax: F32 | null,
    s: readonly [number, number, number, number, number, number, number, number, number],
    flags: number,
  ): boolean => {
    const { optim } = wasmRuntime();
    return streamUpdate([theta, grad, m, v, vmax], ADAM_WRITTEN, (at, length) =>
      optim.adam(
        at[0]!,
        at[1]!,
        at[2]!,
        at[3]!,
        at[4]!,
        length,
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5],
        s[6],
        s[7],
        s[8],
        flags,
      ),
    );
  };

  return { sgd, adam };
}
