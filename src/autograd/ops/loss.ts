/**
 * Loss functions with torch.nn.functional semantics. Shape letters: N batch, C classes, `*` any
 * extra (spatial) axes; class axis 1 (axis 0 for one unbatched sample [C]).
 *
 *   nllLoss(logp, t)        l[n, *] = -w[t] * logp[n, t, *]           (kernels/loss.ts)
 *   crossEntropy(x, t)      nllLoss(logSoftmax(x, classAxis), t), with label smoothing:
 *                           (1 - eps) * nll + eps/C * smooth,  smooth[n, *] = -sum_c w[c] logp[n, c, *]
 *   mseLoss(a, b)           l = (a - b)^2
 *   bceWithLogits(x, y)     l = (1 - y) x + (1 + (posWeight - 1) y) softplus(-x)
 *
 * Reductions: 'none' keeps the per-element losses; 'sum' adds them; 'mean' divides the sum by the
 * number of elements, except for class-index targets, where it divides by the total weight of the
 * targets that are not ignored (torch's weighted mean; NaN when every target is ignored).
 * Every backward is assembled from the ops' own rules; only the NLL gather has its own (the
 * scatter in kernels/loss.ts). Derivations: docs/derivations/small-models.md.
 */
import { allocate, allocateFloat } from '../../tensor/dtype.js';
import { nllBackward, nllForward, softplus as softplusKernel, type NllShape } from '../../tensor/kernels/loss.js';
import { checkInteger, checkOptions, describeValue } from '../../tensor/check.js';
import { broadcastShapes, fmtShape, sameShape } from '../../tensor/shape.js';
import { checkOptionalTensor, checkTensor } from '../check.js';
import { floatData } from '../dtypeCheck.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';
import { logSoftmax } from './softmax.js';
import { unaryForward } from './unary.js';

/**
 * How a loss combines its per-element values: their mean, their sum, or all of them ('none').
 * @example crossEntropy(logits, labels, { reduction: 'sum' })
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Class-index targets: an int32 Tensor (torch's int64; a float tensor is an error, as in torch), an
 * array of integers, or one integer.
 * @example crossEntropy(logits, [3, 0, 7]); crossEntropy(logits, tensor([3, 0, 7], undefined, { dtype: 'int32' }))
 */
export type ClassTargets = Tensor | readonly number[] | number;

/**
 * Options of `nllLoss`.
 * @example nllLoss(logp, labels, { weight: tensor([1, 2, 1]), ignoreIndex: -1 })
 */
export interface NllLossOptions {
  /** 'mean' (default, weighted by the class weights), 'sum' or 'none'. */
  reduction?: Reduction;
  /** A weight per class, shape [C] (default: all 1). */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, to the loss or to the mean's divisor (default -100). */
  ignoreIndex?: number;
}

/**
 * Options of `crossEntropy`.
 * @example crossEntropy(logits, labels, { labelSmoothing: 0.1, reduction: 'mean' })
 */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the one-hot target with the uniform distribution: eps in [0, 1] (default 0). */
  labelSmoothing?: number;
}

/**
 * Options of `mseLoss`.
 * @example mseLoss(prediction, target, { reduction: 'none' })
 */
export interface MseLossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Options of `binaryCrossEntropyWithLogits`.
 * @example binaryCrossEntropyWithLogits(scores, labels, { posWeight: tensor([2, 1, 5]) })
 */
export interface BceWithLogitsOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Weight of the positive term, broadcast along the last axis (e.g. one per class). */
  posWeight?: Tensor | null;
  /** A rescaling weight broadcast to the loss's shape. */
  weight?: Tensor | null;
}

/** Throws unless labelSmoothing is a number in [0, 1]; returns it. */
export function checkLabelSmoothing(eps: number, where: string): number {
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new Error(`${where}: labelSmoothing must be in [0, 1], got ${describeValue(eps)}`);
  }
  return eps;
}

export function checkReduction(reduction: Reduction, where: string): Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${where}: reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
  }
  return reduction;
}

export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}

/** Reads class-index targets into an Int32Array, checking shape, integrality and range. */
function classIndices(
  targets: ClassTargets,
  shape: readonly number[],
  numClasses: number,
  ignoreIndex: number,
  where: string,
): Int32Array {
  let values: ArrayLike<number>;
  let given: readonly number[];
  if (targets instanceof Tensor) {
    // torch: class indices must be an integer tensor ("expected scalar type Long but found Float").
    if (targets.dtype !== 'int32') {
      throw new Error(
        `${where}: targets must be an int32 tensor of class indices (or class probabilities shaped like the ` +
          `input), got a ${targets.dtype} tensor of shape ${fmtShape(targets.shape)}`,
      );
    }
    values = targets.data;
    given = targets.shape;
  } else if (typeof targets === 'number') {
    values = [targets];
    given = [];
  } else if (Array.isArray(targets)) {
    values = targets;
    given = [targets.length];
  } else {
    throw new Error(
      `${where}: targets must be a Tensor, an array of class indices or one index, got ${describeValue(targets)}`,
    );
  }
  if (!sameShape(given, shape)) {
    throw new Error(`${where}: targets must have shape ${fmtShape(shape)} to match the input, got ${fmtShape(given)}`);
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const t = values[i]!;
    if (t !== ignoreIndex && !(Number.isInteger(t) && t >= 0 && t < numClasses)) {
      throw new Error(
        `${where}: targets must be class indices in [0, ${numClasses - 1}] (or ignoreIndex ${ignoreIndex}), ` +
          `got ${describeValue(t)} at flat index ${i}`,
      );
    }
    out[i] = t;
  }
  return out;
}

/** The view [N, C, S] of an input with a class axis, and the shape its targets must have. */
function classLayout(x: Tensor, where: string): { shape: NllShape; targetShape: number[] } {
  checkTensor(x, where, 'input');
  if (x.ndim < 1) {
    throw new Error(`${where}: input must be a Tensor of shape [N, C, *] or [C], got shape ${fmtShape(x.shape)}`);
  }
  floatData(x, where);
  if (x.ndim === 1) return { shape: { n: 1, c: x.shape[0]!, s: 1 }, targetShape: [] };
  const spatial = x.shape.slice(2);
  return {
    shape: { n: x.shape[0]!, c: x.shape[1]!, s: spatial.reduce((p, d) => p * d, 1) },
    targetShape: [x.shape[0]!, ...spatial],
  };
}

function checkClassWeight(weight: Tensor | null | undefined, c: number, where: string): Tensor | null {
  const w = checkOptionalTensor(weight, where, 'weight');
  if (w !== null && (w.ndim !== 1 || w.shape[0] !== c)) {
    throw new Error(`${where}: weight must be a Tensor of shape [${c}] (one per class), got ${fmtShape(w.shape)}`);
  }
  if (w !== null) floatData(w, where, 'weight');
  return w;
}

/**
 * Negative log-likelihood of class-index targets given log-probabilities:
 * l[n, *] = -weight[t] * logp[n, t, *]; 'mean' divides the sum by the sum of weight[t] over the
 * targets that are not `ignoreIndex`.
 * @example nllLoss(logSoftmax(logits, 1), [3, 0, 7])
 */
export function nllLoss(logp: Tensor, targets: ClassTargets, opts: NllLossOptions = {}): Tensor {
  return nllLossAs('nllLoss', logp, targets, opts);
}

/** `nllLoss` under the name of its caller (nn.NLLLoss passes 'NLLLoss'). */
export function nllLossAs(where: string, logp: Tensor, targets: ClassTargets, opts: NllLossOptions = {}): Tensor {
  opts = checkOptions(opts, where);
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  const ignoreIndex = checkInteger(opts.ignoreIndex ?? -100, where, 'ignoreIndex');
  const layout = classLayout(logp, where);
  const weight = checkClassWeight(opts.weight, layout.shape.c, where);
  const t = classIndices(targets, layout.targetShape, layout.shape.c, ignoreIndex, where);
  return nllOfIndices(logp, t, layout, weight, ignoreIndex, reduction, savedTargets(targets));
}

/**
 * A target tensor saved as torch saves it (backward reads `t`, its checked copy, but a write to
 * the tensor before backward throws torch's error); null for targets given as numbers.
 */
function savedTargets(targets: ClassTargets): (() => Tensor) | null {
  return targets instanceof Tensor ? saveForBackward(targets) : null;
}

/** nllLoss on validated class indices `t` (shared by nllLoss and crossEntropy). */
function nllOfIndices(
  logp: Tensor,
  t: Int32Array,
  layout: { shape: NllShape; targetShape: number[] },
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: Reduction,
  targetCheck: (() => Tensor) | null,
): Tensor {
  const { shape, targetShape } = layout;
  const wData = weight === null ? null : floatData(weight, 'nllLoss', 'weight');
  const logpData = floatData(logp, 'nllLoss');
  const loss = allocateFloat(logpData, t.length);
  const w = new Float64Array(t.length);
  nllForward(logpData, t, shape, wData, ignoreIndex, loss, w);
  const ws = weight === null ? null : saveForBackward(weight);
  const perElement = record(new Tensor(loss, targetShape), 'nllLoss', [logp], (g) => {
    ws?.(); // the class weights are read below (wData): check they were not overwritten
    targetCheck?.();
    const gd = floatData(g, 'nllLoss', 'grad');
    const dlogp = allocateFloat(gd, logp.size);
    nllBackward(gd, t, shape, wData, ignoreIndex, dlogp);
    return [new Tensor(dlogp, logp.shape)];
  });
  if (reduction !== 'mean') return reduce(perElement, reduction);
  let totalWeight = 0;
  for (let i = 0; i < w.length; i++) totalWeight += w[i]!;
  return perElement.sum().div(totalWeight);
}

/**
 * Cross-entropy of logits against class-index targets (or, when `targets` has the logits' shape,
 * class probabilities), computed through a stable log-softmax:
 * l[n] = -weight[t] * logSoftmax(x)[n, t], with label smoothing eps:
 * (1 - eps) * l[n] + eps/C * sum_c -weight[c] * logSoftmax(x)[n, c].
 * @example crossEntropy(model.forward(images), labels, { labelSmoothing: 0.1 })
 */
export function crossEntropy(logits: Tensor, targets: ClassTargets, opts: CrossEntropyOptions = {}): Tensor {
  return crossEntropyAs('crossEntropy', logits, targets, opts);
}

/** `crossEntropy` under the name of its caller (nn.CrossEntropyLoss passes 'CrossEntropyLoss'). */
export function crossEntropyAs(
  where: string,
  logits: Tensor,
  targets: ClassTargets,
  opts: CrossEntropyOptions = {},
): Tensor {
  opts = checkOptions(opts, where);
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  const eps = checkLabelSmoothing(opts.labelSmoothing ?? 0, where);
  const ignoreIndex = checkInteger(opts.ignoreIndex ?? -100, where, 'ignoreIndex');
  const layout = classLayout(logits, where);
  const { shape, targetShape } = layout;
  const classAxis = logits.ndim === 1 ? 0 : 1;
  const weight = checkClassWeight(opts.weight, shape.c, where);
  // A class weight shaped to broadcast along the class axis: [C] for [C], [C, 1, ...] for [N, C, *].
  const weightAlongClasses =
    weight === null ? null : weight.reshape([shape.c, ...new Array<number>(Math.max(logits.ndim - 2, 0)).fill(1)]);

  if (targets instanceof Tensor && sameShape(targets.shape, logits.shape)) {
    // Class probabilities: l[n, *] = -sum_c weight[c] * y[n, c, *] * logp[n, c, *]; 'mean' divides by N * S.
    const logp = logSoftmax(logits, classAxis);
    const y = eps > 0 ? targets.mul(1 - eps).add(eps / shape.c) : targets;
    const weighted = weightAlongClasses === null ? logp : logp.mul(weightAlongClasses);
    return reduce(weighted.mul(y).sum(classAxis).neg(), reduction);
  }

  const t = classIndices(targets, targetShape, shape.c, ignoreIndex, where);
  const logp = logSoftmax(logits, classAxis);
  const nll = nllOfIndices(logp, t, layout, weight, ignoreIndex, reduction, savedTargets(targets));
  if (eps === 0) return nll;
  // Label smoothing: the uniform part, per element, with ignored targets masked out.
  const keep = allocate(logits.dtype, t.length);
  let divisor = 0;
  for (let i = 0; i < t.length; i++) {
    const kept = t[i] !== ignoreIndex;
    keep[i] = kept ? 1 : 0;
    if (kept) divisor += weight === null ? 1 : weight.data[t[i]!]!;
  }
  const weighted = weightAlongClasses === null ? logp : logp.mul(weightAlongClasses);
  const smooth = weighted.sum(classAxis).neg().mul(new Tensor(keep, targetShape));
  const smoothReduced = reduction === 'none' ? smooth : reduction === 'sum' ? smooth.sum() : smooth.sum().div(divisor);
  return nll.mul(1 - eps).add(smoothReduced.mul(eps / shape.c));
}

/**
 * Mean squared error: l = (a - b)^2, reduced. Input and target must have the same shape: where
 * torch broadcasts different shapes with a warning ("Using a target size ... that is different to
 * the input size", e.g. [4, 1] and [4] into [4, 4], rarely what was meant), typegrad throws.
 * @example mseLoss(prediction, target)  // mean((prediction - target)^2)
 */
export function mseLoss(a: Tensor, b: Tensor, opts: MseLossOptions = {}): Tensor {
  return mseLossAs('mseLoss', a, b, opts);
}

/** `mseLoss` under the name of its caller (nn.MSELoss passes 'MSELoss'). */
export function mseLossAs(where: string, a: Tensor, b: Tensor, opts: MseLossOptions = {}): Tensor {
  opts = checkOptions(opts, where);
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  checkTensor(a, where, 'input');
  checkTensor(b, where, 'target');
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(
      `${where}: target must have the input's shape ${fmtShape(a.shape)}, got ${fmtShape(b.shape)} (torch ` +
        `would broadcast them with a warning)`,
    );
  }
  floatData(a, where);
  floatData(b, where, 'target');
  const d = a.sub(b);
  return reduce(d.mul(d), reduction);
}

/**
 * softplus(z) = ln(1 + e^z), computed as max(z, 0) + log1p(e^-|z|) so it never overflows.
 * d/dz = sigmoid(z).
 * @example softplus(tensor([-1000, 0, 1000]))  // [0, 0.6931, 1000]
 */
export function softplus(z: Tensor): Tensor {
  checkTensor(z, 'softplus', 'z');
  const zd = floatData(z, 'softplus', 'z');
  const out = allocateFloat(zd, z.size);
  softplusKernel(zd, out);
  const zs = saveForBackward(z);
  return record(new Tensor(out, z.shape), 'softplus', [z], (g) => [g.mul(unaryForward('sigmoid', zs()))]);
}

/** An optional weight that must broadcast to `shape` without growing it; returns it or null. */
function checkBroadcastsTo(w: unknown, shape: readonly number[], where: string, argName: string): Tensor | null {
  const t = checkOptionalTensor(w, where, argName);
  if (t !== null && !sameShape(broadcastShapes(t.shape, shape, where), shape)) {
    throw new Error(
      `${where}: ${argName} of shape ${fmtShape(t.shape)} must broadcast to the logits' shape ${fmtShape(shape)}`,
    );
  }
  return t;
}

/**
 * Binary cross-entropy on logits, in the stable form
 * l = (1 - y) x + (1 + (posWeight - 1) y) softplus(-x)   (= -[posWeight y log s(x) + (1 - y) log(1 - s(x))]),
 * times `weight` if given, then reduced. Targets y are probabilities with the logits' shape.
 * @example binaryCrossEntropyWithLogits(scores, labels, { posWeight: tensor([3]) })
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  return binaryCrossEntropyWithLogitsAs('binaryCrossEntropyWithLogits', logits, targets, opts);
}

/** `binaryCrossEntropyWithLogits` under the name of its caller (nn.BCEWithLogitsLoss passes 'BCEWithLogitsLoss'). */
export function binaryCrossEntropyWithLogitsAs(
  where: string,
  logits: Tensor,
  targets: Tensor,
  opts: BceWithLogitsOptions = {},
): Tensor {
  opts = checkOptions(opts, where);
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  checkTensor(logits, where, 'logits');
  checkTensor(targets, where, 'targets');
  if (!sameShape(logits.shape, targets.shape)) {
    throw new Error(
      `${where}: targets must have the logits' shape ${fmtShape(logits.shape)}, got ${fmtShape(targets.shape)}`,
    );
  }
  floatData(logits, where, 'logits');
  floatData(targets, where, 'targets');
  const posWeight = checkBroadcastsTo(opts.posWeight, logits.shape, where, 'posWeight');
  const weight = checkBroadcastsTo(opts.weight, logits.shape, where, 'weight');
  const sp = softplus(logits.neg());
  const logWeight = posWeight === null ? null : targets.mul(posWeight.sub(1)).add(1);
  let loss = targets
    .neg()
    .add(1)
    .mul(logits)
    .add(logWeight === null ? sp : sp.mul(logWeight));
  if (weight !== null) loss = loss.mul(weight);
  return reduce(loss, reduction);
}
