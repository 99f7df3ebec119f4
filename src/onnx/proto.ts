/**
 * A minimal ONNX protobuf writer: the messages of onnx.proto that a model file needs, encoded by hand
 * with no dependency (browser-safe). `exportOnnx` (export.ts) and the benchmarks (bench/peers) use it.
 *
 * Protobuf wire format: every field is a key `(fieldNumber << 3) | wireType` (a varint) followed by
 * its value: wire type 0 a varint (int32, int64, enums), 2 a length-delimited byte string
 * (strings, bytes, nested messages), 5 four little-endian bytes (float). A negative int64 is the
 * varint of its 64-bit two's complement (10 bytes). Repeated scalars are written unpacked (the
 * proto2 default that onnx.proto uses for `dims` and `ints`); `raw_data` carries tensor values
 * (little-endian, as the format requires).
 *
 * Field numbers are onnx.proto's (onnx/onnx, onnx/onnx.proto):
 *   ModelProto          ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7,
 *                       opset_import 8
 *   OperatorSetIdProto  domain 1, version 2
 *   GraphProto          node 1, name 2, initializer 5, doc_string 10, input 11, output 12, value_info 13
 *   NodeProto           input 1, output 2, name 3, op_type 4, attribute 5, domain 7
 *   AttributeProto      name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20
 *                       (FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7)
 *   TensorProto         dims 1, data_type 2, name 8, raw_data 9
 *   ValueInfoProto      name 1, type 2
 *   TypeProto           tensor_type 1 -> Tensor { elem_type 1, shape 2 }
 *   TensorShapeProto    dim 1 -> Dimension { dim_value 1, dim_param 2 }
 */

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** The varint encoding of a non-negative or negative integer (int64 semantics). */
export function varint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return Uint8Array.from(out);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const key = (field: number, wire: number): Uint8Array => varint((field << 3) | wire);

/** One encoded field of each wire type; a message is the concatenation of its fields. */
export const field = {
  int: (n: number, v: number | bigint): Uint8Array => concat([key(n, WIRE_VARINT), varint(v)]),
  float: (n: number, v: number): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return concat([key(n, WIRE_FIXED32), b]);
  },
  bytes: (n: number, v: Uint8Array): Uint8Array => concat([key(n, WIRE_BYTES), varint(v.length), v]),
  string: (n: number, v: string): Uint8Array => field.bytes(n, new TextEncoder().encode(v)),
  message: (n: number, parts: readonly Uint8Array[]): Uint8Array => field.bytes(n, concat(parts)),
};

/** A node attribute: one int, float, string or tensor, or a list of ints or floats. */
export type Attribute =
  | { int: number }
  | { float: number }
  | { string: string }
  | { tensor: Initializer }
  | { ints: readonly number[] }
  | { floats: readonly number[] };

export function attributeProto(name: string, a: Attribute): Uint8Array {
  const parts = [field.string(1, name)];
  if ('int' in a) parts.push(field.int(20, AttributeType.INT), field.int(3, a.int));
  else if ('float' in a) parts.push(field.int(20, AttributeType.FLOAT), field.float(2, a.float));
  else if ('string' in a) parts.push(field.int(20, AttributeType.STRING), field.string(4, a.string));
  else if ('tensor' in a) parts.push(field.int(20, AttributeType.TENSOR), field.bytes(5, tensorProto(a.tensor)));
  else if ('ints' in a) parts.push(field.int(20, AttributeType.INTS), ...a.ints.map((v) => field.int(8, v)));
  else parts.push(field.int(20, AttributeType.FLOATS), ...a.floats.map((v) => field.float(7, v)));
  return concat(parts);
}

export interface Node {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Record<string, Attribute>;
  /** The node's name (default: n<index>). */
  name?: string;
}

export function nodeProto(node: Node, name: string): Uint8Array {
  return concat([
    ...node.inputs.map((s) => field.string(1, s)),
    ...node.outputs.map((s) => field.string(2, s)),
    field.string(3, name),
    field.string(4, node.opType),
    ...Object.entries(node.attributes ?? {}).map(([k, a]) => field.bytes(5, attributeProto(k, a))),
  ]);
}

/**
 * A constant tensor: float32 values, float64 values, int64 values (for shape and axes inputs),
 * int32 values or bool values (bytes 0/1).
 */
export interface Initializer {
  name: string;
  dims: readonly number[];
  float32?: Float32Array;
  float64?: Float64Array;
  int64?: readonly number[];
  int32?: Int32Array;
  bool?: Uint8Array;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The TensorProto data type and little-endian bytes of an initializer's values. */
function rawData(t: Initializer): [number, Uint8Array] {
  if (t.float32) return [DataType.FLOAT, bytesOf(t.float32)];
  if (t.float64) return [DataType.DOUBLE, bytesOf(t.float64)];
  if (t.int32) return [DataType.INT32, bytesOf(t.int32)];
  if (t.bool) return [DataType.BOOL, bytesOf(t.bool)];
  return [DataType.INT64, bytesOf(BigInt64Array.from((t.int64 ?? []).map((v) => BigInt(v))))];
}

export function tensorProto(t: Initializer): Uint8Array {
  const [dataType, raw] = rawData(t);
  return concat([
    ...t.dims.map((d) => field.int(1, d)),
    field.int(2, dataType),
    field.string(8, t.name),
    field.bytes(9, raw),
  ]);
}

/**
 * A graph input, output or intermediate value: a tensor of element type `elemType` (a DataType,
 * default FLOAT) whose dims are sizes, names of symbolic sizes (`dim_param`, e.g. 'batch'), or null
 * for an unknown size. `dims` undefined leaves the shape out (rank unknown).
 */
export interface ValueInfo {
  name: string;
  dims?: readonly (number | string | null)[];
  elemType?: number;
}

export function valueInfoProto(v: ValueInfo): Uint8Array {
  const tensorType = [field.int(1, v.elemType ?? DataType.FLOAT)];
  if (v.dims !== undefined) {
    const dim = (d: number | string | null): Uint8Array =>
      field.message(1, d === null ? [] : typeof d === 'string' ? [field.string(2, d)] : [field.int(1, d)]);
    tensorType.push(field.message(2, v.dims.map(dim)));
  }
  return concat([field.string(1, v.name), field.message(2, [field.message(1, tensorType)])]);
}

export interface Graph {
  nodes: readonly Node[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly Initializer[];
  /** Type and shape of intermediate values (GraphProto.value_info). */
  valueInfo?: readonly ValueInfo[];
  /** The default-domain opset the nodes bind to. */
  opset: number;
  /** GraphProto.name (default 'bench'). */
  name?: string;
  /** ModelProto.producer_name (default 'typegrad-bench'). */
  producer?: string;
  producerVersion?: string;
  /** ModelProto.doc_string. */
  docString?: string;
}

/**
 * IR version for an opset (onnx/helper.py's VERSION_TABLE): opset 21 needs IR 10, 23 IR 11, 24 IR 12,
 * 25 and 26 IR 13; older opsets are fine with IR 8.
 */
export function irVersionFor(opset: number): number {
  if (opset >= 25) return 13;
  if (opset >= 24) return 12;
  return opset >= 23 ? 11 : opset >= 21 ? 10 : 8;
}

/** The serialized ModelProto of a graph, ready for `InferenceSession.create(bytes)`. */
export function modelProto(g: Graph): Uint8Array {
  const graph = [
    ...g.nodes.map((n, i) => field.bytes(1, nodeProto(n, n.name ?? `n${i}`))),
    field.string(2, g.name ?? 'bench'),
    ...(g.initializers ?? []).map((t) => field.bytes(5, tensorProto(t))),
    ...g.inputs.map((v) => field.bytes(11, valueInfoProto(v))),
    ...g.outputs.map((v) => field.bytes(12, valueInfoProto(v))),
    ...(g.valueInfo ?? []).map((v) => field.bytes(13, valueInfoProto(v))),
  ];
  const model = [field.int(1, irVersionFor(g.opset)), field.string(2, g.producer ?? 'typegrad-bench')];
  if (g.producerVersion !== undefined) model.push(field.string(3, g.producerVersion));
  if (g.docString !== undefined) model.push(field.string(6, g.docString));
  model.push(field.message(7, graph), field.message(8, [field.string(1, ''), field.int(2, g.opset)]));
  return concat(model);
}
