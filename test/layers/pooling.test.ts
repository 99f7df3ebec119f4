/**
 * maxPool2d, avgPool2d, adaptiveAvgPool2d (src/autograd/ops/pool.ts, src/tensor/kernels/pool.ts)
 * and their modules: forward against naive float64 references written here from torch's
 * definitions, gradients by gradcheck, torch's tie and divisor rules, and the errors.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from '../autograd/fixtures.js';

type P = [number, number];
const pr = (v: number | P): P => (typeof v === 'number' ? [v, v] : v);

/** Output size per torch (floor or ceil; with ceil the last window must start inside input + left padding). */
function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= size + p) o--;
  return o;
}

interface PoolCase {
  name: string;
  x: number[];
  k: number | P;
  opts: {
    stride?: number | P;
    padding?: number | P;
    dilation?: number | P;
    ceilMode?: boolean;
    countIncludePad?: boolean;
    divisorOverride?: number;
  };
}

/**
 * Naive pooling in float64 over every (n, c) plane. Max: the largest tap inside the input.
 * Average: the sum of taps inside the input divided by divisorOverride, or by the number of taps
 * inside the zero-padded input (countIncludePad), or by the number inside the input.
 */
function refPool(kind: 'max' | 'avg', x: Tensor, c: PoolCase): { data: number[]; shape: number[] } {
  const [n, ch, h, w] = x.shape as number[] as [number, number, number, number];
  const k = pr(c.k);
  const s = pr(c.opts.stride ?? c.k);
  const p = pr(c.opts.padding ?? 0);
  const d = pr(c.opts.dilation ?? 1);
  const ceil = c.opts.ceilMode ?? false;
  const oh = outSize(h, k[0], s[0], p[0], d[0], ceil);
  const ow = outSize(w, k[1], s[1], p[1], d[1], ceil);
  const out: number[] = [];
  for (let plane = 0; plane < n * ch; plane++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let best = -Infinity;
        let sum = 0;
        let inside = 0;
        let insidePadded = 0;
        for (let u = 0; u < k[0]; u++) {
          for (let v = 0; v < k[1]; v++) {
            const ih = i * s[0] - p[0] + u * d[0];
            const iw = j * s[1] - p[1] + v * d[1];
            if (ih >= -p[0] && ih < h + p[0] && iw >= -p[1] && iw < w + p[1]) insidePadded++;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            const val = x.data[plane * h * w + ih * w + iw]!;
            best = Math.max(best, val);
            sum += val;
            inside++;
          }
        }
        if (kind === 'max') out.push(best);
        else out.push(sum / (c.opts.divisorOverride ?? ((c.opts.countIncludePad ?? true) ? insidePadded : inside)));
      }
    }
  }
  return { data: out, shape: [n, ch, oh, ow] };
}

const MAX_CASES: PoolCase[] = [
  { name: 'k2 (stride = kernel)', x: [2, 3, 6, 6], k: 2, opts: {} },
  { name: 'k3 s2 p1', x: [1, 2, 7, 7], k: 3, opts: { stride: 2, padding: 1 } },
  { name: 'rectangular k [2,3] s [1,2]', x: [2, 2, 5, 7], k: [2, 3], opts: { stride: [1, 2] } },
  { name: 'dilation 2, padding 1', x: [1, 2, 7, 6], k: 3, opts: { stride: 1, padding: 1, dilation: 2 } },
  { name: 'ceilMode', x: [1, 2, 7, 6], k: 2, opts: { ceilMode: true } },
  { name: 'ceilMode with padding', x: [1, 1, 6, 6], k: 3, opts: { stride: 2, padding: 1, ceilMode: true } },
];

const AVG_CASES: PoolCase[] = [
  { name: 'k2 (stride = kernel)', x: [2, 3, 6, 6], k: 2, opts: {} },
  { name: 'k3 s2 p1, countIncludePad (default)', x: [1, 2, 7, 7], k: 3, opts: { stride: 2, padding: 1 } },
  {
    name: 'k3 s2 p1, countIncludePad false',
    x: [1, 2, 7, 7],
    k: 3,
    opts: { stride: 2, padding: 1, countIncludePad: false },
  },
  {
    name: 'rectangular k [2,3] s [1,2] p [1,1]',
    x: [2, 2, 5, 7],
    k: [2, 3],
    opts: { stride: [1, 2], padding: [1, 1] },
  },
  {
    name: 'ceilMode with padding (window past the padding)',
    x: [1, 2, 6, 6],
    k: 3,
    opts: { stride: 2, padding: 1, ceilMode: true },
  },
  { name: 'ceilMode, countIncludePad false', x: [1, 2, 7, 5], k: 2, opts: { ceilMode: true, countIncludePad: false } },
  { name: 'divisorOverride 5', x: [1, 2, 6, 6], k: 3, opts: { stride: 2, padding: 1, divisorOverride: 5 } },
];

describe('maxPool2d', () => {
  it.each(MAX_CASES.map((c) => [c.name, c] as const))('forward, %s, equals the naive max', (_, c) => {
    const x = randomTensor(c.x, 3);
    const ref = refPool('max', x, c);
    const y = F.maxPool2d(x, c.k, c.opts);
    expect(y.shape).toEqual(ref.shape);
    // a maximum is one of the inputs: exact
    expectClose(y, ref.data, { rtol: 0, atol: 0 }, c.name);
  });

  it.each(MAX_CASES.map((c) => [c.name, c] as const))('gradcheck, %s', (_, c) => {
    expectGradcheck((x) => F.maxPool2d(x!, c.k, c.opts), [randomTensor(c.x, 4)]);
  });

  it('sends the gradient of a tied window to its first maximum only (torch)', () => {
    const x = tensor(
      [
        [
          [
            [1, 1],
            [1, 1],
          ],
        ],
      ],
      undefined,
      { requiresGrad: true },
    );
    F.maxPool2d(x, 2).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
    ]);
  });

  it('accumulates the gradient of an element that wins several overlapping windows', () => {
    const x = tensor(
      [
        [
          [
            [0, 0, 0],
            [0, 5, 0],
            [0, 0, 0],
          ],
        ],
      ],
      undefined,
      { requiresGrad: true },
    );
    F.maxPool2d(x, 2, { stride: 1 }).sum().backward();
    expect(x.grad!.data[4]).toBe(4);
  });
});

describe('avgPool2d', () => {
  it.each(AVG_CASES.map((c) => [c.name, c] as const))('forward, %s, equals the naive average', (_, c) => {
    const x = randomTensor(c.x, 5);
    const ref = refPool('avg', x, c);
    const y = F.avgPool2d(x, c.k, c.opts);
    expect(y.shape).toEqual(ref.shape);
    // float64 sum of <= 9 float32 values, one division, one float32 rounding
    expectClose(y, ref.data, { rtol: 1e-6, atol: 1e-7 }, c.name);
  });

  it.each(AVG_CASES.map((c) => [c.name, c] as const))('gradcheck, %s', (_, c) => {
    expectGradcheck((x) => F.avgPool2d(x!, c.k, c.opts), [randomTensor(c.x, 6)]);
  });
});

describe('adaptiveAvgPool2d', () => {
  /** Windows [floor(i*H/oh), ceil((i+1)*H/oh)) per axis, written out. */
  function refAdaptive(x: Tensor, oh: number, ow: number): number[] {
    const [n, c, h, w] = x.shape as number[] as [number, number, number, number];
    const out: number[] = [];
    for (let plane = 0; plane < n * c; plane++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const rows = [Math.floor((i * h) / oh), Math.ceil(((i + 1) * h) / oh)] as const;
          const cols = [Math.floor((j * w) / ow), Math.ceil(((j + 1) * w) / ow)] as const;
          let sum = 0;
          for (let r = rows[0]; r < rows[1]; r++)
            for (let q = cols[0]; q < cols[1]; q++) sum += x.data[plane * h * w + r * w + q]!;
          out.push(sum / ((rows[1] - rows[0]) * (cols[1] - cols[0])));
        }
      }
    }
    return out;
  }

  const CASES: [string, number[], number | [number | null, number | null], [number, number]][] = [
    ['7x7 -> 3x3 (overlapping windows)', [2, 2, 7, 7], 3, [3, 3]],
    ['5x4 -> 2x3', [1, 3, 5, 4], [2, 3], [2, 3]],
    ['global (1)', [2, 4, 6, 5], 1, [1, 1]],
    ['null keeps the width', [1, 2, 6, 5], [2, null], [2, 5]],
    ['upsampling 3x3 -> 5x5', [1, 1, 3, 3], 5, [5, 5]],
  ];

  it.each(CASES)('forward, %s, equals the naive windows', (_, shape, size, out) => {
    const x = randomTensor(shape, 7);
    const y = F.adaptiveAvgPool2d(x, size);
    expect(y.shape).toEqual([shape[0], shape[1], ...out]);
    // float64 sums of float32 values, one float32 rounding
    expectClose(y, refAdaptive(x, out[0], out[1]), { rtol: 1e-6, atol: 1e-7 });
  });

  it.each(CASES)('gradcheck, %s', (_, shape, size) => {
    expectGradcheck((x) => F.adaptiveAvgPool2d(x!, size), [randomTensor(shape, 8)]);
  });
});

describe('pooling modules and errors', () => {
  it('MaxPool2d / AvgPool2d default the stride to the kernel size and hold no state', () => {
    const x = randomTensor([2, 3, 8, 8], 9, { requiresGrad: false });
    const max = new nn.MaxPool2d(2);
    const avg = new nn.AvgPool2d([2, 4]);
    expect(max.forward(x).shape).toEqual([2, 3, 4, 4]);
    expect(avg.forward(x).shape).toEqual([2, 3, 4, 2]);
    expect(new nn.AdaptiveAvgPool2d(1).forward(x).shape).toEqual([2, 3, 1, 1]);
    expect(Object.keys(max.stateDict())).toEqual([]);
    // exact: both sides run the same kernel on the same input
    expectClose(
      new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(x),
      F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
      { rtol: 0, atol: 0 },
    );
  });

  it('accepts one unbatched image [C, H, W]', () => {
    const x = randomTensor([3, 6, 6], 10, { requiresGrad: false });
    expect(F.maxPool2d(x, 2).shape).toEqual([3, 3, 3]);
    expect(F.avgPool2d(x, 3).shape).toEqual([3, 2, 2]);
    expect(F.adaptiveAvgPool2d(x, 2).shape).toEqual([3, 2, 2]);
  });

  it('does not mutate its input', () => {
    const x = randomTensor([1, 2, 5, 5], 11);
    expectInputsUnchanged([x], () => {
      F.maxPool2d(x, 2).sum().backward();
      F.avgPool2d(x, 2).sum().backward();
      F.adaptiveAvgPool2d(x, 2).sum().backward();
    });
  });

  it('names the argument in its errors', () => {
    const x = randomTensor([1, 2, 5, 5], 12);
    expect(() => F.maxPool2d(x, 2, { padding: 2 })).toThrow(
      'maxPool2d: padding should be at most half of the kernel size; kernelSize [2, 2], got padding [2, 2]',
    );
    expect(() => F.maxPool2d(x, 6)).toThrow(/maxPool2d: output size would be 0x0 for input \[1, 2, 5, 5\]/);
    expect(() => F.avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(
      'avgPool2d: divisorOverride must be a non-zero integer or null, got 0',
    );
    expect(() => F.avgPool2d(randomTensor([5, 5], 1), 2)).toThrow(
      /avgPool2d: input must be a Tensor of shape \[N, C, H, W\] or \[C, H, W\], got shape \[5, 5\]/,
    );
    expect(() => F.adaptiveAvgPool2d(x, 0)).toThrow(/adaptiveAvgPool2d: outputSize must be an integer >= 1/);
    expect(() => new nn.MaxPool2d(0)).toThrow('MaxPool2d: kernelSize must be an integer >= 1 or a pair of them, got 0');
  });
});
