/**
 * im2col and col2im (src/tensor/kernels/conv.ts) on random window geometries, against the
 * header's formula written per element here, and col2im as the adjoint of im2col:
 * <im2col(x), c> = <x, col2im(c)>. The sums are float64, but col2im's dx is float32 (each element a
 * sum of up to kH*kW copies, rounded at 2^-24 relative): tolerance 1e-6 of the sum of |cols * c|.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { col2im, im2col, type Window2d } from '../../src/tensor/kernels/conv.js';
import { sameWidthGeometry, windowGeometry } from './windowGeometry.js';

const geometry = windowGeometry;

function values(len: number, seed: number): Float32Array {
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.sin(seed + 1.7 * i) * 3;
  return out;
}

/** cols[n, (c*kH + i)*kW + j, oh*outW + ow] from the header's formula, one element at a time. */
function im2colFormula(x: Float32Array, g: Window2d): number[] {
  const out: number[] = [];
  for (let b = 0; b < g.n; b++)
    for (let ch = 0; ch < g.c; ch++)
      for (let i = 0; i < g.kH; i++)
        for (let j = 0; j < g.kW; j++)
          for (let oh = 0; oh < g.outH; oh++)
            for (let ow = 0; ow < g.outW; ow++) {
              const ih = oh * g.sH - g.padTop + i * g.dH;
              const iw = ow * g.sW - g.padLeft + j * g.dW;
              const inside = ih >= 0 && ih < g.h && iw >= 0 && iw < g.w;
              out.push(inside ? x[((b * g.c + ch) * g.h + ih) * g.w + iw]! : 0);
            }
  return out;
}

describe('im2col / col2im', () => {
  // The second set is the stride-1, same-width layout that im2col copies in blocks.
  it.each([
    ['random geometries', windowGeometry],
    ['stride-1, same-width geometries', sameWidthGeometry],
  ])('im2col writes every column entry of the formula (padding zeros included), %s', (_, geometries) => {
    fc.assert(
      fc.property(geometries, (g) => {
        const x = values(g.n * g.c * g.h * g.w, 1);
        const cols = new Float32Array(g.n * g.c * g.kH * g.kW * g.outH * g.outW).fill(NaN);
        im2col(x, g, cols);
        expect(Array.from(cols)).toEqual(im2colFormula(x, g));
      }),
      { numRuns: 200 },
    );
  });

  it('col2im is the adjoint of im2col', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const x = values(g.n * g.c * g.h * g.w, 2);
        const c = values(g.n * g.c * g.kH * g.kW * g.outH * g.outW, 3);
        const cols = new Float32Array(c.length);
        im2col(x, g, cols);
        const dx = new Float32Array(x.length).fill(NaN);
        col2im(c, g, dx);
        let lhs = 0;
        let rhs = 0;
        let scale = 0;
        for (let k = 0; k < c.length; k++) {
          lhs += cols[k]! * c[k]!;
          scale += Math.abs(cols[k]! * c[k]!);
        }
        for (let k = 0; k < x.length; k++) rhs += x[k]! * dx[k]!;
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-6 * scale + 1e-12);
      }),
      { numRuns: 200 },
    );
  });
});
