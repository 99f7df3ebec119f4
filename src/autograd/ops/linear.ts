/**
 * `linear(x, weight, bias)`: torch.nn.functional.linear as one op, so that W^T is never
 * materialized. With x flattened to [N, in] (N = product of its leading dims), W [out, in], b [out]:
 *
 *   forward:  y  = x W^T + b          y [N, out]   (W read transposed in place)
 *   backward: dx = dy W               dx [N, in]   (plain matmul)
 *             dW = dy^T x             dW [out, in] (summed over all N rows at once)
 *             db = sum_n dy[n, :]     db [out]     (float64 sums over all but the last axis)
 *
 * The forward and the backward are one kernel call each (`linearForward`, `linearBackward`,
 * src/tensor/kernels/linear.ts), so that the wasm backend copies every operand in once.
 *
 * x may have any rank >= 1 ([..., in] -> [..., out]; a 1-D x gives a 1-D y). float32 and float64
 * mix as in matmul. Anything else (a weight that is not 2-D, integer dtypes, a bias that is not
 * [out], mismatched sizes) runs the composition x.matmul(W^T).add(b), so that its results and
 * errors are exactly those of the ops it is made of.
 */
import { allocate, isFloating, promote, type FloatArray } from '../../tensor/dtype.js';
import { kernels } from '../../kernels/registry.js';
import { sizeOf } from '../../tensor/shape.js';
import { handOver } from '../handOver.js';
import { record } from '../record.js';
import { saveIf } from '../saved.js';
import { Tensor } from '../tensor.js';

/** y = x W^T + b over the last axis of x. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (!fused(x, weight, bias)) {
    const y = x.matmul(weight.transpose(0, 1));
    return bias === null ? y : y.add(bias);
  }
  const [outF, inF] = weight.shape as [number, number];
  const n = sizeOf(x.shape.slice(0, -1));
  const dtype = promote(promote(x.dtype, weight.dtype), bias?.dtype ?? x.dtype) as 'float32' | 'float64';
  const xd = x.data as FloatArray;
  const wd = weight.data as FloatArray;
  const y = allocate(dtype, n * outF);
  kernels().linearForward(xd, wd, bias === null ? null : (bias.data as FloatArray), y, n, inF, outF);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  // backward reads wd for dx and xd for dW: saved (version-checked) only when needed, as torch does
  const saved = [saveIf(x.requiresGrad, weight), saveIf(weight.requiresGrad, x)];
  return record(new Tensor(y, [...x.shape.slice(0, -1), outF]), 'linear', inputs, (g) => {
    for (const check of saved) check?.();
    const gd = g.data as FloatArray;
    const dxd = x.requiresGrad ? allocate(dtype, n * inF) : null;
    const dWd = weight.requiresGrad ? allocate(dtype, outF * inF) : null;
    const dbd = bias?.requiresGrad === true ? allocate(dtype, outF) : null;
    kernels().linearBackward(gd, xd, wd, dxd, dWd, dbd, n, inF, outF);
    const dx = dxd === null ? null : new Tensor(dxd, x.shape);
    const dW = dWd === null ? null : new Tensor(dWd, weight.shape);
    const db = dbd === null ? null : new Tensor(dbd, bias!.shape);
    return bias === null ? [handOver(dx), handOver(dW)] : [handOver(dx), handOver(dW), handOver(db)];
  });
}

/** True when the one-op path applies: floating tensors, W [out, in], x [..., in], b null or [out]. */
function fused(x: Tensor, weight: Tensor, bias: Tensor | null): boolean {
  if (!(x instanceof Tensor) || !(weight instanceof Tensor)) return false;
  if (bias !== null && !(bias instanceof Tensor)) return false;
  if (!isFloating(x.dtype) || !isFloating(weight.dtype) || (bias !== null && !isFloating(bias.dtype))) return false;
  if (weight.ndim !== 2 || x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) return false;
  return bias === null || (bias.ndim === 1 && bias.shape[0] === weight.shape[0]);
}
