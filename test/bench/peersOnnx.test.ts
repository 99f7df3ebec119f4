/**
 * bench/peers/onnx.ts, the ONNX writer of `npm run bench:peers`: its bytes decoded field by field
 * with a protobuf reader written here from the wire format (not from the writer), against
 * onnx.proto's field numbers. Needs none of the peer packages.
 */
import { describe, expect, it } from 'vitest';
import { irVersionFor, modelProto, varint } from '../../bench/peers/onnx.js';

/** A decoded field: varints as bigint, fixed32 as its float, length-delimited as bytes. */
type Value = bigint | number | Uint8Array;

/** Every field of one message, by field number, in order. */
function decode(bytes: Uint8Array): Map<number, Value[]> {
  const fields = new Map<number, Value[]>();
  let at = 0;
  const readVarint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[at++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const key = Number(readVarint());
    const [field, wire] = [key >> 3, key & 7];
    let value: Value;
    if (wire === 0) value = readVarint();
    else if (wire === 5) {
      value = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getFloat32(0, true);
      at += 4;
    } else if (wire === 2) {
      const n = Number(readVarint());
      value = bytes.subarray(at, at + n);
      at += n;
    } else throw new Error(`unexpected wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const text = (v: Value | undefined): string => new TextDecoder().decode(v as Uint8Array);
const sub = (v: Value | undefined): Map<number, Value[]> => decode(v as Uint8Array);
const int64 = (v: Value | undefined): bigint => BigInt.asIntN(64, v as bigint);

describe('bench/peers ONNX writer', () => {
  it('writes varints as protobuf does (int64: negatives in 10 bytes)', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('encodes a one-node model that decodes field by field to what was given', () => {
    const scale = Float32Array.from([1.5, -2, 0.25]);
    const bytes = modelProto({
      opset: 17,
      nodes: [
        {
          opType: 'LayerNormalization',
          inputs: ['X', 'scale'],
          outputs: ['Y'],
          attributes: { axis: { int: -1 }, epsilon: { float: 1e-5 }, perm: { ints: [2, 0] } },
        },
      ],
      inputs: [{ name: 'X', dims: [2, 3] }],
      outputs: [{ name: 'Y', dims: [2, 3] }],
      initializers: [{ name: 'scale', dims: [3], float32: scale }],
    });
    const model = decode(bytes);
    expect(model.get(1)).toEqual([BigInt(irVersionFor(17))]); // ir_version
    const opset = sub(model.get(8)![0]); // opset_import
    expect(text(opset.get(1)![0])).toBe('');
    expect(opset.get(2)).toEqual([17n]);

    const graph = sub(model.get(7)![0]);
    const node = sub(graph.get(1)![0]);
    expect(node.get(1)!.map(text)).toEqual(['X', 'scale']);
    expect(node.get(2)!.map(text)).toEqual(['Y']);
    expect(text(node.get(4)![0])).toBe('LayerNormalization');
    const attrs = node.get(5)!.map(sub);
    expect(attrs.map((a) => text(a.get(1)![0]))).toEqual(['axis', 'epsilon', 'perm']);
    expect(attrs.map((a) => a.get(20)![0])).toEqual([2n, 1n, 7n]); // INT, FLOAT, INTS
    expect(int64(attrs[0]!.get(3)![0])).toBe(-1n);
    expect(attrs[1]!.get(2)![0]).toBeCloseTo(1e-5, 12);
    expect(attrs[2]!.get(8)).toEqual([2n, 0n]);

    const init = sub(graph.get(5)![0]);
    expect(init.get(1)).toEqual([3n]); // dims
    expect(init.get(2)).toEqual([1n]); // FLOAT
    expect(text(init.get(8)![0])).toBe('scale');
    const raw = init.get(9)![0] as Uint8Array;
    expect([...new Float32Array(raw.slice().buffer)]).toEqual([...scale]);

    for (const [field, name] of [
      [11, 'X'],
      [12, 'Y'],
    ] as const) {
      const info = sub(graph.get(field)![0]);
      expect(text(info.get(1)![0])).toBe(name);
      const tensorType = sub(sub(info.get(2)![0]).get(1)![0]);
      expect(tensorType.get(1)).toEqual([1n]); // elem_type FLOAT
      const dims = sub(tensorType.get(2)![0])
        .get(1)!
        .map((d) => sub(d).get(1)![0]);
      expect(dims).toEqual([2n, 3n]);
    }
  });

  it('picks the IR version each opset needs', () => {
    expect([15, 17, 21, 23].map(irVersionFor)).toEqual([8, 8, 10, 11]);
  });
});
