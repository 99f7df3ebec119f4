/**
 * The one table of norm layouts every kernel is tested on: the reference (src/tensor/kernels/
 * normReference.ts) against finite differences, and every fast kernel (the TypeScript unfused and
 * fused kernels, the wasm kernels) against the reference (test/tensor/normLayouts.test.ts,
 * test/wasm/*.test.ts). A layout is a view of x as a norm layer hands it to the kernels: its shape,
 * the axes reduced into one statistic, and the axes the weight and bias span (the table in
 * src/tensor/kernels/axisReduce.ts).
 *
 * Sizes are odd, not multiples of 4 or 8 (the unrolled loops' tails), size 1 (dropped axes),
 * one element per statistic, empty, and long enough to run the 8-wide loops with a tail.
 */
import { planAxes, type AxisPlan } from '../../src/tensor/kernels/axisPlan.js';

/** A view of a tensor as a norm layer hands it to the kernels. */
export interface Layout {
  readonly name: string;
  readonly shape: readonly number[];
  readonly reduced: readonly number[];
  readonly params: readonly number[];
}

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

/** Statistics of one element each, and rows long enough to leave the size threshold behind. */
export const MORE_LAYOUTS: readonly Layout[] = [
  { name: 'InstanceNorm2d, H = W = 1: one element per statistic', shape: [2, 3, 1, 1], reduced: [2, 3], params: [1] },
  { name: 'BatchNorm1d (N,C), N = 1: one element per statistic', shape: [1, 9], reduced: [0], params: [1] },
  { name: 'GroupNorm, C/G = 1 (InstanceNorm-like)', shape: [2, 5, 1, 9], reduced: [2, 3], params: [1, 2] },
  { name: 'LayerNorm, large rows', shape: [3, 4099], reduced: [1], params: [1] },
  { name: 'RMSNorm-like over two trailing axes, large', shape: [2, 33, 129], reduced: [1, 2], params: [1, 2] },
  { name: 'BatchNorm2d, large', shape: [3, 4, 33, 35], reduced: [0, 2, 3], params: [1] },
];

export function planOf(layout: Layout): AxisPlan {
  return planAxes(layout.shape, layout.reduced, layout.params);
}
