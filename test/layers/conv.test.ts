/**
 * conv2d (src/layers/functional/conv.ts, src/autograd/ops/conv.ts, src/tensor/kernels/conv.ts)
 * and nn.Conv2d: forward against a naive float64 7-loop convolution written here, gradients of
 * input, weight and bias by gradcheck across stride / padding / dilation / groups, the default
 * initialisation, state-dict keys, errors.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, getBackend, manualSeed, nn, zeros, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from '../autograd/fixtures.js';

interface Case {
  name: string;
  x: [number, number, number, number];
  o: number;
  k: [number, number];
  stride: [number, number];
  /** Padding before (top, left) and total (top + bottom, left + right). */
  padBefore: [number, number];
  padTotal: [number, number];
  dilation: [number, number];
  groups: number;
  bias: boolean;
  /** The options as a user passes them. */
  opts: F.Conv2dOptions;
}

function sym(
  name: string,
  x: Case['x'],
  o: number,
  k: number | [number, number],
  s: number | [number, number],
  p: number | [number, number],
  d: number | [number, number],
  groups: number,
  bias = true,
): Case {
  const pr = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
  const pp = pr(p);
  return {
    name,
    x,
    o,
    k: pr(k),
    stride: pr(s),
    padBefore: pp,
    padTotal: [2 * pp[0], 2 * pp[1]],
    dilation: pr(d),
    groups,
    bias,
    opts: { stride: s, padding: p, dilation: d, groups },
  };
}

const CASES: Case[] = [
  sym('3x3, no padding', [2, 3, 6, 5], 4, 3, 1, 0, 1, 1),
  sym('3x3, padding 1', [2, 2, 5, 5], 3, 3, 1, 1, 1, 1),
  sym('stride 2, padding 1', [1, 2, 7, 6], 3, 3, 2, 1, 1, 1),
  sym('rectangular kernel, stride and padding pairs', [2, 2, 6, 7], 2, [2, 3], [2, 1], [1, 0], 1, 1),
  sym('dilation 2', [1, 2, 7, 7], 2, 3, 1, 2, 2, 1),
  sym('groups 2', [2, 4, 5, 5], 6, 3, 1, 1, 1, 2),
  sym('depthwise (groups = channels)', [1, 3, 5, 4], 3, 2, 1, 0, 1, 3),
  sym('everything at once, no bias', [2, 4, 8, 7], 4, [3, 2], [2, 3], [1, 1], [2, 1], 2, false),
  sym('1x1 kernel', [2, 3, 4, 4], 5, 1, 1, 0, 1, 1),
  {
    name: "padding 'same' with an even kernel (extra row/column after)",
    x: [1, 2, 5, 6],
    o: 2,
    k: [2, 4],
    stride: [1, 1],
    padBefore: [0, 1],
    padTotal: [1, 3],
    dilation: [1, 1],
    groups: 1,
    bias: true,
    opts: { padding: 'same' },
  },
];

/** The naive convolution in float64, straight from the definition (cross-correlation with zero padding). */
function refConv2d(x: Tensor, w: Tensor, b: Tensor | null, c: Case): { data: number[]; shape: number[] } {
  const [n, ch, h, wd] = c.x;
  const [kH, kW] = c.k;
  const outH = Math.floor((h + c.padTotal[0] - c.dilation[0] * (kH - 1) - 1) / c.stride[0]) + 1;
  const outW = Math.floor((wd + c.padTotal[1] - c.dilation[1] * (kW - 1) - 1) / c.stride[1]) + 1;
  const cg = ch / c.groups;
  const og = c.o / c.groups;
  const out: number[] = [];
  for (let bi = 0; bi < n; bi++) {
    for (let o = 0; o < c.o; o++) {
      for (let i = 0; i < outH; i++) {
        for (let j = 0; j < outW; j++) {
          let acc = b === null ? 0 : b.data[o]!;
          const g = Math.floor(o / og);
          for (let ic = 0; ic < cg; ic++) {
            for (let u = 0; u < kH; u++) {
              for (let v = 0; v < kW; v++) {
                const ih = i * c.stride[0] - c.padBefore[0] + u * c.dilation[0];
                const iw = j * c.stride[1] - c.padBefore[1] + v * c.dilation[1];
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const xv = x.data[((bi * ch + g * cg + ic) * h + ih) * wd + iw]!;
                acc += w.data[((o * cg + ic) * kH + u) * kW + v]! * xv;
              }
            }
          }
          out.push(acc);
        }
      }
    }
  }
  return { data: out, shape: [n, c.o, outH, outW] };
}

function inputs(c: Case, seed: number): [Tensor, Tensor, Tensor | null] {
  const x = randomTensor(c.x, seed);
  const w = randomTensor([c.o, c.x[1] / c.groups, c.k[0], c.k[1]], seed + 1);
  const b = c.bias ? randomTensor([c.o], seed + 2) : null;
  return [x, w, b];
}

describe('conv2d', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('forward, %s, equals the naive convolution', (_, c) => {
    const [x, w, b] = inputs(c, 11);
    const ref = refConv2d(x, w, b, c);
    const y = F.conv2d(x, w, b, c.opts);
    expect(y.shape).toEqual(ref.shape);
    // float32 products summed in float64 by the matmul kernel, one float32 rounding of the output
    // (sums of <= 48 terms of size <= 1): a few float32 ulps
    expectClose(y, ref.data, { rtol: 1e-6, atol: 1e-6 }, c.name);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('gradcheck of input, weight and bias, %s', (_, c) => {
    const [x, w, b] = inputs(c, 21);
    if (b === null) expectGradcheck((xi, wi) => F.conv2d(xi!, wi!, null, c.opts), [x, w]);
    else expectGradcheck((xi, wi, bi) => F.conv2d(xi!, wi!, bi!, c.opts), [x, w, b]);
  });

  it('accepts one unbatched image [C, H, W]', () => {
    const c = CASES[2]!;
    const [x, w, b] = inputs(c, 31);
    const batched = F.conv2d(x, w, b, c.opts);
    const single = F.conv2d(x.reshape(c.x.slice(1) as number[]).detach(), w, b, c.opts);
    expect(single.shape).toEqual(batched.shape.slice(1));
  });

  it('does not mutate its inputs', () => {
    const [x, w, b] = inputs(CASES[5]!, 41);
    expectInputsUnchanged([x, w, b!], () => F.conv2d(x, w, b, CASES[5]!.opts).sum().backward());
  });

  it('empty sizes: no input channels gives the bias (empty sums), an empty batch gives zero gradients', () => {
    // torch 2.13 returns shape [N, 0, Ho, Wo] for C = 0 (its empty-input shortcut drops O); typegrad
    // keeps the definition, y[n, o] = bias[o] + (a sum over C/G * kH * kW = 0 terms). Sizes above the
    // wasm kernels' minimum (y has 2 * 3 * 18 * 18 elements), so both backends' kernels run.
    const x = randomTensor([2, 0, 20, 20], 1);
    const w = randomTensor([3, 0, 3, 3], 2);
    const b = randomTensor([3], 3);
    const y = F.conv2d(x, w, b);
    expect(y.shape).toEqual([2, 3, 18, 18]);
    const expected = Array.from({ length: y.size }, (_, i) => b.data[Math.floor(i / (18 * 18)) % 3]!);
    expect(Array.from(y.data)).toEqual(expected);
    const dy = randomTensor(y.shape, 4, { requiresGrad: false });
    y.backward(dy);
    const dbias = [0, 1, 2].map((o) => {
      let sum = 0;
      for (let n = 0; n < 2; n++) for (let l = 0; l < 18 * 18; l++) sum += dy.data[(n * 3 + o) * 18 * 18 + l]!;
      return sum;
    });
    // float64 sums of 648 float32 values, rounded once (the kernel may add in another order)
    expectClose(b.grad!, dbias, { rtol: 1e-6, atol: 1e-6 }, 'dbias');
    expect(x.grad!.shape).toEqual([2, 0, 20, 20]);
    expect(w.grad!.shape).toEqual([3, 0, 3, 3]);
    // an empty batch: y empty, the weight and bias gradients exactly 0
    const x0 = randomTensor([0, 4, 20, 20], 5);
    const w0 = randomTensor([3, 4, 3, 3], 6);
    const b0 = randomTensor([3], 7);
    const y0 = F.conv2d(x0, w0, b0);
    expect(y0.shape).toEqual([0, 3, 18, 18]);
    y0.sum().backward();
    expect(Array.from(w0.grad!.data)).toEqual(new Array(w0.size).fill(0));
    expect(Array.from(b0.grad!.data)).toEqual([0, 0, 0]);
  });

  it('only one image is unfolded at a time: a batch whose whole im2col exceeds 2^31 - 1 elements runs', () => {
    // 1000 images of 1 x 1, a 32 x 32 kernel, padding 38: output 46 x 46, im2col of one image
    // [1024, 2116] (2.2e6 elements), of the whole batch 2.17e9. The kernels unfold image by image,
    // so only the output and one image's columns must fit (torch accepts it too). Every tap but the
    // centre ones reads padding: y[n, 0, i, j] = x[n] * w[0, 0, 38 - i, 38 - j] where that is a tap.
    // The limit is checked in functional.conv2d, before any kernel; the 2.2e9 multiply-adds take ~2 s
    // on the wasm backend and ~7 s on the TypeScript one, so the run itself is checked on wasm only.
    if (getBackend() === 'wasm') runsWholeBatch();
    // one image's columns must still fit: 1 x 1 x 1 x 1, kernel 400 x 400 at padding 6000: the
    // unfolded image [160000, 11602^2] is too large, and the message names it
    expect(() =>
      F.conv2d(randomTensor([1, 1, 1, 1], 3), randomTensor([1, 1, 400, 400], 4), null, { padding: 6000 }),
    ).toThrow(/conv2d: one image's im2col shape \[160000, 134606404\] has 2.153702464e13 elements, more than/);
  });

  function runsWholeBatch(): void {
    const x = randomTensor([1000, 1, 1, 1], 1, { requiresGrad: false });
    const w = randomTensor([1, 1, 32, 32], 2, { requiresGrad: false });
    const y = F.conv2d(x, w, null, { padding: 38 });
    expect(y.shape).toEqual([1000, 1, 46, 46]);
    const at = (n: number, i: number, j: number): number => y.data[(n * 46 + i) * 46 + j]!;
    for (const n of [0, 999]) {
      expect(at(n, 38, 38)).toBeCloseTo(x.data[n]! * w.data[0]!, 6);
      expect(at(n, 7, 10)).toBeCloseTo(x.data[n]! * w.data[31 * 32 + 28]!, 6);
      expect(at(n, 0, 0)).toBe(0);
    }
  }

  it('names the argument in its errors', () => {
    const x = randomTensor([1, 6, 5, 5], 1);
    expect(() => F.conv2d(x, randomTensor([4, 4, 3, 3], 2), null, { groups: 1 })).toThrow(
      /input has 6 channels but weight \[4, 4, 3, 3\] with groups=1 expects 4/,
    );
    expect(() => F.conv2d(x, randomTensor([3, 3, 3, 3], 2), null, { groups: 2 })).toThrow(
      /weight.shape\[0\] \(3\) must be divisible by groups \(2\)/,
    );
    expect(() => F.conv2d(x, randomTensor([4, 6, 3, 3], 2), randomTensor([3], 3))).toThrow(
      /bias must be null or a Tensor of shape \[4\], got shape \[3\]/,
    );
    expect(() => F.conv2d(x, randomTensor([4, 6, 7, 7], 2))).toThrow(/smaller than the dilated kernel 7x7/);
    expect(() => F.conv2d(x, randomTensor([4, 6, 3, 3], 2), null, { stride: 0 })).toThrow(
      /stride must be an integer >= 1 or a pair of them, got 0/,
    );
    expect(() => F.conv2d(x, randomTensor([4, 6, 3, 3], 2), null, { padding: 'same', stride: 2 })).toThrow(
      /padding='same' is not supported for strided convolutions/,
    );
    expect(() => F.conv2d(randomTensor([6, 5], 1), randomTensor([4, 6, 3, 3], 2))).toThrow(
      /input must be a Tensor of shape \[N, C, H, W\] or \[C, H, W\], got shape \[6, 5\]/,
    );
    // torch: "expected scalar type Float but found Int", "Input type (float) and bias type (int)
    // should be the same"; the weight and the bias must be floating like the input
    const w = randomTensor([4, 6, 3, 3], 2);
    expect(() => F.conv2d(x, zeros([4, 6, 3, 3], { dtype: 'int32' }))).toThrow(
      "conv2d: weight must have a floating dtype ('float32' or 'float64'), got 'int32'",
    );
    expect(() => F.conv2d(x, w, zeros([4], { dtype: 'bool' }))).toThrow(
      "conv2d: bias must have a floating dtype ('float32' or 'float64'), got 'bool'",
    );
    expect(() => F.conv1d(randomTensor([1, 6, 5], 1), zeros([4, 6, 3], { dtype: 'int32' }))).toThrow(
      "conv1d: weight must have a floating dtype ('float32' or 'float64'), got 'int32'",
    );
    // Through the module, the same checks name the module.
    expect(() => new nn.Conv2d(6, 4, 3).forward(randomTensor([1, 5, 5, 5], 3))).toThrow(
      'Conv2d: input has 5 channels but weight [4, 6, 3, 3] with groups=1 expects 6 (weight.shape[1] * groups)',
    );
  });
});

describe('nn.Conv2d', () => {
  it('has torch-shaped parameters and state-dict keys', () => {
    const conv = new nn.Conv2d(6, 8, [3, 5], { groups: 2 });
    expect(conv.weight.shape).toEqual([8, 3, 3, 5]);
    expect(conv.bias!.shape).toEqual([8]);
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'bias']);
    expect(Object.keys(new nn.Conv2d(2, 2, 1, { bias: false }).stateDict())).toEqual(['weight']);
  });

  it('initialises weight and bias uniformly within +-1/sqrt(fanIn), fanIn = inChannels/groups * kH * kW', () => {
    manualSeed(0);
    const conv = new nn.Conv2d(8, 64, 3, { groups: 2 });
    const bound = 1 / Math.sqrt(4 * 9);
    for (const t of [conv.weight, conv.bias!]) {
      const values = Array.from(t.data);
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    // 2,304 draws from U(-b, b): the extremes come within 1% of the bound (probability of missing
    // that is (0.99)^2304 ~ 1e-10), and the variance b^2/3 is matched to 10% (its standard error is ~3%)
    const w = Array.from(conv.weight.data);
    expect(Math.max(...w)).toBeGreaterThan(0.99 * bound);
    expect(Math.min(...w)).toBeLessThan(-0.99 * bound);
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance / ((bound * bound) / 3)).toBeGreaterThan(0.9);
    expect(variance / ((bound * bound) / 3)).toBeLessThan(1.1);
  });

  it('is reproducible under manualSeed', () => {
    manualSeed(5);
    const a = new nn.Conv2d(3, 4, 3);
    manualSeed(5);
    const b = new nn.Conv2d(3, 4, 3);
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    expect(Array.from(a.bias!.data)).toEqual(Array.from(b.bias!.data));
  });

  it('forward equals the functional form with its options', () => {
    const conv = new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, dilation: 1, groups: 2 });
    const x = randomTensor([2, 4, 7, 7], 3, { requiresGrad: false });
    const y = conv.forward(x);
    expectClose(
      y,
      F.conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1, groups: 2 }),
      { rtol: 0, atol: 0 },
      'Conv2d',
    );
    expect(y.shape).toEqual([2, 6, 4, 4]);
  });

  it('names the argument in constructor errors', () => {
    expect(() => new nn.Conv2d(6, 8, 3, { groups: 4 })).toThrow(
      'Conv2d: inChannels (6) must be divisible by groups (4)',
    );
    expect(() => new nn.Conv2d(4, 6, 3, { groups: 4 })).toThrow(
      'Conv2d: outChannels (6) must be divisible by groups (4)',
    );
    expect(() => new nn.Conv2d(0, 6, 3)).toThrow('Conv2d: inChannels must be a positive integer, got 0');
    expect(() => new nn.Conv2d(2, 6, [3, 0])).toThrow(
      'Conv2d: kernelSize must be an integer >= 1 or a pair of them, got [3, 0] (array)',
    );
    expect(() => new nn.Conv2d(2, 6, 3, { padding: -1 })).toThrow(
      'Conv2d: padding must be an integer >= 0 or a pair of them, got -1',
    );
    expect(() => new nn.Conv2d(2, 6, 3, { padding: 'same', stride: 2 })).toThrow(
      /padding='same' is not supported for strided convolutions/,
    );
  });
});
