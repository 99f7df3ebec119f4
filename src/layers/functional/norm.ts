/**
 * The functional normalization forms, each a short description of its axes on the one
 * normalization op (src/autograd/ops/norm.ts) and the shared axis-reduction kernel.
 * Each checks its arguments once, here; the modules (src/layers/norm/) call the `...As` twin with
 * their own name (and, for BatchNorm, InstanceNorm and GroupNorm, their input contract), so that
 * an error names what the user called: `LayerNorm: ...` from the module, `layerNorm: ...` from here.
 *
 *   x shape          reduced axes (one statistic each)   weight/bias span
 *   BatchNorm     [N, C, *]         N and *             -> stats [C]      [C]
 *   InstanceNorm  [N, C, *]         *                   -> stats [N, C]   [C]
 *   GroupNorm     [N, G, C/G, *]    C/G and *           -> stats [N, G]   [G, C/G] = [C]
 *   LayerNorm     [..., F...]       F... (normalizedShape) -> stats [...]  [F...]
 *   RMSNorm       [..., F...]       F... (mean square, no centering)      [F...]
 *
 * Semantics are PyTorch's: eps inside the square root; normalize with the biased variance; running
 * statistics blend the UNBIASED batch variance: running = (1 - m) * running + m * batch.
 */
import { normalize, normalizeWithStats, type BatchStats } from '../../autograd/ops/norm.js';
import { observed } from '../../autograd/record.js';
import { checkOptionalTensor, checkTensor } from '../../autograd/check.js';
import { Tensor } from '../../autograd/tensor.js';
import { checkBoolean, checkInteger, checkOptions, describeValue } from '../../tensor/check.js';
import { fmtShape, sameShape, sizeOf } from '../../tensor/shape.js';

/** float32's machine epsilon, 2^-23: RMSNorm's default eps for float32 input (torch.finfo). */
export const FLOAT32_EPS = 2 ** -23;

/** Throws unless eps is a finite number >= 0. */
export function checkEps(eps: number, where: string): void {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new Error(`${where}: eps must be a finite number >= 0, got ${describeValue(eps)}`);
  }
}

/** Throws unless momentum is a number in [0, 1]. */
export function checkMomentum(momentum: number, where: string): void {
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
    throw new Error(
      `${where}: momentum must be a number in [0, 1] (or null in the module for a cumulative average), ` +
        `got ${describeValue(momentum)}`,
    );
  }
}

/**
 * Throws unless weight and bias (when given) are Tensors of exactly `shape`, like torch's layer_norm
 * and group_norm: the right number of elements in another shape is an error, not a silent reshape.
 */
function checkAffineShape(
  opts: { weight?: Tensor | null; bias?: Tensor | null },
  shape: readonly number[],
  what: string,
  where: string,
): void {
  for (const [arg, t] of [
    ['weight', opts.weight],
    ['bias', opts.bias],
  ] as const) {
    checkOptionalTensor(t, where, arg);
    if (t instanceof Tensor && !sameShape(t.shape, shape)) {
      throw new Error(`${where}: ${arg} must have shape ${fmtShape(shape)} (${what}), got shape ${fmtShape(t.shape)}`);
    }
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/**
 * What a module promises about its input beyond the functional form's rules (torch's
 * `_check_input_dim` and its channel count): checked by the functional form, under the module's
 * name, right after it has checked that the input is a Tensor.
 */
export interface InputContract {
  /** The accepted ranks (`[4]` for BatchNorm2d); empty: whatever the functional form accepts. */
  ranks: readonly number[];
  /** The accepted shapes, for the message: `'(N, C, H, W)'`. */
  shapeText: string;
  /** The number of channels the module was built for, and the constructor argument that set it. */
  channels: number;
  channelsArg: 'numFeatures' | 'numChannels';
  /** The lowest rank in `ranks` is the unbatched form (C, *), taken as a batch of one. */
  unbatched?: boolean;
}

/** Throws unless x has one of the contract's ranks and its channel count; true for unbatched input. */
function checkContract(x: Tensor, c: InputContract, where: string): boolean {
  if (c.ranks.length > 0 && !c.ranks.includes(x.ndim)) {
    throw new Error(
      `${where}: expected ${c.ranks.map((r) => `${r}D`).join(' or ')} input ${c.shapeText}, got ${x.ndim}D ` +
        `input of shape ${fmtShape(x.shape)}`,
    );
  }
  const unbatched = c.unbatched === true && x.ndim === Math.min(...c.ranks);
  const axis = unbatched ? 0 : 1;
  if (x.ndim > axis && x.shape[axis] !== c.channels) {
    throw new Error(
      `${where}: expected input with ${c.channels} channels (${c.channelsArg}) at dimension ${axis}, ` +
        `got ${x.shape[axis]} (input shape ${fmtShape(x.shape)})`,
    );
  }
  return unbatched;
}

/** `running = (1 - m) running + m batch` in place; `unbias` turns a biased variance into n/(n-1) of it. */
function blendRunning(running: Tensor, batch: Float64Array, momentum: number, unbias: number): void {
  const r = running.data;
  for (let i = 0; i < r.length; i++) r[i] = (1 - momentum) * r[i]! + momentum * batch[i]! * unbias;
}

function runningAsStats(running: Tensor): Float64Array {
  return Float64Array.from(running.data);
}

/**
 * Options of `batchNorm`.
 * @example
 * functional.batchNorm(x, runningMean, runningVar, { weight, bias, training: true, momentum: 0.1, eps: 1e-5 });
 */
export interface BatchNormOptions {
  /** Per-channel scale `[C]` (null or omitted: 1). */
  weight?: Tensor | null;
  /** Per-channel shift `[C]` (null or omitted: 0). */
  bias?: Tensor | null;
  /** Use batch statistics (and update the running ones, if given). Default false. */
  training?: boolean;
  /** Weight of the new batch value in the running update. Default 0.1. */
  momentum?: number;
  /** Added to the variance inside the square root. Default 1e-5. */
  eps?: number;
}

/**
 * Batch normalization over (N, C, *): `y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]`.
 * In training, statistics come from the batch (biased variance) and the running statistics, if
 * given, are updated in place with the unbiased batch variance:
 * `running = (1 - momentum) * running + momentum * batch`; otherwise the running ones are used.
 * @example
 * const runningMean = zeros([16]);
 * const runningVar = ones([16]);
 * const y = functional.batchNorm(randn([8, 16, 4, 4]), runningMean, runningVar, { training: true });
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const args = [x, runningMean, runningVar, opts];
  return observed('batchNorm', args, () => batchNormAs('batchNorm', x, runningMean, runningVar, opts));
}

/** `batchNorm` under the name of its caller (nn.BatchNorm2d passes its name and input contract). */
export function batchNormAs(
  where: string,
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions = {},
  input?: InputContract,
): Tensor {
  opts = checkOptions(opts, where);
  checkTensor(x, where, 'input');
  if (input) checkContract(x, input, where);
  const { training = false, momentum = 0.1, eps = 1e-5 } = opts;
  checkBoolean(training, where, 'training');
  checkEps(eps, where);
  checkMomentum(momentum, where);
  if (x.ndim < 2)
    throw new Error(`${where}: expected input of shape (N, C, *) with at least 2 dimensions, got ${fmtShape(x.shape)}`);
  const channels = x.shape[1]!;
  // Like torch's batch_norm, weight and bias need one element per channel, in any shape.
  for (const [arg, t] of [
    ['weight', opts.weight],
    ['bias', opts.bias],
  ] as const) {
    checkOptionalTensor(t, where, arg);
    if (t instanceof Tensor && t.size !== channels) {
      throw new Error(
        `${where}: ${arg} must have ${channels} elements (shape [${channels}]), got shape ${fmtShape(t.shape)}`,
      );
    }
  }
  for (const [arg, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
  ] as const) {
    checkOptionalTensor(t, where, arg);
    if (t !== null && t !== undefined && t.size !== channels) {
      throw new Error(
        `${where}: ${arg} must have ${channels} elements (one per channel), got shape ${fmtShape(t.shape)}`,
      );
    }
  }
  const axes = { reduced: [0, ...range(2, x.ndim)], param: [1] };
  const norm = { weight: opts.weight, bias: opts.bias, eps, centered: true, name: 'batchNorm', where };
  if (!training) {
    if (!runningMean || !runningVar) {
      throw new Error(
        `${where}: runningMean and runningVar must be given when training is false (evaluation uses ` +
          `the running statistics), got ${runningMean ? 'runningVar' : 'runningMean'} = null`,
      );
    }
    return normalizeWithStats(x, axes, runningAsStats(runningMean), runningAsStats(runningVar), norm);
  }
  // Like torch (2.13): eps must be positive when training (the batch variance can be 0).
  if (eps <= 0) throw new Error(`${where}: eps must be positive when training, got ${describeValue(eps)}`);
  // Like torch's _verify_batch_size(input.size()), in training only: N * prod(spatial) == 1 (one
  // value per channel) is an error; an empty batch passes through, leaving the running statistics.
  if (x.shape[0]! * sizeOf(x.shape.slice(2)) === 1) {
    throw new Error(
      `${where}: expected more than 1 value per channel when training, got input size ${fmtShape(x.shape)}`,
    );
  }
  const { y, stats } = normalize(x, axes, norm);
  if (x.size === 0) return y;
  if (runningMean) blendRunning(runningMean, stats.mean, momentum, 1);
  if (runningVar) blendRunning(runningVar, stats.variance, momentum, stats.count / (stats.count - 1));
  return y;
}

/**
 * Options of `instanceNorm`.
 * @example
 * functional.instanceNorm(x, { runningMean, runningVar, useInputStats: false }); // evaluation with tracked statistics
 */
export interface InstanceNormOptions {
  /** Running mean `[C]`, updated in place when `useInputStats` is true (optional). */
  runningMean?: Tensor | null;
  /** Running unbiased variance `[C]`, updated in place when `useInputStats` is true (optional). */
  runningVar?: Tensor | null;
  /** Per-channel scale `[C]` (null or omitted: 1). */
  weight?: Tensor | null;
  /** Per-channel shift `[C]` (null or omitted: 0). */
  bias?: Tensor | null;
  /** Normalize with each instance's own statistics (default true); false uses the running ones. */
  useInputStats?: boolean;
  /** Weight of the new batch value in the running update. Default 0.1. */
  momentum?: number;
  /** Added to the variance inside the square root. Default 1e-5. */
  eps?: number;
}

/**
 * Instance normalization over (N, C, *): each (n, c) slice is normalized by its own mean and biased
 * variance over the spatial axes. With running statistics, they are updated with the per-instance
 * statistics averaged over the batch (unbiased variance), like torch:
 * `y = (x - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]`.
 * @example
 * const y = functional.instanceNorm(randn([2, 3, 8, 8])); // each (n, c) image plane: mean 0, variance 1
 */
export function instanceNorm(x: Tensor, opts: InstanceNormOptions = {}): Tensor {
  return observed('instanceNorm', [x, opts], () => instanceNormAs('instanceNorm', x, opts));
}

/**
 * `instanceNorm` under the name of its caller (nn.InstanceNorm2d passes its name and input
 * contract); unbatched input (C, *), which only the modules accept, runs as a batch of one.
 */
export function instanceNormAs(
  where: string,
  x: Tensor,
  opts: InstanceNormOptions = {},
  input?: InputContract,
): Tensor {
  opts = checkOptions(opts, where);
  checkTensor(x, where, 'input');
  if (input && checkContract(x, input, where)) return instanceNormAs(where, x.unsqueeze(0), opts).squeeze(0);
  const { useInputStats = true, momentum = 0.1, eps = 1e-5 } = opts;
  checkBoolean(useInputStats, where, 'useInputStats');
  const runningMean = checkOptionalTensor(opts.runningMean, where, 'runningMean');
  const runningVar = checkOptionalTensor(opts.runningVar, where, 'runningVar');
  checkEps(eps, where);
  checkMomentum(momentum, where);
  if (x.ndim < 3)
    throw new Error(
      `${where}: expected input of shape (N, C, *) with at least one spatial dimension, got ${fmtShape(x.shape)}`,
    );
  const [n, channels] = [x.shape[0]!, x.shape[1]!];
  for (const [arg, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
  ] as const) {
    if (t !== null && t.size !== channels) {
      throw new Error(
        `${where}: ${arg} must have ${channels} elements (one per channel), got shape ${fmtShape(t.shape)}`,
      );
    }
  }
  checkAffineShape(opts, [channels], 'one per channel', where);
  const norm = { weight: opts.weight, bias: opts.bias, eps, centered: true, name: 'instanceNorm', where };
  if (!useInputStats) {
    if (!runningMean || !runningVar) {
      throw new Error(
        `${where}: runningMean and runningVar must be given when useInputStats is false, got ` +
          `${runningMean ? 'runningVar' : 'runningMean'} = null`,
      );
    }
    const perChannel = { reduced: [0, ...range(2, x.ndim)], param: [1] };
    return normalizeWithStats(x, perChannel, runningAsStats(runningMean), runningAsStats(runningVar), norm);
  }
  // Like torch's _verify_spatial_size, whenever the input's own statistics are used.
  const spatial = sizeOf(x.shape.slice(2));
  if (spatial === 1) {
    throw new Error(
      `${where}: expected more than 1 spatial element when training, got input size ${fmtShape(x.shape)}`,
    );
  }
  const { y, stats } = normalize(x, { reduced: range(2, x.ndim), param: [1] }, norm);
  if ((runningMean || runningVar) && x.size > 0) {
    // Average the per-instance statistics [N, C] over the batch: the running update sees one value per channel.
    const meanC = averageOverBatch(stats.mean, n, channels, 1);
    const varC = averageOverBatch(stats.variance, n, channels, stats.count / (stats.count - 1));
    if (runningMean) blendRunning(runningMean, meanC, momentum, 1);
    if (runningVar) blendRunning(runningVar, varC, momentum, 1);
  }
  return y;
}

function averageOverBatch(perInstance: Float64Array, n: number, channels: number, scale: number): Float64Array {
  const out = new Float64Array(channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[c] += perInstance[i * channels + c]!;
  for (let c = 0; c < channels; c++) out[c] = (out[c]! / n) * scale;
  return out;
}

/**
 * Options of `groupNorm`.
 * @example
 * functional.groupNorm(x, 32, { weight, bias, eps: 1e-5 });
 */
export interface GroupNormOptions {
  /** Per-channel scale `[C]` (null or omitted: 1). */
  weight?: Tensor | null;
  /** Per-channel shift `[C]` (null or omitted: 0). */
  bias?: Tensor | null;
  /** Added to the variance inside the square root. Default 1e-5. */
  eps?: number;
}

/**
 * Group normalization over (N, C, *): the C channels are split into `numGroups` contiguous groups
 * and each (n, group) is normalized by its own statistics; weight and bias are per channel:
 * `y = (x - mean[n, g]) / sqrt(var[n, g] + eps) * weight[c] + bias[c]` with g the group of channel c.
 * @example
 * const y = functional.groupNorm(randn([2, 64, 8, 8]), 32, { weight: ones([64]), bias: zeros([64]) });
 */
export function groupNorm(x: Tensor, numGroups: number, opts: GroupNormOptions = {}): Tensor {
  return observed('groupNorm', [x, numGroups, opts], () => groupNormAs('groupNorm', x, numGroups, opts));
}

/** `groupNorm` under the name of its caller (nn.GroupNorm passes its name and input contract). */
export function groupNormAs(
  where: string,
  x: Tensor,
  numGroups: number,
  opts: GroupNormOptions = {},
  input?: InputContract,
): Tensor {
  opts = checkOptions(opts, where);
  checkTensor(x, where, 'input');
  if (input) checkContract(x, input, where);
  checkInteger(numGroups, where, 'numGroups', 1);
  const eps = opts.eps ?? 1e-5;
  checkEps(eps, where);
  if (x.ndim < 2)
    throw new Error(`${where}: expected input of shape (N, C, *) with at least 2 dimensions, got ${fmtShape(x.shape)}`);
  const [n, channels] = [x.shape[0]!, x.shape[1]!];
  if (channels % numGroups !== 0) {
    throw new Error(`${where}: numChannels (${channels}) must be divisible by numGroups (${numGroups})`);
  }
  checkAffineShape(opts, [channels], 'one per channel', where);
  // torch's rule, always (training or not): _verify_batch_size([N * C / G, G, *spatial]) rejects
  // N * C / G * prod(spatial) == 1, and prints that list as the input size.
  const verified = [(n * channels) / numGroups, numGroups, ...x.shape.slice(2)];
  if (verified[0]! * sizeOf(x.shape.slice(2)) === 1) {
    throw new Error(
      `${where}: expected more than 1 value per channel when training, got input size ${fmtShape(verified)}`,
    );
  }
  // x read as [N, G, C / G, spatial] (no reshape: y and dx keep x's shape).
  const shape = [n, numGroups, channels / numGroups, sizeOf(x.shape.slice(2))];
  const { y } = normalize(
    x,
    { reduced: [2, 3], param: [1, 2], shape },
    { weight: opts.weight, bias: opts.bias, eps, centered: true, name: 'groupNorm', where },
  );
  return y;
}

/** Throws unless the trailing dimensions of x equal `normalizedShape`; returns the normalized axes. */
function trailingAxes(x: Tensor, normalizedShape: readonly number[], where: string): number[] {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || k > x.ndim || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new Error(
      `${where}: expected input with trailing dimensions ${fmtShape(normalizedShape)} (normalizedShape), ` +
        `got input shape ${fmtShape(x.shape)}`,
    );
  }
  return range(x.ndim - k, x.ndim);
}

/** Turns `number | number[]` into a validated shape. */
export function asNormalizedShape(shape: number | readonly number[], where: string): number[] {
  const s = typeof shape === 'number' ? [shape] : Array.isArray(shape) ? [...(shape as readonly number[])] : null;
  if (s === null || s.length === 0 || s.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(
      `${where}: normalizedShape must be a positive integer or a non-empty array of them, got ${describeValue(shape)}`,
    );
  }
  return s;
}

/**
 * Options of `layerNorm`.
 * @example
 * functional.layerNorm(x, [768], { weight, bias, eps: 1e-6 });
 */
export interface LayerNormOptions {
  /** Elementwise scale of shape `normalizedShape` (null or omitted: 1). */
  weight?: Tensor | null;
  /** Elementwise shift of shape `normalizedShape` (null or omitted: 0). */
  bias?: Tensor | null;
  /** Added to the variance inside the square root. Default 1e-5. */
  eps?: number;
}

/**
 * Layer normalization over the trailing `normalizedShape` dims:
 * `y = (x - mean) / sqrt(var + eps) * weight + bias`, statistics per leading index.
 * @example
 * const tokens = randn([8, 16, 768]);                     // batch, sequence, features
 * const y = functional.layerNorm(tokens, [768]);          // each token: mean 0, variance 1
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], opts: LayerNormOptions = {}): Tensor {
  const args = [x, normalizedShape, opts];
  return observed('layerNorm', args, () => layerNormAs('layerNorm', x, normalizedShape, opts));
}

/** `layerNorm` under the name of its caller (nn.LayerNorm passes 'LayerNorm'). */
export function layerNormAs(
  where: string,
  x: Tensor,
  normalizedShape: number | readonly number[],
  opts: LayerNormOptions = {},
): Tensor {
  opts = checkOptions(opts, where);
  checkTensor(x, where, 'input');
  const eps = opts.eps ?? 1e-5;
  checkEps(eps, where);
  const shape = asNormalizedShape(normalizedShape, where);
  const axes = trailingAxes(x, shape, where);
  checkAffineShape(opts, shape, 'normalizedShape', where);
  return normalize(
    x,
    { reduced: axes, param: axes },
    { weight: opts.weight, bias: opts.bias, eps, centered: true, name: 'layerNorm', where },
  ).y;
}

/**
 * Options of `rmsNorm`.
 * @example
 * functional.rmsNorm(x, [768], { weight, eps: 1e-6 });
 */
export interface RMSNormOptions {
  /** Elementwise scale of shape `normalizedShape` (null or omitted: 1). */
  weight?: Tensor | null;
  /** Added to the mean square; null or undefined: the machine epsilon of the input's dtype. */
  eps?: number | null;
}

/**
 * RMS normalization over the trailing `normalizedShape` dims: `y = x / sqrt(mean(x^2) + eps) * weight`.
 * @example
 * const y = functional.rmsNorm(randn([8, 768]), [768], { weight: ones([768]) });
 */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], opts: RMSNormOptions = {}): Tensor {
  return observed('rmsNorm', [x, normalizedShape, opts], () => rmsNormAs('rmsNorm', x, normalizedShape, opts));
}

/** `rmsNorm` under the name of its caller (nn.RMSNorm passes 'RMSNorm'). */
export function rmsNormAs(
  where: string,
  x: Tensor,
  normalizedShape: number | readonly number[],
  opts: RMSNormOptions = {},
): Tensor {
  opts = checkOptions(opts, where);
  checkTensor(x, where, 'input');
  const eps = opts.eps ?? (x.dtype === 'float64' ? Number.EPSILON : FLOAT32_EPS);
  checkEps(eps, where);
  const shape = asNormalizedShape(normalizedShape, where);
  const axes = trailingAxes(x, shape, where);
  checkAffineShape({ weight: opts.weight }, shape, 'normalizedShape', where);
  const norm = { weight: opts.weight, eps, centered: false, name: 'rmsNorm', where };
  return normalize(x, { reduced: axes, param: axes }, norm).y;
}

export type { BatchStats };
