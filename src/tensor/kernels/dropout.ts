/**
 * The dropout mask: each element is dropped with probability p, and kept elements are scaled by
 * 1 / (1 - p) so that the expected value of the output equals the input:
 *   mask[i] = 0 with probability p, else 1 / (1 - p);   y = x * mask;   dx = dy * mask
 */
import type { FloatArray } from '../dtype.js';
import type { Generator } from '../random.js';

/** Fills `mask` from `generator`: 0 where `uniform() < p`, else `1 / (1 - p)`. */
export function fillDropoutMask(mask: FloatArray, p: number, generator: Generator): void {
  const scale = p < 1 ? 1 / (1 - p) : 0;
  for (let i = 0; i < mask.length; i++) mask[i] = generator.uniform() < p ? 0 : scale;
}
