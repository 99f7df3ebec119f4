/**
 * Where typegrad's time goes, on each backend: a norm layer's forward and forward+backward next to
 * the kernels they call, timed interleaved in one group. The kernels run with every buffer
 * preallocated (as in bench:kernels), so module minus kernels is what the layer adds: a fresh
 * output array (whose pages the kernel's copy-out first touches), the tensor and graph
 * bookkeeping, the gradient tensors, and garbage collection.
 *
 * 'normalizeAffine, new y' writes into a new Float32Array each call: the cost of returning a new
 * output, by itself. The layers call the fused kernels (normForward: statistics and y;
 * normBackward: reductions and dx); the unfused ones they replaced are timed next to them.
 */
import { manualSeed, nn, noGrad, randn, setBackend, tensor, type Module, type Tensor } from '../../src/index.js';
import { kernels } from '../../src/kernels/registry.js';
import { planAxes } from '../../src/tensor/kernels/axisReduce.js';
import { interleave } from './timing.js';

interface Part {
  name: string;
  shape: number[];
  /** The plan's view of x: shape, reduced axes, parameter axes (as the layer builds it). */
  view: [number[], number[], number[]];
  layer: () => Module;
}

export const BREAKDOWN: Part[] = [
  {
    name: 'BatchNorm2d',
    shape: [32, 64, 32, 32],
    view: [[32, 64, 1024], [0, 2], [1]],
    layer: () => new nn.BatchNorm2d(64),
  },
  { name: 'LayerNorm', shape: [8, 512, 768], view: [[8, 512, 768], [2], [2]], layer: () => new nn.LayerNorm(768) },
];

export async function runBreakdown(part: Part, backend: 'wasm' | 'js'): Promise<Record<string, number>> {
  setBackend(backend);
  const k = kernels();
  manualSeed(7);
  const x = randn(part.shape);
  const dy = randn(part.shape);
  const xs = x.data as Float32Array;
  const dys = dy.data as Float32Array;
  const plan = planAxes(...part.view);
  const mean = new Float64Array(plan.statSize);
  const m2 = new Float64Array(plan.statSize);
  k.moments(xs, plan, mean, m2, true);
  const rstd = m2.map((v) => 1 / Math.sqrt(v / plan.count + 1e-5));
  const weight = new Float32Array(plan.paramSize).fill(1);
  const bias = new Float32Array(plan.paramSize);
  const y = new Float32Array(plan.size);
  const stats = [
    new Float64Array(plan.statSize),
    new Float64Array(plan.statSize),
    new Float64Array(plan.statSize),
  ] as const;
  const sums = [new Float64Array(plan.statSize), new Float64Array(plan.statSize)] as const;
  const grads = [new Float64Array(plan.paramSize), new Float64Array(plan.paramSize)] as const;
  const layer = part.layer().train();
  const xg = tensor(xs, part.shape, { requiresGrad: true });
  const copy = new Float32Array(plan.size);
  return interleave([
    { name: 'memcpy', fn: () => copy.set(xs) },
    { name: 'moments', fn: () => k.moments(xs, plan, mean, m2, true) },
    { name: 'normalizeAffine', fn: () => k.normalizeAffine(xs, plan, mean, rstd, weight, bias, y) },
    {
      name: 'normalizeAffine, new y',
      fn: () => k.normalizeAffine(xs, plan, mean, rstd, weight, bias, new Float32Array(plan.size)),
    },
    { name: 'normForward', fn: () => k.normForward(xs, plan, true, 1e-5, weight, bias, y, ...stats) },
    { name: 'forward', fn: () => noGrad(() => layer.forward(x)) },
    {
      name: 'normBackwardReduce',
      fn: () => k.normBackwardReduce(xs, dys, plan, mean, rstd, weight, ...sums, ...grads),
    },
    {
      name: 'normBackwardInput',
      fn: () => k.normBackwardInput(xs, dys, plan, mean, rstd, weight, sums[0], sums[1], y),
    },
    { name: 'normBackward', fn: () => k.normBackward(xs, dys, plan, mean, rstd, weight, 'centered', y, ...grads) },
    {
      name: 'fwd+bwd',
      fn: () => {
        xg.grad = null;
        layer.zeroGrad();
        (layer.forward(xg) as Tensor).backward(dy);
      },
    },
  ]).finally(() => setBackend('wasm'));
}
