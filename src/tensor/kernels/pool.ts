/**
 * 2-D pooling kernels: max, average and adaptive average, each forward beside its backward.
 * x [N, C, H, W] -> y [N, C, outH, outW]; every (n, c) plane is pooled on its own.
 *
 * ## Max pooling
 *   y[oh, ow] = max over taps (i, j) inside the input of x[oh*sH - padTop + i*dH, ow*sW - padLeft + j*dW]
 * Padding positions never win (they act as -inf). The forward writes `argmax`, the flat index into x
 * of the winning element (the first one on ties; a NaN always takes over, as in torch's CPU kernel), and the backward
 * routes each output gradient there:  dx[argmax[o]] += dy[o].
 *
 * ## Average pooling (torch's avg_pool2d, no dilation)
 *   window rows [hs, he) with hs = oh*sH - padTop, he = min(hs + kH, H + padTop)  (same for columns)
 *   y = sum of x over the window clipped to the input / divisor, where the divisor is
 *   divisorOverride if given, else the window area before clipping to the input (countIncludePad),
 *   else the area after clipping.
 * Backward: every element of the clipped window receives dy / divisor.
 *
 * ## Adaptive average pooling
 *   rows [floor(oh*H/outH), ceil((oh+1)*H/outH)), columns likewise; y = mean over that window;
 *   backward: dx += dy / window area.
 *
 * Derivations: docs/derivations/small-models.md.
 *
 * Both averages run on one pair of loops over a table of windows (`AvgWindows`) built once per call.
 */
import type { FloatArray } from '../dtype.js';
import type { AvgWindows, Window2d } from '../window.js';

export type { AvgWindows };

/**
 * Max pooling forward: writes y and, per output element, the flat index of its maximum in x (-1 if none).
 * The taps that fall inside the input are found once per call (rows per oh, columns per ow, as
 * ranges of i and j), so the inner loops only compare; taps are visited in the same order (i, then j)
 * as a plain loop over the window with a bounds test.
 */
export function maxPool2dForward(x: FloatArray, g: Window2d, y: FloatArray, argmax: Int32Array): void {
  const { n, c, h, w, kH, kW, sH, sW, padTop, padLeft, dH, dW, outH, outW } = g;
  const rows = validTaps(h, kH, sH, padTop, dH, outH);
  const cols = validTaps(w, kW, sW, padLeft, dW, outW);
  for (let plane = 0; plane < n * c; plane++) {
    const x0 = plane * h * w;
    const y0 = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const iLo = rows[2 * oh]!;
      const iHi = rows[2 * oh + 1]!;
      const rowAt = x0 + (oh * sH - padTop) * w;
      for (let ow = 0; ow < outW; ow++) {
        const jLo = cols[2 * ow]!;
        const jHi = cols[2 * ow + 1]!;
        const colAt = rowAt + ow * sW - padLeft;
        if (iHi - iLo === 2 && jHi - jLo === 2) {
          // A whole 2 x 2 window (every window of 2 x 2 pooling): the same four steps, unrolled.
          const p0 = colAt + iLo * dH * w + jLo * dW;
          const p2 = p0 + dH * w;
          let at = p0;
          let b = x[p0]!;
          let v = x[p0 + dW]!;
          if (v > b || v !== v) {
            b = v;
            at = p0 + dW;
          }
          v = x[p2]!;
          if (v > b || v !== v) {
            b = v;
            at = p2;
          }
          v = x[p2 + dW]!;
          if (v > b || v !== v) {
            b = v;
            at = p2 + dW;
          }
          y[y0 + oh * outW + ow] = b;
          argmax[y0 + oh * outW + ow] = at;
          continue;
        }
        let best = -Infinity;
        let bestAt = -1;
        for (let i = iLo; i < iHi; i++) {
          const tapRow = colAt + i * dH * w;
          for (let j = jLo; j < jHi; j++) {
            const at = tapRow + j * dW;
            const v = x[at]!;
            if (v > best || Number.isNaN(v) || bestAt < 0) {
              best = v;
              bestAt = at;
            }
          }
        }
        y[y0 + oh * outW + ow] = best;
        argmax[y0 + oh * outW + ow] = bestAt;
      }
    }
  }
}

/**
 * For each output position o along one axis, the taps t whose input index o*stride - pad + t*dilation
 * lies inside [0, size): the range [taps[2o], taps[2o + 1]) (empty when none does).
 */
function validTaps(
  size: number,
  kernel: number,
  stride: number,
  pad: number,
  dilation: number,
  out: number,
): Int32Array {
  const taps = new Int32Array(2 * out);
  for (let o = 0; o < out; o++) {
    let lo = 0;
    while (lo < kernel && o * stride - pad + lo * dilation < 0) lo++;
    let hi = lo;
    while (hi < kernel && o * stride - pad + hi * dilation < size) hi++;
    taps[2 * o] = lo;
    taps[2 * o + 1] = hi;
  }
  return taps;
}

/** Max pooling backward: dx (overwritten) receives each dy at its argmax. */
export function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray): void {
  dx.fill(0);
  for (let o = 0; o < dy.length; o++) {
    const at = argmax[o]!;
    if (at >= 0) dx[at] += dy[o]!;
  }
}

/** Options of average pooling that change the divisor. */
export interface AvgPoolDivisor {
  /** Count padding positions in the divisor (torch's default true). */
  readonly countIncludePad: boolean;
  /** Divide by this number instead (null: use the window area). */
  readonly divisorOverride: number | null;
}

/** The windows of torch's avg_pool2d: clipped to the input, divisor per countIncludePad / divisorOverride. */
export function avgPoolWindows(g: Window2d, d: AvgPoolDivisor): AvgWindows {
  const bounds = new Int32Array(g.outH * g.outW * 4);
  const divisor = new Float64Array(g.outH * g.outW);
  for (let oh = 0; oh < g.outH; oh++) {
    for (let ow = 0; ow < g.outW; ow++) {
      const p = oh * g.outW + ow;
      const hs = oh * g.sH - g.padTop;
      const ws = ow * g.sW - g.padLeft;
      const he = Math.min(hs + g.kH, g.h + g.padTop);
      const we = Math.min(ws + g.kW, g.w + g.padLeft);
      const padded = (he - hs) * (we - ws);
      bounds[4 * p] = Math.max(hs, 0);
      bounds[4 * p + 1] = Math.min(he, g.h);
      bounds[4 * p + 2] = Math.max(ws, 0);
      bounds[4 * p + 3] = Math.min(we, g.w);
      const inside = (bounds[4 * p + 1]! - bounds[4 * p]!) * (bounds[4 * p + 3]! - bounds[4 * p + 2]!);
      divisor[p] = d.divisorOverride ?? (d.countIncludePad ? padded : inside);
    }
  }
  return { planes: g.n * g.c, h: g.h, w: g.w, outH: g.outH, outW: g.outW, bounds, divisor };
}

/**
 * The windows of adaptive average pooling: [floor(o*size/out), ceil((o+1)*size/out)) per axis,
 * divided by their area.
 */
export function adaptiveAvgPoolWindows(planes: number, h: number, w: number, outH: number, outW: number): AvgWindows {
  const bounds = new Int32Array(outH * outW * 4);
  const divisor = new Float64Array(outH * outW);
  for (let oh = 0; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      const p = oh * outW + ow;
      bounds[4 * p] = Math.floor((oh * h) / outH);
      bounds[4 * p + 1] = Math.ceil(((oh + 1) * h) / outH);
      bounds[4 * p + 2] = Math.floor((ow * w) / outW);
      bounds[4 * p + 3] = Math.ceil(((ow + 1) * w) / outW);
      divisor[p] = (bounds[4 * p + 1]! - bounds[4 * p]!) * (bounds[4 * p + 3]! - bounds[4 * p + 2]!);
    }
  }
  return { planes, h, w, outH, outW, bounds, divisor };
}

/** Average pooling forward: y = sum of x over each window / its divisor. */
export function avgPoolForward(x: FloatArray, win: AvgWindows, y: FloatArray): void {
  const { planes, h, w, bounds, divisor } = win;
  const outSize = win.outH * win.outW;
  for (let p = 0; p < outSize; p++) {
    const hs = bounds[4 * p]!,
      he = bounds[4 * p + 1]!,
      ws = bounds[4 * p + 2]!,
      we = bounds[4 * p + 3]!;
    for (let plane = 0; plane < planes; plane++) {
      const x0 = plane * h * w;
      let acc = 0;
      for (let ih = hs; ih < he; ih++) {
        for (let iw = ws; iw < we; iw++) acc += x[x0 + ih * w + iw]!;
      }
      y[plane * outSize + p] = acc / divisor[p]!;
    }
  }
}

/** Average pooling backward: dx (overwritten) += dy / divisor over each window. */
export function avgPoolBackward(dy: FloatArray, win: AvgWindows, dx: FloatArray): void {
  const { planes, h, w, bounds, divisor } = win;
  const outSize = win.outH * win.outW;
  dx.fill(0);
  for (let p = 0; p < outSize; p++) {
    const hs = bounds[4 * p]!,
      he = bounds[4 * p + 1]!,
      ws = bounds[4 * p + 2]!,
      we = bounds[4 * p + 3]!;
    for (let plane = 0; plane < planes; plane++) {
      const x0 = plane * h * w;
      const share = dy[plane * outSize + p]! / divisor[p]!;
      for (let ih = hs; ih < he; ih++) {
        for (let iw = ws; iw < we; iw++) dx[x0 + ih * w + iw] += share;
      }
    }
  }
}
