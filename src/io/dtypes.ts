/**
 * The element types of the safetensors format and how typegrad converts them.
 *
 * Every element is read and written through a `DataView` with `littleEndian = true`: safetensors
 * data is little-endian whatever the host is, and a DataView reads at any byte offset, so a tensor
 * that starts at an odd address in the file (or in a Node `Buffer` carved from a pool) needs no
 * aligned typed-array view and no special case.
 */
import type { TensorData } from '../tensor/dtype.js';
import { quote } from '../tensor/records.js';

/** Bytes per element of each safetensors dtype typegrad reads. */
export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;

/** A safetensors dtype name typegrad can read (`'F32'`, `'BF16'`, `'I64'`, ...). */
export type SafetensorsDtype = keyof typeof DTYPE_SIZES;

/** The dtypes `saveSafetensors` writes. */
export type WrittenDtype = 'F32' | 'F64' | 'I64' | 'BOOL';

/**
 * Rank of each written dtype in the reference writer's order: it lays tensors out by descending
 * alignment (its `Dtype` enum ends `... F32, F64, I64, U64`), then by name, so 8-byte elements come
 * first and every tensor stays aligned to its element size behind the 8-byte-padded header.
 */
export const WRITE_RANK: Record<WrittenDtype, number> = { BOOL: -1, F32: 0, F64: 1, I64: 2 };

/** Whether `name` is a dtype this module can read. */
export function isKnownDtype(name: string): name is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(DTYPE_SIZES, name);
}

/**
 * IEEE 754 binary16 bits to a number, exactly: `(-1)^s * 2^(e-15) * (1 + f/1024)` for normal
 * numbers, `(-1)^s * 2^-14 * (f/1024)` for zero and subnormals, infinity or NaN when e = 31.
 */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 bits to a number: they are the top 16 bits of a float32. */
export function bfloat16ToNumber(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

/** The typegrad dtype a safetensors dtype loads as: floats as float32, integers as int32, BOOL as bool. */
export function loadedDtype(dtype: SafetensorsDtype): 'float32' | 'int32' | 'bool' {
  if (dtype === 'BOOL') return 'bool';
  return dtype.startsWith('F') || dtype === 'BF16' ? 'float32' : 'int32';
}

/**
 * Reads `count` little-endian elements of `dtype` from `bytes` at byte `begin` into a new array of
 * `loadedDtype(dtype)`: floats into a Float32Array (F64 rounded to nearest), integers into an
 * Int32Array (I64, U64 and U32 values outside int32's range throw, naming the tensor `name` and the
 * element), BOOL into a Uint8Array of 0/1.
 */
export function decodeElements(
  bytes: Uint8Array,
  begin: number,
  count: number,
  dtype: SafetensorsDtype,
  name = '',
): TensorData {
  const view = new DataView(bytes.buffer, bytes.byteOffset + begin, count * DTYPE_SIZES[dtype]);
  const le = true;
  if (loadedDtype(dtype) === 'int32') {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = checkedInt32(readInteger(view, i, dtype), i, dtype, name);
    return out;
  }
  if (dtype === 'BOOL') {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint8(i) !== 0 ? 1 : 0;
    return out;
  }
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, le);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, le);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(2 * i, le));
      break;
    case 'BF16':
      for (let i = 0; i < count; i++) out[i] = bfloat16ToNumber(view.getUint16(2 * i, le));
      break;
  }
  return out;
}

/** Element `i` of an integer dtype, exactly (a bigint for the 64-bit ones). */
function readInteger(view: DataView, i: number, dtype: SafetensorsDtype): number | bigint {
  const le = true;
  switch (dtype) {
    case 'I64':
      return view.getBigInt64(8 * i, le);
    case 'U64':
      return view.getBigUint64(8 * i, le);
    case 'I32':
      return view.getInt32(4 * i, le);
    case 'U32':
      return view.getUint32(4 * i, le);
    case 'I16':
      return view.getInt16(2 * i, le);
    case 'U16':
      return view.getUint16(2 * i, le);
    case 'I8':
      return view.getInt8(i);
    default:
      return view.getUint8(i);
  }
}

function checkedInt32(v: number | bigint, i: number, dtype: SafetensorsDtype, name: string): number {
  if (v >= -2147483648 && v <= 2147483647) return Number(v);
  throw new Error(
    `loadSafetensors: tensor ${quote(name)} (${dtype}) has element ${i} = ${v}, outside int32's range ` +
      `[-2^31, 2^31 - 1] ` +
      `(typegrad's integer dtype is int32)`,
  );
}

/**
 * Writes `data` as little-endian `dtype` elements into `bytes` at byte `begin`. I64 needs integral
 * values; `name` is the tensor's key, for the error that says otherwise. BOOL writes 0 or 1.
 */
export function encodeElements(
  data: TensorData,
  dtype: WrittenDtype,
  bytes: Uint8Array,
  begin: number,
  name: string,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + begin, data.length * DTYPE_SIZES[dtype]);
  const le = true;
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, le);
      break;
    case 'F64':
      for (let i = 0; i < data.length; i++) view.setFloat64(8 * i, data[i]!, le);
      break;
    case 'I64':
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (!Number.isInteger(v)) {
          throw new Error(
            `saveSafetensors: "${name}" is saved as I64 (PyTorch stores it as int64), so its elements ` +
              `must be integers; element ${i} is ${v}`,
          );
        }
        view.setBigInt64(8 * i, BigInt(v), le);
      }
      break;
    case 'BOOL':
      for (let i = 0; i < data.length; i++) view.setUint8(i, data[i] !== 0 ? 1 : 0);
      break;
  }
}
