/**
 * The baseline the TypeScript path must beat 2x: each norm written the obvious way in plain JS,
 * two passes for the statistics (sum for the mean, then sum of squared deviations; JS numbers are
 * float64) and a third pass that writes y = (x - mean) / sqrt(var + eps) * weight + bias into a new
 * array, as a function returning its output would. No views, plans, unrolling or typed scratch.
 */

/** BatchNorm on [N, C, HW]: statistics per channel over N and HW. */
export function naiveBatchNorm(
  x: Float32Array,
  n: number,
  c: number,
  hw: number,
  w: Float32Array,
  b: Float32Array,
  eps: number,
): Float32Array {
  const y = new Float32Array(x.length);
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) sum += x[(i * c + ch) * hw + j]!;
    const mean = sum / count;
    let sq = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) sq += (x[(i * c + ch) * hw + j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / count + eps);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < hw; j++) {
        const at = (i * c + ch) * hw + j;
        y[at] = (x[at]! - mean) * rstd * w[ch]! + b[ch]!;
      }
  }
  return y;
}

/** LayerNorm (or RMSNorm when `centered` is false) over the last `d` elements of each row. */
export function naiveLayerNorm(
  x: Float32Array,
  d: number,
  w: Float32Array,
  b: Float32Array | null,
  eps: number,
  centered = true,
): Float32Array {
  const y = new Float32Array(x.length);
  for (let row = 0; row < x.length; row += d) {
    let sum = 0;
    if (centered) for (let j = 0; j < d; j++) sum += x[row + j]!;
    const mean = sum / d;
    let sq = 0;
    for (let j = 0; j < d; j++) sq += (x[row + j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / d + eps);
    for (let j = 0; j < d; j++) y[row + j] = (x[row + j]! - mean) * rstd * w[j]! + (b ? b[j]! : 0);
  }
  return y;
}

/** GroupNorm on [N, C, HW] with G groups (InstanceNorm is G = C): statistics per (n, group). */
export function naiveGroupNorm(
  x: Float32Array,
  n: number,
  c: number,
  hw: number,
  groups: number,
  w: Float32Array,
  b: Float32Array,
  eps: number,
): Float32Array {
  const y = new Float32Array(x.length);
  const perGroup = (c / groups) * hw;
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      const start = (i * groups + g) * perGroup;
      let sum = 0;
      for (let j = 0; j < perGroup; j++) sum += x[start + j]!;
      const mean = sum / perGroup;
      let sq = 0;
      for (let j = 0; j < perGroup; j++) sq += (x[start + j]! - mean) ** 2;
      const rstd = 1 / Math.sqrt(sq / perGroup + eps);
      for (let j = 0; j < perGroup; j++) {
        const ch = g * (c / groups) + Math.floor(j / hw);
        y[start + j] = (x[start + j]! - mean) * rstd * w[ch]! + b[ch]!;
      }
    }
  }
  return y;
}
