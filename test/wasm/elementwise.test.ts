/**
 * The wasm elementwise kernels (src/wasm/elementwise.wat, called by src/wasm/elementwise.ts)
 * against the TypeScript reference (`unary` / `binary` of src/tensor/kernels/elementwise.ts,
 * float64 arithmetic rounded once): odd sizes, every broadcast pattern the rows express, chunked
 * sizes, NaN / Inf / -0 / subnormal inputs; and the vectorized exp, sigmoid and tanh swept densely
 * against Math.exp / the reference, with their error in float32 ulps.
 *
 * Tolerances: add, sub, mul, div, relu and reluBackward are exact (one IEEE float32 operation, and
 * float64-then-round gives the same for + - * /). exp: <= 2 ulp (Cephes polynomial, about 1 ulp,
 * plus the reduction's rounding; measured 1), sigmoid <= 3 ulp and tanh <= 2 ulp (exp's error plus
 * one division and one addition; measured 2 and 1); the backward ops compute in float32 step by
 * step (exactly, checked) where the reference rounds once, so they agree within 3 ulp of the result
 * plus 2^-23 |dy| (1 - t^2 near |t| = 1 cancels).
 * Softmax rows: the wasm kernels compute in float32 with float64 sums where the reference is float64
 * throughout; each result is within 4 ulp plus 2^-21 times the size of the terms that cancel in it
 * (x - m - ln s for log-softmax, dy - s in the backward), and NaN where the reference is NaN.
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels } from '../../src/kernels/registry.js';
import { binary, unary, type BinaryOp, type UnaryOp } from '../../src/tensor/kernels/elementwise.js';
import { sizeOf, type Shape } from '../../src/tensor/shape.js';
import { softmaxBackwardRows, softmaxRows } from '../../src/tensor/kernels/softmax.js';
import {
  collapse,
  wasmBinary,
  wasmSoftmaxBackwardRows,
  wasmSoftmaxRows,
  wasmUnary,
} from '../../src/wasm/elementwise.js';
import { normalF32 } from './support.js';

const f32bits = new Int32Array(1);
const f32view = new Float32Array(f32bits.buffer);
/** Position of a float32 on the ordered line of floats (-0 and 0 both 0). */
function ordinal(v: number): number {
  f32view[0] = v;
  const i = f32bits[0]!;
  return i < 0 ? -(i & 0x7fffffff) : i;
}
/** Distance in float32 ulps; 0 for two NaNs, Infinity when only one is NaN. */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return Math.abs(ordinal(a) - ordinal(b));
}

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 88.7, 88.73, -87.4, -103.9];

function wasmUnaryOf(op: UnaryOp, x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  expect(wasmUnary(op, x, out)).toBe(true);
  return out;
}
function tsUnaryOf(op: UnaryOp, x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  unary(op, x, out);
  return out;
}
function maxUlps(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, ulps(a[i]!, b[i]!));
  return worst;
}

/** Every float32 step of `step` ulps-ish: a dense linear sweep of [lo, hi] with `n` points. */
function sweep(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

describe('vectorized exp, sigmoid, tanh', () => {
  it('exp is within 2 ulp of Math.exp over [-104, 89] (dense sweep) and exact at the edges', () => {
    const x = sweep(-104, 89, 1_000_003);
    const got = wasmUnaryOf('exp', x);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, ulps(got[i]!, Math.fround(Math.exp(x[i]!))));
    expect(worst).toBeLessThanOrEqual(2);
    // small arguments, where e^x ~ 1 + x
    const small = sweep(-1e-3, 1e-3, 100_001);
    expect(maxUlps(wasmUnaryOf('exp', small), tsUnaryOf('exp', small))).toBeLessThanOrEqual(1);
    const s = Float32Array.from(SPECIALS);
    const e = wasmUnaryOf('exp', s);
    const r = tsUnaryOf('exp', s);
    for (let i = 0; i < s.length; i++) expect(ulps(e[i]!, r[i]!), `exp(${s[i]})`).toBeLessThanOrEqual(2);
    expect(e[0]).toBeNaN();
    expect(e[1]).toBe(Infinity);
    expect(e[2]).toBe(0);
  });

  it('sigmoid and tanh are within 3 and 2 ulp of the reference over [-110, 110], NaN and Inf exact', () => {
    const x = Float32Array.from([...sweep(-110, 110, 400_001), ...sweep(-1, 1, 200_001), ...SPECIALS]);
    expect(maxUlps(wasmUnaryOf('sigmoid', x), tsUnaryOf('sigmoid', x))).toBeLessThanOrEqual(3);
    expect(maxUlps(wasmUnaryOf('tanh', x), tsUnaryOf('tanh', x))).toBeLessThanOrEqual(2);
    const s = wasmUnaryOf('sigmoid', Float32Array.of(-Infinity, Infinity, NaN, -0, -100));
    expect([...s.subarray(0, 4)]).toEqual([0, 1, NaN, 0.5]);
    expect(s[4]).toBeGreaterThan(0); // e^-100, a subnormal, not flushed
    const t = wasmUnaryOf('tanh', Float32Array.of(-Infinity, Infinity, NaN, -0, 1e-30));
    expect(Object.is(t[3], -0)).toBe(true);
    expect([...t]).toEqual([-1, 1, NaN, -0, 1e-30].map(Math.fround));
  });

  it('gelu within 2^-21 |x| of the reference (torch-like 1 + erf), silu within 3 ulp', () => {
    const x = Float32Array.from([...sweep(-110, 110, 200_001), ...sweep(-6, 6, 200_001), ...SPECIALS]);
    const gelu = wasmUnaryOf('gelu', x);
    const geluRef = tsUnaryOf('gelu', x);
    const silu = wasmUnaryOf('silu', x);
    const siluRef = tsUnaryOf('silu', x);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const okGelu = ulps(gelu[i]!, geluRef[i]!) <= 4 || Math.abs(gelu[i]! - geluRef[i]!) <= 2 ** -21 * Math.abs(v);
      if (!okGelu) expect.fail(`gelu(${v}) = ${gelu[i]}, reference ${geluRef[i]}`);
      // a subnormal sigmoid (x < -87) has few bits left: then an absolute bound in the subnormal grid
      const okSilu =
        ulps(silu[i]!, siluRef[i]!) <= 3 || Math.abs(silu[i]! - siluRef[i]!) <= 2 ** -147 * (1 + Math.abs(v));
      if (!okSilu) expect.fail(`silu(${v}) = ${silu[i]}, reference ${siluRef[i]}`);
    }
    const edges = Float32Array.of(NaN, Infinity, -Infinity, 0, -0);
    expect([...wasmUnaryOf('gelu', edges)]).toEqual([...tsUnaryOf('gelu', edges)]); // NaN, Infinity, NaN, 0, -0
    expect(wasmUnaryOf('gelu', Float32Array.of(1))[0]).toBeCloseTo(0.8413447, 6);
  });

  it('relu is exact, NaN and -0 passing through', () => {
    const x = Float32Array.from([...normalF32(1001, 1), ...SPECIALS]);
    const got = wasmUnaryOf('relu', x);
    const want = tsUnaryOf('relu', x);
    for (let i = 0; i < x.length; i++) expect(Object.is(got[i], want[i]), `relu(${x[i]})`).toBe(true);
  });

  it('chunks long inputs and handles every length mod 4', () => {
    for (const n of [1, 2, 3, 5, 7, 65535, 65536, 65537, 200_003]) {
      const x = normalF32(n, n, 0, 3);
      expect(maxUlps(wasmUnaryOf('sigmoid', x), tsUnaryOf('sigmoid', x)), `n = ${n}`).toBeLessThanOrEqual(3);
    }
  });

  it('declines an op elementwise.wat lacks', () => {
    expect(wasmUnary('log', new Float32Array(8), new Float32Array(8))).toBe(false);
  });
});

/** Data of `shape` with a few specials sprinkled in. */
function data(shape: Shape, seed: number): Float32Array {
  const x = normalF32(sizeOf(shape), seed, 0, 2);
  for (let i = 0; i < x.length; i += 97) x[i] = SPECIALS[(i / 97) % SPECIALS.length]!;
  return x;
}

/** Broadcast layouts: [a shape, b shape]. Odd sizes throughout. */
const LAYOUTS: readonly (readonly [Shape, Shape])[] = [
  [
    [7, 13],
    [7, 13],
  ], // same shape
  [[7, 13], []], // scalar
  [[], [5, 3]], // scalar on the left
  [[9, 13], [13]], // row bias (Linear)
  [
    [3, 5, 7, 11],
    [1, 5, 1, 1],
  ], // channel (BatchNorm2d, conv bias)
  [
    [3, 5, 7, 11],
    [5, 1, 1],
  ],
  [
    [7, 13],
    [7, 1],
  ], // column
  [
    [7, 1],
    [1, 13],
  ], // outer
  [
    [2, 3, 5, 7],
    [3, 1, 7],
  ], // three axes after collapsing
  [
    [2, 3, 5, 7],
    [2, 1, 5, 1],
  ], // four axes after collapsing: declined
  [[300, 257], [257]], // rows chunked
  [[1, 70001], [1]], // one row longer than a chunk
  [
    [131, 1027],
    [131, 1027],
  ], // contiguous, chunked
];

describe('binary ops with broadcasting', () => {
  const exact: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'reluBackward'];
  const rounded: readonly BinaryOp[] = ['sigmoidBackward', 'tanhBackward'];
  const transcendental: readonly BinaryOp[] = ['geluBackward', 'siluBackward'];

  it.each(LAYOUTS)('%j with %j: every op against the reference', (aShape, bShape) => {
    const outShape = broadcast(aShape, bShape);
    const a = data(aShape, 11);
    const b = data(bShape, 12);
    const expressible = collapse(outShape, strides(aShape, outShape), strides(bShape, outShape)).size.length <= 3;
    for (const op of [...exact, ...rounded, ...transcendental]) {
      const got = new Float32Array(sizeOf(outShape));
      const want = new Float32Array(sizeOf(outShape));
      expect(wasmBinary(op, a, aShape, b, bShape, outShape, got)).toBe(expressible);
      binary(op, a, aShape, b, bShape, outShape, want);
      if (!expressible) continue;
      if (transcendental.includes(op)) {
        // dy f'(x): f' within 2^-21 (1 + |x|) absolutely (erf's 1.5e-7, the sigmoid's ulps)
        const dy = new Float32Array(got.length);
        const x = new Float32Array(got.length);
        binary('mul', a, aShape, new Float32Array([1]), [], outShape, dy);
        binary('mul', b, bShape, new Float32Array([1]), [], outShape, x);
        for (let i = 0; i < got.length; i++) {
          const bound = 2 ** -21 * Math.abs(dy[i]!) * (1 + Math.abs(x[i]!));
          if (!(ulps(got[i]!, want[i]!) <= 4 || Math.abs(got[i]! - want[i]!) <= bound)) {
            expect.fail(`${op} at ${i} (dy ${dy[i]}, x ${x[i]}): ${got[i]} vs ${want[i]}`);
          }
        }
      } else if (exact.includes(op)) {
        for (let i = 0; i < got.length; i++) {
          if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
            expect.fail(`${op} at ${i}: ${got[i]} vs ${want[i]}`);
          }
        }
      } else {
        // Exactly the float32 steps of the formula; and the float64 reference within the header's
        // bound wherever no float32 step overflows (|result| < 1e30).
        const dy = new Float32Array(got.length);
        const saved = new Float32Array(got.length);
        binary('mul', a, aShape, new Float32Array([1]), [], outShape, dy);
        binary('mul', b, bShape, new Float32Array([1]), [], outShape, saved);
        const f = Math.fround;
        for (let i = 0; i < got.length; i++) {
          const [g, s] = [dy[i]!, saved[i]!];
          const steps = op === 'sigmoidBackward' ? f(f(g * s) * f(1 - s)) : f(g * f(1 - f(s * s)));
          if (ulps(got[i]!, steps) !== 0) expect.fail(`${op} at ${i}: ${got[i]} vs float32 steps ${steps}`);
          if (!(Math.abs(want[i]!) < 1e30)) continue;
          const ok = ulps(got[i]!, want[i]!) <= 3 || Math.abs(got[i]! - want[i]!) <= 2 ** -23 * Math.abs(g);
          if (!ok) expect.fail(`${op} at ${i}: ${got[i]} vs ${want[i]}`);
        }
      }
    }
  });

  it('runs float32 through wasm and float64 through TypeScript, behind kernels().binary', () => {
    const k = createWasmKernels({ minSize: 1 });
    const a64 = Float64Array.from(data([7, 13], 3));
    const b64 = Float64Array.from(data([13], 4));
    const got = new Float64Array(91);
    const want = new Float64Array(91);
    k.binary('div', a64, [7, 13], b64, [13], [7, 13], got);
    binary('div', a64, [7, 13], b64, [13], [7, 13], want);
    expect(got).toEqual(want); // float64 kept (a float32 pass would round)
    const f = new Float32Array(91);
    k.binary('add', Float32Array.from(a64), [7, 13], Float32Array.from(b64), [13], [7, 13], f);
    const fw = new Float32Array(91);
    binary('add', Float32Array.from(a64), [7, 13], Float32Array.from(b64), [13], [7, 13], fw);
    expect(f).toEqual(fw);
  });
});

function broadcast(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

function strides(shape: Shape, out: Shape): number[] {
  const s = new Array<number>(out.length).fill(0);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const k = out.length - shape.length + i;
    s[k] = shape[i] === 1 ? 0 : step;
    step *= shape[i]!;
  }
  return s;
}

describe('softmax rows', () => {
  /** Rows of [rows, n] data, some rows special: NaN, +Infinity, all -Infinity, masked (-Infinity), wide. */
  function rowsData(rows: number, n: number, seed: number): Float32Array {
    const x = normalF32(rows * n, seed, 0, 3);
    const special = (r: number, f: (j: number) => number): void => {
      if (r < rows) for (let j = 0; j < n; j++) x[r * n + j] = f(j);
    };
    special(1, (j) => (j === n - 1 ? NaN : j));
    special(2, (j) => (j === 0 ? Infinity : j));
    special(3, () => -Infinity);
    special(4, (j) => (j % 3 === 1 ? -Infinity : j / 7)); // an attention mask
    special(5, (j) => (j % 2 === 0 ? 1e4 : -1e4));
    return x;
  }

  const close = (got: number, want: number, scale: number): boolean =>
    (Number.isNaN(want) ? Number.isNaN(got) : got === want) ||
    ulps(got, want) <= 4 ||
    Math.abs(got - want) <= 2 ** -21 * scale;

  it.each([
    [1, 1],
    [7, 2],
    [7, 3],
    [9, 4],
    [9, 5],
    [60, 10],
    [33, 13],
    [16, 65],
    [300, 257],
    [2, 70001],
  ])('[%i, %i]: forward and backward, softmax and log-softmax, against the reference', (rows, n) => {
    const x = rowsData(rows, n, rows * 1000 + n);
    const dy = normalF32(rows * n, 7, 0, 1);
    for (const log of [false, true]) {
      const got = new Float32Array(rows * n);
      const want = new Float32Array(rows * n);
      expect(wasmSoftmaxRows(x, rows, n, log, got)).toBe(true);
      softmaxRows(x, rows, n, log, want);
      for (let i = 0; i < got.length; i++) {
        // log-softmax cancels x - m against ln s: its scale is |x| + |m| + |ln s| (bounded by |y| + 2|x|)
        const scale = log ? Math.abs(want[i]!) + 2 * Math.abs(x[i]!) + 1 : 1;
        if (!close(got[i]!, want[i]!, scale)) expect.fail(`forward log=${log} at ${i}: ${got[i]} vs ${want[i]}`);
      }
      // backward from the reference's y (finite rows only: the special rows are NaN through and through)
      const dxGot = new Float32Array(rows * n);
      const dxWant = new Float32Array(rows * n);
      expect(wasmSoftmaxBackwardRows(want, dy, rows, n, log, dxGot)).toBe(true);
      softmaxBackwardRows(want, dy, rows, n, log, dxWant);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.abs(dy[r * n + j]!) * (log ? 1 : Math.abs(want[r * n + j]!));
        for (let j = 0; j < n; j++) {
          const i = r * n + j;
          const scale = log ? Math.abs(dy[i]!) + Math.exp(want[i]!) * s : Math.abs(want[i]!) * (Math.abs(dy[i]!) + s);
          if (!close(dxGot[i]!, dxWant[i]!, scale)) {
            expect.fail(`backward log=${log} at ${r}, ${j}: ${dxGot[i]} vs ${dxWant[i]}`);
          }
        }
      }
    }
  });

  it('gives exact zeros (softmax) and -Infinity (log-softmax) at masked positions', () => {
    const x = Float32Array.of(0, -Infinity, 1, -Infinity, 2);
    const p = new Float32Array(5);
    const lp = new Float32Array(5);
    wasmSoftmaxRows(x, 1, 5, false, p);
    wasmSoftmaxRows(x, 1, 5, true, lp);
    expect([p[1], p[3], lp[1], lp[3]]).toEqual([0, 0, -Infinity, -Infinity]);
    expect(p[0]! + p[2]! + p[4]!).toBeCloseTo(1, 6);
  });
});
