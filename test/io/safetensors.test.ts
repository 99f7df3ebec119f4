import { describe, expect, it } from 'vitest';
import { Module, type Tensor, loadSafetensors, saveSafetensors, tensor, zeros } from '../../src/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { bfloat16ToNumber, halfToNumber } from '../../src/io/dtypes.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The raw bytes of a tensor's storage, for bitwise comparison. */
function bitsOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** A file: the 8-byte little-endian header length, the header text as is, then the data bytes. */
function file(header: string | object, data: ArrayLike<number> = []): Uint8Array {
  const json = utf8(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

/** Little-endian float32 bytes of `values`. */
function float32Bytes(values: number[]): number[] {
  const view = new DataView(new ArrayBuffer(4 * values.length));
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return Array.from(new Uint8Array(view.buffer));
}

/** The header of a saved file, as text (padding included). */
function headerText(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}

describe('saveSafetensors / loadSafetensors round trip', () => {
  const special = new Float32Array([0, -0, 1.5, -3.25, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38, 0.1]);
  const sd = {
    'layer.weight': tensor(special, [2, 5]),
    'layer.bias': tensor([0.5, -0.5]),
    scalar: tensor(7.25),
    empty: zeros([0, 3]),
    'bn.num_batches_tracked': tensor(12),
    double: tensor([Math.PI, 1 / 3], undefined, { dtype: 'float64' }),
  };

  it('gives back the same shapes and bitwise the same float32 data, with the metadata', () => {
    const bytes = saveSafetensors(sd, { format: 'pt', ünïcode: 'välue' });
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', ünïcode: 'välue' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(sd).sort());
    for (const name of ['layer.weight', 'layer.bias', 'scalar', 'empty'] as const) {
      expect(tensors[name]!.shape, name).toEqual(sd[name].shape);
      expect(tensors[name]!.dtype, name).toBe('float32');
      expect(bitsOf(tensors[name]!), name).toEqual(bitsOf(sd[name]));
    }
    // the counter is written as I64, like torch's int64, and so loads as int32
    expect(tensors['bn.num_batches_tracked']!.dtype).toBe('int32');
    expect(tensors['bn.num_batches_tracked']!.item()).toBe(12);
  });

  it('writes float64 as F64 and loads it back rounded to float32, as the API promises', () => {
    const loaded = loadSafetensors(saveSafetensors(sd))['double']!;
    expect(loaded.dtype).toBe('float32');
    expect(Array.from(loaded.data)).toEqual([Math.fround(Math.PI), Math.fround(1 / 3)]);
  });

  it('lays out I64 first, then F64, then F32 by name, with a header padded by spaces to 8 bytes', () => {
    const bytes = saveSafetensors(sd);
    const text = headerText(bytes);
    expect(text.length % 8).toBe(0);
    expect(text.startsWith('{')).toBe(true);
    const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    expect(Object.keys(header)).toEqual([
      'bn.num_batches_tracked',
      'double',
      'empty',
      'layer.bias',
      'layer.weight',
      'scalar',
    ]);
    expect(header['bn.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data_offsets: [0, 8] });
    expect(header['double']).toEqual({ dtype: 'F64', shape: [2], data_offsets: [8, 24] });
    expect(header['empty']).toEqual({ dtype: 'F32', shape: [0, 3], data_offsets: [24, 24] });
    expect(header['scalar']).toEqual({ dtype: 'F32', shape: [], data_offsets: [72, 76] });
    // The I64 counter is the integer 12 in little-endian two's complement.
    const start = 8 + text.length;
    expect(Array.from(bytes.subarray(start, start + 8))).toEqual([12, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('writes exactly the bytes the format prescribes for one F32 tensor and for an empty dict', () => {
    const bytes = saveSafetensors({ attn0: tensor([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]) });
    const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(65); // so 7 spaces of padding make 72
    const expected = [72, 0, 0, 0, 0, 0, 0, 0, ...utf8(json), ...utf8(' '.repeat(7))];
    for (const bits of [0x00000000, 0x3f800000, 0x40000000, 0x40400000, 0x40800000, 0x40a00000]) {
      expected.push(bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, bits >>> 24);
    }
    expect(Array.from(bytes)).toEqual(expected);

    expect(Array.from(saveSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...utf8('{}      ')]);
    const withMeta = saveSafetensors({}, { framework: 'pt' });
    expect(headerText(withMeta)).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it('does not modify the state dict it saves', () => {
    const t = tensor([1, 2, 3]);
    saveSafetensors({ t });
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
  });
});

describe('a safetensors file built byte by byte from the specification', () => {
  // Header written by hand; data_offsets are relative to the first byte after the header. The data
  // section is laid out in an order different from the header's key order on purpose.
  const header =
    '{"c.f16":{"dtype":"F16","shape":[2,2],"data_offsets":[24,32]},' +
    '"a.i64":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},' +
    '"b.f64":{"dtype":"F64","shape":[],"data_offsets":[16,24]},' +
    '"d.bf16":{"dtype":"BF16","shape":[3],"data_offsets":[32,38]},' +
    '"e.f32":{"dtype":"F32","shape":[1],"data_offsets":[38,42]},' +
    '"f.i32":{"dtype":"I32","shape":[1,1],"data_offsets":[42,46]},' +
    '"g.empty":{"dtype":"F32","shape":[0,3],"data_offsets":[46,46]},' +
    '"__metadata__":{"format":"pt","note":"hand-made"}}';
  const data = [
    // a.i64 = [5, -3]: int64 little-endian, -3 is two's complement 0xFFFFFFFFFFFFFFFD
    0x05, 0, 0, 0, 0, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    // b.f64 = 1.5 = 0x3FF8000000000000
    0, 0, 0, 0, 0, 0, 0xf8, 0x3f,
    // c.f16 = [1, -2, 2^-24 (smallest subnormal), 65504 (largest finite)] = 0x3C00, 0xC000, 0x0001, 0x7BFF
    0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0xff, 0x7b,
    // d.bf16 = [1, -0.5, 3.140625] = 0x3F80, 0xBF00, 0x4049 (top halves of the float32 bits)
    0x80, 0x3f, 0x00, 0xbf, 0x49, 0x40,
    // e.f32 = 0.25 = 0x3E800000
    0x00, 0x00, 0x80, 0x3e,
    // f.i32 = -7 = 0xFFFFFFF9
    0xf9, 0xff, 0xff, 0xff,
  ];
  const headerBytes = utf8(header);
  const n = headerBytes.length;
  expect(n).toBeLessThan(65536);
  const bytesOfFile = [n & 0xff, n >> 8, 0, 0, 0, 0, 0, 0, ...headerBytes, ...data];

  function check(bytes: Uint8Array): void {
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'hand-made' });
    expect(Object.keys(tensors)).toEqual(['a.i64', 'b.f64', 'c.f16', 'd.bf16', 'e.f32', 'f.i32', 'g.empty']);
    const got = (k: string): [number[], readonly number[]] => [Array.from(tensors[k]!.data), tensors[k]!.shape];
    expect(got('a.i64')).toEqual([[5, -3], [2]]);
    expect(got('b.f64')).toEqual([[1.5], []]);
    expect(got('c.f16')).toEqual([
      [1, -2, 2 ** -24, 65504],
      [2, 2],
    ]);
    expect(got('d.bf16')).toEqual([[1, -0.5, 3.140625], [3]]);
    expect(got('e.f32')).toEqual([[0.25], [1]]);
    expect(got('f.i32')).toEqual([[-7], [1, 1]]);
    expect(got('g.empty')).toEqual([[], [0, 3]]);
  }

  it('loads every tensor with the hand-computed values', () => {
    check(new Uint8Array(bytesOfFile));
  });

  it('reads from a view at an odd byte offset (no aligned typed-array views are assumed)', () => {
    const backing = new Uint8Array(bytesOfFile.length + 3);
    backing.set(bytesOfFile, 1);
    check(backing.subarray(1, 1 + bytesOfFile.length));
  });

  it('decodes the special half and bfloat16 bit patterns', () => {
    expect(halfToNumber(0x0000)).toBe(0);
    expect(Object.is(halfToNumber(0x8000), -0)).toBe(true);
    expect(halfToNumber(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(halfToNumber(0x0400)).toBe(2 ** -14); // smallest normal
    expect(halfToNumber(0x3555)).toBe(0.333251953125);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(halfToNumber(0xfc00)).toBe(-Infinity);
    expect(halfToNumber(0x7e00)).toBeNaN();
    expect(bfloat16ToNumber(0x7f80)).toBe(Infinity);
    expect(bfloat16ToNumber(0xff80)).toBe(-Infinity);
    expect(bfloat16ToNumber(0x7fc0)).toBeNaN();
    expect(bfloat16ToNumber(0x0001)).toBe(2 ** -133); // smallest bfloat16 subnormal
  });

  it('reads the integer and boolean dtypes', () => {
    const bytes = file(
      {
        u8: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
        i8: { dtype: 'I8', shape: [2], data_offsets: [2, 4] },
        b: { dtype: 'BOOL', shape: [2], data_offsets: [4, 6] },
        i16: { dtype: 'I16', shape: [1], data_offsets: [6, 8] },
        u16: { dtype: 'U16', shape: [1], data_offsets: [8, 10] },
        u32: { dtype: 'U32', shape: [1], data_offsets: [10, 14] },
        u64: { dtype: 'U64', shape: [1], data_offsets: [14, 22] },
      },
      [255, 7, 0x80, 0x7f, 0, 1, 0x00, 0x80, 0xff, 0xff, 0x00, 0xff, 0xff, 0x7f, 0x00, 0x01, 0, 0, 0, 0, 0, 0],
    );
    const t = loadSafetensors(bytes);
    for (const name of ['u8', 'i8', 'i16', 'u16', 'u32', 'u64']) expect(t[name]!.dtype, name).toBe('int32');
    expect(t['b']!.dtype).toBe('bool');
    expect(Array.from(t['u8']!.data)).toEqual([255, 7]);
    expect(Array.from(t['i8']!.data)).toEqual([-128, 127]);
    expect(Array.from(t['b']!.data)).toEqual([0, 1]);
    expect(Array.from(t['i16']!.data)).toEqual([-32768]);
    expect(Array.from(t['u16']!.data)).toEqual([65535]);
    expect(Array.from(t['u32']!.data)).toEqual([0x7fffff00]);
    const tooBig = file({ u32: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0x80]);
    expect(() => loadSafetensors(tooBig)).toThrow(
      /tensor "u32" \(U32\) has element 0 = 2147483648, outside int32's range/,
    );
    expect(Array.from(t['u64']!.data)).toEqual([256]);
  });
});

describe('loading into a Module', () => {
  class Affine extends Module {
    weight = tensor([
      [1, 2],
      [3, 4],
    ]);
    bias = tensor([0, 0]);
    runningMean = zeros([2]);
    numBatchesTracked = zeros([]);
    constructor() {
      super();
      this.registerParameter('weight');
      this.registerParameter('bias');
      this.registerBuffer('running_mean', 'runningMean');
      this.registerBuffer('num_batches_tracked', 'numBatchesTracked');
    }
    forward(x: Tensor): Tensor {
      return x.matmul(this.weight).add(this.bias);
    }
  }

  it('a file with PyTorch keys and dtypes (I64 counter) loads with loadStateDict', () => {
    const bytes = file(
      {
        __metadata__: { format: 'pt' },
        num_batches_tracked: { dtype: 'I64', shape: [], data_offsets: [0, 8] },
        bias: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
        running_mean: { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
        weight: { dtype: 'F32', shape: [2, 2], data_offsets: [24, 40] },
      },
      [3, 0, 0, 0, 0, 0, 0, 0, ...float32Bytes([0.5, -0.5, 1, 2, 10, 20, 30, 40])],
    );
    const m = new Affine();
    m.loadStateDict(loadSafetensors(bytes));
    expect(Array.from(m.weight.data)).toEqual([10, 20, 30, 40]);
    expect(Array.from(m.bias.data)).toEqual([0.5, -0.5]);
    expect(Array.from(m.runningMean.data)).toEqual([1, 2]);
    expect(m.numBatchesTracked.item()).toBe(3);
  });

  it('a module saved and loaded into a fresh one gives the same state dict', () => {
    const a = new Affine();
    a.weight.data.set([5, 6, 7, 8]);
    a.numBatchesTracked.data[0] = 9;
    const bytes = saveSafetensors(a.stateDict());
    expect(JSON.parse(headerText(bytes))['num_batches_tracked'].dtype).toBe('I64');
    const b = new Affine();
    b.loadStateDict(loadSafetensors(bytes));
    for (const [k, t] of Object.entries(a.stateDict())) expect(bitsOf(b.stateDict()[k]!), k).toEqual(bitsOf(t));
  });
});

describe('loadSafetensors rejects malformed files with a clear error', () => {
  const f32 = (shape: number[], offsets: [number, number]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), /truncated: it has 5 bytes, expected at least 8/],
    [
      'a header length beyond the file',
      (() => {
        const b = file('{}');
        b[0] = 100;
        return b;
      })(),
      /header length 100 runs past the end of the file; expected at most 2/,
    ],
    [
      'an absurd header length',
      (() => {
        const b = file('{}');
        b[5] = 1;
        return b;
      })(),
      /header length 1099511627778 is too large; expected at most 100000000/,
    ],
    ['invalid UTF-8 in the header', file('{}').map((v, i) => (i === 9 ? 0xff : v)), /not valid UTF-8/],
    ['invalid JSON', file('{"a": '), /the header is not valid JSON .*it begins "\{\\"a\\": "/],
    ['a header that is not an object', file('[1, 2]'), /the header must be a JSON object, got \[1, 2\] \(array\)/],
    ['non-string metadata', file({ __metadata__: { epoch: 3 } }), /__metadata__ values must be strings; "epoch" is 3/],
    [
      'an unknown dtype',
      file({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, [0]),
      /tensor "w": unknown dtype "F8_E4M3"; expected one of F64, F32/,
    ],
    [
      'a bad shape',
      file({ w: f32([-1], [0, 4]) }, [0, 0, 0, 0]),
      /tensor "w": shape must be an array of non-negative integers, got \[-1\] \(array\)/,
    ],
    [
      'malformed data_offsets',
      file({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, [0, 0, 0, 0]),
      /data_offsets must be \[begin, end\]/,
    ],
    ['begin after end', file({ w: f32([0], [4, 0]) }, [0, 0, 0, 0]), /data_offsets \[4, 0\] must have begin <= end/],
    [
      'data_offsets out of range',
      file({ w: f32([2], [0, 8]) }, [0, 0, 0, 0]),
      /tensor "w": data_offsets \[0, 8\] are out of range; the data section has 4 bytes/,
    ],
    [
      'a byte size that does not match the shape',
      file({ w: f32([2, 2], [0, 8]) }, new Array(8).fill(0)),
      /tensor "w": data_offsets \[0, 8\] span 8 bytes, expected 16 \(4 elements of F32, 4 bytes each, for shape \[2, 2\]\)/,
    ],
    [
      'overlapping tensors',
      file({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, new Array(12).fill(0)),
      /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/,
    ],
    [
      'a hole between tensors',
      file({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, new Array(12).fill(0)),
      /bytes \[4, 8\) of the data section belong to no tensor/,
    ],
    [
      'trailing bytes no tensor covers',
      file({ a: f32([1], [0, 4]) }, new Array(6).fill(0)),
      /the tensors cover 4 bytes but the data section has 6; bytes \[4, 6\) belong to no tensor/,
    ],
  ];
  it.each(cases)('%s', (_, bytes, message) => {
    expect(() => loadSafetensors(bytes)).toThrow(message);
  });

  it('a non-Uint8Array argument', () => {
    expect(() => loadSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(
      /bytes must be a Uint8Array, got \[1, 2, 3\] \(array\)/,
    );
  });
});

describe('saveSafetensors rejects what it cannot write', () => {
  it.each([
    [
      'a value that is not a Tensor',
      () => saveSafetensors({ w: [1, 2] as unknown as Tensor }),
      /stateDict\["w"\] must be a Tensor, got \[1, 2\] \(array\)/,
    ],
    [
      'a tensor named __metadata__',
      () => saveSafetensors({ __metadata__: tensor([1]) }),
      /may not be named "__metadata__"/,
    ],
    [
      'a non-integer num_batches_tracked',
      () => saveSafetensors({ 'bn.num_batches_tracked': tensor(2.5) }),
      /"bn.num_batches_tracked" is saved as I64 .* element 0 is 2.5/,
    ],
    [
      'non-string metadata',
      () => saveSafetensors({}, { epoch: 3 as unknown as string }),
      /__metadata__ values must be strings; "epoch" is 3/,
    ],
    [
      'a state dict that is not an object',
      () => saveSafetensors(null as unknown as Record<string, Tensor>),
      /stateDict must be a plain object of name -> Tensor, got null/,
    ],
  ])('%s', (_, fn, message) => {
    expect(fn).toThrow(message);
  });
});
