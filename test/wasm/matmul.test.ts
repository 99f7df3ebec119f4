/**
 * The wasm matmul (src/wasm/matmul.wat: B packed in 8-column panels, 4 x 8 f32x4 micro-kernel)
 * against a float64 reference, on sizes that are not multiples of the tile, empty and degenerate
 * sizes, broadcast batches, and NaN/Inf.
 *
 * Tolerance: the wasm kernel accumulates in float32, so per element
 *   |c - c_exact| <= k u sum_p |a[i,p]| |b[p,j]| + u |c_exact|         (u = 2^-24)
 * the textbook bound for a k-term float32 dot product, plus the reference's own final rounding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchedMatmul } from '../../src/tensor/kernels/matmul.js';
import { createWasmKernels } from '../../src/kernels/registry.js';
import { refMatmul } from '../tensor/reference.js';
import { U32, expectWithin, normalF32 } from './support.js';

const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });

/** Runs the wasm matmul of a [...aBatch, n, k] by b [...bBatch, k, m] and checks it with the bound above. */
function checkMatmul(
  aShape: number[],
  bShape: number[],
  seed: number,
  edit?: (a: Float32Array, b: Float32Array) => void,
): Float32Array {
  const a = normalF32(
    aShape.reduce((p, d) => p * d, 1),
    seed,
  );
  const b = normalF32(
    bShape.reduce((p, d) => p * d, 1),
    seed + 1,
  );
  edit?.(a, b);
  const exact = refMatmul(Array.from(a), aShape, Array.from(b), bShape);
  const absProducts = refMatmul(Array.from(a, Math.abs), aShape, Array.from(b, Math.abs), bShape);
  const outBatch = exact.shape.slice(0, -2);
  const out = new Float32Array(exact.data.length);
  wasm.batchedMatmul(a, aShape, b, bShape, outBatch, out);
  const k = aShape[aShape.length - 1]!;
  expectWithin(
    out,
    exact.data,
    (i) => k * U32 * absProducts.data[i]! + U32 * Math.abs(exact.data[i]!),
    `matmul [${aShape}] @ [${bShape}]`,
  );
  return out;
}

describe('wasm matmul', () => {
  const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 33];
  for (const n of SIZES) {
    it(`n = ${n}, every k and m of ${SIZES.join(', ')}`, () => {
      for (const k of SIZES) for (const m of SIZES) checkMatmul([n, k], [k, m], n * 1000 + k * 10 + m);
    });
  }

  it('a larger product: 60 x 784 x 100 (the MNIST layer)', () => {
    checkMatmul([60, 784], [784, 100], 5);
  });

  it('k = 0 gives zeros; n = 0 or m = 0 give empty results', () => {
    expect(Array.from(checkMatmul([3, 0], [0, 5], 1))).toEqual(new Array(15).fill(0));
    expect(checkMatmul([0, 4], [4, 5], 2).length).toBe(0);
    expect(checkMatmul([3, 4], [4, 0], 3).length).toBe(0);
  });

  it('broadcasts batch dimensions like the reference', () => {
    checkMatmul([2, 1, 5, 7], [3, 7, 9], 10); // -> [2, 3, 5, 9]
    checkMatmul([5, 7], [4, 7, 9], 11); // shared a
    checkMatmul([4, 5, 7], [7, 9], 12); // shared b (one packing for all batches)
    checkMatmul([3, 1, 2, 6], [1, 4, 6, 3], 13); // both broadcast
  });

  it('propagates NaN and infinities like the float64 reference', () => {
    const out = checkMatmul([6, 9], [9, 10], 20, (a, b) => {
      a[2 * 9 + 4] = NaN; // row 2 of the result: NaN
      b[3 * 10 + 7] = Infinity; // column 7: +-Inf (or NaN where a row is NaN)
    });
    expect(out.slice(2 * 10, 3 * 10).every(Number.isNaN)).toBe(true);
    expect(Number.isFinite(out[0]!)).toBe(true);
  });

  it('matches the float64 reference on random shapes (fast-check)', () => {
    const dims = fc.integer({ min: 1, max: 20 });
    const batch = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 });
    fc.assert(
      fc.property(
        dims,
        dims,
        dims,
        batch,
        fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
        fc.nat(1000),
        (n, k, m, bat, ones, seed) => {
          // Each side takes the batch or a broadcast version of it (some sizes set to 1).
          const aBatch = bat.map((d, i) => (ones[i] ? 1 : d));
          checkMatmul([...aBatch, n, k], [...bat, k, m], seed);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('accumulates in float32 but stays within a few ulps of the float64 kernel on well-scaled data', () => {
    const a = normalF32(37 * 129, 40);
    const b = normalF32(129 * 23, 41);
    const js = new Float32Array(37 * 23);
    const w = new Float32Array(37 * 23);
    batchedMatmul(a, [37, 129], b, [129, 23], [], js);
    wasm.batchedMatmul(a, [37, 129], b, [129, 23], [], w);
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(js[i]! - w[i]!));
    expect(worst).toBeLessThan(1e-4);
  });
});
