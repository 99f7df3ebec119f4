/**
 * conv2d, maxPool2d, avgPool2d and adaptiveAvgPool2d against PyTorch (test/fixtures/sliding_windows.py)
 * at sizes above the wasm backend's minimum, so that on the default backend the wasm kernels
 * (src/wasm/conv.ts) run, and on TYPEGRAD_BACKEND=js the TypeScript ones: forward and every gradient.
 *
 * Tolerances:
 * - conv2d: torch computes in float64 from the float32 inputs (stored rounded to float32). The
 *   wasm products accumulate in float32: per element |error| <= (terms + 2) 2^-24 sum |terms|, with
 *   sum |terms| the same convolution of |x|, |weight|, |dy| (computed here in float64 by the
 *   TypeScript kernel) and terms the number of products summed (K for y, the taps per input element
 *   for dx, N * L for the weight and bias gradients).
 * - max pooling is a selection: y and dx equal torch's exactly, NaN for NaN (a tie goes to the
 *   first maximum, a NaN takes over; dx shows which element won). dx sums overlapping windows'
 *   float32 gradients in output order, as torch does.
 * - average pooling: torch sums in float32, typegrad in float64: rtol 1e-6, atol 1e-6 (values near 1).
 */
import { describe, expect, it } from 'vitest';
import { functional as F, tensor, type Tensor } from '../../src/index.js';
import { jsKernels } from '../../src/kernels/registry.js';
import { windowOutSize } from '../../src/tensor/kernels/conv.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose, expectWithin } from '../helpers.js';

const U32 = 2 ** -24;

interface ConvCase {
  x: FixtureTensor;
  weight: FixtureTensor;
  bias?: FixtureTensor;
  y: FixtureTensor;
  dy: FixtureTensor;
  dx: FixtureTensor;
  dweight: FixtureTensor;
  dbias?: FixtureTensor;
  opts: { stride: number | number[]; padding: number | number[]; dilation: number | number[]; groups: number };
}

interface PoolCase {
  x: FixtureTensor;
  y: FixtureTensor;
  dy: FixtureTensor;
  dx: FixtureTensor;
}

const fixture = loadFixture('sliding_windows') as {
  conv: Record<string, ConvCase>;
  maxPool: Record<string, PoolCase & { k: number | [number, number]; opts: F.MaxPool2dOptions }>;
  avgPool: Record<string, PoolCase & { k: number | [number, number]; opts: F.AvgPool2dOptions }>;
  adaptiveAvgPool: Record<string, PoolCase & { size: [number, number] }>;
};

const f32 = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(t.data, t.shape, { dtype: 'float32', requiresGrad });
const pairOf = (v: number | number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);
const abs64 = (t: FixtureTensor): Float64Array => t.data.map(Math.abs);

/** The float64 sums of |terms| of y, dx, dweight and dbias: the convolution of the absolute values. */
function termSums(c: ConvCase) {
  const [n, ch, h, w] = c.x.shape as [number, number, number, number];
  const [o, , kH, kW] = c.weight.shape as [number, number, number, number];
  const [s, p, d] = [pairOf(c.opts.stride), pairOf(c.opts.padding), pairOf(c.opts.dilation)];
  const g = {
    n,
    c: ch,
    h,
    w,
    kH,
    kW,
    sH: s[0],
    sW: s[1],
    padTop: p[0],
    padLeft: p[1],
    dH: d[0],
    dW: d[1],
    outH: windowOutSize(h, kH, s[0], 2 * p[0], d[0]),
    outW: windowOutSize(w, kW, s[1], 2 * p[1], d[1]),
  };
  const [x, wt, dy] = [abs64(c.x), abs64(c.weight), abs64(c.dy)];
  const y = new Float64Array(c.y.data.length);
  jsKernels.conv2dForward(x, wt, c.bias ? abs64(c.bias) : null, g, c.opts.groups, y);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(wt.length);
  const db = new Float64Array(o);
  jsKernels.conv2dBackward(x, wt, dy, g, c.opts.groups, dx, dw, db);
  const k = (ch / c.opts.groups) * kH * kW;
  return { y, dx, dw, db, terms: { y: k + 1, dx: (o / c.opts.groups) * kH * kW, dw: n * g.outH * g.outW } };
}

describe('conv2d against PyTorch at wasm sizes', () => {
  it.each(Object.entries(fixture.conv))('%s: y, dx, dweight, dbias', (name, c) => {
    const x = f32(c.x, true);
    const w = f32(c.weight, true);
    const b = c.bias ? f32(c.bias, true) : null;
    const [stride, padding, dilation] = [pairOf(c.opts.stride), pairOf(c.opts.padding), pairOf(c.opts.dilation)];
    const y = F.conv2d(x, w, b, { groups: c.opts.groups, stride, padding, dilation });
    expect(y.dtype).toBe('float32');
    y.backward(f32(c.dy));
    const sums = termSums(c);
    const within = (actual: Tensor, expected: FixtureTensor, abs: Float64Array, terms: number, what: string) => {
      expect(actual.shape).toEqual(expected.shape);
      expectWithin(actual.data, expected.data, (i) => (terms + 2) * U32 * abs[i]!, `${name} ${what}`);
    };
    within(y, c.y, sums.y, sums.terms.y, 'y');
    within(x.grad!, c.dx, sums.dx, sums.terms.dx, 'dx');
    within(w.grad!, c.dweight, sums.dw, sums.terms.dw, 'dweight');
    if (b !== null) within(b.grad!, c.dbias!, sums.db, sums.terms.dw, 'dbias');
  });
});

describe('pooling against PyTorch at wasm sizes (ties, NaN and infinities in the max-pool data)', () => {
  const run = (c: PoolCase, f: (x: Tensor) => Tensor): { y: Tensor; dx: Tensor } => {
    const x = f32(c.x, true);
    const y = f(x);
    y.backward(f32(c.dy));
    return { y, dx: x.grad! };
  };

  it.each(Object.entries(fixture.maxPool))('maxPool2d %s: y and dx exactly', (name, c) => {
    const { y, dx } = run(c, (x) => F.maxPool2d(x, c.k, c.opts));
    expectClose(y, c.y.data, { rtol: 0, atol: 0 }, `${name} y`);
    expectClose(dx, c.dx.data, { rtol: 0, atol: 0 }, `${name} dx`);
  });

  it.each(Object.entries(fixture.avgPool))('avgPool2d %s: y and dx', (name, c) => {
    const { y, dx } = run(c, (x) => F.avgPool2d(x, c.k, c.opts));
    expectClose(y, c.y.data, { rtol: 1e-6, atol: 1e-6 }, `${name} y`);
    expectClose(dx, c.dx.data, { rtol: 1e-6, atol: 1e-6 }, `${name} dx`);
  });

  it.each(Object.entries(fixture.adaptiveAvgPool))('adaptiveAvgPool2d %s: y and dx', (name, c) => {
    const { y, dx } = run(c, (x) => F.adaptiveAvgPool2d(x, c.size));
    expectClose(y, c.y.data, { rtol: 1e-6, atol: 1e-6 }, `${name} y`);
    expectClose(dx, c.dx.data, { rtol: 1e-6, atol: 1e-6 }, `${name} dx`);
  });
});
