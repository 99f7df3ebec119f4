/**
 * Element types. Storage is float32 by default, as the API promises; float64 exists so that
 * `gradcheck` (and anyone who wants it) can evaluate the very same ops in double precision; int32
 * holds indices and counts (torch's int64 `Long`, narrowed: JS typed arrays have no fast int64);
 * bool holds masks, one byte each, 0 or 1.
 *
 * Promotion follows `torch.result_type`: categories bool < integer < floating, and within floating
 * float32 < float64. See `resultDtype` in `src/autograd/ops/binary.ts` for how 0-d tensors and
 * JS numbers take part.
 */
import { describeValue } from './check.js';
import { takeFloat32 } from './pool.js';

/**
 * The element type of a tensor: `'float32'` (the default), `'float64'`, `'int32'` or `'bool'`.
 * @example
 * randn([3], { dtype: 'float64' }).dtype; // 'float64'
 * arange(3).dtype;                        // 'int32' (integer arguments, like torch's int64)
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The dtypes, lowest to highest in promotion order. */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/**
 * The typed arrays a floating tensor is stored in. Float-only kernels are generic over both.
 * @example
 * const data: FloatArray = zeros([4]).data as FloatArray; // a Float32Array
 */
export type FloatArray = Float32Array | Float64Array;

/**
/**
 * The typed arrays any tensor is stored in: Float32Array (float32), Float64Array (float64),
 * Int32Array (int32) and Uint8Array (bool, 0 or 1).
 * @example
 * const data: TensorData = tensor([1, 2], undefined, { dtype: 'int32' }).data; // an Int32Array
 */
export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * A new zero-filled array of the dtype. Sizes from user input are checked before this with a
 * message naming the function (`checkSize` in shape.ts); this is the last guard (2^31 - 1 there too).
 */
export function allocate(dtype: 'float32' | 'float64', size: number): FloatArray;
export function allocate(dtype: DType, size: number): TensorData;
export function allocate(dtype: DType, size: number): TensorData {
  if (!(size <= 2 ** 31 - 1)) {
    throw new Error(`allocate: ${size} elements are more than the ${2 ** 31 - 1} a tensor can hold`);
  }
  switch (dtype) {
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
    default:
      return takeFloat32(size) ?? new Float32Array(size);
  }
}

/** The dtype of an array (call `isTensorData` first on anything not known to be one). */
export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/**
 * Whether `v` is exactly one of the four storage arrays. Subclasses and look-alikes (Int8Array,
 * Uint8ClampedArray, Float16Array, BigInt64Array, DataView, plain arrays) are not.
 */
export function isTensorData(v: unknown): v is TensorData {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (
    proto === Float32Array.prototype ||
    proto === Float64Array.prototype ||
    proto === Int32Array.prototype ||
    proto === Uint8Array.prototype
  );
}

/** What a value is, for error messages: the one formatter of src/tensor/check.ts. */
export { describeValue } from './check.js';

/** Whether `v` names a dtype. */
export function isDType(v: unknown): v is DType {
  return typeof v === 'string' && (DTYPES as readonly string[]).includes(v);
}

/** `'float32'` and `'float64'`. */
export function isFloating(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}

/** The promotion category: 0 bool, 1 integer, 2 floating. */
export function category(dtype: DType): number {
  return dtype === 'bool' ? 0 : dtype === 'int32' ? 1 : 2;
}

/** The higher of two dtypes in promotion order bool < int32 < float32 < float64. */
export function promote(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** Checks an option's dtype (default `'float32'`); names `where` and lists the accepted ones. */
export function checkDtype(dtype: unknown, where: string, allowed: readonly DType[] = DTYPES): DType {
  const d = dtype ?? 'float32';
  if (!(allowed as readonly unknown[]).includes(d)) {
    const list = allowed.map((a) => `'${a}'`).join(', ');
    throw new Error(`${where}: dtype must be one of ${list}, got ${describeValue(d)}`);
  }
  return d as DType;
}

/**
 * Converts `v` for storage in an int32 tensor: truncated toward zero like torch's float-to-int cast.
 * NaN, infinities and values outside [-2^31, 2^31 - 1] throw (torch leaves these undefined).
 */
export function toInt32(v: number, where: string): number {
  const t = Math.trunc(v);
  if (!(t >= -2147483648 && t <= 2147483647)) {
    throw new Error(`${where}: value ${v} cannot be converted to int32 (must be finite and within [-2^31, 2^31 - 1])`);
  }
  return t;
}

/**
 * Copies `src` into `out` converting each element to out's dtype: int32 truncates toward zero
 * (checked by `toInt32`), bool is `v !== 0` (NaN is true, like torch), floats round to nearest.
 */
export function convertInto(src: ArrayLike<number>, out: TensorData, where: string): void {
  const n = src.length;
  if (out instanceof Int32Array) {
    if (src instanceof Int32Array || src instanceof Uint8Array) out.set(src);
    else for (let i = 0; i < n; i++) out[i] = toInt32(src[i]!, where);
  } else if (out instanceof Uint8Array) {
    for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
  } else {
    out.set(src);
  }
}

/** A new zero-filled array of the same floating type as `like` (outputs of float-only kernels). */
export function allocateFloat(like: FloatArray, size: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(size) : (takeFloat32(size) ?? new Float32Array(size));
}
