/**
 * 2-D convolution as im2col + matrix product (torch.nn.functional.conv2d semantics).
 *
 * Shapes: x [N, C, H, W], weight [O, C/G, kH, kW], bias [O], y [N, O, Ho, Wo]; G groups,
 * K = C/G * kH * kW values per patch and group, L = Ho * Wo output positions.
 *
 *   cols = im2col(x)                                  [N, G, K, L]   (kernels/conv.ts)
 *   y    = weight.reshape([G, O/G, K]) @ cols         [N, G, O/G, L] (batched matmul, weight broadcast over N)
 *   y    = y.reshape([N, O, Ho, Wo]) + bias[o]
 *
 * Backward comes from the pieces, each with its own rule:
 *   dweight = sum over n of dy @ cols^T      (matmul's rule; the engine sums the broadcast N axis)
 *   dcols   = weight^T @ dy                  (matmul's rule)
 *   dx      = col2im(dcols)                  (the adjoint of im2col, below)
 *   dbias   = sum of dy over N, Ho, Wo       (add's rule; the engine sums the broadcast axes)
 * Derivation: docs/derivations/small-models.md.
 *
 * Why im2col rather than a direct kernel (`npx tsx bench/conv.ts`, forward + backward, Node 20, the
 * CNN example's shapes: batch 32, 1->8 channels at 28x28 and 8->16 at 14x14, 3x3 kernels):
 *                       im2col + matmul    direct 7-loop kernel (inner loop along an output row)
 *   'wasm' backend      3.0 ms, 5.0 ms     7.7 ms, 27 ms
 *   'js' backend        12 ms, 28 ms       7.2 ms, 20 ms
 * With the TypeScript matmul the direct kernel is ~1.5x faster, but the default backend is the
 * WebAssembly SIMD one, and there im2col wins 2.5-5x because all the arithmetic runs in the tuned
 * matmul, which streams contiguous rows of L outputs; the direct kernel's taps (kW = 3) are too
 * short to vectorise. im2col also keeps this file to one small new kernel pair.
 */
import { allocateFloat } from '../../tensor/dtype.js';
import { col2im, im2col, windowOutSize, type Window2d } from '../../tensor/kernels/conv.js';
import { checkOptions, describeValue } from '../../tensor/check.js';
import { checkSize, fmtShape } from '../../tensor/shape.js';
import { checkOptionalTensor, checkTensor } from '../check.js';
import { floatData } from '../dtypeCheck.js';
import { handOver } from '../handOver.js';
import { record, recordPassThrough } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

/**
 * An integer or a [height, width] pair, as torch's `_pair` arguments.
 * @example const stride: IntPair = [2, 1]  // 2 down, 1 across; `2` means [2, 2]
 */
export type IntPair = number | readonly [number, number];

/** Normalizes an int-or-pair argument to `[h, w]`, checking each is an integer >= `min`. */
export function pair(value: IntPair, where: string, argName: string, min: number): [number, number] {
  const v: readonly number[] = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(v) && typeof value !== 'number') {
    throw new Error(`${where}: ${argName} must be an integer or a [h, w] pair, got ${describeValue(value)}`);
  }
  if (v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${where}: ${argName} must be an integer >= ${min} or a pair of them, got ${describeValue(value)}`);
  }
  return [v[0]!, v[1]!];
}

/**
 * Options of `conv2d` (torch's names in camelCase).
 * @example conv2d(x, weight, bias, { stride: 2, padding: 1, dilation: 1, groups: 1 })
 */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: IntPair;
  /**
   * Zero padding on each side (default 0), or `'valid'` (none) / `'same'` (output size = input
   * size; stride 1 only; when the total is odd the extra row/column goes after, like torch).
   */
  padding?: IntPair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: IntPair;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

/** Padding before each spatial axis, and the total (before + after), resolved from the options. */
function resolvePadding(
  padding: Conv2dOptions['padding'],
  k: [number, number],
  d: [number, number],
  s: [number, number],
  where: string,
): { before: [number, number]; total: [number, number] } {
  if (padding === 'valid') return { before: [0, 0], total: [0, 0] };
  if (padding === 'same') {
    if (s[0] !== 1 || s[1] !== 1) {
      throw new Error(
        `${where}: padding='same' is not supported for strided convolutions; expected stride 1, got [${s.join(', ')}]`,
      );
    }
    const total: [number, number] = [d[0] * (k[0] - 1), d[1] * (k[1] - 1)];
    return { before: [Math.floor(total[0] / 2), Math.floor(total[1] / 2)], total };
  }
  const p = pair(padding ?? 0, where, 'padding', 0);
  return { before: p, total: [2 * p[0], 2 * p[1]] };
}

/**
 * 2-D convolution (cross-correlation, like torch):
 * y[n, o, i, j] = bias[o] + sum over c in o's group, u, v of weight[o, c, u, v] * xpad[n, c, i*sH + u*dH, j*sW + v*dW].
 * Accepts a batch [N, C, H, W] or one image [C, H, W].
 * @example conv2d(randn([1, 3, 8, 8]), randn([4, 3, 3, 3]), null, { padding: 1 })  // [1, 4, 8, 8]
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  opts = checkOptions(opts, 'conv2d');
  const where = 'conv2d';
  checkTensor(x, where, 'input');
  checkTensor(weight, where, 'weight');
  checkOptionalTensor(bias, where, 'bias');
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new Error(
      `${where}: input must be a Tensor of shape [N, C, H, W] or [C, H, W], got shape ${fmtShape(x.shape)}`,
    );
  }
  floatData(x, where);
  if (x.ndim === 3) return conv2d(x.unsqueeze(0), weight, bias, opts).squeeze(0);
  if (weight.ndim !== 4) {
    throw new Error(
      `${where}: weight must be a Tensor of shape [outChannels, inChannels/groups, kH, kW], got shape ` +
        `${fmtShape(weight.shape)}`,
    );
  }
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new Error(`${where}: groups must be a positive integer, got ${describeValue(groups)}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kH, kW] = weight.shape as [number, number, number, number];
  if (cg * groups !== c) {
    throw new Error(
      `${where}: input has ${c} channels but weight ${fmtShape(weight.shape)} with groups=${groups} ` +
        `expects ${cg * groups} (weight.shape[1] * groups)`,
    );
  }
  if (o % groups !== 0) throw new Error(`${where}: weight.shape[0] (${o}) must be divisible by groups (${groups})`);
  if (bias !== null && bias !== undefined && (bias.ndim !== 1 || bias.shape[0] !== o)) {
    throw new Error(`${where}: bias must be null or a Tensor of shape [${o}], got shape ${fmtShape(bias.shape)}`);
  }
  const stride = pair(opts.stride ?? 1, where, 'stride', 1);
  const dilation = pair(opts.dilation ?? 1, where, 'dilation', 1);
  const pad = resolvePadding(opts.padding, [kH, kW], dilation, stride, where);
  const outH = windowOutSize(h, kH, stride[0], pad.total[0], dilation[0]);
  const outW = windowOutSize(w, kW, stride[1], pad.total[1], dilation[1]);
  if (outH < 1 || outW < 1) {
    throw new Error(
      `${where}: the (padded) input ${h + pad.total[0]}x${w + pad.total[1]} is smaller than the dilated ` +
        `kernel ${dilation[0] * (kH - 1) + 1}x${dilation[1] * (kW - 1) + 1}; expected an output of at least 1x1`,
    );
  }
  const geom: Window2d = {
    n,
    c,
    h,
    w,
    kH,
    kW,
    sH: stride[0],
    sW: stride[1],
    padTop: pad.before[0],
    padLeft: pad.before[1],
    dH: dilation[0],
    dW: dilation[1],
    outH,
    outW,
  };
  const k = cg * kH * kW;
  checkSize([n, o, outH, outW], where, 'output shape');
  checkSize([n, c * kH * kW, outH * outW], where, 'unfolded input (im2col) shape');
  const cols = im2colOp(x, geom).reshape([n, groups, k, outH * outW]);
  const y = weight
    .reshape([groups, o / groups, k])
    .matmul(cols)
    .reshape([n, o, outH, outW]);
  return savesWeight(bias === null || bias === undefined ? y : y.add(bias.reshape([o, 1, 1])), weight);
}

/**
 * The output, recorded once more as `conv2d` (sharing storage; d/dy = g) so that backward checks
 * the weight's version even when x needs no gradient: torch's conv saves the weight either way,
 * and an optimizer step between forward and backward must throw here as it does there.
 */
function savesWeight(y: Tensor, weight: Tensor): Tensor {
  if (!y.requiresGrad || !weight.requiresGrad) return y;
  const ws = saveForBackward(weight);
  return recordPassThrough(y, 'conv2d', (g) => {
    ws();
    return g;
  });
}

/** im2col as a differentiable op: x [N, C, H, W] -> cols [N, C*kH*kW, Ho*Wo]; dx = col2im(dcols). */
export function im2colOp(x: Tensor, geom: Window2d): Tensor {
  const shape = [geom.n, geom.c * geom.kH * geom.kW, geom.outH * geom.outW];
  const xd = floatData(x, 'conv2d');
  const cols = allocateFloat(xd, shape[0]! * shape[1]! * shape[2]!);
  im2col(xd, geom, cols);
  return record(new Tensor(cols, shape), 'im2col', [x], (g) => {
    const gd = floatData(g, 'conv2d', 'grad');
    const dx = allocateFloat(gd, x.size);
    col2im(gd, geom, dx);
    return [handOver(new Tensor(dx, x.shape))];
  });
}
