/**
 * 2-D convolution as im2col + matrix product (torch.nn.functional.conv2d semantics). The public
 * forms, `functional.conv2d` and `conv1d`, check the arguments and resolve the geometry in
 * src/layers/functional/conv.ts; this file is the op they call.
 *
 * Shapes: x [N, C, H, W], weight [O, C/G, kH, kW], bias [O], y [N, O, Ho, Wo]; G groups,
 * K = C/G * kH * kW values per patch and group, L = Ho * Wo output positions.
 *
 *   cols = im2col(x)                                  [N, G, K, L]   (kernels/conv.ts)
 *   y    = weight.reshape([G, O/G, K]) @ cols         [N, G, O/G, L] (batched matmul, weight broadcast over N)
 *   y    = y.reshape([N, O, Ho, Wo]) + bias[o]
 *
 * Backward comes from the pieces, each with its own rule:
 *   dweight = sum over n of dy @ cols^T      (matmul's rule; the engine sums the broadcast N axis)
 *   dcols   = weight^T @ dy                  (matmul's rule)
 *   dx      = col2im(dcols)                  (the adjoint of im2col, below)
 *   dbias   = sum of dy over N, Ho, Wo       (add's rule; the engine sums the broadcast axes)
 * Derivation: docs/derivations/small-models.md.
 *
 * Why im2col rather than a direct kernel (`npx tsx bench/conv.ts`, forward + backward, Node 20, the
 * CNN example's shapes: batch 32, 1->8 channels at 28x28 and 8->16 at 14x14, 3x3 kernels):
 *                       im2col + matmul    direct 7-loop kernel (inner loop along an output row)
 *   'wasm' backend      3.0 ms, 5.0 ms     7.7 ms, 27 ms
 *   'js' backend        12 ms, 28 ms       7.2 ms, 20 ms
 * With the TypeScript matmul the direct kernel is ~1.5x faster, but the default backend is the
 * WebAssembly SIMD one, and there im2col wins 2.5-5x because all the arithmetic runs in the tuned
 * matmul, which streams contiguous rows of L outputs; the direct kernel's taps (kW = 3) are too
 * short to vectorise. im2col also keeps this file to one small new kernel pair.
 */
import { allocateFloat } from '../../tensor/dtype.js';
import { col2im, im2col, type Window2d } from '../../tensor/kernels/conv.js';
import { describeValue } from '../../tensor/check.js';
import { floatData } from '../dtypeCheck.js';
import { handOver } from '../handOver.js';
import { record, recordPassThrough } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

/**
 * An integer or a [height, width] pair, as torch's `_pair` arguments.
 * @example const stride: IntPair = [2, 1]  // 2 down, 1 across; `2` means [2, 2]
 */
export type IntPair = number | readonly [number, number];

/** Normalizes an int-or-pair argument to `[h, w]`, checking each is an integer >= `min`. */
export function pair(value: IntPair, where: string, argName: string, min: number): [number, number] {
  const v: readonly number[] = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(v) && typeof value !== 'number') {
    throw new Error(`${where}: ${argName} must be an integer or a [h, w] pair, got ${describeValue(value)}`);
  }
  if (v.length !== 2 || !v.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${where}: ${argName} must be an integer >= ${min} or a pair of them, got ${describeValue(value)}`);
  }
  return [v[0]!, v[1]!];
}

/**
 * The convolution itself, on arguments already checked by `functional.conv2d` / `conv1d`
 * (src/layers/functional/conv.ts): x [N, C, H, W], weight [O, C/groups, kH, kW], bias [O] or null,
 * and the window geometry they resolved.
 */
export function conv2dOp(x: Tensor, weight: Tensor, bias: Tensor | null, geom: Window2d, groups: number): Tensor {
  const [n, o, outH, outW] = [geom.n, weight.shape[0]!, geom.outH, geom.outW];
  const k = (geom.c / groups) * geom.kH * geom.kW;
  const cols = im2colOp(x, geom).reshape([n, groups, k, outH * outW]);
  const y = weight
    .reshape([groups, o / groups, k])
    .matmul(cols)
    .reshape([n, o, outH, outW]);
  return savesWeight(bias === null ? y : y.add(bias.reshape([o, 1, 1])), weight);
}

/**
 * The output, recorded once more as `conv2d` (sharing storage; d/dy = g) so that backward checks
 * the weight's version even when x needs no gradient: torch's conv saves the weight either way,
 * and an optimizer step between forward and backward must throw here as it does there.
 */
function savesWeight(y: Tensor, weight: Tensor): Tensor {
  if (!y.requiresGrad || !weight.requiresGrad) return y;
  const ws = saveForBackward(weight);
  return recordPassThrough(y, 'conv2d', (g) => {
    ws();
    return g;
  });
}

/** im2col as a differentiable op: x [N, C, H, W] -> cols [N, C*kH*kW, Ho*Wo]; dx = col2im(dcols). */
export function im2colOp(x: Tensor, geom: Window2d): Tensor {
  const shape = [geom.n, geom.c * geom.kH * geom.kW, geom.outH * geom.outW];
  const xd = floatData(x, 'conv2d');
  const cols = allocateFloat(xd, shape[0]! * shape[1]! * shape[2]!);
  im2col(xd, geom, cols);
  return record(new Tensor(cols, shape), 'im2col', [x], (g) => {
    const gd = floatData(g, 'conv2d', 'grad');
    const dx = allocateFloat(gd, x.size);
    col2im(gd, geom, dx);
    return [handOver(new Tensor(dx, x.shape))];
  });
}
