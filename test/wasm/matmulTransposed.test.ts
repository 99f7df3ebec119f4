/**
 * The transposed matmul kernels, NT (c = a b^T, Linear's forward) and TN (c = a^T b, Linear's
 * weight gradient), of both backends against a float64 triple loop written from the formula, on
 * odd sizes (1, 3, 17, 64, 129: single rows, tails of the 4 x 8 tile, several panels), empty sizes,
 * and NaN/Inf.
 *
 * Tolerances, per element, with S = sum_p |a||b| the sum of the absolute products:
 * - TypeScript reference: float64 accumulation then one float32 rounding, so
 *   |c - c_exact| <= u |c_exact| + k 2^-53 S (u = 2^-24); we allow u |c_exact| + 2 k 2^-53 S.
 * - wasm: float32 accumulation, the textbook bound k u S + u |c_exact| (as test/wasm/matmul.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels, jsKernels, type Kernels } from '../../src/kernels/registry.js';
import { wasmRuntime } from '../../src/wasm/runtime.js';
import { U32, expectWithin, normalF32 } from './support.js';

const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });
const U64 = 2 ** -53;

/** c[i, j] = sum_p A(i, p) B(p, j) in float64, and the same sum of |products|. */
type Entry = (row: number, col: number) => number;

function reference(n: number, k: number, m: number, A: Entry, B: Entry) {
  const c = new Float64Array(n * m);
  const abs = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        s += A(i, p) * B(p, j);
        t += Math.abs(A(i, p) * B(p, j));
      }
      c[i * m + j] = s;
      abs[i * m + j] = t;
    }
  }
  return { c, abs };
}

type Variant = 'NT' | 'TN';

/** Runs `variant` of `kern` on seeded data (edited by `edit`) and checks it against the reference. */
function check(
  kern: Kernels,
  variant: Variant,
  n: number,
  k: number,
  m: number,
  seed: number,
  edit?: (a: Float32Array, b: Float32Array) => void,
): Float32Array {
  const a = normalF32(n * k, seed);
  const b = normalF32(k * m, seed + 1);
  edit?.(a, b);
  // NT: a [n, k], b [m, k]. TN: a [k, n], b [k, m].
  const A = variant === 'NT' ? (i: number, p: number) => a[i * k + p]! : (i: number, p: number) => a[p * n + i]!;
  const B = variant === 'NT' ? (p: number, j: number) => b[j * k + p]! : (p: number, j: number) => b[p * m + j]!;
  const { c, abs } = reference(n, k, m, A, B);
  const out = new Float32Array(n * m).fill(NaN);
  (variant === 'NT' ? kern.matmulNT : kern.matmulTN)(a, b, out, n, k, m);
  const bound =
    kern.name === 'js'
      ? (i: number) => U32 * Math.abs(c[i]!) + 2 * k * U64 * abs[i]!
      : (i: number) => k * U32 * abs[i]! + U32 * Math.abs(c[i]!);
  expectWithin(out, c, bound, `${kern.name} ${variant} n=${n} k=${k} m=${m}`);
  return out;
}

const SIZES = [1, 3, 17, 64, 129];

for (const kern of [jsKernels, wasm]) {
  for (const variant of ['NT', 'TN'] as const) {
    describe(`${kern.name} matmul${variant}`, () => {
      for (const n of SIZES) {
        it(`n = ${n}, every k and m of ${SIZES.join(', ')}`, () => {
          for (const k of SIZES) for (const m of SIZES) check(kern, variant, n, k, m, n * 1000 + k * 10 + m);
        });
      }

      it('the MNIST layer: 60 x 784 x 100', () => {
        check(kern, variant, 60, 784, 100, 7);
      });

      it('every k mod 4 and partial last panels (packing four p at a time; the 4-column kernel)', () => {
        for (let k = 4; k <= 11; k++)
          for (const m of [4, 5, 8, 9, 12, 15, 16]) check(kern, variant, 5, k, m, k * 100 + m);
      });

      it('a NaN or infinity in the last row or column of b stays in its own outputs', () => {
        // NT pads the last panel with copies of b's last row: those columns must never be stored.
        for (const at of [10 * 7 - 1, 9 * 7, 9 * 7 + 3]) {
          const out = check(kern, variant, 5, 7, 10, at, (_a, b) => {
            b[at] = at % 2 === 0 ? NaN : Infinity;
          });
          expect(out.some((v) => !Number.isFinite(v))).toBe(true);
        }
      });

      it('k = 0 gives zeros; n = 0 or m = 0 write nothing', () => {
        expect(Array.from(check(kern, variant, 3, 0, 5, 1))).toEqual(new Array(15).fill(0));
        expect(check(kern, variant, 0, 4, 5, 2).length).toBe(0);
        expect(check(kern, variant, 3, 4, 0, 3).length).toBe(0);
      });

      it('propagates NaN and infinities like the float64 reference', () => {
        const out = check(kern, variant, 6, 9, 10, 20, (a, b) => {
          a[4] = NaN;
          b[13] = Infinity;
          b[30] = -Infinity;
        });
        expect(out.some(Number.isNaN)).toBe(true);
        expect(out.some((v) => v === Infinity || v === -Infinity)).toBe(true);
      });
    });
  }
}

describe('wasm transposed matmul fallbacks', () => {
  it('float64 operands and tiny products run the TypeScript reference (bit-identical)', () => {
    const a = Float64Array.from(normalF32(12, 1));
    const b = Float64Array.from(normalF32(20, 2));
    for (const variant of ['matmulNT', 'matmulTN'] as const) {
      const want = new Float64Array(15);
      const got = new Float64Array(15);
      jsKernels[variant](a, b, want, 3, 4, 5);
      createWasmKernels()[variant](a, b, got, 3, 4, 5);
      expect(Array.from(got)).toEqual(Array.from(want));
      const want32 = new Float32Array(15);
      const got32 = new Float32Array(15);
      jsKernels[variant](Float32Array.from(a), Float32Array.from(b), want32, 3, 4, 5);
      createWasmKernels()[variant](Float32Array.from(a), Float32Array.from(b), got32, 3, 4, 5); // 60 < 512 MACs
      expect(Array.from(got32)).toEqual(Array.from(want32));
    }
  });
});

describe('wasm transpose (matmulTN copies a^T with it)', () => {
  it('moves every element exactly: tiles of 8 columns, 4 x 4 blocks and the edges past them', () => {
    const { matmul, arena } = wasmRuntime();
    const sizes = [1, 3, 4, 5, 16, 17, 35, 64];
    for (const rows of sizes) {
      for (const cols of sizes) {
        const src = normalF32(rows * cols, rows * 100 + cols);
        src[0] = NaN;
        src[src.length - 1] = -Infinity;
        arena.reset();
        const from = arena.alloc(rows * cols * 4);
        const to = arena.alloc(rows * cols * 4);
        expect(arena.commit()).toBe(true);
        arena.f32(from, rows * cols).set(src);
        arena.f32(to, rows * cols).fill(7);
        matmul.transpose(from, rows, cols, to);
        const got = arena.f32(to, rows * cols);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            if (!Object.is(got[c * rows + r], src[r * cols + c])) {
              expect.fail(
                `${rows} x ${cols}: dst[${c}, ${r}] = ${got[c * rows + r]}, src[${r}, ${c}] = ${src[r * cols + c]}`,
              );
            }
          }
        }
      }
    }
  });
});
