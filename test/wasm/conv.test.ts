/**
 * The sliding-window kernels of the wasm backend (src/wasm/conv.ts, conv.wat, through
 * src/kernels/registry.ts with no minimum size) against the TypeScript kernels
 * (src/tensor/kernels/conv.ts, pool.ts), on random geometries: odd sizes, stride, padding,
 * dilation, groups, windows hanging off the input, the stride-1 same-width layout that im2col and
 * col2im handle in blocks, the 2 x 2 max-pooling path with and without a tail, and a batch that
 * streams through the arena in several chunks. Runs the same on either TYPEGRAD_BACKEND (it calls
 * both backends' kernels directly).
 *
 * - conv2d: the wasm products accumulate in float32, the TypeScript ones in float64; per element
 *   |wasm - ts| <= (terms + 2) 2^-24 sum |terms|, with sum |terms| the TypeScript kernel run on
 *   |x|, |weight|, |dy| in float64 (see test/layers/slidingWindows.test.ts). NaN and infinities must
 *   land on the same elements.
 * - pooling: bit for bit (max pooling compares in the reference's order; average pooling sums and
 *   divides in float64 in its order), argmax included, NaN for NaN.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createWasmKernels, jsKernels } from '../../src/kernels/registry.js';
import { windowOutSize, type Window2d } from '../../src/tensor/kernels/conv.js';
import { adaptiveAvgPoolWindows, avgPoolWindows } from '../../src/tensor/kernels/pool.js';
import { sameWidthGeometry, windowGeometry } from '../tensor/windowGeometry.js';
import { expectWithin, normalF32, U32 } from './support.js';

const wasm = createWasmKernels({ minSize: 0 });

/** A geometry with groups and output channels: C and O multiples of groups. */
const convGeometry = (base: fc.Arbitrary<Window2d>) =>
  fc
    .tuple(base, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1e6 }))
    .map(([g, groups, perGroup, seed]) => ({
      g: { ...g, c: g.c * groups },
      groups,
      o: perGroup * groups + (seed % 2) * groups,
      bias: seed % 3 !== 0,
      seed,
    }));

/** float32 values with NaN, +-Inf sprinkled in when `special` (one in `every`). */
function data(n: number, seed: number, special = false, every = 53): Float32Array {
  const out = normalF32(n, seed);
  if (special) for (let i = seed % every; i < n; i += every) out[i] = [NaN, Infinity, -Infinity][i % 3]!;
  return out;
}

const abs64 = (a: Float32Array): Float64Array => Float64Array.from(a, Math.abs);

/** Runs both kernels' forward and backward on one case and holds wasm to the bound of the header. */
function checkConv(c: { g: Window2d; groups: number; o: number; bias: boolean; seed: number }, special = false): void {
  const { g, groups, o, seed } = c;
  const k = (g.c / groups) * g.kH * g.kW;
  const L = g.outH * g.outW;
  const x = data(g.n * g.c * g.h * g.w, seed, special);
  const w = data(o * k, seed + 1);
  const bias = c.bias ? data(o, seed + 2) : null;
  const dy = data(g.n * o * L, seed + 3, special, 71);
  const run = (kern: typeof jsKernels) => {
    const y = new Float32Array(g.n * o * L).fill(NaN);
    kern.conv2dForward(x, w, bias, g, groups, y);
    const dx = new Float32Array(x.length).fill(NaN);
    const dw = new Float32Array(w.length).fill(NaN);
    const db = new Float32Array(o).fill(NaN);
    kern.conv2dBackward(x, w, dy, g, groups, dx, dw, c.bias ? db : null);
    return { y, dx, dw, db };
  };
  const [ts, fast] = [run(jsKernels), run(wasm)];
  const abs = {
    y: new Float64Array(g.n * o * L),
    dx: new Float64Array(x.length),
    dw: new Float64Array(w.length),
    db: new Float64Array(o),
  };
  jsKernels.conv2dForward(abs64(x), abs64(w), bias && abs64(bias), g, groups, abs.y);
  jsKernels.conv2dBackward(abs64(x), abs64(w), abs64(dy), g, groups, abs.dx, abs.dw, abs.db);
  const terms = { y: k + 1, dx: (o / groups) * g.kH * g.kW, dw: g.n * L };
  const label = `${JSON.stringify(g)} groups ${groups} o ${o}`;
  expectWithin(fast.y, ts.y, (i) => (terms.y + 2) * U32 * abs.y[i]!, `y ${label}`);
  expectWithin(fast.dx, ts.dx, (i) => (terms.dx + 2) * U32 * abs.dx[i]!, `dx ${label}`);
  expectWithin(fast.dw, ts.dw, (i) => (terms.dw + 2) * U32 * abs.dw[i]!, `dweight ${label}`);
  if (c.bias) expectWithin(fast.db, ts.db, (i) => (terms.dw + 2) * U32 * abs.db[i]!, `dbias ${label}`);
}

describe('wasm conv2d equals the TypeScript kernels within float32 accumulation', () => {
  it.each([
    ['random geometries', windowGeometry],
    ['stride-1, same-width geometries (the block paths)', sameWidthGeometry],
  ])('forward and every gradient, %s', (_, geometries) => {
    fc.assert(
      fc.property(convGeometry(geometries), (c) => checkConv(c)),
      { numRuns: 150 },
    );
  });

  it('NaN and infinities in x and dy reach the same elements', () => {
    fc.assert(
      fc.property(convGeometry(windowGeometry), (c) => checkConv(c, true)),
      { numRuns: 60 },
    );
  });

  it('the CNN example shapes, and a batch streamed through the arena in several chunks', () => {
    const shape = (n: number, c: number, h: number, w: number, pad: number): Window2d => ({
      ...{ n, c, h, w, kH: 3, kW: 3, sH: 1, sW: 1, padTop: pad, padLeft: pad, dH: 1, dW: 1 },
      outH: windowOutSize(h, 3, 1, 2 * pad, 1),
      outW: windowOutSize(w, 3, 1, 2 * pad, 1),
    });
    checkConv({ g: shape(32, 1, 28, 28, 1), groups: 1, o: 8, bias: true, seed: 1 });
    checkConv({ g: shape(32, 8, 14, 14, 1), groups: 1, o: 16, bias: true, seed: 2 });
    // [4, 64, 64] in and [8, 62, 62] out: about 47 Ki floats per image, 5 images per chunk
    checkConv({ g: shape(11, 4, 64, 64, 0), groups: 2, o: 8, bias: true, seed: 3 });
  });

  it('computes only the gradients asked for, and leaves the others untouched', () => {
    const g = { ...{ n: 2, c: 2, h: 5, w: 6, kH: 3, kW: 2, sH: 1, sW: 2, padTop: 1, padLeft: 0, dH: 1, dW: 1 } };
    const geom = { ...g, outH: windowOutSize(5, 3, 1, 2, 1), outW: windowOutSize(6, 2, 2, 0, 1) };
    const x = data(2 * 2 * 5 * 6, 4);
    const w = data(3 * 2 * 3 * 2, 5);
    const dy = data(2 * 3 * geom.outH * geom.outW, 6);
    for (const want of [0b001, 0b010, 0b100]) {
      const outs = [new Float32Array(x.length), new Float32Array(w.length), new Float32Array(3)];
      const ref = outs.map((a) => a.slice());
      const pick = (arr: Float32Array[], bit: number) => ((want >> bit) & 1 ? arr[bit]! : null);
      wasm.conv2dBackward(x, w, dy, geom, 1, pick(outs, 0), pick(outs, 1), pick(outs, 2));
      jsKernels.conv2dBackward(x, w, dy, geom, 1, pick(ref, 0), pick(ref, 1), pick(ref, 2));
      for (let bit = 0; bit < 3; bit++) {
        if ((want >> bit) & 1) expect(outs[bit]!.some((v) => v !== 0)).toBe(true);
        else expect(outs[bit]!.every((v) => v === 0)).toBe(true);
      }
    }
  });
});

/** Few distinct values (ties), with -Infinity, Infinity and NaN among them. */
function tiedValues(n: number, seed: number): Float32Array {
  const pool = [0, 1, -2, 1, -Infinity, NaN, 3, 3, Infinity, 0.5];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = pool[Math.abs(Math.floor(Math.sin(seed + 1.3 * i) * 1e4)) % pool.length]!;
  return out;
}

/** Equal as values, NaN for NaN, +0 and -0 told apart. */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`${what}[${i}]: wasm ${actual[i]}, reference ${expected[i]}`);
  }
}

/** 2 x 2 windows at stride 2 (the four-per-vector path): odd sizes, output widths with and without a tail. */
const plain2x2 = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 2, max: 9 }),
    w: fc.integer({ min: 2, max: 21 }),
  })
  .map((r) => ({
    ...r,
    ...{ kH: 2, kW: 2, sH: 2, sW: 2, padTop: 0, padLeft: 0, dH: 1, dW: 1 },
    outH: Math.floor(r.h / 2),
    outW: Math.floor(r.w / 2),
  }));

describe('wasm pooling equals the TypeScript kernels bit for bit', () => {
  const seeded = (geometries: fc.Arbitrary<Window2d>) => fc.tuple(geometries, fc.integer({ min: 0, max: 1e6 }));

  it.each([
    ['any window', windowGeometry],
    ['2 x 2 at stride 2', plain2x2],
  ])('max pooling, forward (values and argmax) and backward, %s, with ties, NaN and infinities', (_, geometries) => {
    fc.assert(
      fc.property(seeded(geometries), ([g, seed]) => {
        const x = tiedValues(g.n * g.c * g.h * g.w, seed);
        const run = (kern: typeof jsKernels) => {
          const y = new Float32Array(g.n * g.c * g.outH * g.outW);
          const argmax = new Int32Array(y.length);
          kern.maxPool2dForward(x, g, y, argmax);
          const dy = data(y.length, seed);
          const dx = new Float32Array(x.length).fill(NaN);
          kern.maxPool2dBackward(dy, argmax, dx);
          return { y, argmax, dx };
        };
        const [ts, fast] = [run(jsKernels), run(wasm)];
        expectSame(fast.y, ts.y, 'y');
        expectSame(fast.argmax, ts.argmax, 'argmax');
        expectSame(fast.dx, ts.dx, 'dx');
      }),
      { numRuns: 300 },
    );
  });

  it('average pooling (countIncludePad, divisorOverride) and adaptive average pooling, forward and backward', () => {
    const cases = seeded(windowGeometry).chain(([g, seed]) =>
      fc.record({
        g: fc.constant({
          ...g,
          dH: 1,
          dW: 1,
          padTop: Math.min(g.padTop, g.kH >> 1),
          padLeft: Math.min(g.padLeft, g.kW >> 1),
        }),
        seed: fc.constant(seed),
        countIncludePad: fc.boolean(),
        divisorOverride: fc.option(fc.integer({ min: -3, max: 7 }).filter((d) => d !== 0)),
        adaptive: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(cases, (c) => {
        const g = {
          ...c.g,
          outH: windowOutSize(c.g.h, c.g.kH, c.g.sH, 2 * c.g.padTop, 1),
          outW: windowOutSize(c.g.w, c.g.kW, c.g.sW, 2 * c.g.padLeft, 1),
        };
        if (g.outH < 1 || g.outW < 1) return;
        const win = c.adaptive
          ? adaptiveAvgPoolWindows(g.n * g.c, g.h, g.w, g.kH, g.kW)
          : avgPoolWindows(g, { countIncludePad: c.countIncludePad, divisorOverride: c.divisorOverride });
        const x = data(g.n * g.c * g.h * g.w, c.seed, true, 29);
        const dy = data(g.n * g.c * win.outH * win.outW, c.seed + 1, true, 31);
        const run = (kern: typeof jsKernels) => {
          const y = new Float32Array(dy.length).fill(NaN);
          kern.avgPoolForward(x, win, y);
          const dx = new Float32Array(x.length).fill(NaN);
          kern.avgPoolBackward(dy, win, dx);
          return { y, dx };
        };
        const [ts, fast] = [run(jsKernels), run(wasm)];
        expectSame(fast.y, ts.y, 'y');
        expectSame(fast.dx, ts.dx, 'dx');
      }),
      { numRuns: 300 },
    );
  });

  it('float64 data stays on the TypeScript kernels (same values and argmax)', () => {
    fc.assert(
      fc.property(seeded(plain2x2), ([g, seed]) => {
        const x = Float64Array.from(tiedValues(g.n * g.c * g.h * g.w, seed));
        const [y1, y2] = [0, 1].map(() => new Float64Array(g.n * g.c * g.outH * g.outW));
        const [a1, a2] = [0, 1].map(() => new Int32Array(y1!.length));
        jsKernels.maxPool2dForward(x, g, y1!, a1!);
        wasm.maxPool2dForward(x, g, y2!, a2!);
        expectSame(y2!, y1!, 'y');
        expectSame(a2!, a1!, 'argmax');
      }),
      { numRuns: 20 },
    );
  });
});
