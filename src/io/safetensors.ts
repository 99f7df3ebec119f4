/**
 * Reading and writing the safetensors format (Hugging Face), the way PyTorch state dicts are shared.
 *
 * Layout of a file:
 *   bytes [0, 8)        N, the header length, an unsigned 64-bit little-endian integer
 *   bytes [8, 8 + N)    the header: UTF-8 JSON, padded with spaces (0x20) to a multiple of 8
 *                       { "__metadata__": { str: str },                        (optional)
 *                         name: { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] } }
 *   bytes [8 + N, end)  the data section: each tensor's elements, row-major, little-endian;
 *                       data_offsets count from the first byte of this section
 *
 * Like the reference implementation (huggingface/safetensors, `safetensors/src/tensor.rs`), a file is
 * rejected unless the tensors' byte ranges tile the data section exactly: no overlap, no hole, no
 * trailing bytes, and each range as long as product(shape) * element size. Shape `[]` (a scalar, one
 * element) and shapes with a 0 (no bytes) are allowed.
 *
 * The header is parsed strictly, as the reference's serde JSON does: a UTF-8 byte-order mark and a
 * key that appears twice in one object are errors (JSON.parse would keep the last duplicate). Tensor
 * names and metadata keys are arbitrary strings (`"__proto__"` included): the results are
 * prototype-free records (`Object.create(null)`), so no name is special. Error messages stay short
 * and never walk the header's structure, however deeply it nests.
 *
 * Writing follows the reference writer too: tensors sorted by descending element size, then by name,
 * laid out back to back; the header padded with spaces to 8 bytes, so every tensor is aligned.
 */
import { Tensor } from '../autograd/tensor.js';
import { describe, emptyRecord, isPlainObject, quote } from '../tensor/records.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import {
  DTYPE_SIZES,
  WRITE_RANK,
  decodeElements,
  encodeElements,
  isKnownDtype,
  type SafetensorsDtype,
  type WrittenDtype,
} from './dtypes.js';

/** The reference implementation refuses headers longer than this (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/**
 * What a safetensors file holds: tensors by name and the `__metadata__` strings.
 * @example
 * const { tensors, metadata } = readSafetensors(bytes);
 * metadata['format']; // 'pt' for a file PyTorch wrote
 */
export interface SafetensorsContents {
  /** The tensors by name, in file order: float32, int32 or bool (see loadSafetensors; a prototype-free record). */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` string map (empty when the file has none; prototype-free). */
  metadata: Record<string, string>;
}

/**
 * The dtype a tensor is written as: F64 for float64, I64 for int32 (PyTorch's index and counter dtype
 * is int64, so torch's `load_state_dict` finds the dtype it expects) and for `num_batches_tracked`,
 * BOOL for bool, else F32.
 */
function dtypeForSaving(name: string, t: Tensor): WrittenDtype {
  const lastSegment = name.slice(name.lastIndexOf('.') + 1);
  if (lastSegment === 'num_batches_tracked' || t.dtype === 'int32') return 'I64';
  if (t.dtype === 'bool') return 'BOOL';
  return t.dtype === 'float64' ? 'F64' : 'F32';
}

/** A copy of the metadata as a prototype-free record, every value checked to be a string. */
function checkMetadata(metadata: unknown, where: string): Record<string, string> {
  if (!isPlainObject(metadata)) {
    throw new Error(`${where}: __metadata__ must be a plain object of string -> string, got ${describe(metadata)}`);
  }
  const out = emptyRecord<string>();
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') {
      throw new Error(`${where}: __metadata__ values must be strings; ${quote(k)} is ${describe(v)}`);
    }
    out[k] = v;
  }
  return out;
}

/**
 * Serializes a state dict (and optional string metadata) to the bytes of a safetensors file.
 *
 * float32 tensors are written as F32 and float64 tensors as F64. A key whose last dotted segment is
 * `num_batches_tracked` is written as I64, because PyTorch keeps that BatchNorm counter as int64 and
 * `load_state_dict` on the PyTorch side expects that dtype; its values must be integers.
 * @example
 * const bytes = saveSafetensors(model.stateDict(), { format: 'pt' });
 * model.loadStateDict(loadSafetensors(bytes));
 */
export function saveSafetensors(stateDict: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const where = 'saveSafetensors';
  if (!isPlainObject(stateDict)) {
    throw new Error(`${where}: stateDict must be a plain object of name -> Tensor, got ${describe(stateDict)}`);
  }
  const entries = Object.entries(stateDict).map(([name, t]) => {
    if (!(t instanceof Tensor)) {
      throw new Error(`${where}: stateDict[${quote(name)}] must be a Tensor, got ${describe(t)}`);
    }
    if (name === METADATA_KEY)
      throw new Error(`${where}: a tensor may not be named "${METADATA_KEY}" (the key is reserved for metadata)`);
    return { name, t, dtype: dtypeForSaving(name, t) };
  });
  entries.sort((a, b) => WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // The header, built as text so that the key order is exactly the layout order.
  const fields: string[] = [];
  if (metadata !== undefined)
    fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(checkMetadata(metadata, where))}`);
  let dataBytes = 0;
  const begins: number[] = [];
  for (const { name, t, dtype } of entries) {
    const begin = dataBytes;
    dataBytes += t.size * DTYPE_SIZES[dtype];
    begins.push(begin);
    fields.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: [...t.shape], data_offsets: [begin, dataBytes] })}`,
    );
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerBytes = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerBytes + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  entries.forEach(({ name, t, dtype }, i) => encodeElements(t.data, dtype, out, 8 + headerBytes + begins[i]!, name));
  return out;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Checks one header entry on its own: its fields, its range inside the data section, its length. */
function parseEntry(name: string, info: unknown, dataBytes: number, where: string): Entry {
  const at = `${where}: tensor ${quote(name)}`;
  if (!isPlainObject(info)) {
    throw new Error(`${at}: expected an object {dtype, shape, data_offsets}, got ${describe(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !isKnownDtype(dtype)) {
    const given = typeof dtype === 'string' ? quote(dtype) : describe(dtype);
    throw new Error(`${at}: unknown dtype ${given}; expected one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new Error(`${at}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new Error(`${at}: data_offsets must be [begin, end] with non-negative integers, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new Error(`${at}: data_offsets [${begin}, ${end}] must have begin <= end`);
  if (end > dataBytes) {
    throw new Error(`${at}: data_offsets [${begin}, ${end}] are out of range; the data section has ${dataBytes} bytes`);
  }
  const expected = sizeOf(shape) * DTYPE_SIZES[dtype];
  if (end - begin !== expected) {
    throw new Error(
      `${at}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, expected ${expected} ` +
        `(${sizeOf(shape)} elements of ${dtype}, ${DTYPE_SIZES[dtype]} bytes each, for shape ${shortShape(shape)})`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** `[2, 3]`, or `a shape of 100 dimensions` when it is long. */
function shortShape(shape: number[]): string {
  return shape.length <= 8 ? fmtShape(shape) : `a shape of ${shape.length} dimensions`;
}

/** Checks that the ranges, in offset order, tile `[0, dataBytes)`: no overlap, no hole, nothing after. */
function checkCoverage(sorted: Entry[], dataBytes: number, where: string): void {
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < covered) {
      const [a, b] = [previous!, e];
      const [ra, rb] = [`[${a.begin}, ${a.end}]`, `[${b.begin}, ${b.end}]`];
      throw new Error(`${where}: tensors ${quote(a.name)} ${ra} and ${quote(b.name)} ${rb} overlap`);
    }
    if (e.begin > covered) {
      throw new Error(
        `${where}: bytes [${covered}, ${e.begin}) of the data section belong to no tensor; data_offsets ` +
          `must cover it without holes`,
      );
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataBytes) {
    throw new Error(
      `${where}: the tensors cover ${covered} bytes but the data section has ${dataBytes}; bytes ` +
        `[${covered}, ${dataBytes}) belong to no tensor`,
    );
  }
}

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON, else null.
 * One pass with an explicit stack (a Set of keys per open object, null per open array), so any
 * nesting depth is fine. A string is a key when it follows `{` or `,` inside an object; keys are
 * compared decoded, so `"a"` and `"\u0061"` are the same key.
 */
function findDuplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      stack.push(c === '{' ? new Set() : null);
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return null;
}

/**
 * Parses the bytes of a safetensors file into tensors (dtypes as in `loadSafetensors`) and the metadata strings.
 * @example const { tensors, metadata } = readSafetensors(bytes);
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsContents {
  const where = 'loadSafetensors';
  if (!(bytes instanceof Uint8Array)) throw new Error(`${where}: bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) {
    throw new Error(
      `${where}: the file is truncated: it has ${bytes.length} bytes, expected at least 8 (the header length)`,
    );
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${where}: header length ${declared} is too large; expected at most ${MAX_HEADER_BYTES} bytes`);
  }
  const headerBytes = Number(declared);
  if (8 + headerBytes > bytes.length) {
    throw new Error(
      `${where}: header length ${headerBytes} runs past the end of the file; expected at most ` +
        `${bytes.length - 8} (file of ${bytes.length} bytes)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerBytes));
  } catch {
    throw new Error(`${where}: the header (bytes [8, ${8 + headerBytes})) is not valid UTF-8`);
  }
  if (text.startsWith('\uFEFF')) {
    throw new Error(`${where}: the header starts with a UTF-8 byte-order mark (EF BB BF); it must be plain JSON`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    const reason = String((e as Error).message).slice(0, 120);
    const start = JSON.stringify(text.slice(0, 40));
    throw new Error(`${where}: the header is not valid JSON (${reason}); it begins ${start}`, { cause: e });
  }
  if (!isPlainObject(header)) {
    throw new Error(`${where}: the header must be a JSON object, got ${describe(header)}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) throw new Error(`${where}: the header has the key ${quote(duplicate)} twice in one object`);
  const dataStart = 8 + headerBytes;
  const dataBytes = bytes.length - dataStart;
  let metadata = emptyRecord<string>();
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name !== METADATA_KEY) entries.push(parseEntry(name, info, dataBytes, where));
    else if (info !== null) metadata = checkMetadata(info, where); // null: no metadata, as the reference reads it
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkCoverage(entries, dataBytes, where);

  const tensors = emptyRecord<Tensor>();
  for (const { name, dtype, shape, begin } of entries) {
    tensors[name] = new Tensor(decodeElements(bytes, dataStart + begin, sizeOf(shape), dtype, name), shape);
  }
  return { tensors, metadata };
}

/**
 * Loads the tensors of a safetensors file, keyed by their names, in file order: F32 as float32, F64,
 * F16 and BF16 converted to float32; I64, I32, I16, I8, U64, U32, U16 and U8 as int32 (a value
 * outside int32's range throws, naming the tensor and the element); BOOL as bool. A state dict that
 * PyTorch saved for the same architecture loads with `module.loadStateDict(loadSafetensors(bytes))`.
 * @example model.loadStateDict(loadSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer())));
 */
export function loadSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  return readSafetensors(bytes).tensors;
}
