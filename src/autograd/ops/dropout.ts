/**
 * Dropout (torch.nn.functional.dropout): during training every element is zeroed with probability p
 * and the survivors are scaled by 1 / (1 - p), so E[y] = x; outside training it is the identity.
 *   y = x * mask,  mask[i] in {0, 1/(1-p)} drawn from the seeded generator;  dx = dy * mask
 * The mask is a constant of the graph, so the backward is `mul`'s rule.
 */
import { allocate } from '../../tensor/dtype.js';
import { fillDropoutMask } from '../../tensor/kernels/dropout.js';
import { defaultGenerator, type Generator } from '../../tensor/random.js';
import { floatData } from '../dtypeCheck.js';
import { checkBoolean, checkOptions, describeValue } from '../../tensor/check.js';
import { checkTensor } from '../check.js';
import { observed } from '../record.js';
import { Tensor } from '../tensor.js';

/**
 * Options of `dropout`.
 * @example dropout(x, 0.2, { training: model.training })
 */
export interface DropoutOptions {
  /** Apply dropout (default true, like torch.nn.functional.dropout); false returns x unchanged. */
  training?: boolean;
  /** Draw the mask from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

/** Throws unless p is a probability. */
export function checkProbability(p: number, where: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new Error(`${where}: dropout probability p must be in [0, 1], got ${describeValue(p)}`);
  }
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p) (identity when not training).
 * @example dropout(ones([4]), 0.5)  // e.g. [2, 0, 2, 2]
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  return observed('dropout', [x, p, opts], () => dropoutOp(x, p, opts));
}

function dropoutOp(x: Tensor, p: number, opts: DropoutOptions): Tensor {
  opts = checkOptions(opts, 'dropout');
  checkProbability(p, 'dropout');
  return dropoutAs('dropout', x, p, opts);
}

/** `dropout` under the name of its caller, p and opts already checked (nn.Dropout passes 'Dropout'). */
export function dropoutAs(where: string, x: Tensor, p: number, opts: DropoutOptions): Tensor {
  checkTensor(x, where, 'x');
  const xd = floatData(x, where);
  if (!checkBoolean(opts.training ?? true, where, 'training') || p === 0) return x;
  const mask = allocate(x.dtype === 'float64' ? 'float64' : 'float32', xd.length);
  fillDropoutMask(mask, p, opts.generator ?? defaultGenerator);
  return x.mul(new Tensor(mask, x.shape));
}
