/**
 * `functional.conv2d` and `functional.conv1d` (torch.nn.functional's): the arguments are checked
 * here, once, and the window geometry resolved; the op in src/autograd/ops/conv.ts (im2col +
 * matmul image by image, with its backward) does the rest. A 1-D convolution is a 2-D one of height 1: x [N, C, L]
 * is viewed as [N, C, 1, L] and the weight [O, C/groups, K] as [O, C/groups, 1, K]; both views are
 * reshapes, so the gradients flow back.
 */
import { checkOptionalTensor, checkTensor } from '../../autograd/check.js';
import { floatData } from '../../autograd/dtypeCheck.js';
import { conv2dOp, pair, type IntPair } from '../../autograd/ops/conv.js';
import { observed } from '../../autograd/record.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, describeValue } from '../../tensor/check.js';
import { windowOutSize } from '../../tensor/kernels/conv.js';
import { checkSize, fmtShape } from '../../tensor/shape.js';

export type { IntPair };

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

/**
 * Options of `conv1d` (torch's names in camelCase).
 * @example conv1d(x, weight, bias, { stride: 2, padding: 1 })
 */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zero padding on each side (default 0), or 'valid' (none) / 'same' (output length = input's; stride 1). */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups (default 1). */
  groups?: number;
}

/** Throws unless v is an integer >= min; returns it. */
export function checkInt(v: unknown, name: string, min: number, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new Error(`${where}: ${name} must be an integer >= ${min}, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * 2-D convolution (cross-correlation, like torch):
 * y[n, o, i, j] = bias[o] + sum over c in o's group, u, v of weight[o, c, u, v] * xpad[n, c, i*sH + u*dH, j*sW + v*dW].
 * Accepts a batch [N, C, H, W] or one image [C, H, W].
 * @example conv2d(randn([1, 3, 8, 8]), randn([4, 3, 3, 3]), null, { padding: 1 })  // [1, 4, 8, 8]
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  return observed('conv2d', [x, weight, bias, opts], () => conv2dAs('conv2d', x, weight, bias, opts));
}

/** `conv2d` under the name of its caller (nn.Conv2d passes 'Conv2d'). */
export function conv2dAs(
  where: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: Conv2dOptions = {},
): Tensor {
  opts = checkOptions(opts, where);
  checkTensor(x, where, 'input');
  checkTensor(weight, where, 'weight');
  checkOptionalTensor(bias, where, 'bias');
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new Error(
      `${where}: input must be a Tensor of shape [N, C, H, W] or [C, H, W], got shape ${fmtShape(x.shape)}`,
    );
  }
  floatData(x, where);
  if (weight.ndim !== 4) {
    throw new Error(
      `${where}: weight must be a Tensor of shape [outChannels, inChannels/groups, kH, kW], got shape ` +
        `${fmtShape(weight.shape)}`,
    );
  }
  if (x.ndim === 3) return convChecked(where, x.unsqueeze(0), weight, bias ?? null, opts).squeeze(0);
  return convChecked(where, x, weight, bias ?? null, opts);
}

/**
 * 1-D cross-correlation: y[n, o, l] = bias[o] + sum over c in o's group, k of
 * weight[o, c, k] x[n, c, l * stride + k * dilation - padding].
 * @example conv1d(zeros([8, 4, 100]), zeros([16, 4, 5]))  // [8, 16, 96]
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  return observed('conv1d', [x, weight, bias, opts], () => conv1dAs('conv1d', x, weight, bias, opts));
}

/** `conv1d` under the name of its caller (nn.Conv1d passes 'Conv1d'). */
export function conv1dAs(
  where: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: Conv1dOptions = {},
): Tensor {
  opts = checkOptions(opts, where);
  checkTensor(x, where, 'input');
  checkTensor(weight, where, 'weight');
  checkOptionalTensor(bias, where, 'bias');
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new Error(`${where}: input must be a Tensor of shape [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
  }
  floatData(x, where);
  if (weight.ndim !== 3) {
    throw new Error(
      `${where}: weight must be a Tensor of shape [outChannels, inChannels/groups, kernelSize], got ` +
        `${fmtShape(weight.shape)}`,
    );
  }
  const stride = checkInt(opts.stride ?? 1, 'stride', 1, where);
  const dilation = checkInt(opts.dilation ?? 1, 'dilation', 1, where);
  const p = opts.padding ?? 0;
  const padding = p === 'same' || p === 'valid' ? p : ([0, checkInt(p, 'padding', 0, where)] as const);
  const opts2d = { stride: [1, stride], dilation: [1, dilation], padding, groups: opts.groups ?? 1 } as const;
  const x4 = (x.ndim === 3 ? x : x.unsqueeze(0)).unsqueeze(2); // [N, C, 1, L]
  const y = convChecked(where, x4, weight.unsqueeze(2), bias ?? null, opts2d, weight.shape).squeeze(2);
  return x.ndim === 3 ? y : y.squeeze(0);
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
 * The checks shared by conv2d and conv1d, on x [N, C, H, W] and weight [O, C/groups, kH, kW]
 * (`shown`: the weight's shape as the caller gave it, for messages); then the op.
 */
function convChecked(
  where: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: Conv2dOptions,
  shown: readonly number[] = weight.shape,
): Tensor {
  // floating like x (torch: "expected scalar type Float but found Int"); float32 meets float64 in float64
  floatData(weight, where, 'weight');
  if (bias !== null) floatData(bias, where, 'bias');
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new Error(`${where}: groups must be a positive integer, got ${describeValue(groups)}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kH, kW] = weight.shape as [number, number, number, number];
  if (cg * groups !== c) {
    throw new Error(
      `${where}: input has ${c} channels but weight ${fmtShape(shown)} with groups=${groups} ` +
        `expects ${cg * groups} (weight.shape[1] * groups)`,
    );
  }
  if (o % groups !== 0) throw new Error(`${where}: weight.shape[0] (${o}) must be divisible by groups (${groups})`);
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== o)) {
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
  checkSize([n, o, outH, outW], where, 'output shape');
  // the kernels unfold one image at a time (src/tensor/kernels/conv.ts): its columns must fit
  checkSize([c * kH * kW, outH * outW], where, "one image's im2col shape");
  const geom = { n, c, h, w, kH, kW, sH: stride[0], sW: stride[1], dH: dilation[0], dW: dilation[1], outH, outW };
  return conv2dOp(x, weight, bias, { ...geom, padTop: pad.before[0], padLeft: pad.before[1] }, groups);
}
