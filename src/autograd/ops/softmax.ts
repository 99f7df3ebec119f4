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
 * computes the forward, so that the backward is exact and cheap. Along the last axis (the common
 * case: classes, attention keys) each direction is one kernel call, `kernels().softmaxRows` /
 * `softmaxBackwardRows` (src/tensor/kernels/softmax.ts, the same formulas); along another axis,
 * the ops below. Derivation: docs/derivations/small-models.md.
 */
import { kernels } from '../../kernels/registry.js';
import { describeValue } from '../../tensor/check.js';
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import { normalizeAxis } from '../../tensor/shape.js';
import { floatData } from '../dtypeCheck.js';
import { checkTensor } from '../check.js';
import { noGrad } from '../gradMode.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

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

/** Softmax (or log-softmax) of x along its last axis: one kernel call over [rows, n]. */
function lastAxisForward(x: Tensor, log: boolean): Tensor {
  const n = x.ndim === 0 ? 1 : x.shape[x.ndim - 1]!;
  const out = allocate(x.dtype, x.size);
  kernels().softmaxRows(x.data as FloatArray, n === 0 ? 0 : x.size / n, n, log, out as FloatArray);
  return new Tensor(out, x.shape);
}

/** The backward of `lastAxisForward` from its output y and the gradient g of y. */
function lastAxisBackward(y: Tensor, g: Tensor, log: boolean): Tensor {
  const n = y.ndim === 0 ? 1 : y.shape[y.ndim - 1]!;
  const dx = allocate(y.dtype, y.size);
  const gd = g.data as FloatArray;
  kernels().softmaxBackwardRows(y.data as FloatArray, gd, n === 0 ? 0 : y.size / n, n, log, dx as FloatArray);
  return new Tensor(dx, y.shape);
}

/**
 * Softmax along `axis`: y = e^(x - max) / sum(e^(x - max)).
 * @example softmax(tensor([[1, 2, 3]]), -1)  // [[0.0900, 0.2447, 0.6652]]
 */
export function softmax(x: Tensor, axis: number): Tensor {
  return softmaxAs('softmax', x, axis);
}

/** `softmax` under the name of its caller (nn.Softmax passes 'Softmax'). */
export function softmaxAs(where: string, x: Tensor, axis: number): Tensor {
  const a = checkInput(x, axis, where);
  const last = a === x.ndim - 1 || x.ndim === 0;
  const y = last
    ? lastAxisForward(x, false)
    : noGrad(() => {
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
      return [last ? lastAxisBackward(yv, g, false) : yv.mul(g.sub(g.mul(yv).sum(a, true)))];
    },
    { axis: a },
  );
}

/**
 * Log-softmax along `axis`: y = x - max - log(sum(e^(x - max))).
 * @example logSoftmax(tensor([1e4, 0]), 0)  // [0, -10000]: finite, no overflow
 */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  return logSoftmaxAs('logSoftmax', x, axis);
}

/** `logSoftmax` under the name of its caller (nn.LogSoftmax passes 'LogSoftmax'). */
export function logSoftmaxAs(where: string, x: Tensor, axis: number): Tensor {
  const a = checkInput(x, axis, where);
  const last = a === x.ndim - 1 || x.ndim === 0;
  const y = last
    ? lastAxisForward(x, true)
    : noGrad(() => {
        const shifted = x.sub(x.amax(a, true));
        return shifted.sub(shifted.exp().sum(a, true).log());
      });
  const ys = saveForBackward(y, 'logSoftmax');
  return record(
    y,
    'logSoftmax',
    [x],
    (g) => [last ? lastAxisBackward(ys(), g, true) : g.sub(ys().exp().mul(g.sum(a, true)))],
    { axis: a },
  );
}
