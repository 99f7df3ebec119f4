/**
 * gatherAlong and scatterAddAlong (src/tensor/kernels/indexing.ts) against a reference written here
 * from torch's definition with explicit multi-indices, on random shapes: index shaped like x apart
 * from `dim` (the three-loop fast path) and index smaller on another axis (the general walk).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatherAlong, scatterAddAlong } from '../../src/tensor/kernels/indexing.js';

/** The multi-index of flat position `flat` in `shape` (row-major). */
function unravel(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return out;
}
const ravel = (idx: readonly number[], shape: readonly number[]): number =>
  idx.reduce((f, i, a) => f * shape[a]! + i, 0);
const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

const arb = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    dimSeed: fc.nat(),
    k: fc.integer({ min: 0, max: 5 }),
    shrinkOther: fc.boolean(),
    seed: fc.nat(),
  })
  .map(({ shape, dimSeed, k, shrinkOther, seed }) => {
    const dim = dimSeed % shape.length;
    const indexShape = shape.map((d, a) => (a === dim ? k : d));
    const other = shape.findIndex((d, a) => a !== dim && d > 1);
    if (shrinkOther && other >= 0) indexShape[other] = shape[other]! - 1; // not aligned: the general walk
    const n = shape[dim]!;
    const index = Int32Array.from({ length: size(indexShape) }, (_, j) => (j * 7 + seed) % n);
    const x = Float64Array.from({ length: size(shape) }, (_, j) => Math.sin(j + seed));
    const src = Float64Array.from({ length: size(indexShape) }, (_, j) => Math.cos(j * 3 + seed));
    return { shape, dim, indexShape, index, x, src };
  });

describe('gather / scatterAdd kernels equal their definition', () => {
  it('property: gatherAlong out[p] = x[p with dim replaced by index[p]]', () => {
    fc.assert(
      fc.property(arb, ({ shape, dim, indexShape, index, x }) => {
        const out = new Float64Array(index.length);
        gatherAlong(x, shape, dim, index, indexShape, out);
        const expected = Array.from(index, (i, p) => {
          const at = unravel(p, indexShape);
          at[dim] = i;
          return x[ravel(at, shape)]!;
        });
        expect(Array.from(out)).toEqual(expected);
      }),
    );
  });

  it('property: scatterAddAlong out[p with dim replaced by index[p]] += src[p]', () => {
    fc.assert(
      fc.property(arb, ({ shape, dim, indexShape, index, x, src }) => {
        const out = x.slice();
        scatterAddAlong(src, indexShape, dim, index, indexShape, out, shape);
        const expected = x.slice();
        index.forEach((i, p) => {
          const at = unravel(p, indexShape);
          at[dim] = i;
          expected[ravel(at, shape)] += src[p]!;
        });
        expect(Array.from(out)).toEqual(Array.from(expected));
      }),
    );
  });
});
