/**
 * Seeded fuzzing of the safetensors reader: a few thousand mutations of valid files (byte flips,
 * truncations, appended bytes, header-length edits, header edits: offsets out of range or
 * overlapping, wrong or unknown dtypes, huge or malformed shapes, duplicate keys, a BOM, deep
 * nesting, text edits). Every outcome must be one of two:
 *   - a plain `Error` whose message starts with "loadSafetensors: " (no TypeError or RangeError
 *     escapes, and the message stays short), or
 *   - a load that is self-consistent: a prototype-free record of tensors of the dtype the header's
 *     entry loads as (float32, int32 for integer dtypes, bool for BOOL), each with as many
 *     elements as its shape says; a tensor whose header entry and bytes are untouched equals the
 *     source tensor bit for bit; and the result saves and reads back bit for bit.
 * The input bytes are never modified. The seed is fixed, so a failure reproduces; the failing
 * mutation is printed with its index.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, saveSafetensors, tensor } from '../../src/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadedDtype, type SafetensorsDtype } from '../../src/io/dtypes.js';
import { mulberry32 } from '../tensor/reference.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A file from header text and data bytes (the length field says the header's true length). */
function file(header: string | Uint8Array, data: Uint8Array): Uint8Array {
  const json = typeof header === 'string' ? utf8(header) : header;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

interface Parts {
  header: string;
  data: Uint8Array;
}

function split(bytes: Uint8Array): Parts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.slice(8 + n) };
}

type HeaderEntry = { dtype: unknown; shape: unknown; data_offsets: unknown };

/** The valid files every mutation starts from. */
function sources(): Uint8Array[] {
  const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
  const saved = [
    saveSafetensors(
      {
        w: tensor(
          seq(12, (i) => i / 3 - 2),
          [3, 4],
        ),
        b: tensor([0.5, -0.5, 1e-40]),
        s: tensor(7),
      },
      { format: 'pt' },
    ),
    saveSafetensors({
      'layer.0.weight': tensor(
        seq(6, (i) => Math.sin(i)),
        [2, 3],
      ),
      'bn.num_batches_tracked': tensor(3),
      'bn.running_var': tensor([1, 2, 3]).to('float64'),
      empty: tensor([], [0, 5]),
    }),
  ];
  // Hand-made: the narrow dtypes the writer never emits.
  const narrow = file(
    JSON.stringify({
      __metadata__: { note: 'narrow' },
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      bf: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
      u8: { dtype: 'U8', shape: [2, 2], data_offsets: [8, 12] },
      ok: { dtype: 'BOOL', shape: [3], data_offsets: [12, 15] },
      i8: { dtype: 'I8', shape: [1], data_offsets: [15, 16] },
      i32: { dtype: 'I32', shape: [2], data_offsets: [16, 24] },
    }),
    new Uint8Array([
      0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x40, 0x40, 1, 2, 3, 255, 0, 1, 2, 0x80, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
    ]),
  );
  return [...saved, narrow];
}

const DTYPES: unknown[] = [
  'F32',
  'F64',
  'F16',
  'BF16',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
  'F8_E4M3',
  '',
  'f32',
  3,
  null,
];
const BIG = [0, 1, 2, 3, 7, 8, 255, 4096, 2 ** 31, 2 ** 32 + 4, 2 ** 53 - 1, 2 ** 53, 1e300, -1, -8, 0.5, NaN];

type Mutation = (src: Uint8Array, rnd: () => number) => { bytes: Uint8Array; kind: string };

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (rnd: () => number, n: number): number => Math.floor(rnd() * n);

/** Edits the parsed header of `src` with `edit` and writes the file again around the same data. */
type HeaderEdit = (h: Record<string, HeaderEntry>, names: string[]) => void;

function editHeader(src: Uint8Array, rnd: () => number, edit: HeaderEdit): Uint8Array {
  const { header, data } = split(src);
  const h = JSON.parse(header) as Record<string, HeaderEntry>;
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  edit(h, names);
  let text = JSON.stringify(h);
  if (rnd() < 0.5) text += ' '.repeat(int(rnd, 8)); // padding, as the writer does
  return file(text, data);
}

const INSERTS = ['{', '}', '[', ']', '"', ',', ':', '\\', '0', '-', 'e9', ' ', '\u0000', '\u00e9'];

const MUTATIONS: [string, Mutation][] = [
  [
    'byte flips',
    (src, rnd) => {
      const b = src.slice();
      for (let k = 1 + int(rnd, 4); k > 0; k--) b[int(rnd, b.length)] ^= 1 + int(rnd, 255);
      return { bytes: b, kind: 'flip' };
    },
  ],
  [
    'header-byte flip',
    (src, rnd) => {
      const b = src.slice();
      const n = Number(new DataView(b.buffer).getBigUint64(0, true));
      b[8 + int(rnd, n)] ^= 1 + int(rnd, 255);
      return { bytes: b, kind: 'header flip' };
    },
  ],
  ['truncation', (src, rnd) => ({ bytes: src.slice(0, int(rnd, src.length)), kind: 'truncate' })],
  [
    'appended bytes',
    (src, rnd) => {
      const b = new Uint8Array(src.length + 1 + int(rnd, 16));
      b.set(src);
      for (let i = src.length; i < b.length; i++) b[i] = int(rnd, 256);
      return { bytes: b, kind: 'append' };
    },
  ],
  [
    'length-field edit',
    (src, rnd) => {
      const b = src.slice();
      const view = new DataView(b.buffer);
      const n = view.getBigUint64(0, true);
      const choices = [n + 1n, n - 1n, n + 8n, 0n, 1n, BigInt(b.length), 2n ** 64n - 1n, 2n ** 63n];
      choices.push(BigInt(int(rnd, 2 ** 30)));
      view.setBigUint64(0, BigInt.asUintN(64, pick(rnd, choices)), true);
      return { bytes: b, kind: 'length' };
    },
  ],
  [
    'data_offsets edit',
    (src, rnd) => ({
      bytes: editHeader(src, rnd, (h, names) => {
        const e = h[pick(rnd, names)]!;
        const [b0, e0] = e.data_offsets as number[];
        const random = [pick(rnd, BIG), pick(rnd, BIG)];
        e.data_offsets = pick(rnd, [[b0, e0! + 4], [b0! + 1, e0], [e0, b0], random, [b0], [b0, e0, 0], 'x', null]);
      }),
      kind: 'offsets',
    }),
  ],
  [
    'overlapping tensors',
    (src, rnd) => ({
      bytes: editHeader(src, rnd, (h, names) => {
        h[pick(rnd, names)]!.data_offsets = h[pick(rnd, names)]!.data_offsets;
      }),
      kind: 'overlap',
    }),
  ],
  [
    'dtype edit',
    (src, rnd) => ({
      bytes: editHeader(src, rnd, (h, names) => {
        h[pick(rnd, names)]!.dtype = pick(rnd, DTYPES);
      }),
      kind: 'dtype',
    }),
  ],
  [
    'shape edit',
    (src, rnd) => ({
      bytes: editHeader(src, rnd, (h, names) => {
        const e = h[pick(rnd, names)]!;
        const shape = e.shape as number[];
        e.shape = pick(rnd, [
          [...shape, pick(rnd, BIG)],
          shape.slice(1),
          [pick(rnd, BIG)],
          [2 ** 53 - 1, 2 ** 53 - 1],
          [0, 2 ** 53 - 1],
          Array(1000).fill(1),
          [[1]],
          ['2'],
          4,
          null,
          {},
          [...shape].reverse(),
        ]);
      }),
      kind: 'shape',
    }),
  ],
  [
    'entry edit',
    (src, rnd) => ({
      bytes: editHeader(src, rnd, (h, names) => {
        const name = pick(rnd, names);
        const e = h[name]! as unknown as Record<string, unknown>;
        const choice = int(rnd, 6);
        if (choice === 0) delete e[pick(rnd, ['dtype', 'shape', 'data_offsets'])];
        else if (choice === 1)
          e['extra'] = [1, { x: 2 }]; // unknown fields are ignored, as the reference does
        else if (choice === 2) (h as Record<string, unknown>)[name] = pick(rnd, [null, 3, 'F32', [], [1, 2]]);
        else if (choice === 3) (h as Record<string, unknown>)['__metadata__'] = pick(rnd, [null, [], { k: 1 }, {}]);
        else if (choice === 4) delete h[name];
        else (h as Record<string, unknown>)['__proto__'] = h[name]; // an ordinary (own) key of the parsed header
      }),
      kind: 'entry',
    }),
  ],
  [
    'text edits of the header',
    (src, rnd) => {
      const { header, data } = split(src);
      const at = int(rnd, header.length + 1);
      const kind = int(rnd, 7);
      const close = header.lastIndexOf('}');
      const first = /"([^"]+)":\{"dtype/.exec(header);
      const again = first === null ? '' : `"${first[1]}":${JSON.stringify(JSON.parse(header)[first[1]!])}`;
      const text =
        kind === 0
          ? header.slice(0, at) + header.slice(at + 1 + int(rnd, 4))
          : kind === 1
            ? header.slice(0, at) + pick(rnd, INSERTS) + header.slice(at)
            : kind === 2
              ? `\ufeff${header}`
              : kind === 3 && first !== null
                ? `${header.slice(0, close)},${again}}`
                : kind === 4
                  ? `{"deep":${'['.repeat(20_000)}${']'.repeat(20_000)},${header.slice(1)}`
                  : kind === 5
                    ? header.replace(/"shape":\[/, `"shape":[${'['.repeat(1 + int(rnd, 20_000))}`)
                    : header.replace(/\d+/, pick(rnd, ['1e3', '1.0', '-0', '00', '99999999999999999999']));
      return { bytes: file(text, data), kind: `text ${kind}` };
    },
  ],
];

/** Checks one outcome as the file comment says; returns 'ok' or 'error' for the tallies. */
function check(src: Uint8Array, mutated: Uint8Array, label: string): 'ok' | 'error' {
  const before = mutated.slice();
  let result;
  try {
    result = readSafetensors(mutated);
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error) throw new Error(`${label}: threw ${String(e)}`, { cause: e });
    if (!e.message.startsWith('loadSafetensors: '))
      throw new Error(`${label}: no prefix: ${e.message.slice(0, 200)}`, { cause: e });
    if (e.message.length > 400) throw new Error(`${label}: message of ${e.message.length} characters`, { cause: e });
    if (!same(mutated, before)) throw new Error(`${label}: input modified`, { cause: e });
    return 'error';
  }
  if (!same(mutated, before)) throw new Error(`${label}: input modified`);
  const { tensors, metadata } = result;
  expect(Object.getPrototypeOf(tensors), label).toBe(null);
  expect(Object.getPrototypeOf(metadata), label).toBe(null);
  const original = readSafetensors(src).tensors;
  const srcParts = split(src);
  const parts = split(mutated);
  const srcHeader = JSON.parse(srcParts.header) as Record<string, HeaderEntry>;
  const header = JSON.parse(parts.header) as Record<string, HeaderEntry>;
  for (const [name, t] of Object.entries(tensors)) {
    expect(t, label).toBeInstanceOf(Tensor);
    expect(t.dtype, label).toBe(loadedDtype(header[name]!.dtype as SafetensorsDtype));
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`${label}: ${name}: size != shape`);
    const was = Object.hasOwn(srcHeader, name) ? srcHeader[name] : undefined;
    const is = header[name]!;
    if (was === undefined || JSON.stringify(was) !== JSON.stringify(is) || !Object.hasOwn(original, name)) continue;
    const [b0, e0] = is.data_offsets as [number, number];
    const untouched = srcParts.data.subarray(b0, e0).every((v, i) => v === parts.data[b0 + i]);
    if (untouched && !same(bits(t), bits(original[name]!))) throw new Error(`${label}: ${name} untouched but changed`);
  }
  const again = readSafetensors(saveSafetensors({ ...tensors }, metadata)).tensors;
  for (const [name, t] of Object.entries(tensors)) {
    if (!same(bits(again[name]!), bits(t))) throw new Error(`${label}: ${name} differs after saving and reading again`);
  }
  return 'ok';
}

function bits(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Byte equality without the matcher machinery (fast on the 100 kB deep-nesting files). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe('safetensors reader fuzz (seeded)', () => {
  const files = sources();
  it('every source file loads', () => {
    for (const f of files) expect(Object.keys(readSafetensors(f).tensors).length).toBeGreaterThan(0);
  });

  it.each(MUTATIONS)('%s: 300 mutations, each a clean error or a consistent load', (name, mutate) => {
    const rnd = mulberry32(0x5eed + name.length * 7919);
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 300; i++) {
      const src = files[i % files.length]!;
      const { bytes, kind } = mutate(src, rnd);
      tally[check(src, bytes, `${name} #${i} (${kind}, source ${i % files.length})`)]++;
    }
    expect(tally.ok + tally.error).toBe(300);
    // Each family must reach the checks it is for: most mutations are errors, some load.
    expect(tally.error, JSON.stringify(tally)).toBeGreaterThan(0);
  });
});
