/**
 * 2-D pooling ops (torch.nn.functional.max_pool2d, avg_pool2d, adaptive_avg_pool2d).
 * x [N, C, H, W] (or one image [C, H, W]) -> y [N, C, outH, outW]. The window arithmetic and the
 * backward rules (max: route dy to the argmax; average: spread dy / divisor over the window) are in
 * the header of `src/tensor/kernels/pool.ts`.
 *
 * Output size along an axis: floor or, with ceilMode, ceil of
 * (size + 2*padding - dilation*(kernel-1) - 1) / stride, plus 1; with ceilMode the last window
 * must start inside the input or its left padding (torch's rule).
 */
import { allocateFloat } from '../../tensor/dtype.js';
import type { Window2d } from '../../tensor/kernels/conv.js';
import { kernels } from '../../kernels/registry.js';
import { adaptiveAvgPoolWindows, avgPoolWindows, type AvgWindows } from '../../tensor/kernels/pool.js';
import { checkBoolean, checkOptions, describeValue } from '../../tensor/check.js';
import { checkSize, fmtShape } from '../../tensor/shape.js';
import { checkTensor } from '../check.js';
import { floatData } from '../dtypeCheck.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';
import { pair, type IntPair } from './conv.js';

/**
 * Options of `maxPool2d`.
 * @example maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true })
 */
export interface MaxPool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: IntPair | null;
  /** Implicit -inf padding on each side (default 0, at most half the kernel). */
  padding?: IntPair;
  /** Spacing between window taps (default 1). */
  dilation?: IntPair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/**
 * Options of `avgPool2d`.
 * @example avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false })
 */
export interface AvgPool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: IntPair | null;
  /** Implicit zero padding on each side (default 0, at most half the kernel). */
  padding?: IntPair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count padding positions in the divisor (default true, like torch). */
  countIncludePad?: boolean;
  /** Divide every window sum by this instead of its size (default null). */
  divisorOverride?: number | null;
}

/** Output length along one axis (see the header). */
function pooledSize(size: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * A 2-D pool's window arguments, checked and resolved: kernel, stride, padding and dilation as
 * [H, W] pairs. `MaxPool2d` and `AvgPool2d` resolve theirs once, when built.
 */
export interface PoolWindow {
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  ceilMode: boolean;
}

/** An average pool's window and its divisor rules, checked and resolved. */
export interface AvgPoolWindow extends PoolWindow {
  countIncludePad: boolean;
  divisorOverride: number | null;
}

/** Checks kernelSize and the window options as torch does (padding at most half the kernel). */
function checkWindow(where: string, kernelSize: IntPair, o: MaxPool2dOptions): PoolWindow {
  const k = pair(kernelSize, where, 'kernelSize', 1);
  const s = o.stride === undefined || o.stride === null ? k : pair(o.stride, where, 'stride', 1);
  const p = pair(o.padding ?? 0, where, 'padding', 0);
  const d = pair(o.dilation ?? 1, where, 'dilation', 1);
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
    throw new Error(
      `${where}: padding should be at most half of the kernel size; kernelSize [${k.join(', ')}], got ` +
        `padding [${p.join(', ')}]`,
    );
  }
  const ceilMode = checkBoolean(o.ceilMode ?? false, where, 'ceilMode');
  return { k, s, p, d, ceilMode };
}

/** `maxPool2d`'s kernelSize and options, checked under `where` and resolved. */
export function checkMaxPool2dOptions(where: string, kernelSize: IntPair, opts: MaxPool2dOptions = {}): PoolWindow {
  return checkWindow(where, kernelSize, checkOptions(opts, where));
}

/** `avgPool2d`'s kernelSize and options, checked under `where` and resolved. */
export function checkAvgPool2dOptions(where: string, kernelSize: IntPair, opts: AvgPool2dOptions = {}): AvgPoolWindow {
  opts = checkOptions(opts, where);
  // avgPool2d has no dilation: the window check sees none
  const win = checkWindow(where, kernelSize, { ...opts, dilation: 1 });
  const countIncludePad = checkBoolean(opts.countIncludePad ?? true, where, 'countIncludePad');
  const divisorOverride = opts.divisorOverride ?? null;
  // Like torch: an int (a float is a TypeError there), and not zero.
  if (divisorOverride !== null && (!Number.isInteger(divisorOverride) || divisorOverride === 0)) {
    throw new Error(
      `${where}: divisorOverride must be a non-zero integer or null, got ${describeValue(divisorOverride)}`,
    );
  }
  return { ...win, countIncludePad, divisorOverride };
}

/** Validates x against a checked window, and builds the geometry. */
function poolGeometry(where: string, x: Tensor, win: PoolWindow): Window2d {
  checkTensor(x, where, 'input');
  if (x.ndim !== 4) {
    throw new Error(
      `${where}: input must be a Tensor of shape [N, C, H, W] or [C, H, W], got shape ${fmtShape(x.shape)}`,
    );
  }
  const { k, s, p, d, ceilMode } = win;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const outH = pooledSize(h, k[0], s[0], p[0], d[0], ceilMode);
  const outW = pooledSize(w, k[1], s[1], p[1], d[1], ceilMode);
  if (outH < 1 || outW < 1) {
    throw new Error(
      `${where}: output size would be ${outH}x${outW} for input ${fmtShape(x.shape)} and kernelSize ` +
        `[${k.join(', ')}]; expected at least 1x1`,
    );
  }
  checkSize([n, c, outH, outW], where, 'output shape');
  return {
    n,
    c,
    h,
    w,
    kH: k[0],
    kW: k[1],
    sH: s[0],
    sW: s[1],
    padTop: p[0],
    padLeft: p[1],
    dH: d[0],
    dW: d[1],
    outH,
    outW,
  };
}

/** An adaptive pool's output size: a positive integer, or a pair of them (null keeps that input size). */
export function checkOutputSize(
  outputSize: number | readonly [number | null, number | null],
  where: string,
): readonly [number | null, number | null] {
  const req = typeof outputSize === 'number' ? ([outputSize, outputSize] as const) : outputSize;
  const ok = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1);
  if (!Array.isArray(req) || req.length !== 2 || !ok(req[0]) || !ok(req[1])) {
    throw new Error(
      `${where}: outputSize must be an integer >= 1 or a pair of them (null keeps that input size), ` +
        `got ${describeValue(outputSize)}`,
    );
  }
  return req;
}

/** Runs `fn` on a batch of one when x is a single image [C, H, W]. */
function batched(x: Tensor, where: string, fn: (xb: Tensor) => Tensor): Tensor {
  checkTensor(x, where, 'input');
  return x.ndim === 3 ? fn(x.unsqueeze(0)).squeeze(0) : fn(x);
}

/**
 * Max pooling: each output is the maximum of its window. d/dx: dy goes to the window's maximum.
 * @example maxPool2d(randn([1, 3, 8, 8]), 2)  // [1, 3, 4, 4]
 */
export function maxPool2d(x: Tensor, kernelSize: IntPair, opts: MaxPool2dOptions = {}): Tensor {
  return maxPool2dAs('maxPool2d', x, checkMaxPool2dOptions('maxPool2d', kernelSize, opts));
}

/** `maxPool2d` under the name of its caller (nn.MaxPool2d passes 'MaxPool2d' and its checked window). */
export function maxPool2dAs(where: string, x: Tensor, win: PoolWindow): Tensor {
  return batched(x, where, (xb) => {
    const geom = poolGeometry(where, xb, win);
    const shape = [geom.n, geom.c, geom.outH, geom.outW];
    const xd = floatData(xb, where);
    const y = allocateFloat(xd, geom.n * geom.c * geom.outH * geom.outW);
    const argmax = new Int32Array(y.length);
    kernels().maxPool2dForward(xd, geom, y, argmax);
    return record(
      new Tensor(y, shape),
      'maxPool2d',
      [xb],
      (g) => {
        const gd = floatData(g, 'maxPool2d', 'grad');
        const dx = allocateFloat(gd, xb.size);
        kernels().maxPool2dBackward(gd, argmax, dx);
        return [new Tensor(dx, xb.shape)];
      },
      { window: win },
    );
  });
}

/**
 * Average pooling: y = sum of the window / divisor (torch's countIncludePad and divisorOverride
 * rules). d/dx: every element of a window receives dy / divisor.
 * @example avgPool2d(randn([1, 3, 8, 8]), 3, { stride: 2, padding: 1 })  // [1, 3, 4, 4]
 */
export function avgPool2d(x: Tensor, kernelSize: IntPair, opts: AvgPool2dOptions = {}): Tensor {
  return avgPool2dAs('avgPool2d', x, checkAvgPool2dOptions('avgPool2d', kernelSize, opts));
}

/** `avgPool2d` under the name of its caller (nn.AvgPool2d passes 'AvgPool2d' and its checked window). */
export function avgPool2dAs(where: string, x: Tensor, win: AvgPoolWindow): Tensor {
  return batched(x, where, (xb) => {
    const geom = poolGeometry(where, xb, win);
    const { countIncludePad, divisorOverride } = win;
    const windows = avgPoolWindows(geom, { countIncludePad, divisorOverride });
    return averageOverWindows(xb, windows, 'avgPool2d', where, { window: win });
  });
}

/** y = window sums / divisors over the table `win`, recorded with its backward (spread dy / divisor). */
function averageOverWindows(
  x: Tensor,
  win: AvgWindows,
  name: string,
  where = name,
  attrs?: Record<string, unknown>,
): Tensor {
  const shape = [x.shape[0]!, x.shape[1]!, win.outH, win.outW];
  const xd = floatData(x, where);
  const y = allocateFloat(xd, win.planes * win.outH * win.outW);
  kernels().avgPoolForward(xd, win, y);
  return record(
    new Tensor(y, shape),
    name,
    [x],
    (g) => {
      const gd = floatData(g, name, 'grad');
      const dx = allocateFloat(gd, x.size);
      kernels().avgPoolBackward(gd, win, dx);
      return [new Tensor(dx, x.shape)];
    },
    attrs,
  );
}

/**
 * Adaptive average pooling to a fixed output size: window rows [floor(i*H/outH), ceil((i+1)*H/outH)),
 * columns likewise; y = mean of the window. `null` in outputSize keeps that input size.
 * @example adaptiveAvgPool2d(randn([2, 16, 7, 7]), 1)  // [2, 16, 1, 1]
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  return adaptiveAvgPool2dAs('adaptiveAvgPool2d', x, outputSize);
}

/** `adaptiveAvgPool2d` under the name of its caller (nn.AdaptiveAvgPool2d passes 'AdaptiveAvgPool2d'). */
export function adaptiveAvgPool2dAs(
  where: string,
  x: Tensor,
  outputSize: number | readonly [number | null, number | null],
): Tensor {
  return batched(x, where, (xb) => {
    if (xb.ndim !== 4) {
      throw new Error(
        `${where}: input must be a Tensor of shape [N, C, H, W] or [C, H, W], got shape ${fmtShape(xb.shape)}`,
      );
    }
    const [n, c, h, w] = xb.shape as [number, number, number, number];
    const req = checkOutputSize(outputSize, where);
    const sizes = pair([req[0] ?? h, req[1] ?? w], where, 'outputSize', 1);
    checkSize([n, c, sizes[0], sizes[1]], where, 'output shape');
    if (h === 0 || w === 0) throw new Error(`${where}: input spatial size must be non-zero, got ${fmtShape(xb.shape)}`);
    return averageOverWindows(xb, adaptiveAvgPoolWindows(n * c, h, w, sizes[0], sizes[1]), 'adaptiveAvgPool2d', where);
  });
}
