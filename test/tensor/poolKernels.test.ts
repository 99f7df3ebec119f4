/**
 * maxPool2dForward (src/tensor/kernels/pool.ts) against the plain loop over every window tap with a
 * bounds test, written here: bit-identical values and argmax indices on random geometries (padding,
 * stride, dilation, windows hanging off the input), with ties, -Infinity and NaN in the data (the
 * first maximum wins a tie; a NaN always takes over, as in torch's CPU kernel).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Window2d } from '../../src/tensor/kernels/conv.js';
import { maxPool2dForward } from '../../src/tensor/kernels/pool.js';
import { windowGeometry } from './windowGeometry.js';

const geometry = fc.tuple(windowGeometry, fc.integer({ min: 0, max: 1000 })).map(([g, seed]) => ({ ...g, seed }));

/** Few distinct values (ties), with -Infinity and NaN sprinkled in. */
function values(len: number, seed: number): Float32Array {
  const pool = [0, 1, -2, 1, -Infinity, NaN, 3, 3];
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = pool[Math.abs(Math.floor(Math.sin(seed + 1.3 * i) * 1e4)) % pool.length]!;
  return out;
}

/** Every tap of every window, in order (i, then j), skipping those outside the input. */
function maxPoolPlain(x: Float32Array, g: Window2d): { y: number[]; argmax: number[] } {
  const y: number[] = [];
  const argmax: number[] = [];
  for (let plane = 0; plane < g.n * g.c; plane++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++) {
        let best = -Infinity;
        let bestAt = -1;
        for (let i = 0; i < g.kH; i++)
          for (let j = 0; j < g.kW; j++) {
            const ih = oh * g.sH - g.padTop + i * g.dH;
            const iw = ow * g.sW - g.padLeft + j * g.dW;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            const at = (plane * g.h + ih) * g.w + iw;
            if (x[at]! > best || Number.isNaN(x[at]!) || bestAt < 0) [best, bestAt] = [x[at]!, at];
          }
        y.push(best);
        argmax.push(bestAt);
      }
  return { y, argmax };
}

describe('maxPool2dForward', () => {
  it('equals the plain loop over every tap: values and argmax, bit for bit', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const x = values(g.n * g.c * g.h * g.w, g.seed);
        const y = new Float32Array(g.n * g.c * g.outH * g.outW);
        const argmax = new Int32Array(y.length);
        maxPool2dForward(x, g, y, argmax);
        const ref = maxPoolPlain(x, g);
        expect([...y]).toEqual(ref.y);
        expect([...argmax]).toEqual(ref.argmax);
      }),
      { numRuns: 300 },
    );
  });
});
