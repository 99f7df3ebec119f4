/**
 * Reductions over any set of axes, all on the shared axis-reduction kernel
 * (`src/tensor/kernels/axisReduce.ts`).
 *
 * dtypes, like torch: sum of int32 or bool is int32 (torch: int64; a sum outside int32's range
 * throws), max keeps the dtype, and mean and var need a floating tensor.
 */
import { allocate, convertInto, isFloating, type DType, type FloatArray } from '../../tensor/dtype.js';
import { floatData } from '../dtypeCheck.js';
import { kernels } from '../../tensor/backend.js';
import { planAxes, reduceMax, type AxisPlan } from '../../tensor/kernels/axisReduce.js';
import { normalizeAxes, type Shape } from '../../tensor/shape.js';
import { binaryForward } from './binary.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/**
 * Options of `Tensor.var`.
 * @example
 * x.var(-1, { correction: 0, keepDim: true }); // population variance per row, shape [..., 1]
 */
export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (default) is unbiased, 0 the population variance. */
  correction?: number;
  /** Keep reduced axes as size 1. */
  keepDim?: boolean;
}

interface Reduction {
  axes: number[];
  plan: AxisPlan;
  /** The output shape with reduced axes kept as 1: what the gradient is reshaped to before expanding. */
  keptShape: number[];
  outShape: number[];
}

function planReduction(x: Tensor, axes: number | readonly number[] | undefined, keepDim: boolean, where: string): Reduction {
  const norm = normalizeAxes(axes, x.ndim, where);
  const keptShape = x.shape.map((d, i) => (norm.includes(i) ? 1 : d));
  const outShape = keepDim ? keptShape : x.shape.filter((_, i) => !norm.includes(i));
  return { axes: norm, plan: planAxes(x.shape, norm), keptShape, outShape };
}

function fromStats(stats: Float64Array, like: Tensor, shape: Shape, dtype: DType = like.dtype, where = ''): Tensor {
  const out = allocate(dtype, stats.length);
  convertInto(stats, out, where);
  return new Tensor(out, shape);
}

/** The values to reduce as a float array: x's own storage when floating, else a float64 copy. */
function reducible(x: Tensor): FloatArray {
  return isFloating(x.dtype) ? floatData(x, 'reduce') : Float64Array.from(x.data);
}

/** The gradient of a reduction, broadcast back over the reduced axes. */
function expandBack(g: Tensor, r: Reduction, x: Tensor): Tensor {
  return g.reshape(r.keptShape).expand(x.shape);
}

/** `sum` over axes. d/dx = 1 for every element that was summed. */
export function sum(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const r = planReduction(x, axes, keepDim, 'sum');
  const acc = new Float64Array(r.plan.statSize);
  kernels().reduceSum(reducible(x), r.plan, acc);
  const dtype = isFloating(x.dtype) ? x.dtype : 'int32';
  return record(fromStats(acc, x, r.outShape, dtype, 'sum'), 'sum', [x], (g) => [expandBack(g, r, x)]);
}

/** `mean` over axes. d/dx = 1/n. */
export function mean(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const r = planReduction(x, axes, keepDim, 'mean');
  const acc = new Float64Array(r.plan.statSize);
  kernels().reduceSum(floatData(x, 'mean'), r.plan, acc);
  const n = r.plan.count;
  for (let s = 0; s < acc.length; s++) acc[s] = acc[s]! / n;
  return record(fromStats(acc, x, r.outShape), 'mean', [x], (g) => [expandBack(g, r, x).div(n)]);
}

/**
 * Variance over axes: `sum((x - mean)^2) / (n - correction)`, two-pass in float64.
 * d/dx = 2 (x - mean) / (n - correction).
 */
export function variance(x: Tensor, axes?: number | readonly number[], opts: VarOptions = {}): Tensor {
  const correction = opts.correction ?? 1;
  if (!Number.isFinite(correction) || correction < 0) {
    throw new Error(`var: correction must be a finite number >= 0, got ${correction}`);
  }
  const r = planReduction(x, axes, opts.keepDim ?? false, 'var');
  const meanAcc = new Float64Array(r.plan.statSize);
  const m2 = new Float64Array(r.plan.statSize);
  kernels().moments(floatData(x, 'var'), r.plan, meanAcc, m2);
  const dof = Math.max(0, r.plan.count - correction);
  const v = new Float64Array(m2.length);
  for (let s = 0; s < v.length; s++) v[s] = m2[s]! / dof;
  return record(fromStats(v, x, r.outShape), 'var', [x], (g) => {
    const centered = x.sub(fromStats(meanAcc, x, r.keptShape));
    return [expandBack(g, r, x).mul(centered).mul(2 / dof)];
  });
}

/**
 * Maximum over axes (torch.amax). The gradient goes to the maximal elements, split evenly among
 * ties: d/dx = [x == max] / (number of ties).
 */
export function max(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  const r = planReduction(x, axes, keepDim, 'max');
  if (r.plan.count === 0 && r.plan.statSize > 0) {
    throw new Error(`max: cannot reduce over an axis of size 0 (input shape [${x.shape.join(', ')}])`);
  }
  const acc = new Float64Array(r.plan.statSize);
  reduceMax(reducible(x), r.plan, acc);
  const y = fromStats(acc, x, r.outShape);
  return record(y, 'max', [x], (g) => {
    const mask = binaryForward('eq', x, y.reshape(r.keptShape), 'max');
    const ties = sum(mask, r.axes, true);
    return [expandBack(g, r, x).mul(mask).div(ties)];
  });
}
