/**
 * softmax and logSoftmax along one axis, numerically stable: the maximum m along the axis is
 * subtracted first (max and sum run on the shared axis-reduction kernel through the `max` and `sum`
 * ops), so exp never overflows.
 *
 *   softmax:     y = e^(x - m) / sum e^(x - m)
 *                dx = y * (dy - sum(dy * y))                 (sums along the axis)
 *   logSoftmax:  y = x - m - log(sum e^(x - m))
 *                dx = dy - e^y * sum(dy)                      (e^y is the softmax)
 *
 * Each is recorded as one node with its analytic backward, rather than as the chain of ops that
 * computes the forward, so that the backward is exact and cheap. Derivation:
 * docs/derivations/small-models.md.
 */
import { describeValue } from '../../tensor/check.js';
import { normalizeAxis } from '../../tensor/shape.js';
import { floatData } from '../dtypeCheck.js';
import { checkTensor } from '../check.js';
import { noGrad } from '../gradMode.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { type Tensor } from '../tensor.js';

function checkInput(x: Tensor, axis: number, where: string): number {
  checkTensor(x, where, 'x');
  floatData(x, where, 'x');
  if (axis === undefined || axis === null) {
    throw new Error(
      `${where}: axis must be given (an integer in [${-x.ndim}, ${Math.max(x.ndim, 1) - 1}]), got ` +
        `${describeValue(axis)}`,
    );
  }
  return x.ndim === 0 ? 0 : normalizeAxis(axis, x.ndim, where, 'axis');
}

/**
 * Softmax along `axis`: y = e^(x - max) / sum(e^(x - max)).
 * @example softmax(tensor([[1, 2, 3]]), -1)  // [[0.0900, 0.2447, 0.6652]]
 */
export function softmax(x: Tensor, axis: number): Tensor {
  const a = checkInput(x, axis, 'softmax');
  const y = noGrad(() => {
    const e = x.sub(x.amax(a, true)).exp();
    return e.div(e.sum(a, true));
  });
  const ys = saveForBackward(y, 'softmax');
  return record(
    y,
    'softmax',
    [x],
    (g) => {
      const yv = ys();
      return [yv.mul(g.sub(g.mul(yv).sum(a, true)))];
    },
    { axis: a },
  );
}

/**
 * Log-softmax along `axis`: y = x - max - log(sum(e^(x - max))).
 * @example logSoftmax(tensor([1e4, 0]), 0)  // [0, -10000]: finite, no overflow
 */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  const a = checkInput(x, axis, 'logSoftmax');
  const y = noGrad(() => {
    const shifted = x.sub(x.amax(a, true));
    return shifted.sub(shifted.exp().sum(a, true).log());
  });
  const ys = saveForBackward(y, 'logSoftmax');
  return record(y, 'logSoftmax', [x], (g) => [g.sub(ys().exp().mul(g.sum(a, true)))], { axis: a });
}
