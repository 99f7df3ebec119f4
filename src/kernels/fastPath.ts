/**
 * The one rule for when a fast (WebAssembly) kernel stands in for the TypeScript one, written once
 * instead of in every kernel: the fast call runs only when every data array it is given is float32
 * (float64 data, gradcheck's, stays on the TypeScript kernels, as do int32 and bool data) and the
 * call touches at least `minSize` elements (below that, copying into the wasm memory costs more
 * than the SIMD saves; empty calls never go fast). The fast call itself may still decline by
 * returning false (its memory could not grow, a value would leave the float32 range); the
 * TypeScript kernel then runs the whole call, rewriting every output.
 */
import type { FloatArray, TensorData } from '../tensor/dtype.js';

/** A kernel's parameter as the fast call sees it: data that may be float32 or float64 is float32. */
type Float32Of<T> = [FloatArray] extends [T] ? Exclude<T, Float64Array | Int32Array | Uint8Array> : T;

/** A kernel's parameters as the fast call sees them (`Float32Of` each). */
export type Float32Args<A extends unknown[]> = { [K in keyof A]: Float32Of<A[K]> };

/** When a fast kernel takes a call. */
export interface FastPathOptions<A extends unknown[]> {
  /** The data arrays of a call (null for an absent optional one): all must be float32. */
  readonly data: (...args: A) => readonly (TensorData | null)[];
  /** The elements (or multiply-adds) a call touches, compared with `minSize`. */
  readonly size: (...args: A) => number;
  /** The smallest call the fast kernel takes. */
  readonly minSize: number;
}

/** True when every array is float32 (or absent). */
export function allFloat32(arrays: readonly (TensorData | null)[]): boolean {
  for (const a of arrays) if (a !== null && !(a instanceof Float32Array)) return false;
  return true;
}

/**
 * The kernel `name` of a fast backend: `fast(...args)` when the call qualifies (see the header)
 * and `fast` does not decline, else `ts(...args)`. `fast` sees the same arguments, typed float32
 * where the kernel takes float32 or float64 (`data` checks it).
 * @example
 * const reduceSum = fastPath('reduceSum', ts.reduceSum, wasm.reduceSum, {
 *   data: (x) => [x], size: (x, plan) => plan.size, minSize: 256 });
 */
export function fastPath<A extends unknown[]>(
  name: string,
  ts: (...args: A) => void,
  fast: (...args: Float32Args<NoInfer<A>>) => boolean,
  options: FastPathOptions<A>,
): (...args: A) => void {
  const { data, size, minSize } = options;
  const kernel = (...args: A): void => {
    const n = size(...args);
    if (n > 0 && n >= minSize && allFloat32(data(...args)) && fast(...(args as Float32Args<A>))) return;
    ts(...args);
  };
  Object.defineProperty(kernel, 'name', { value: name });
  return kernel;
}
