/**
 * Loss modules: `CrossEntropyLoss`, `NLLLoss`, `MSELoss`, `BCEWithLogitsLoss`, `L1Loss`,
 * `SmoothL1Loss`, `HuberLoss`, `KLDivLoss`, `BCELoss`: thin wrappers over the functional losses in
 * src/autograd/ops/loss.ts and lossMore.ts that keep their options, checked when the module is
 * built (its forward checks nothing: the functional loss's `...As` twin checks the inputs under the
 * module's name, `MSELoss: ...`). As in torch, a class `weight` (and `posWeight`) is a buffer, saved
 * in the state dict as `weight` (`pos_weight`).
 */
import { checkOptionalTensor } from '../autograd/check.js';
import { checkBoolean, checkInteger, checkOptions } from '../tensor/check.js';
import {
  binaryCrossEntropyWithLogitsAs,
  checkLabelSmoothing,
  checkReduction,
  crossEntropyAs,
  mseLossAs,
  nllLossAs,
  type BceWithLogitsOptions,
  type ClassTargets,
  type CrossEntropyOptions,
  type MseLossOptions,
  type NllLossOptions,
  type Reduction,
} from '../autograd/ops/loss.js';
import {
  binaryCrossEntropyAs,
  checkBeta,
  checkDelta,
  checkKLDivReduction,
  huberLossAs,
  klDivAs,
  l1LossAs,
  smoothL1LossAs,
  type BCELossOptions,
  type HuberLossOptions,
  type KLDivOptions,
  type KLDivReduction,
  type L1LossOptions,
  type SmoothL1LossOptions,
} from '../autograd/ops/lossMore.js';
import type { Tensor } from '../autograd/tensor.js';
import { Module } from './module.js';

/**
 * Cross-entropy of logits [N, C, *] against class indices [N, *] (or class probabilities).
 * @example new CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(logits, labels)
 */
export class CrossEntropyLoss extends Module {
  /** Per-class weight [C], or null. */
  weight: Tensor | null;
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;
  /** Targets equal to this are skipped. */
  readonly ignoreIndex: number;
  /** Weight eps of the uniform distribution mixed into the targets. */
  readonly labelSmoothing: number;

  constructor(opts: CrossEntropyOptions = {}) {
    super();
    const where = 'CrossEntropyLoss';
    opts = checkOptions(opts, where);
    this.weight = checkOptionalTensor(opts.weight, where, 'weight');
    this.reduction = checkReduction(opts.reduction ?? 'mean', where);
    this.ignoreIndex = checkInteger(opts.ignoreIndex ?? -100, where, 'ignoreIndex');
    this.labelSmoothing = checkLabelSmoothing(opts.labelSmoothing ?? 0, where);
    this.registerBuffer('weight');
  }

  /** The loss of `logits` given `targets`. */
  forward(logits: Tensor, targets: ClassTargets): Tensor {
    return crossEntropyAs('CrossEntropyLoss', logits, targets, {
      weight: this.weight,
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/**
 * Negative log-likelihood of log-probabilities [N, C, *] against class indices [N, *].
 * @example new NLLLoss().forward(logSoftmax(logits, 1), labels)
 */
export class NLLLoss extends Module {
  /** Per-class weight [C], or null. */
  weight: Tensor | null;
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;
  /** Targets equal to this are skipped. */
  readonly ignoreIndex: number;

  constructor(opts: NllLossOptions = {}) {
    super();
    opts = checkOptions(opts, 'NLLLoss');
    this.weight = checkOptionalTensor(opts.weight, 'NLLLoss', 'weight');
    this.reduction = checkReduction(opts.reduction ?? 'mean', 'NLLLoss');
    this.ignoreIndex = checkInteger(opts.ignoreIndex ?? -100, 'NLLLoss', 'ignoreIndex');
    this.registerBuffer('weight');
  }

  /** The loss of `logp` given `targets`. */
  forward(logp: Tensor, targets: ClassTargets): Tensor {
    return nllLossAs('NLLLoss', logp, targets, {
      weight: this.weight,
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
    });
  }
}

/**
 * Mean squared error (a - b)^2, reduced.
 * @example new MSELoss().forward(prediction, target)
 */
export class MSELoss extends Module {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;

  constructor(opts: MseLossOptions = {}) {
    super();
    opts = checkOptions(opts, 'MSELoss');
    this.reduction = checkReduction(opts.reduction ?? 'mean', 'MSELoss');
  }

  /** The loss of `input` given `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLossAs('MSELoss', input, target, { reduction: this.reduction });
  }
}

/**
 * Binary cross-entropy on logits (stable form), optionally with a positive-class weight.
 * @example new BCEWithLogitsLoss({ posWeight: tensor([3]) }).forward(scores, labels)
 */
export class BCEWithLogitsLoss extends Module {
  /** Rescaling weight broadcast to the loss, or null. */
  weight: Tensor | null;
  /** Weight of positive examples, broadcast along the last axis, or null. */
  posWeight: Tensor | null;
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;

  constructor(opts: BceWithLogitsOptions = {}) {
    super();
    const where = 'BCEWithLogitsLoss';
    opts = checkOptions(opts, where);
    this.weight = checkOptionalTensor(opts.weight, where, 'weight');
    this.posWeight = checkOptionalTensor(opts.posWeight, where, 'posWeight');
    this.reduction = checkReduction(opts.reduction ?? 'mean', where);
    this.registerBuffer('weight');
    this.registerBuffer('pos_weight', 'posWeight');
  }

  /** The loss of `logits` given probability `targets` of the same shape. */
  forward(logits: Tensor, targets: Tensor): Tensor {
    return binaryCrossEntropyWithLogitsAs('BCEWithLogitsLoss', logits, targets, {
      weight: this.weight,
      posWeight: this.posWeight,
      reduction: this.reduction,
    });
  }
}

/**
 * Mean absolute error |a - b|, reduced.
 * @example new L1Loss().forward(prediction, target)
 */
export class L1Loss extends Module {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;

  constructor(opts: L1LossOptions = {}) {
    super();
    opts = checkOptions(opts, 'L1Loss');
    this.reduction = checkReduction(opts.reduction ?? 'mean', 'L1Loss');
  }

  /** The loss of `input` given `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return l1LossAs('L1Loss', input, target, { reduction: this.reduction });
  }
}

/**
 * Smooth L1: quadratic below `beta` (default 1), linear above.
 * @example new SmoothL1Loss({ beta: 0.5 }).forward(boxes, targets)
 */
export class SmoothL1Loss extends Module {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;
  /** Where the loss turns linear. */
  readonly beta: number;

  constructor(opts: SmoothL1LossOptions = {}) {
    super();
    opts = checkOptions(opts, 'SmoothL1Loss');
    this.reduction = checkReduction(opts.reduction ?? 'mean', 'SmoothL1Loss');
    this.beta = checkBeta(opts.beta ?? 1, 'SmoothL1Loss');
  }

  /** The loss of `input` given `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1LossAs('SmoothL1Loss', input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Huber loss: quadratic below `delta` (default 1), linear with slope delta above.
 * @example new HuberLoss({ delta: 2 }).forward(prediction, target)
 */
export class HuberLoss extends Module {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;
  /** Where the loss turns linear. */
  readonly delta: number;

  constructor(opts: HuberLossOptions = {}) {
    super();
    opts = checkOptions(opts, 'HuberLoss');
    this.reduction = checkReduction(opts.reduction ?? 'mean', 'HuberLoss');
    this.delta = checkDelta(opts.delta ?? 1, 'HuberLoss');
  }

  /** The loss of `input` given `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLossAs('HuberLoss', input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * KL divergence of log-probabilities `input` from `target` (probabilities, or log-probabilities with
 * `logTarget`); 'batchmean' gives the KL divergence per sample.
 * @example new KLDivLoss({ reduction: 'batchmean' }).forward(logSoftmax(logits, 1), probs)
 */
export class KLDivLoss extends Module {
  /** 'mean' (torch's default), 'batchmean', 'sum' or 'none'. */
  readonly reduction: KLDivReduction;
  /** Whether the target holds log-probabilities. */
  readonly logTarget: boolean;

  constructor(opts: KLDivOptions = {}) {
    super();
    opts = checkOptions(opts, 'KLDivLoss');
    this.reduction = checkKLDivReduction(opts.reduction ?? 'mean', 'KLDivLoss');
    this.logTarget = checkBoolean(opts.logTarget ?? false, 'KLDivLoss', 'logTarget');
  }

  /** The loss of `input` given `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return klDivAs('KLDivLoss', input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/**
 * Binary cross-entropy of probabilities (after a sigmoid), logs clamped at -100 as in torch.
 * `weight` is a buffer, saved as `weight`.
 * @example new BCELoss().forward(scores.sigmoid(), labels)
 */
export class BCELoss extends Module {
  /** Rescaling weight broadcast to the loss, or null. */
  weight: Tensor | null;
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;

  constructor(opts: BCELossOptions = {}) {
    super();
    opts = checkOptions(opts, 'BCELoss');
    this.weight = checkOptionalTensor(opts.weight, 'BCELoss', 'weight');
    this.reduction = checkReduction(opts.reduction ?? 'mean', 'BCELoss');
    this.registerBuffer('weight');
  }

  /** The loss of `input` given `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyAs('BCELoss', input, target, { weight: this.weight, reduction: this.reduction });
  }
}
