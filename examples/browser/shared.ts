/**
 * The code the browser page and Node both run, so the end-to-end test can compare them exactly.
 * Each function takes the typegrad module as an argument: the page passes the ESM bundle it loaded
 * (./typegrad.js), Node passes the sources (src/index.ts). Same code, same seeds, two engines.
 */
import type * as Typegrad from '../../src/index.js';
import type { Module, Tensor } from '../../src/index.js';

/** The typegrad module: the bundle in the browser, the sources in Node. */
export type TypegradModule = typeof Typegrad;

/** One normalization case: a layer, an input shape, and the mode the layer runs in. */
interface NormCase {
  name: string;
  make: (tg: TypegradModule) => Module;
  shape: number[];
  /** `'eval'` runs one training batch first, so the running statistics are not the defaults. */
  mode: 'train' | 'eval';
}

/**
 * Every norm layer in both modes where it has two. Some inputs have 256 or more elements, so a
 * backend that hands small tensors to the TypeScript kernels (wasm) runs its own code too.
 */
export const NORM_CASES: readonly NormCase[] = [
  { name: 'BatchNorm1d (N, C)', make: (tg) => new tg.nn.BatchNorm1d(4), shape: [8, 4], mode: 'train' },
  { name: 'BatchNorm1d (N, C, L)', make: (tg) => new tg.nn.BatchNorm1d(3), shape: [4, 3, 5], mode: 'train' },
  { name: 'BatchNorm2d', make: (tg) => new tg.nn.BatchNorm2d(8), shape: [4, 8, 8, 8], mode: 'train' },
  { name: 'BatchNorm2d eval', make: (tg) => new tg.nn.BatchNorm2d(8), shape: [4, 8, 8, 8], mode: 'eval' },
  { name: 'BatchNorm3d', make: (tg) => new tg.nn.BatchNorm3d(2), shape: [2, 2, 3, 3, 3], mode: 'train' },
  {
    name: 'InstanceNorm1d affine',
    make: (tg) => new tg.nn.InstanceNorm1d(3, { affine: true }),
    shape: [2, 3, 6],
    mode: 'train',
  },
  {
    name: 'InstanceNorm2d tracked',
    make: (tg) => new tg.nn.InstanceNorm2d(4, { affine: true, trackRunningStats: true }),
    shape: [2, 4, 8, 8],
    mode: 'train',
  },
  {
    name: 'InstanceNorm2d tracked eval',
    make: (tg) => new tg.nn.InstanceNorm2d(4, { affine: true, trackRunningStats: true }),
    shape: [2, 4, 8, 8],
    mode: 'eval',
  },
  { name: 'InstanceNorm3d', make: (tg) => new tg.nn.InstanceNorm3d(2), shape: [1, 2, 3, 3, 3], mode: 'train' },
  { name: 'LayerNorm [64]', make: (tg) => new tg.nn.LayerNorm(64), shape: [16, 64], mode: 'train' },
  {
    name: 'LayerNorm [4, 5] no bias',
    make: (tg) => new tg.nn.LayerNorm([4, 5], { bias: false }),
    shape: [3, 4, 5],
    mode: 'train',
  },
  { name: 'GroupNorm 4 of 8', make: (tg) => new tg.nn.GroupNorm(4, 8), shape: [2, 8, 8, 8], mode: 'train' },
  {
    name: 'GroupNorm 2 of 6, no affine',
    make: (tg) => new tg.nn.GroupNorm(2, 6, { affine: false }),
    shape: [2, 6, 3],
    mode: 'train',
  },
  { name: 'RMSNorm [32]', make: (tg) => new tg.nn.RMSNorm(32), shape: [16, 32], mode: 'train' },
];

/** Outputs and gradients of one case, as plain arrays (they cross from the page to Node). */
export interface NormResult {
  name: string;
  /** The input (checks that both sides started from the same numbers). */
  x: number[];
  y: number[];
  dx: number[];
  /** `weight.grad`, `bias.grad`, running statistics, in the module's state-dict order. */
  extras: Record<string, number[]>;
}

const flat = (t: Tensor | null): number[] => (t === null ? [] : Array.from(t.data));

/**
 * Forward and backward of every case on `backend`, with fixed seeds: x ~ randn, the weight and
 * bias set to randn values (so that the affine terms matter), and the upstream gradient dy ~ randn.
 */
export function runNormCases(tg: TypegradModule, backend: string): NormResult[] {
  const previous = tg.getBackend();
  tg.setBackend(backend);
  try {
    return NORM_CASES.map((c, i) => {
      tg.manualSeed(1000 + i);
      const layer = c.make(tg);
      for (const p of layer.parameters()) p.data.set(tg.randn([...p.shape]).data);
      if (c.mode === 'eval') {
        tg.noGrad(() => layer.forward(tg.randn(c.shape).mul(2).add(0.5))); // one batch of training
        layer.eval();
      }
      const x = tg.randn(c.shape, { requiresGrad: true });
      const dy = tg.randn(c.shape);
      const y = layer.forward(x);
      y.backward(dy);
      const extras: Record<string, number[]> = {};
      for (const [key, p] of layer.namedParameters()) extras[`${key}.grad`] = flat(p.grad);
      for (const [key, b] of layer.namedBuffers()) extras[key] = flat(b);
      return { name: c.name, x: flat(x), y: flat(y), dx: flat(x.grad), extras };
    });
  } finally {
    tg.setBackend(previous);
  }
}

/** The backends `setBackend` accepts here: always 'js', and 'wasm' where the engine has SIMD. */
export function availableBackends(tg: TypegradModule): string[] {
  return ['js', 'wasm'].filter((backend) => {
    const previous = tg.getBackend();
    try {
      tg.setBackend(backend);
      return true;
    } catch {
      return false;
    } finally {
      tg.setBackend(previous);
    }
  });
}

/** A tiny regression the page trains live: fit y = sin(3x) on [-1, 1]. */
export interface Regression {
  /** One Adam step on the whole batch; returns the loss before the step. */
  step(): number;
  /** The model's prediction at each training point (for drawing). */
  predict(): { x: number[]; target: number[]; prediction: number[] };
}

/**
 * A 1 -> 32 -> 1 network with a LayerNorm and tanh in the middle, trained with Adam on 64 points.
 * Deterministic for a given seed: the page and Node get the same loss curve on the same backend.
 */
export function createRegression(tg: TypegradModule, seed = 0): Regression {
  tg.manualSeed(seed);
  const n = 64;
  const hidden = 32;
  const xs = tg
    .arange(n)
    .mul(2 / (n - 1))
    .sub(1)
    .reshape([n, 1]); // n points in [-1, 1]
  const ys = tg.tensor(
    Array.from(xs.data, (v) => Math.sin(3 * v)),
    [n, 1],
  );
  const w1 = tg.randn([1, hidden]).mul(2).requiresGrad_();
  const b1 = tg.randn([hidden]).requiresGrad_();
  const norm = new tg.nn.LayerNorm(hidden);
  const w2 = tg
    .randn([hidden, 1])
    .mul(1 / Math.sqrt(hidden))
    .requiresGrad_();
  const b2 = tg.zeros([1], { requiresGrad: true });
  const optimizer = new tg.optim.Adam([w1, b1, w2, b2, ...norm.parameters()], { lr: 0.02 });
  const forward = (): Tensor => norm.forward(xs.matmul(w1).add(b1)).tanh().matmul(w2).add(b2);
  return {
    step() {
      optimizer.zeroGrad();
      const loss = forward().sub(ys).pow(2).mean(); // mean squared error
      loss.backward();
      optimizer.step();
      return loss.item();
    },
    predict() {
      const prediction = tg.noGrad(forward);
      return { x: Array.from(xs.data), target: Array.from(ys.data), prediction: Array.from(prediction.data) };
    },
  };
}
