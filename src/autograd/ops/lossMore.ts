/**
 * More losses with torch.nn.functional semantics (reductions as in ./loss.ts):
 *
 *   l1Loss(a, b)             l = |a - b|
 *   smoothL1Loss(a, b, beta) l = |d| < beta ? d^2 / (2 beta) : |d| - beta / 2,   d = a - b (beta 0: L1)
 *   huberLoss(a, b, delta)   l = |d| < delta ? d^2 / 2 : delta (|d| - delta / 2)
 *   klDiv(x, t)              l = t (ln t - x)  (0 where t = 0);  logTarget: l = e^t (t - x);
 *                            x holds log-probabilities; 'batchmean' divides the sum by x.shape[0]
 *   binaryCrossEntropy(p, y) l = -(y max(ln p, -100) + (1 - y) max(ln(1 - p), -100)), times weight
 *
 * Broadcasting between input and target (all but binaryCrossEntropy, which wants equal shapes, as
 * torch) comes from the subtraction; the elementwise ops below carry their own derivatives:
 *   smoothL1 / huber of d:  dl/dd = |d| < beta ? d / beta : sign(d)   (huber: d, delta sign(d))
 *   binaryCrossEntropy:     dl/dp = (p - y) / max(p (1 - p), 1e-12)   (torch's formula, not the
 *                           derivative of the clamped logs),  dl/dy = ln(1 - p) - ln p
 */
import { describeValue } from '../../tensor/check.js';
import { allocateFloat } from '../../tensor/dtype.js';
import { floatData } from '../dtypeCheck.js';
import { fmtShape, sameShape } from '../../tensor/shape.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';
import { xlogySelf } from './activation.js';
import { checkReduction, reduce, type Reduction } from './loss.js';

/**
 * Options of `l1Loss`.
 * @example l1Loss(prediction, target, { reduction: 'sum' })
 */
export interface L1LossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Options of `smoothL1Loss`.
 * @example smoothL1Loss(boxes, targets, { beta: 1 / 9 })
 */
export interface SmoothL1LossOptions extends L1LossOptions {
  /** Where the loss turns from quadratic to linear, >= 0 (default 1; 0 gives the L1 loss). */
  beta?: number;
}

/**
 * Options of `huberLoss`.
 * @example huberLoss(prediction, target, { delta: 0.5 })
 */
export interface HuberLossOptions extends L1LossOptions {
  /** Where the loss turns from quadratic to linear, > 0 (default 1). */
  delta?: number;
}

/**
 * How `klDiv` reduces: torch's 'batchmean' (the sum divided by the batch size, the true KL
 * divergence per sample), 'mean' (over every element), 'sum' or 'none'.
 * @example klDiv(logq, p, { reduction: 'batchmean' })
 */
export type KLDivReduction = Reduction | 'batchmean';

/**
 * Options of `klDiv`.
 * @example klDiv(logSoftmax(student, 1), logSoftmax(teacher, 1), { reduction: 'batchmean', logTarget: true })
 */
export interface KLDivOptions {
  /** 'mean' (default, as torch), 'batchmean', 'sum' or 'none'. */
  reduction?: KLDivReduction;
  /** The target holds log-probabilities too (default false). */
  logTarget?: boolean;
}

/**
 * Options of `binaryCrossEntropy`.
 * @example binaryCrossEntropy(probs, labels, { weight: classWeights })
 */
export interface BCELossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
  /** A rescaling weight broadcast to the input's shape. */
  weight?: Tensor | null;
}

function checkPair(a: Tensor, b: Tensor, where: string): void {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) {
    throw new Error(`${where}: input and target must be Tensors, got ${describeValue(a)} and ${describeValue(b)}`);
  }
}

/**
 * Mean absolute error |a - b| (broadcast), reduced.
 * @example l1Loss(tensor([1, 2]), tensor([0, 4]))  // 1.5
 */
export function l1Loss(input: Tensor, target: Tensor, opts: L1LossOptions = {}): Tensor {
  return l1LossAs('l1Loss', input, target, opts);
}

/** `l1Loss` under the name of its caller (nn.L1Loss passes 'L1Loss'). */
export function l1LossAs(where: string, input: Tensor, target: Tensor, opts: L1LossOptions = {}): Tensor {
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  checkPair(input, target, where);
  return reduce(input.sub(target).abs(), reduction);
}

/** The piecewise quadratic/linear loss of a difference d, with its derivative (see the header). */
function quadraticThenLinear(d: Tensor, width: number, kind: 'smoothL1' | 'huber'): Tensor {
  const ds = floatData(d, kind === 'smoothL1' ? 'smoothL1Loss' : 'huberLoss');
  const y = allocateFloat(ds, d.size);
  for (let i = 0; i < ds.length; i++) {
    const z = Math.abs(ds[i]!);
    if (kind === 'smoothL1') y[i] = z < width ? (0.5 * z * z) / width : z - 0.5 * width;
    else y[i] = z < width ? 0.5 * z * z : width * (z - 0.5 * width);
  }
  return record(new Tensor(y, d.shape), kind === 'smoothL1' ? 'smoothL1Loss' : 'huberLoss', [d], (g) => {
    const dd = allocateFloat(ds, d.size);
    const linearSlope = kind === 'smoothL1' ? 1 : width;
    for (let i = 0; i < ds.length; i++) {
      const x = ds[i]!;
      const quadratic = kind === 'smoothL1' ? x / width : x;
      dd[i] = Math.abs(x) < width ? quadratic : linearSlope * Math.sign(x); // dl/dd
    }
    return [g.mul(new Tensor(dd, d.shape))];
  });
}

/** Throws unless beta (smooth L1's turning point) is a number >= 0; returns it. */
export function checkBeta(beta: number, where: string): number {
  if (typeof beta !== 'number' || !(beta >= 0)) {
    throw new Error(`${where}: beta must be a number >= 0, got ${describeValue(beta)}`);
  }
  return beta;
}

/** Throws unless delta (Huber's turning point) is a number > 0; returns it. */
export function checkDelta(delta: number, where: string): number {
  if (typeof delta !== 'number' || !(delta > 0)) {
    throw new Error(`${where}: delta must be a number > 0, got ${describeValue(delta)}`);
  }
  return delta;
}

/** Throws unless reduction is 'batchmean' or one of checkReduction's; returns it. */
export function checkKLDivReduction(reduction: KLDivReduction, where: string): KLDivReduction {
  return reduction === 'batchmean' ? reduction : checkReduction(reduction, where);
}

/**
 * Smooth L1: quadratic below `beta`, linear above (torch's smooth_l1_loss; beta 0 is the L1 loss).
 * @example smoothL1Loss(tensor([0.5, 3]), tensor([0, 0]))  // mean(0.125, 2.5) = 1.3125
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  return smoothL1LossAs('smoothL1Loss', input, target, opts);
}

/** `smoothL1Loss` under the name of its caller (nn.SmoothL1Loss passes 'SmoothL1Loss'). */
export function smoothL1LossAs(where: string, input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  checkPair(input, target, where);
  const beta = checkBeta(opts.beta ?? 1, where);
  if (beta === 0) return l1Loss(input, target, { reduction });
  return reduce(quadraticThenLinear(input.sub(target), beta, 'smoothL1'), reduction);
}

/**
 * Huber: quadratic below `delta`, linear above, scaled so the slope is delta (torch's huber_loss).
 * @example huberLoss(tensor([0.5, 3]), tensor([0, 0]))  // mean(0.125, 2.5) = 1.3125
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  return huberLossAs('huberLoss', input, target, opts);
}

/** `huberLoss` under the name of its caller (nn.HuberLoss passes 'HuberLoss'). */
export function huberLossAs(where: string, input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  checkPair(input, target, where);
  const delta = checkDelta(opts.delta ?? 1, where);
  return reduce(quadraticThenLinear(input.sub(target), delta, 'huber'), reduction);
}

/**
 * Kullback-Leibler divergence KL(target || exp(input)) pointwise, `input` being log-probabilities.
 * @example klDiv(logSoftmax(logits, 1), targetProbs, { reduction: 'batchmean' })
 */
export function klDiv(input: Tensor, target: Tensor, opts: KLDivOptions = {}): Tensor {
  return klDivAs('klDiv', input, target, opts);
}

/** `klDiv` under the name of its caller (nn.KLDivLoss passes 'KLDivLoss'). */
export function klDivAs(where: string, input: Tensor, target: Tensor, opts: KLDivOptions = {}): Tensor {
  const reduction = checkKLDivReduction(opts.reduction ?? 'mean', where);
  checkPair(input, target, where);
  const logTarget = opts.logTarget ?? false;
  if (typeof logTarget !== 'boolean') {
    throw new Error(`${where}: logTarget must be true or false, got ${describeValue(logTarget)}`);
  }
  const loss = logTarget ? target.exp().mul(target.sub(input)) : xlogySelf(target).sub(target.mul(input));
  if (reduction !== 'batchmean') return reduce(loss, reduction);
  if (input.ndim === 0) {
    throw new Error(`${where}: reduction 'batchmean' needs an input with a batch axis, got shape []`);
  }
  return loss.sum().div(input.shape[0]!);
}

/**
 * Binary cross-entropy of probabilities `input` in [0, 1] against `target` of the same shape, with
 * torch's clamp of each log at -100 (so that p = 0 or 1 gives a finite loss).
 * @example binaryCrossEntropy(tensor([0.9, 0.2]), tensor([1, 0]))  // mean(-ln 0.9, -ln 0.8)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BCELossOptions = {}): Tensor {
  return binaryCrossEntropyAs('binaryCrossEntropy', input, target, opts);
}

/** `binaryCrossEntropy` under the name of its caller (nn.BCELoss passes 'BCELoss'). */
export function binaryCrossEntropyAs(where: string, input: Tensor, target: Tensor, opts: BCELossOptions = {}): Tensor {
  const reduction = checkReduction(opts.reduction ?? 'mean', where);
  checkPair(input, target, where);
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(
      `${where}: target must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`,
    );
  }
  const p = floatData(input, where);
  const t = floatData(target, where, 'target');
  const y = allocateFloat(p, input.size);
  for (let i = 0; i < p.length; i++) {
    if (!(p[i]! >= 0 && p[i]! <= 1)) {
      throw new Error(`${where}: all elements of input should be between 0 and 1, got ${p[i]} at flat index ${i}`);
    }
    y[i] = (t[i]! - 1) * Math.max(Math.log1p(-p[i]!), -100) - t[i]! * Math.max(Math.log(p[i]!), -100);
  }
  const saved = [saveForBackward(input), saveForBackward(target)]; // backward reads p and t
  let loss = record(new Tensor(y, input.shape), 'binaryCrossEntropy', [input, target], (g) => {
    for (const check of saved) check();
    const dp = allocateFloat(p, input.size);
    const dt = allocateFloat(p, input.size);
    for (let i = 0; i < p.length; i++) {
      dp[i] = (p[i]! - t[i]!) / Math.max((1 - p[i]!) * p[i]!, 1e-12); // dl/dp, torch's EPSILON 1e-12
      dt[i] = Math.log1p(-p[i]!) - Math.log(p[i]!); // dl/dy = -logit(p)
    }
    return [g.mul(new Tensor(dp, input.shape)), target.requiresGrad ? g.mul(new Tensor(dt, input.shape)) : null];
  });
  if (opts.weight !== undefined && opts.weight !== null) loss = loss.mul(opts.weight);
  return reduce(loss, reduction);
}
