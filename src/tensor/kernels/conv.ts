/**
 * The kernels of 2-D convolution: im2col and its adjoint col2im, and the whole forward and backward
 * built on them (conv2dForward, conv2dBackward, at the end of the file).
 *
 * Shape letters: N batch, C input channels, H x W input, kH x kW kernel, Ho x Wo output,
 * L = Ho * Wo output positions, K = C * kH * kW (one column of patch values).
 *
 * ## im2col
 * Copies every receptive field of x [N, C, H, W] into a column of cols [N, K, L]:
 *   cols[n, (c*kH + i)*kW + j, oh*Wo + ow] = x[n, c, oh*sH - padTop + i*dH, ow*sW - padLeft + j*dW]
 * (0 where the index falls into the zero padding). A convolution is then one matrix product per
 * image and group: y[n, o, l] = sum_k weight[o, k] * cols[n, k, l].
 *
 * ## col2im, the adjoint
 * im2col is linear in x, and col2im is its transpose: every column entry is added back to the input
 * element it was copied from, so dx = col2im(dcols). Elements covered by several windows receive the
 * sum of their copies' gradients; padding positions receive nothing.
 *
 * Derivation: docs/derivations/small-models.md.
 *
 * im2col and col2im walk rows of cols (one (c, i, j) triple at a time) so that the inner loop writes
 * or reads a contiguous run of Wo elements; they allocate nothing and write only their outputs.
 *
 * ## conv2dForward, conv2dBackward
 * The whole convolution, image by image, as the op (src/autograd/ops/conv.ts) defines it: im2col of
 * one image into a scratch column matrix, then matmul.ts's products per group. These are the
 * kernels the registry binds (`kernels().conv2dForward` / `conv2dBackward`); the wasm backend's
 * stand-ins are in src/wasm/conv.ts, held to these by test/wasm/conv.test.ts.
 */
import type { FloatArray } from '../dtype.js';
import { gemm, matmulNT, matmulTN } from './matmul.js';
import type { Window2d } from '../window.js';

export type { Window2d } from '../window.js';

/**
 * Output length of a sliding window along one axis:
 * floor((size + padTotal - dilation*(kernel-1) - 1) / stride) + 1.
 */
export function windowOutSize(
  size: number,
  kernel: number,
  stride: number,
  padTotal: number,
  dilation: number,
): number {
  return Math.floor((size + padTotal - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * The output columns ow whose input column ow*sW - padLeft + offset lies inside [0, w): the range
 * [lo, hi), so that the inner loops run without a bounds test (0 <= lo <= hi <= outW).
 */
function validColumns(w: number, sW: number, padLeft: number, offset: number, outW: number): [number, number] {
  const start = padLeft - offset; // ow*sW >= start
  const lo = Math.min(outW, Math.max(0, Math.ceil(start / sW)));
  const hi = Math.max(lo, Math.min(outW, Math.floor((w - 1 + start) / sW) + 1));
  return [lo, hi];
}

/** im2col: x [N, C, H, W] -> cols [N, C*kH*kW, outH*outW] (see the header). */
export function im2col(x: FloatArray, g: Window2d, cols: FloatArray): void {
  const { n, c, h, w, kH, kW, sH, sW, padTop, padLeft, dH, dW, outH, outW } = g;
  const L = outH * outW;
  const K = c * kH * kW;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const xPlane = (b * c + ch) * h * w;
      for (let i = 0; i < kH; i++) {
        for (let j = 0; j < kW; j++) {
          const row = b * K * L + ((ch * kH + i) * kW + j) * L;
          const [lo, hi] = validColumns(w, sW, padLeft, j * dW, outW);
          if (sH === 1 && sW === 1 && outW === w && lo < hi) {
            blockRows(x, xPlane, h, w, padTop - i * dH, j * dW - padLeft, lo, hi, outH, cols, row);
            continue;
          }
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * sH - padTop + i * dH;
            const o0 = row + oh * outW;
            if (ih < 0 || ih >= h) {
              for (let ow = 0; ow < outW; ow++) cols[o0 + ow] = 0;
              continue;
            }
            for (let ow = 0; ow < lo; ow++) cols[o0 + ow] = 0;
            // x column of ow: ow*sW - padLeft + j*dW
            const xAt = xPlane + ih * w - padLeft + j * dW;
            for (let ow = lo; ow < hi; ow++) cols[o0 + ow] = x[xAt + ow * sW]!;
            for (let ow = hi; ow < outW; ow++) cols[o0 + ow] = 0;
          }
        }
      }
    }
  }
}

/**
 * One row of cols for stride 1 when an output row is as wide as an input row (`same` padding): the
 * output rows whose input row ih = oh - shiftRows lies inside the plane read consecutive input rows,
 * so their valid columns [lo, hi) come in one `set` of a contiguous block of x (input column
 * ow + shiftCols); the entries that block wrote outside [lo, hi) (neighbouring rows' values) and the
 * rows outside the plane are then zeroed. Equals the per-row loop of `im2col`.
 */
function blockRows(
  x: FloatArray,
  xPlane: number,
  h: number,
  w: number,
  shiftRows: number,
  shiftCols: number,
  lo: number,
  hi: number,
  outH: number,
  cols: FloatArray,
  row: number,
): void {
  const ohLo = Math.min(outH, Math.max(0, shiftRows));
  const ohHi = Math.max(ohLo, Math.min(outH, h + shiftRows));
  cols.fill(0, row, row + ohLo * w);
  cols.fill(0, row + ohHi * w, row + outH * w);
  if (ohLo === ohHi) return;
  const first = row + ohLo * w + lo;
  const last = row + (ohHi - 1) * w + hi;
  const src = xPlane + (ohLo - shiftRows) * w + lo + shiftCols;
  cols.set(x.subarray(src, src + (last - first)), first);
  for (let oh = ohLo; oh < ohHi; oh++) {
    const o0 = row + oh * w;
    for (let ow = 0; ow < lo; ow++) cols[o0 + ow] = 0;
    for (let ow = hi; ow < w; ow++) cols[o0 + ow] = 0;
  }
}

/** col2im: dx [N, C, H, W] = the adjoint of im2col applied to dcols [N, C*kH*kW, outH*outW]. Overwrites dx. */
export function col2im(dcols: FloatArray, g: Window2d, dx: FloatArray): void {
  const { n, c, h, w, kH, kW, sH, sW, padTop, padLeft, dH, dW, outH, outW } = g;
  const L = outH * outW;
  const K = c * kH * kW;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const xPlane = (b * c + ch) * h * w;
      for (let i = 0; i < kH; i++) {
        for (let j = 0; j < kW; j++) {
          const row = b * K * L + ((ch * kH + i) * kW + j) * L;
          const [lo, hi] = validColumns(w, sW, padLeft, j * dW, outW);
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * sH - padTop + i * dH;
            if (ih < 0 || ih >= h) continue;
            const o0 = row + oh * outW;
            const xAt = xPlane + ih * w - padLeft + j * dW;
            for (let ow = lo; ow < hi; ow++) dx[xAt + ow * sW] += dcols[o0 + ow]!;
          }
        }
      }
    }
  }
}

/**
 * A buffer of `size` elements of x's float type: the kernels' scratch (a column matrix, a product).
 * Fresh zeroed memory; not from the pool, since nothing here may outlive the call.
 */
function scratchLike(x: FloatArray, size: number): FloatArray {
  return x instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
}

/** The geometry of image b alone: the same window on a batch of one. */
function oneImage(g: Window2d): Window2d {
  return { ...g, n: 1 };
}

/**
 * O, the output channels: the weight's rows, or, when the weight is empty (no input channels, so
 * K = 0 and every output is the bias alone), the channels of the output y (or dy) [N, O, outH, outW].
 */
function outChannels(weight: FloatArray, out: FloatArray, g: Window2d, groups: number): number {
  const k = (g.c / groups) * g.kH * g.kW;
  if (k > 0) return weight.length / k;
  const perChannel = g.n * g.outH * g.outW;
  return perChannel > 0 ? out.length / perChannel : 0;
}

/**
 * conv2d forward, image by image: y[b] = weight @ im2col(x[b]) (+ bias), per group.
 * x [N, C, H, W], weight [O, C/G, kH, kW] (read as [G, O/G, K]), bias [O] or null, y [N, O, outH, outW]
 * (overwritten); K = C/G * kH * kW, L = outH * outW. Each output is one float64 dot product of K
 * terms (matmul.ts's gemm) rounded once; the bias is then added in the output's precision.
 * The op (src/autograd/ops/conv.ts) and its derivation (docs/derivations/small-models.md) use the
 * same decomposition; the wasm backend's stand-in is src/wasm/conv.ts.
 */
export function conv2dForward(
  x: FloatArray,
  weight: FloatArray,
  bias: FloatArray | null,
  g: Window2d,
  groups: number,
  y: FloatArray,
): void {
  const o = outChannels(weight, y, g, groups);
  const [og, k, L] = [o / groups, (g.c / groups) * g.kH * g.kW, g.outH * g.outW];
  const image = oneImage(g);
  const cols = scratchLike(x, g.c * g.kH * g.kW * L);
  const acc = new Float64Array(L);
  for (let b = 0; b < g.n; b++) {
    im2col(x.subarray(b * g.c * g.h * g.w, (b + 1) * g.c * g.h * g.w), image, cols);
    for (let gi = 0; gi < groups; gi++) {
      gemm(weight, gi * og * k, cols, gi * k * L, y, (b * o + gi * og) * L, og, k, L, acc);
    }
  }
  if (bias !== null) {
    for (let b = 0; b < g.n; b++) {
      for (let ch = 0; ch < o; ch++) {
        const at = (b * o + ch) * L;
        const v = bias[ch]!;
        for (let l = 0; l < L; l++) y[at + l] += v;
      }
    }
  }
}

/**
 * conv2d backward from dy [N, O, outH, outW], each output optional (null: not wanted), overwritten:
 *   dweight[g] = sum over b of dy[b, g] @ im2col(x[b], g)^T     [O/G, K] per group
 *   dx[b]      = col2im(weight[g]^T @ dy[b, g])                  per image, all groups' rows
 *   dbias[o]   = sum over b, l of dy[b, o, l]
 * The column matrix is recomputed from x (the op saves x, not the columns). Products are float64
 * dot products rounded once per image (matmul.ts's matmulNT / matmulTN); the weight gradient and
 * the bias gradient sum their per-image terms in float64 and round once.
 */
export function conv2dBackward(
  x: FloatArray,
  weight: FloatArray,
  dy: FloatArray,
  g: Window2d,
  groups: number,
  dx: FloatArray | null,
  dweight: FloatArray | null,
  dbias: FloatArray | null,
): void {
  const o = dbias?.length ?? outChannels(weight, dy, g, groups);
  const [og, k, L] = [o / groups, (g.c / groups) * g.kH * g.kW, g.outH * g.outW];
  const image = oneImage(g);
  const planes = g.c * g.h * g.w;
  const cols = scratchLike(x, g.c * g.kH * g.kW * L);
  const product = scratchLike(x, og * k);
  const dwSum = new Float64Array(dweight === null ? 0 : o * k);
  for (let b = 0; b < g.n; b++) {
    const dyAt = (gi: number): FloatArray => dy.subarray((b * o + gi * og) * L, (b * o + (gi + 1) * og) * L);
    if (dweight !== null) {
      im2col(x.subarray(b * planes, (b + 1) * planes), image, cols);
      for (let gi = 0; gi < groups; gi++) {
        matmulNT(dyAt(gi), cols.subarray(gi * k * L, (gi + 1) * k * L), product, og, L, k);
        for (let t = 0; t < og * k; t++) dwSum[gi * og * k + t] += product[t]!;
      }
    }
    if (dx !== null) {
      for (let gi = 0; gi < groups; gi++) {
        const w = weight.subarray(gi * og * k, (gi + 1) * og * k);
        matmulTN(w, dyAt(gi), cols.subarray(gi * k * L, (gi + 1) * k * L), k, og, L);
      }
      col2im(cols, image, dx.subarray(b * planes, (b + 1) * planes));
    }
  }
  if (dweight !== null) for (let t = 0; t < o * k; t++) dweight[t] = dwSum[t]!;
  if (dbias !== null) {
    for (let ch = 0; ch < o; ch++) {
      let sum = 0;
      for (let b = 0; b < g.n; b++) {
        const at = (b * o + ch) * L;
        for (let l = 0; l < L; l++) sum += dy[at + l]!;
      }
      dbias[ch] = sum;
    }
  }
}
