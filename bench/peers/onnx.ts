/**
 * A minimal ONNX model writer: enough protobuf to build small float32 graphs in memory for
 * onnxruntime (`InferenceSession.create(bytes)`), with no dependency.
 *
 * Protobuf wire format: every field is a key `(fieldNumber << 3) | wireType` (a varint) followed by
 * its value: wire type 0 a varint (int32, int64, enums), 2 a length-delimited byte string
 * (strings, bytes, nested messages), 5 four little-endian bytes (float). A negative int64 is the
 * varint of its 64-bit two's complement (10 bytes). Repeated scalars are written unpacked (the
 * proto2 default that onnx.proto uses for `dims` and `ints`); `raw_data` carries tensor values.
 *
 * Field numbers are onnx.proto's (onnx/onnx, onnx/onnx.proto):
 *   ModelProto          ir_version 1, producer_name 2, graph 7, opset_import 8
 *   OperatorSetIdProto  domain 1, version 2
 *   GraphProto          node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto           input 1, output 2, name 3, op_type 4, attribute 5, domain 7
 *   AttributeProto      name 1, f 2, i 3, floats 7, ints 8, type 20 (FLOAT 1, INT 2, FLOATS 6, INTS 7)
 *   TensorProto         dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9
 *   ValueInfoProto      name 1, type 2
 *   TypeProto           tensor_type 1 -> Tensor { elem_type 1, shape 2 }
 *   TensorShapeProto    dim 1 -> Dimension { dim_value 1 }
 */

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, FLOATS: 6, INTS: 7 } as const;

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

/** A node attribute: one int, one float, or a list of either. */
export type Attribute =
  { int: number } | { float: number } | { ints: readonly number[] } | { floats: readonly number[] };

export function attributeProto(name: string, a: Attribute): Uint8Array {
  const parts = [field.string(1, name)];
  if ('int' in a) parts.push(field.int(20, AttributeType.INT), field.int(3, a.int));
  else if ('float' in a) parts.push(field.int(20, AttributeType.FLOAT), field.float(2, a.float));
  else if ('ints' in a) parts.push(field.int(20, AttributeType.INTS), ...a.ints.map((v) => field.int(8, v)));
  else parts.push(field.int(20, AttributeType.FLOATS), ...a.floats.map((v) => field.float(7, v)));
  return concat(parts);
}

export interface Node {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Record<string, Attribute>;
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

/** A constant tensor: float32 values, or int64 values (for shape and axes inputs). */
export interface Initializer {
  name: string;
  dims: readonly number[];
  float32?: Float32Array;
  int64?: readonly number[];
}

export function tensorProto(t: Initializer): Uint8Array {
  let raw: Uint8Array;
  if (t.float32) raw = new Uint8Array(t.float32.buffer, t.float32.byteOffset, t.float32.byteLength);
  else raw = new Uint8Array(BigInt64Array.from((t.int64 ?? []).map((v) => BigInt(v))).buffer);
  return concat([
    ...t.dims.map((d) => field.int(1, d)),
    field.int(2, t.float32 ? DataType.FLOAT : DataType.INT64),
    field.string(8, t.name),
    field.bytes(9, raw),
  ]);
}

/** A graph input or output: a float32 tensor of fixed shape. */
export interface ValueInfo {
  name: string;
  dims: readonly number[];
}

export function valueInfoProto(v: ValueInfo): Uint8Array {
  const shape = v.dims.map((d) => field.message(1, [field.int(1, d)]));
  const tensorType = [field.int(1, DataType.FLOAT), field.message(2, shape)];
  return concat([field.string(1, v.name), field.message(2, [field.message(1, tensorType)])]);
}

export interface Graph {
  nodes: readonly Node[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly Initializer[];
  /** The default-domain opset the nodes bind to. */
  opset: number;
}

/**
 * IR version for an opset: opset 21 needs IR 10, opset 23 needs IR 11 (onnx/helper.py's
 * VERSION_TABLE); older opsets are fine with IR 8.
 */
export function irVersionFor(opset: number): number {
  return opset >= 23 ? 11 : opset >= 21 ? 10 : 8;
}

/** The serialized ModelProto of a graph, ready for `InferenceSession.create(bytes)`. */
export function modelProto(g: Graph): Uint8Array {
  const graph = [
    ...g.nodes.map((n, i) => field.bytes(1, nodeProto(n, `n${i}`))),
    field.string(2, 'bench'),
    ...(g.initializers ?? []).map((t) => field.bytes(5, tensorProto(t))),
    ...g.inputs.map((v) => field.bytes(11, valueInfoProto(v))),
    ...g.outputs.map((v) => field.bytes(12, valueInfoProto(v))),
  ];
  return concat([
    field.int(1, irVersionFor(g.opset)),
    field.string(2, 'typegrad-bench'),
    field.message(7, graph),
    field.message(8, [field.string(1, ''), field.int(2, g.opset)]),
  ]);
}
