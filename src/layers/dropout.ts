/**
 * `Dropout`: in training mode zeroes each element with probability p and scales the rest by
 * 1/(1-p); in eval mode the identity (torch.nn.Dropout). The mask comes from the seeded generator.
 */
import { checkOptions } from '../tensor/check.js';
import { checkProbability, dropoutAs } from '../autograd/ops/dropout.js';
import type { Tensor } from '../autograd/tensor.js';
import type { Generator } from '../tensor/random.js';
import { Module } from './module.js';

/**
 * Options of `Dropout`.
 * @example new Dropout(0.1, { generator: new Generator(42) })
 */
export interface DropoutModuleOptions {
  /** Draw masks from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

/**
 * y = x * mask / (1 - p) while training (mask ~ Bernoulli(1 - p)), y = x in eval mode.
 * @example const drop = new Dropout(0.1); drop.forward(x); drop.eval().forward(x)  // the second is x
 */
export class Dropout extends Module {
  /** Probability of zeroing an element. */
  readonly p: number;
  private readonly generator: Generator | undefined;

  constructor(p = 0.5, opts: DropoutModuleOptions = {}) {
    super();
    opts = checkOptions(opts, 'Dropout');
    checkProbability(p, 'Dropout');
    this.p = p;
    this.generator = opts.generator;
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }

  /** Dropout while `training`, identity otherwise. */
  forward(x: Tensor): Tensor {
    return dropoutAs('Dropout', x, this.p, {
      training: this.training,
      ...(this.generator ? { generator: this.generator } : {}),
    });
  }
}
