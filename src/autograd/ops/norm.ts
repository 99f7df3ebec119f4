/**
 * The one differentiable normalization op that all five norm layers call.
 *
 * A layer says only which axes of x are reduced into each statistic and which axes its weight and
 * bias span; this op runs the shared axis-reduction kernel through `kernels()` (the backend:
 * wasm, the fast TypeScript kernels of src/tensor/kernels/normFused.ts, or the plain loops of
 * src/tensor/kernels/normReference.ts under `setBackend('reference')`):
 *
 *   forward   mean[s], rstd[s]            statistics, float64, one per kept index s
 *             y = (x - mean) * rstd * weight + bias
 *   backward  dbias = sum dy,  dweight = sum dy * xhat          (per parameter index)
 *             dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))   statistics from x
 *             dx = rstd * (dxhat - xhat * mean(dxhat * xhat))                 RMSNorm (no centering)
 *             dx = rstd * dxhat                                               given statistics (eval)
 *   with xhat = (x - mean) * rstd and dxhat = dy * weight.
 *
 * The derivation is in docs/derivations/normalization.md. The arguments arrive checked by the
 * functional forms (src/layers/functional/norm.ts): weight and bias are null or Tensors with one
 * element per parameter index; only the dtypes are checked here, where the data is read.
 */
import { allocate, allocateFloat } from '../../tensor/dtype.js';
import { kernels } from '../../kernels/registry.js';
import { planAxes, type AxisPlan } from '../../tensor/kernels/axisReduce.js';
import { floatData } from '../dtypeCheck.js';
import { handOver } from '../handOver.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

/** Which axes a normalization reduces and which its parameters span (both sorted, non-negative). */
export interface NormAxes {
  /** Axes of x whose elements are reduced into one statistic. */
  readonly reduced: readonly number[];
  /** Axes of x that `weight` and `bias` span, in order (their row-major layout). */
  readonly param: readonly number[];
  /**
   * The shape the axes refer to, when not x's own: the same elements read in row-major order
   * (GroupNorm's [N, G, C / G, spatial]). Saves reshaping x and y, so that dx reaches x as
   * the kernel's own array, which the autograd engine adopts instead of copying.
   */
  readonly shape?: readonly number[];
}

/** Batch statistics computed by `normalize`, for running-statistics updates. */
export interface BatchStats {
  /** Mean per statistic (0 for RMSNorm). */
  readonly mean: Float64Array;
  /** Biased variance per statistic (the mean square for RMSNorm). */
  readonly variance: Float64Array;
  /** Elements reduced into each statistic. */
  readonly count: number;
}

/** Options of `normalize`. */
export interface NormalizeOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps: number;
  /** Subtract the mean (all norms but RMSNorm). */
  centered: boolean;
  /** Name recorded in the graph: the functional form's (`'layerNorm'`). */
  name: string;
  /** Name in error messages: the caller's (`'LayerNorm'` from the module). */
  where: string;
}

/** Float64 `1 / sqrt(var + eps)` per statistic. */
function rstdOf(variance: Float64Array, eps: number): Float64Array {
  const rstd = new Float64Array(variance.length);
  for (let s = 0; s < rstd.length; s++) rstd[s] = 1 / Math.sqrt(variance[s]! + eps);
  return rstd;
}

/** A parameter gradient (float64 sums) as a tensor of the parameter's shape and dtype. */
function paramGrad(sums: Float64Array, like: Tensor): Tensor {
  const data = allocate(like.dtype, like.size);
  data.set(sums);
  return handOver(new Tensor(data, like.shape));
}

/**
 * Normalizes x with statistics computed from x itself (training mode, LayerNorm, GroupNorm, ...).
 * Returns the output and the float64 batch statistics.
 */
export function normalize(x: Tensor, axes: NormAxes, opts: NormalizeOptions): { y: Tensor; stats: BatchStats } {
  const plan = planAxes(axes.shape ?? x.shape, axes.reduced, axes.param);
  const [weight, bias] = [opts.weight ?? null, opts.bias ?? null];
  const mean = new Float64Array(plan.statSize);
  const variance = new Float64Array(plan.statSize);
  const rstd = new Float64Array(plan.statSize);
  const xd = floatData(x, opts.where);
  const out = allocateFloat(xd, x.size);
  const wd = weight === null ? null : floatData(weight, opts.where, 'weight');
  const bd = bias === null ? null : floatData(bias, opts.where, 'bias');
  // One fused call: the float64 statistics (two-pass), rstd = 1 / sqrt(variance + eps), and y.
  kernels().normForward(xd, plan, opts.centered, opts.eps, wd, bd, out, mean, variance, rstd);
  const stats = opts.centered ? 'centered' : 'rms';
  const check = checkSaved(x, weight);
  const backwardOf = (dy: Tensor): (Tensor | null)[] => {
    check();
    return backward(dy, x, plan, mean, rstd, weight, bias, stats);
  };
  const y = record(new Tensor(out, x.shape), opts.name, inputsOf(x, weight, bias), backwardOf);
  return { y, stats: { mean, variance, count: plan.count } };
}

/**
 * Normalizes x with given statistics (evaluation mode with running statistics): the statistics
 * are constants, so dx = dy * weight * rstd. `mean` and `variance` have one value per statistic.
 */
export function normalizeWithStats(
  x: Tensor,
  axes: NormAxes,
  mean: Float64Array,
  variance: Float64Array,
  opts: NormalizeOptions,
): Tensor {
  const plan = planAxes(axes.shape ?? x.shape, axes.reduced, axes.param);
  const [weight, bias] = [opts.weight ?? null, opts.bias ?? null];
  const rstd = rstdOf(variance, opts.eps);
  const xd = floatData(x, opts.where);
  const out = allocateFloat(xd, x.size);
  const wd = weight === null ? null : floatData(weight, opts.where, 'weight');
  const bd = bias === null ? null : floatData(bias, opts.where, 'bias');
  kernels().normalizeAffine(xd, plan, mean, rstd, wd, bd, out);
  const check = checkSaved(x, weight);
  const backwardOf = (dy: Tensor): (Tensor | null)[] => {
    check();
    return backward(dy, x, plan, mean, rstd, weight, bias, 'constant');
  };
  return record(new Tensor(out, x.shape), opts.name, inputsOf(x, weight, bias), backwardOf);
}

/**
 * Saves what the backward reads, x (for xhat) and the weight (for dxhat), and returns the check
 * to run first in backward: it throws if either was written in place since (saved.ts).
 */
function checkSaved(x: Tensor, weight: Tensor | null): () => void {
  const saved = [saveForBackward(x), ...(weight === null ? [] : [saveForBackward(weight)])];
  return () => {
    for (const read of saved) read();
  };
}

/** The graph inputs of a norm: x, then the weight and the bias where given. */
function inputsOf(x: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor[] {
  return [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
}

/** The fused backward: per statistic, the reductions, then dx (one kernel call). */
function backward(
  dy: Tensor,
  x: Tensor,
  plan: AxisPlan,
  mean: Float64Array,
  rstd: Float64Array,
  weight: Tensor | null,
  bias: Tensor | null,
  stats: 'centered' | 'rms' | 'constant',
): (Tensor | null)[] {
  const needDx = x.requiresGrad;
  const dweight = weight?.requiresGrad ? new Float64Array(plan.paramSize) : null;
  const dbias = bias?.requiresGrad ? new Float64Array(plan.paramSize) : null;
  const xd = floatData(x, 'normalize');
  const out = needDx ? allocateFloat(xd, x.size) : null;
  if (out || dweight || dbias) {
    const wd = weight === null ? null : floatData(weight, 'normalize', 'weight');
    kernels().normBackward(xd, floatData(dy, 'normalize', 'grad'), plan, mean, rstd, wd, stats, out, dweight, dbias);
  }
  const dx = out ? handOver(new Tensor(out, x.shape)) : null;
  const grads: (Tensor | null)[] = [dx];
  if (weight) grads.push(dweight ? paramGrad(dweight, weight) : null);
  if (bias) grads.push(dbias ? paramGrad(dbias, bias) : null);
  return grads;
}
