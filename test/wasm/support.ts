/**
 * Shared pieces of the wasm backend tests: seeded float32 data, an element-wise error-bound check
 * that treats NaN and infinities exactly, the norm layouts every kernel is run on
 * (test/tensor/layouts.ts), and float64 statistics from the reference kernels
 * (src/tensor/kernels/normReference.ts).
 */
import { indexOfAxes, momentsReference } from '../../src/tensor/kernels/normReference.js';
import type { Layout } from '../tensor/layouts.js';
import { mulberry32 } from '../tensor/reference.js';

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

/** The one table of norm layouts (test/tensor/layouts.ts). */
export { LAYOUTS, planOf, type Layout } from '../tensor/layouts.js';

/**
 * Float64 mean and biased variance of every statistic, from the reference kernels (two-pass), and
 * the statistic of every element.
 */
export function statistics64(
  x: Float32Array,
  layout: Layout,
  centered: boolean,
): { mean: Float64Array; variance: Float64Array; stat: Int32Array } {
  const index = indexOfAxes(layout.shape, layout.reduced, layout.params);
  const mean = new Float64Array(index.statSize);
  const m2 = new Float64Array(index.statSize);
  momentsReference(x, index, mean, m2, centered);
  return { mean, variance: m2.map((v) => v / index.count), stat: index.stat };
}
