/**
 * Element types. Storage is float32 by default, as the API promises; float64 exists so that
 * `gradcheck` (and anyone who wants it) can evaluate the very same ops in double precision.
 */
/**
 * The element type of a tensor: `'float32'` (the default) or `'float64'`.
 * @example
 * randn([3], { dtype: 'float64' }).dtype; // 'float64'
 */
export type DType = 'float32' | 'float64';

/**
 * The typed arrays a tensor can be stored in. Every kernel is generic over both.
 * @example
 * const data: FloatArray = zeros([4]).data; // a Float32Array
 */
export type FloatArray = Float32Array | Float64Array;

/** A new zero-filled array of the dtype. */
export function allocate(dtype: DType, size: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

/** The dtype of an array. */
export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** float64 wins: the result dtype of an op on the given inputs. */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
