/**
 * Sampling kernels behind randint, randperm, multinomial, bernoulli and the in-place normal_ /
 * uniform_ fills. Each draws from the generator it is given, in a fixed order, so a seed gives the
 * same tensor on every platform. Pure over typed arrays otherwise: they write only `out`.
 */
import type { Generator } from '../random.js';

/** Any typed array a sample can be written into. */
type NumberArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** `out[i] = low + U{0, ..., span - 1}`, exactly uniform (span <= 2^32). */
export function fillRandint(gen: Generator, low: number, span: number, out: NumberArray): void {
  for (let i = 0; i < out.length; i++) out[i] = low + gen.below(span);
}

/** `out` = a uniformly random permutation of 0..n-1: Fisher-Yates, swapping from the end. */
export function fillPermutation(gen: Generator, out: Int32Array | Float32Array | Float64Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = gen.below(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
}

/** `out[i] = from + (to - from) u`, u uniform in [0, 1) (24 bits, like `rand`). */
export function fillUniform(gen: Generator, from: number, to: number, out: NumberArray): void {
  const width = to - from;
  for (let i = 0; i < out.length; i++) out[i] = from + width * gen.uniform();
}

/** `out[i] = mean + std z`, z standard normal (Box-Muller, like `randn`). */
export function fillNormal(gen: Generator, mean: number, std: number, out: NumberArray): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + std * gen.normal();
}

/** `out[i] = 1` with probability `p[i]`, else 0: u < p with u uniform in [0, 1) (53 bits). */
export function fillBernoulli(gen: Generator, p: ArrayLike<number>, out: NumberArray): void {
  for (let i = 0; i < out.length; i++) out[i] = gen.uniform53() < p[i]! ? 1 : 0;
}

/**
 * `numSamples` category indices for each of `rows` rows of non-negative weights
 * (`weights[r * categories + c]`, each row with a positive sum), into `out[r * numSamples + j]`.
 *
 * With replacement: inverse transform sampling, the first category whose cumulative weight
 * exceeds u * total (u uniform, 53 bits; zero-weight categories are never chosen).
 * Without replacement: the exponential race (torch's algorithm): category c finishes at time
 * E_c / w_c with E_c ~ Exp(1), and the samples are the first numSamples to finish, in order of
 * finishing. This is sequential sampling proportional to the remaining weights; zero-weight
 * categories never finish (time infinity) and come last, by index, only when the positive ones run out.
 */
export function multinomialRows(
  gen: Generator,
  weights: ArrayLike<number>,
  rows: number,
  categories: number,
  numSamples: number,
  replacement: boolean,
  out: Int32Array | Float32Array | Float64Array,
): void {
  const cdf = new Float64Array(categories);
  const times = new Float64Array(categories);
  const order = new Array<number>(categories);
  for (let r = 0; r < rows; r++) {
    const w0 = r * categories;
    if (replacement) {
      let total = 0;
      for (let c = 0; c < categories; c++) cdf[c] = total += weights[w0 + c]!;
      for (let j = 0; j < numSamples; j++) {
        const target = gen.uniform53() * total;
        let lo = 0; // binary search: first c with cdf[c] > target
        let hi = categories - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid]! > target) hi = mid;
          else lo = mid + 1;
        }
        out[r * numSamples + j] = lo;
      }
    } else {
      for (let c = 0; c < categories; c++) {
        const w = weights[w0 + c]!;
        const e = -Math.log(1 - gen.uniform53()); // Exp(1)
        times[c] = w > 0 ? e / w : Infinity;
        order[c] = c;
      }
      order.sort((a, b) => times[a]! - times[b]! || a - b);
      for (let j = 0; j < numSamples; j++) out[r * numSamples + j] = order[j]!;
    }
  }
}
