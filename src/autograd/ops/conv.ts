/**
 * 2-D convolution as im2col + matrix product (torch.nn.functional.conv2d semantics). The public
 * forms, `functional.conv2d` and `conv1d`, check the arguments and resolve the geometry in
 * src/layers/functional/conv.ts; this file is the op they call.
 *
 * Shapes: x [N, C, H, W], weight [O, C/G, kH, kW], bias [O], y [N, O, Ho, Wo]; G groups,
 * K = C/G * kH * kW values per patch and group, L = Ho * Wo output positions. Per image n and group g:
 *
 *   cols = im2col(x[n])                     [G, K, L]   (kernels/conv.ts)
 *   y[n, g] = weight[g] @ cols[g]           [O/G, L]    (weight read as [G, O/G, K])
 *   y[n, o] += bias[o]
 *
 * Backward, each term the rule of the piece it comes from (matmul's and add's rules):
 *   dweight[g] = sum over n of dy[n, g] @ cols[g]^T
 *   dcols[g]   = weight[g]^T @ dy[n, g]
 *   dx[n]      = col2im(dcols)              (the adjoint of im2col)
 *   dbias[o]   = sum of dy over N, Ho, Wo
 * Derivation: docs/derivations/small-models.md.
 *
 * The forward and the backward are one kernel call each (`kernels().conv2dForward` /
 * `conv2dBackward`: src/tensor/kernels/conv.ts, and its wasm stand-in src/wasm/conv.ts), image by
 * image, so that the column matrix [N, G*K, L] is never a tensor: the backward recomputes it from
 * the saved x (on the wasm backend it lives only in the wasm memory), and nothing of it is kept in
 * the graph between forward and backward.
 *
 * Why im2col rather than a direct kernel (`npx tsx bench/conv.ts`, forward + backward, Node 20, the
 * CNN example's shapes: batch 32, 1->8 channels at 28x28 and 8->16 at 14x14, 3x3 kernels; measured
 * when the op was an im2col op and a batched matmul):
 *                       im2col + matmul    direct 7-loop kernel (inner loop along an output row)
 *   'wasm' backend      3.0 ms, 5.0 ms     7.7 ms, 27 ms
 *   'js' backend        12 ms, 28 ms       7.2 ms, 20 ms
 * With the TypeScript matmul the direct kernel is ~1.5x faster, but the default backend is the
 * WebAssembly SIMD one, and there im2col wins 2.5-5x because all the arithmetic runs in the tuned
 * matmul, which streams contiguous rows of L outputs; the direct kernel's taps (kW = 3) are too
 * short to vectorise.
 */
import { kernels } from '../../kernels/registry.js';
import { allocate, promote } from '../../tensor/dtype.js';
import type { Window2d } from '../../tensor/kernels/conv.js';
import { describeValue } from '../../tensor/check.js';
import { floatData } from '../dtypeCheck.js';
import { handOver } from '../handOver.js';
import { record } from '../record.js';
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
 * and the window geometry they resolved. A float32 operand meets a float64 one in float64.
 *
 * Saved for backward, as torch's convolution saves them: x and the weight, whenever the output
 * needs a gradient (an in-place write to either between forward and backward throws there, as it
 * does in torch, even when only the other one's gradient reads it).
 */
export function conv2dOp(x: Tensor, weight: Tensor, bias: Tensor | null, geom: Window2d, groups: number): Tensor {
  const dtype = promote(promote(x.dtype, weight.dtype), bias?.dtype ?? x.dtype) as 'float32' | 'float64';
  const [xt, wt, bt] = [x, weight, bias].map((t) => (t === null || t.dtype === dtype ? t : t.to(dtype)));
  const o = weight.shape[0]!;
  const shape = [geom.n, o, geom.outH, geom.outW];
  const xd = floatData(xt!, 'conv2d');
  const wd = floatData(wt!, 'conv2d', 'weight');
  const y = allocate(dtype, shape[0]! * shape[1]! * shape[2]! * shape[3]!);
  kernels().conv2dForward(xd, wd, bt ? floatData(bt, 'conv2d', 'bias') : null, geom, groups, y);
  const inputs = bt ? [xt!, wt!, bt] : [xt!, wt!];
  const needed = inputs.some((t) => t.requiresGrad);
  const xs = needed ? saveForBackward(xt!) : null;
  const ws = needed ? saveForBackward(wt!) : null;
  return record(new Tensor(y, shape), 'conv2d', inputs, (g) => {
    const [xv, wv] = [xs!(), ws!()];
    const gd = floatData(g, 'conv2d', 'grad');
    const dx = xv.requiresGrad ? allocate(dtype, xv.size) : null;
    const dw = wv.requiresGrad ? allocate(dtype, wv.size) : null;
    const db = bt?.requiresGrad ? allocate(dtype, o) : null;
    kernels().conv2dBackward(floatData(xv, 'conv2d'), floatData(wv, 'conv2d', 'weight'), gd, geom, groups, dx, dw, db);
    const grads = [dx && new Tensor(dx, xv.shape), dw && new Tensor(dw, wv.shape), db && new Tensor(db, [o])];
    return grads.slice(0, inputs.length).map(handOver);
  });
}
