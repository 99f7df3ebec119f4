/**
 * Linear's kernels (src/tensor/kernels/linear.ts and their wasm stand-ins, src/wasm/linear.ts) on
 * both backends against float64 sums written from the formulas here:
 *
 *   linearForward   y = x W^T + b          linearBackward   dx = dy W, dW = dy^T x, db = sum_r dy[r, :]
 *
 * on odd sizes (1, 3, 17, 64, 129: single rows, tails of the 4-lane loops and of the 4 x 8 gemm
 * tile, several panels), every subset of the wanted gradients, and NaN / Inf. Tolerance per
 * element, S the sum of the absolute terms of its sum (the bias included) and K their count:
 * K 2^-24 S + 2^-24 |exact|, float32 accumulation's textbook bound (the TypeScript kernels, which
 * accumulate in float64, meet it with room). db is a float64 sum rounded once on both backends, in
 * the same order, so the wasm db must equal the TypeScript one bit for bit. matmul.wat's blocked
 * transpose (dy^T for dW) is checked exactly, and for writing nothing past dst, on every shape up to
 * 9 x 9 and a few larger ones.
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels, jsKernels } from '../../src/kernels/registry.js';
import { wasmRuntime } from '../../src/wasm/runtime.js';
import { U32, expectWithin, normalF32 } from './support.js';

const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });

/** out[i, j] = sum_p A(i, p) B(p, j) (+ bias[j]) in float64, with the bound of the header. */
function product(
  n: number,
  k: number,
  m: number,
  A: (i: number, p: number) => number,
  B: (p: number, j: number) => number,
  bias: Float32Array | null = null,
) {
  const exact = new Float64Array(n * m);
  const bound = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = bias === null ? 0 : bias[j]!;
      let t = Math.abs(s);
      for (let p = 0; p < k; p++) {
        s += A(i, p) * B(p, j);
        t += Math.abs(A(i, p) * B(p, j));
      }
      exact[i * m + j] = s;
      bound[i * m + j] = (k + 1) * U32 * t + U32 * Math.abs(s);
    }
  }
  return { exact, bound: (i: number) => bound[i]! };
}

const SIZES = [1, 3, 17, 64, 129];

for (const kern of [jsKernels, wasm]) {
  describe(`${kern.name} linearForward`, () => {
    for (const n of SIZES) {
      it(`n = ${n}, every k and m of ${SIZES.join(', ')}, with and without bias`, () => {
        for (const k of SIZES) {
          for (const m of SIZES) {
            const x = normalF32(n * k, n + 10 * k + 100 * m);
            const w = normalF32(m * k, n + 10 * k + 100 * m + 1);
            for (const b of [null, normalF32(m, n + k + m)]) {
              const { exact, bound } = product(
                n,
                k,
                m,
                (i, p) => x[i * k + p]!,
                (p, j) => w[j * k + p]!,
                b,
              );
              const y = new Float32Array(n * m).fill(NaN);
              kern.linearForward(x, w, b, y, n, k, m);
              expectWithin(y, exact, bound, `${kern.name} n=${n} k=${k} m=${m} bias=${b !== null}`);
            }
          }
        }
      });
    }

    it('propagates NaN and infinities like the float64 sums', () => {
      const [n, k, m] = [6, 9, 10];
      const x = normalF32(n * k, 1);
      const w = normalF32(m * k, 2);
      const b = normalF32(m, 3);
      x[4] = NaN;
      w[13] = Infinity;
      b[7] = -Infinity;
      const { exact, bound } = product(
        n,
        k,
        m,
        (i, p) => x[i * k + p]!,
        (p, j) => w[j * k + p]!,
        b,
      );
      const y = new Float32Array(n * m);
      kern.linearForward(x, w, b, y, n, k, m);
      expectWithin(y, exact, bound, `${kern.name} NaN/Inf`);
      expect(y.some(Number.isNaN) && y.some((v) => v === Infinity) && y.some((v) => v === -Infinity)).toBe(true);
    });
  });

  describe(`${kern.name} linearBackward`, () => {
    /** Runs the backward with the wanted outputs and checks each against its float64 sum. */
    function check(n: number, k: number, m: number, seed: number, want: [boolean, boolean, boolean]) {
      const dy = normalF32(n * m, seed);
      const x = normalF32(n * k, seed + 1);
      const w = normalF32(m * k, seed + 2);
      const [dx, dW, db] = want.map((on, i) => (on ? new Float32Array([n * k, m * k, m][i]!).fill(NaN) : null));
      kern.linearBackward(dy, x, w, dx!, dW!, db!, n, k, m);
      const label = `${kern.name} n=${n} k=${k} m=${m}`;
      if (dx !== null) {
        const r = product(
          n,
          m,
          k,
          (i, p) => dy[i * m + p]!,
          (p, j) => w[p * k + j]!,
        );
        expectWithin(dx, r.exact, r.bound, `${label} dx`);
      }
      if (dW !== null) {
        const r = product(
          m,
          n,
          k,
          (i, p) => dy[p * m + i]!,
          (p, j) => x[p * k + j]!,
        );
        expectWithin(dW, r.exact, r.bound, `${label} dW`);
      }
      if (db !== null) {
        const r = product(
          1,
          n,
          m,
          () => 1,
          (p, j) => dy[p * m + j]!,
        );
        expectWithin(db, r.exact, r.bound, `${label} db`);
        const ts = new Float32Array(m);
        jsKernels.linearBackward(dy, x, w, null, null, ts, n, k, m);
        expect(Array.from(db)).toEqual(Array.from(ts));
      }
    }

    for (const n of SIZES) {
      it(`n = ${n}, every k and m of ${SIZES.join(', ')}`, () => {
        for (const k of SIZES) for (const m of SIZES) check(n, k, m, n + 10 * k + 100 * m, [true, true, true]);
      });
    }

    it('writes only the gradients asked for, each right in every combination', () => {
      for (let mask = 0; mask < 8; mask++) check(17, 13, 9, mask, [(mask & 1) > 0, (mask & 2) > 0, (mask & 4) > 0]);
    });

    it('propagates NaN and infinities', () => {
      const [n, k, m] = [7, 5, 6];
      const dy = normalF32(n * m, 4);
      dy[3] = NaN;
      dy[20] = Infinity;
      const [dx, dW, db] = [new Float32Array(n * k), new Float32Array(m * k), new Float32Array(m)];
      kern.linearBackward(dy, normalF32(n * k, 5), normalF32(m * k, 6), dx, dW, db, n, k, m);
      expect([dx, dW, db].map((a) => a.some(Number.isNaN))).toEqual([true, true, true]);
      expect(db[3]).toBeNaN();
      expect(db[2]).toBe(Infinity);
    });
  });
}

describe('matmul.wat transpose, as linear uses it for dy^T', () => {
  it('is the exact transpose on every shape up to 9 x 9 and on 17 x 130, 130 x 17, 64 x 64', () => {
    const shapes: [number, number][] = [
      [17, 130],
      [130, 17],
      [64, 64],
    ];
    for (let r = 1; r <= 9; r++) for (let c = 1; c <= 9; c++) shapes.push([r, c]);
    const { matmul, arena } = wasmRuntime();
    for (const [rows, cols] of shapes) {
      const src = normalF32(rows * cols, rows * 100 + cols);
      arena.reset();
      const s = arena.alloc(rows * cols * 4);
      const d = arena.alloc(rows * cols * 4 + 16);
      expect(arena.commit()).toBe(true);
      arena.f32(s, rows * cols).set(src);
      arena.f32(d, rows * cols + 4).fill(-7);
      matmul.transpose(s, rows, cols, d);
      const want = new Float32Array(rows * cols + 4).fill(-7);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) want[j * rows + i] = src[i * cols + j]!;
      expect(Array.from(arena.f32(d, rows * cols + 4)), `${rows} x ${cols}`).toEqual(Array.from(want));
    }
  });
});

describe('wasm linear fallbacks', () => {
  it('float64 data and tiny products run the TypeScript kernels (bit-identical)', () => {
    const x = Float64Array.from(normalF32(12, 1));
    const w = Float64Array.from(normalF32(20, 2));
    const b = Float64Array.from(normalF32(5, 3));
    const want = new Float64Array(15);
    const got = new Float64Array(15);
    jsKernels.linearForward(x, w, b, want, 3, 4, 5);
    createWasmKernels().linearForward(x, w, b, got, 3, 4, 5);
    expect(Array.from(got)).toEqual(Array.from(want));
    const want32 = new Float32Array(15);
    const got32 = new Float32Array(15);
    const [x32, w32, b32] = [x, w, b].map((a) => Float32Array.from(a));
    jsKernels.linearForward(x32!, w32!, b32!, want32, 3, 4, 5);
    createWasmKernels().linearForward(x32!, w32!, b32!, got32, 3, 4, 5); // 60 < 512 multiply-adds
    expect(Array.from(got32)).toEqual(Array.from(want32));
  });
});
