/**
 * Loss modules: `CrossEntropyLoss`, `NLLLoss`, `MSELoss`, `BCEWithLogitsLoss`, thin wrappers over the
 * functional losses in src/autograd/ops/loss.ts that keep their options. As in torch, a class
 * `weight` (and `posWeight`) is a buffer, saved in the state dict as `weight` (`pos_weight`).
 */
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  mseLoss,
  nllLoss,
  type BceWithLogitsOptions,
  type ClassTargets,
  type CrossEntropyOptions,
  type MseLossOptions,
  type NllLossOptions,
  type Reduction,
} from '../autograd/ops/loss.js';
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
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    this.registerBuffer('weight');
  }

  /** The loss of `logits` given `targets`. */
  forward(logits: Tensor, targets: ClassTargets): Tensor {
    return crossEntropy(logits, targets, {
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
    this.weight = opts.weight ?? null;
    this.reduction = opts.reduction ?? 'mean';
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.registerBuffer('weight');
  }

  /** The loss of `logp` given `targets`. */
  forward(logp: Tensor, targets: ClassTargets): Tensor {
    return nllLoss(logp, targets, { weight: this.weight, reduction: this.reduction, ignoreIndex: this.ignoreIndex });
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
    this.reduction = opts.reduction ?? 'mean';
  }

  /** The loss of `input` given `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
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
    this.weight = opts.weight ?? null;
    this.posWeight = opts.posWeight ?? null;
    this.reduction = opts.reduction ?? 'mean';
    this.registerBuffer('weight');
    this.registerBuffer('pos_weight', 'posWeight');
  }

  /** The loss of `logits` given probability `targets` of the same shape. */
  forward(logits: Tensor, targets: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(logits, targets, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}
