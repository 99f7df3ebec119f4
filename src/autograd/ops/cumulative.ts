/**
 * Cumulative sums along an axis (torch.cumsum), on the line kernels of
 * src/tensor/kernels/alongAxis.ts.
 */
import { allocate, convertInto, isFloating } from '../../tensor/dtype.js';
import { axisLines, cumsumLines } from '../../tensor/kernels/alongAxis.js';
import { floatData } from '../dtypeCheck.js';
import { normalizeAxis } from '../../tensor/shape.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/**
 * `y[k] = x[0] + ... + x[k]` along `dim`, accumulated in float64 (int32 and bool inputs give int32,
 * like sum; torch: int64). Each x[j] feeds every y[k] with k >= j, so d/dx[j] = g[j] + ... + g[n-1]:
 * the reversed cumulative sum of the gradient.
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  if (typeof dim !== 'number') throw new Error(`cumsum: dim must be an axis (a number), got ${String(dim)}`);
  const lines = axisLines(x.shape, normalizeAxis(dim, x.ndim, 'cumsum', 'dim'));
  let out;
  if (isFloating(x.dtype)) {
    out = allocate(x.dtype as 'float32' | 'float64', x.size);
    cumsumLines(floatData(x, 'cumsum'), lines, out);
  } else {
    const acc = new Float64Array(x.size);
    cumsumLines(Float64Array.from(x.data), lines, acc);
    out = allocate('int32', x.size);
    convertInto(acc, out, 'cumsum');
  }
  return record(new Tensor(out, x.shape), 'cumsum', [x], (g) => {
    const gx = allocate(g.dtype as 'float32' | 'float64', g.size);
    cumsumLines(floatData(g, 'cumsum'), lines, gx, true);
    return [new Tensor(gx, x.shape)];
  });
}
