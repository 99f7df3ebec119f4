/**
 * Reductions over any set of axes, all on the shared axis-reduction kernel
 * (`src/tensor/kernels/axisReduce.ts`).
 *
 * dtypes, like torch: sum of int32 or bool is int32 (torch: int64; a sum outside int32's range
 * throws), max keeps the dtype, and mean and var need a floating tensor.
 */
import { allocate, convertInto, isFloating, type DType, type FloatArray } from '../../tensor/dtype.js';
import { floatData } from '../dtypeCheck.js';
import { kernels } from '../../kernels/registry.js';
import { planAxes, reduceMax, type AxisPlan } from '../../tensor/kernels/axisReduce.js';
import { checkBoolean, checkOptions, describeValue } from '../../tensor/check.js';
import { fmtShape, normalizeAxes, type Shape } from '../../tensor/shape.js';
import { axisLines, prodLines, prodOthersLines } from '../../tensor/kernels/alongAxis.js';
import { reduceVectorNorm } from '../../tensor/kernels/vectorNorm.js';
import { binaryForward, castOperand, equal, zeroWhere } from './binary.js';
import { unaryForward } from './unary.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
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

function planReduction(
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepDim: boolean,
  where: string,
): Reduction {
  checkBoolean(keepDim, where, 'keepDim');
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

/** The parts of a variance: the reduction, float64 means (kept shape), the variance, the divisor. */
interface VarianceParts {
  r: Reduction;
  meanAcc: Float64Array;
  v: Float64Array;
  dof: number;
}

function varianceParts(
  x: Tensor,
  axes: number | readonly number[] | undefined,
  opts: VarOptions,
  where: string,
): VarianceParts {
  const correction = opts.correction ?? 1;
  if (!Number.isFinite(correction) || correction < 0) {
    throw new Error(`${where}: correction must be a finite number >= 0, got ${describeValue(correction)}`);
  }
  const r = planReduction(x, axes, opts.keepDim ?? false, where);
  const meanAcc = new Float64Array(r.plan.statSize);
  const m2 = new Float64Array(r.plan.statSize);
  kernels().moments(floatData(x, where), r.plan, meanAcc, m2);
  const dof = Math.max(0, r.plan.count - correction);
  const v = new Float64Array(m2.length);
  for (let s = 0; s < v.length; s++) v[s] = m2[s]! / dof;
  return { r, meanAcc, v, dof };
}

/**
 * Variance over axes: `sum((x - mean)^2) / (n - correction)`, two-pass in float64.
 * d/dx = 2 (x - mean) / (n - correction).
 */
export function variance(x: Tensor, axes?: number | readonly number[], opts: VarOptions = {}): Tensor {
  opts = checkOptions(opts, 'var');
  const { r, meanAcc, v, dof } = varianceParts(x, axes, opts, 'var');
  const xs = saveForBackward(x);
  return record(fromStats(v, x, r.outShape), 'var', [x], (g) => {
    const centered = xs().sub(fromStats(meanAcc, x, r.keptShape));
    return [
      expandBack(g, r, x)
        .mul(centered)
        .mul(2 / dof),
    ];
  });
}

/** 1 where x is NaN, else 0 (no gradient). */
function nanMask(x: Tensor): Tensor {
  const out = allocate(x.dtype, x.size);
  for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(x.data[i]!) ? 1 : 0;
  return new Tensor(out, x.shape);
}

/**
 * Standard deviation over axes: `sqrt(var)`, with var's `correction` (default 1) and two-pass
 * float64 moments. d/dx = (x - mean) / ((n - correction) std), and 0 where std = 0 (torch's
 * std_backward masks the 1 / (2 std) factor there).
 */
export function std(x: Tensor, axes?: number | readonly number[], opts: VarOptions = {}): Tensor {
  const { r, meanAcc, v, dof } = varianceParts(x, axes, opts, 'std');
  for (let s = 0; s < v.length; s++) v[s] = Math.sqrt(v[s]!);
  const y = fromStats(v, x, r.outShape);
  const [xs, ys] = [saveForBackward(x), saveForBackward(y, 'std')];
  return record(y, 'std', [x], (g) => {
    const yv = ys();
    const centered = xs().sub(fromStats(meanAcc, x, r.keptShape));
    const scale = zeroWhere(g.div(yv.mul(dof)), equal(yv, 0)); // g / (dof std), 0 at std = 0
    return [expandBack(scale, r, x).mul(centered)];
  });
}

/**
 * Maximum over axes (torch.amax). The gradient goes to the maximal elements, split evenly among
 * ties: d/dx = [x == max] / (number of ties). `where` names the op in errors.
 */
export function max(x: Tensor, axes?: number | readonly number[], keepDim = false, where = 'max'): Tensor {
  return extremeOver(x, axes, keepDim, 'max', where);
}

/**
 * Minimum over axes (torch.amin): the values of `-amax(-x)`, so ties share the gradient evenly
 * (d/dx = [x == min] / (number of ties)) and NaN propagates. Saves x and its own output, as torch.
 */
export function amin(x: Tensor, axes?: number | readonly number[], keepDim = false): Tensor {
  return extremeOver(x, axes, keepDim, 'min', 'amin');
}

function extremeOver(
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepDim: boolean,
  mode: 'max' | 'min',
  where: string,
): Tensor {
  const r = planReduction(x, axes, keepDim, where);
  if (r.plan.count === 0 && r.plan.statSize > 0) {
    throw new Error(`${where}: cannot reduce over an axis of size 0 (input shape [${x.shape.join(', ')}])`);
  }
  const acc = new Float64Array(r.plan.statSize);
  if (mode === 'max') {
    reduceMax(reducible(x), r.plan, acc);
  } else {
    reduceMax(
      Float64Array.from(x.data, (v) => -v),
      r.plan,
      acc,
    ); // min = -max(-x)
    for (let i = 0; i < acc.length; i++) acc[i] = -acc[i]!;
  }
  const y = fromStats(acc, x, r.outShape);
  const [xs, ys] = [saveForBackward(x), saveForBackward(y, where)];
  return record(y, where, [x], (g) => {
    // NaN, as torch: over all axes (torch.max(x)) a NaN extreme sends the gradient to the NaNs,
    // split evenly; over given axes (torch.amax) a NaN extreme matches nothing and its slice gets 0/0 = NaN.
    const xv = xs();
    const yv = ys();
    const nanOverAll = axes === undefined && Number.isNaN(yv.data[0]);
    const mask = nanOverAll ? nanMask(xv) : binaryForward('eq', xv, yv.reshape(r.keptShape), where);
    const ties = sum(mask, r.axes, true);
    return [expandBack(g, r, x).mul(mask).div(ties)];
  });
}

/**
 * Product of all elements, or along `dim` (torch.prod), accumulated in float64.
 * d/dx[k] = the product of the other elements of its line, computed from prefix and suffix
 * products without dividing by x[k], so zeros get torch's exact gradient (alongAxis.ts).
 */
export function prod(x: Tensor, dim?: number, keepDim = false): Tensor {
  if (dim !== undefined && typeof dim !== 'number')
    throw new Error(`prod: dim must be one axis (a number), got ${String(dim)}`);
  const r = planReduction(x, dim, keepDim, 'prod');
  const lines = dim === undefined ? { outer: 1, n: x.size, inner: 1 } : axisLines(x.shape, r.axes[0] ?? 0);
  const acc = new Float64Array(r.plan.statSize);
  prodLines(reducible(x), lines, acc);
  const dtype = isFloating(x.dtype) ? x.dtype : 'int32'; // like sum (torch: int64)
  const xs = saveForBackward(x);
  return record(fromStats(acc, x, r.outShape, dtype, 'prod'), 'prod', [x], (g) => {
    const others = allocate(x.dtype as 'float32' | 'float64', x.size); // x requires grad: floating
    prodOthersLines(floatData(xs(), 'prod'), lines, others);
    return [expandBack(g, r, x).mul(new Tensor(others, x.shape))];
  });
}

/**
 * `log(sum(exp(x)))` over `dim` (one axis or several; required, as in torch), computed stably as
 * `m + log(sum(exp(x - m)))` with m the maximum, replaced by 0 where it is infinite (torch's rule:
 * a row of -inf gives -inf, a +inf gives +inf, NaN propagates), the sum in float64.
 * d/dx = exp(x - logsumexp) (softmax over the reduced axes).
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepDim = false): Tensor {
  if (dim === undefined) throw new Error('logsumexp: dim must be an axis or a list of axes, got undefined');
  const r = planReduction(x, dim, keepDim, 'logsumexp');
  if (!isFloating(x.dtype)) x = castOperand(x.dtype === 'bool' ? x.to('int32') : x, 'float32'); // torch: float32
  const m = new Float64Array(r.plan.statSize);
  reduceMax(floatData(x, 'logsumexp'), r.plan, m);
  for (let s = 0; s < m.length; s++) if (Math.abs(m[s]!) === Infinity) m[s] = 0;
  const shifted = unaryForward('exp', binaryForward('sub', x, fromStats(m, x, r.keptShape), 'logsumexp'));
  const acc = new Float64Array(r.plan.statSize);
  kernels().reduceSum(floatData(shifted, 'logsumexp'), r.plan, acc);
  for (let s = 0; s < acc.length; s++) acc[s] = Math.log(acc[s]!) + m[s]!;
  const y = fromStats(acc, x, r.outShape);
  const [xs, ys] = [saveForBackward(x), saveForBackward(y, 'logsumexp')];
  return record(y, 'logsumexp', [x], (g) => [
    expandBack(g, r, x).mul(unaryForward('exp', xs().sub(ys().reshape(r.keptShape)))),
  ]);
}

/**
 * The vector p-norm over `dim` (all axes by default), torch.linalg.vector_norm: p = 2 (default),
 * 1, inf (max |x|), -inf (min |x|), 0 (count of non-zeros; no gradient), or any other number
 * ((sum |x|^p)^(1/p)). Gradient, torch's norm_backward (n = the norm, sgn(0) = 0):
 *   p = 1: sgn(x);  p = 2: x / n (0 where n = 0);
 *   p = +-inf: sgn(x) on the elements with |x| = n (or NaN), shared evenly among them;
 *   p < 1: sgn(x) |x|^(p-1) n^(1-p), 0 where x = 0;
 *   1 < p < 2: sgn(x) |x|^(p-1) / n^(p-1);  p > 2: x |x|^(p-2) / n^(p-1); both 0 where n = 0.
 */
export function norm(x: Tensor, p = 2, dim?: number | readonly number[], keepDim = false): Tensor {
  if (typeof p !== 'number') throw new Error(`norm: p must be a number, got ${typeof p}`);
  const r = planReduction(x, dim, keepDim, 'norm');
  if ((p < 0 || p === Infinity) && r.plan.count === 0 && r.plan.statSize > 0) {
    throw new Error(
      `norm: cannot compute the ${p === Infinity ? 'inf' : p} norm on an empty tensor because the ` +
        `operation does not have an identity (input shape ${fmtShape(x.shape)})`,
    );
  }
  const acc = new Float64Array(r.plan.statSize);
  reduceVectorNorm(floatData(x, 'norm'), r.plan, p, acc);
  const y = fromStats(acc, x, r.outShape);
  const [xs, ys] = [saveForBackward(x), saveForBackward(y, 'norm')];
  return record(y, 'norm', [x], (g) => {
    if (p === 0) return [null];
    const n = ys().reshape(r.keptShape);
    x = xs();
    const gx = expandBack(g, r, x);
    const sgn = unaryForward('sign', x);
    const absX = unaryForward('abs', x);
    if (p === 1) return [gx.mul(sgn)];
    if (p === 2) return [zeroWhere(gx.div(n), equal(n, 0)).mul(x)];
    if (Math.abs(p) === Infinity) {
      const hit = binaryForward('max', equal(absX, n), equal(absX, absX).neg().add(1), 'norm'); // |x| = n, or NaN;
      return [
        gx
          .mul(sgn)
          .mul(hit)
          .div(sum(hit, r.axes, true)),
      ];
    }
    if (p < 1) {
      const scaled = zeroWhere(sgn.mul(absX.pow(p - 1)), equal(x, 0));
      return [scaled.mul(gx).mul(n.pow(1 - p))];
    }
    // 1 <= p < 2: sgn(x) |x|^(p-1) (finite at x = 0); p >= 2: x |x|^(p-2)
    const scaled = p < 2 ? sgn.mul(absX.pow(p - 1)) : x.mul(absX.pow(p - 2));
    return [scaled.mul(zeroWhere(gx.div(n.pow(p - 1)), equal(n, 0)))];
  });
}
