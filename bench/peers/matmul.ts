/**
 * Matmul C = A B, A [n, k] and B [k, m] float32, in GFLOP/s (2 n k m / time): typegrad's
 * Tensor.matmul on both backends (under noGrad), tf.matMul on tfjs-wasm (XNNPACK) and tfjs-cpu,
 * an onnxruntime MatMul node with both operands as inputs, and torch.mm (torch.ts) under no_grad.
 */
import { manualSeed, noGrad, randn, setBackend } from '../../src/index.js';
import { matmulGraph, ortRunner } from './ortModels.js';
import type { Peers, TfTensor } from './peers.js';
import { compare, interleave, type Check, type Contender } from './timing.js';

export const MATMUL_SIZES: [number, number, number][] = [
  [60, 784, 100],
  [256, 256, 256],
  [512, 512, 512],
];

export interface MatmulResult {
  size: [number, number, number];
  t: Record<string, number>;
  checks: Check[];
  failed: string[];
}

/** float32 sums of k products: 1e-5 of the largest |c| (k u max|c| is about 3e-5 at k = 512). */
const MATMUL_RTOL = 1e-4;

export async function runMatmul(peers: Peers, size: [number, number, number], seed: number): Promise<MatmulResult> {
  const { tf, ort } = peers;
  const [n, k, m] = size;
  manualSeed(seed);
  const a = randn([n, k]);
  const b = randn([k, m]);
  const tg = (backend: string) => () => {
    setBackend(backend);
    return noGrad(() => a.matmul(b)).data;
  };
  const ref = tg('wasm')() as Float32Array;
  const checks: Check[] = [compare('C', 'tg-js', tg('js')() as Float32Array, ref, 0, MATMUL_RTOL)];

  const tfTensors: TfTensor[] = [];
  const tfContender = async (backend: 'wasm' | 'cpu'): Promise<Contender> => {
    await tf.setBackend(backend);
    const ta = tf.tensor(a.data as Float32Array, [n, k]);
    const tb = tf.tensor(b.data as Float32Array, [k, m]);
    tfTensors.push(ta, tb);
    const c = tf.matMul(ta, tb);
    checks.push(compare('C', `tfjs-${backend}`, c.dataSync(), ref, 0, MATMUL_RTOL));
    c.dispose();
    return { name: `tfjs-${backend}`, setup: () => tf.setBackend(backend), fn: () => tf.matMul(ta, tb).dispose() };
  };
  const tfWasm = await tfContender('wasm');
  const tfCpu = await tfContender('cpu');
  const ortRun = await ortRunner(ort, matmulGraph(n, k, m), {
    A: { data: a.data as Float32Array, dims: [n, k] },
    B: { data: b.data as Float32Array, dims: [k, m] },
  });
  checks.push(compare('C', 'onnxruntime', await ortRun.run(), ref, 0, MATMUL_RTOL));

  const torch = peers.torch;
  const key = `matmul ${size.join('x')}`;
  if (torch) {
    const out = await torch.setup(key, { type: 'matmul', a: torch.put(a.data, [n, k]), b: torch.put(b.data, [k, m]) });
    checks.push(compare('C', 'torch', out['C']!, ref, 0, MATMUL_RTOL));
  }

  const failed = [...new Set(checks.filter((c) => !c.ok).map((c) => c.contender))];
  const contenders: Contender[] = [
    { name: 'tg-wasm', fn: tg('wasm') },
    { name: 'tg-js', fn: tg('js') },
    tfWasm,
    tfCpu,
    { name: 'onnxruntime', fn: () => ortRun.run() },
    ...(torch ? [torch.contender(key)] : []),
  ];
  const t = await interleave(contenders.filter((c) => !failed.includes(c.name)));
  await torch?.drop(key);
  tf.dispose(tfTensors);
  setBackend('wasm');
  return { size, t, checks, failed };
}
