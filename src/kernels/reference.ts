/**
 * The `'reference'` backend's norms: the kernels of src/tensor/kernels/normReference.ts behind the
 * kernel interface, so that `setBackend('reference')` runs every norm layer on one plain loop per
 * formula. Each
 * function turns the plan into its per-element index (`elementIndex`, cached per plan) and calls
 * the reference; missing sums become scratch arrays. Matmul (and its transposed variants) has no
 * separate reference: it is the plain triple loop of src/tensor/kernels/matmul.ts either way
 * (./registry.ts takes the rest from `'js'`).
 *
 * Slow by design (an Int32Array index per element, no unrolling): for reading, stepping through
 * in a debugger, and checking. test/tensor/normLayouts.test.ts runs it with the other backends.
 */
import type { Kernels } from './registry.js';
import {
  backwardInputReference,
  backwardSumsReference,
  elementIndex,
  momentsReference,
  normalizeReference,
  normBackwardReference,
  normForwardReference,
  sumReference,
  type NormStatsMode,
} from '../tensor/kernels/normReference.js';

/** `sums.x` when the caller wants it, else scratch of length n. */
const orScratch = (a: Float64Array | null, n: number): Float64Array => a ?? new Float64Array(n);

/** The norm kernels of the `'reference'` backend. */
export const referenceNormKernels: Omit<
  Kernels,
  'name' | 'batchedMatmul' | 'matmulNT' | 'matmulTN' | 'sgdUpdate' | 'adamUpdate'
> = {
  reduceSum: (x, plan, out) => sumReference(x, elementIndex(plan), out),
  moments: (x, plan, mean, m2, centered = true) => momentsReference(x, elementIndex(plan), mean, m2, centered),
  normalizeAffine: (x, plan, mean, rstd, weight, bias, y) =>
    normalizeReference(x, elementIndex(plan), mean, rstd, weight, bias, y),
  normBackwardReduce: (x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dweight, dbias) =>
    backwardSumsReference(x, dy, elementIndex(plan), mean, rstd, weight, {
      sumDxhat: orScratch(sumDxhat, plan.statSize),
      sumDxhatXhat: orScratch(sumDxhatXhat, plan.statSize),
      dweight: orScratch(dweight, plan.paramSize),
      dbias: orScratch(dbias, plan.paramSize),
    }),
  normBackwardInput: (x, dy, plan, mean, rstd, weight, sumDxhat, sumDxhatXhat, dx) => {
    // The unfused kernel says which formula by which sums it is given (see normBackwardInput).
    const stats: NormStatsMode = sumDxhatXhat === null ? 'constant' : sumDxhat === null ? 'rms' : 'centered';
    const none = new Float64Array(plan.statSize);
    backwardInputReference(
      x,
      dy,
      elementIndex(plan),
      mean,
      rstd,
      weight,
      stats,
      sumDxhat ?? none,
      sumDxhatXhat ?? none,
      dx,
    );
  },
  normForward: (x, plan, centered, eps, weight, bias, y, mean, variance, rstd) =>
    normForwardReference(x, elementIndex(plan), centered, eps, weight, bias, y, mean, variance, rstd),
  normBackward: (x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias) =>
    normBackwardReference(x, dy, elementIndex(plan), mean, rstd, weight, stats, dx, dweight, dbias),
};
