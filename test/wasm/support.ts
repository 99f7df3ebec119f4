/**
 * Shared pieces of the wasm backend tests: seeded float32 data, an element-wise error-bound check
 * that treats NaN and infinities exactly, the norm layouts every kernel is run on, and a float64
 * normalization reference written from the formula.
 */
import { planAxes, type AxisPlan } from '../../src/tensor/kernels/axisReduce.js';
import { mulberry32, numel, ravel, unravel } from '../tensor/reference.js';

/** 2^-24: the unit roundoff of float32. */
export const U32 = 2 ** -24;

/** `n` seeded float32 values, approximately normal with the given mean and standard deviation. */
export function normalF32(n: number, seed: number, mean = 0, std = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - next();
    const v = next();
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** The shared per-element closeness check (test/helpers.ts). */
export { expectWithin } from '../helpers.js';

/** A view of a tensor as a norm layer hands it to the kernels. */
export interface Layout {
  readonly name: string;
  readonly shape: readonly number[];
  readonly reduced: readonly number[];
  readonly params: readonly number[];
}

/**
 * Every norm layout, with sizes that are odd, not multiples of 4 or 8, size 1, empty, and long
 * enough to run the 8-wide loops with a tail.
 */
export const LAYOUTS: readonly Layout[] = [
  { name: 'BatchNorm2d [N,C,H,W] over {N,H,W}', shape: [3, 5, 7, 3], reduced: [0, 2, 3], params: [1] },
  { name: 'BatchNorm2d [N,C,HW] long runs', shape: [2, 3, 203], reduced: [0, 2], params: [1] },
  { name: 'BatchNorm1d (N,C): the run keeps C', shape: [6, 7], reduced: [0], params: [1] },
  { name: 'BatchNorm1d (N,C) wide', shape: [5, 37], reduced: [0], params: [1] },
  { name: 'BatchNorm1d (N,C,L)', shape: [4, 3, 9], reduced: [0, 2], params: [1] },
  { name: 'LayerNorm rows x F', shape: [5, 13], reduced: [1], params: [1] },
  { name: 'LayerNorm [B,T,F] long rows', shape: [2, 3, 101], reduced: [2], params: [2] },
  { name: 'LayerNorm over {H,W}', shape: [2, 3, 5, 7], reduced: [2, 3], params: [2, 3] },
  { name: 'InstanceNorm2d, no affine', shape: [3, 4, 5, 5], reduced: [2, 3], params: [] },
  { name: 'InstanceNorm2d, affine', shape: [2, 4, 3, 7], reduced: [2, 3], params: [1] },
  { name: 'GroupNorm [N,G,C/G,HW]', shape: [2, 3, 2, 17], reduced: [2, 3], params: [1, 2] },
  { name: 'sum over N of (N,F), no params', shape: [9, 5], reduced: [0], params: [] },
  { name: 'kept run, parameter fixed', shape: [5, 6], reduced: [0], params: [] },
  { name: 'one element', shape: [1, 1], reduced: [1], params: [1] },
  { name: 'size-1 axes', shape: [1, 4, 1, 3], reduced: [0, 2, 3], params: [1] },
  { name: 'all axes', shape: [3, 11], reduced: [0, 1], params: [] },
  { name: 'empty batch', shape: [0, 4], reduced: [0], params: [1] },
  { name: 'empty features', shape: [3, 0], reduced: [1], params: [1] },
];

/** The statistic and parameter index of every element, in memory order. */
export function expand(plan: AxisPlan): { stat: Int32Array; param: Int32Array } {
  const stat = new Int32Array(plan.size);
  const param = new Int32Array(plan.size);
  for (let r = 0; r < plan.runStat.length; r++) {
    for (let j = 0; j < plan.inner; j++) {
      stat[r * plan.inner + j] = plan.runStat[r]! + j * plan.innerStat;
      param[r * plan.inner + j] = plan.runParam[r]! + j * plan.innerParam;
    }
  }
  return { stat, param };
}

export function planOf(layout: Layout): AxisPlan {
  return planAxes(layout.shape, layout.reduced, layout.params);
}

/** Float64 mean and biased variance of every group, two-pass, from the definition. */
export function statistics64(x: ArrayLike<number>, layout: Layout, centered: boolean): { mean: number[]; variance: number[]; stat: number[] } {
  const { shape, reduced } = layout;
  const kept = shape.map((_, i) => i).filter((i) => !reduced.includes(i));
  const stat = Array.from({ length: x.length }, (_, f) => {
    const idx = unravel(f, shape);
    return ravel(
      kept.map((a) => idx[a]!),
      kept.map((a) => shape[a]!),
    );
  });
  const groups = numel(kept.map((a) => shape[a]!));
  const sum = new Array<number>(groups).fill(0);
  const count = new Array<number>(groups).fill(0);
  for (let i = 0; i < x.length; i++) {
    sum[stat[i]!] += x[i]!;
    count[stat[i]!]++;
  }
  const mean = sum.map((s, g) => (centered ? s / count[g]! : 0));
  const sq = new Array<number>(groups).fill(0);
  for (let i = 0; i < x.length; i++) sq[stat[i]!] += (x[i]! - mean[stat[i]!]!) ** 2;
  return { mean, variance: sq.map((s, g) => s / count[g]!), stat };
}
