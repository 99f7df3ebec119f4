/**
 * The normalization cases: forward with training-mode statistics, and forward+backward
 * (gradients of x, weight and bias for an upstream gradient dy), in every contender.
 *
 * - typegrad: the nn module in training mode through the public API, on setBackend('wasm') and
 *   setBackend('js'); forward under noGrad, forward+backward as zeroGrad, forward, backward(dy).
 * - naive: naive.ts (forward only). memcpy: Float32Array.prototype.set of x into a preallocated
 *   array of the same size (reads and writes the bytes a forward reads and writes). slice:
 *   x.slice(), a new array plus the copy, the least any forward that returns a new array costs.
 * - tfjs (cpu and wasm backends): the tfjs-core ops a tfjs user would write. BatchNorm runs in
 *   tfjs's own layout, NHWC (tf.moments over N, H, W + the fused tf.batchNorm, whose parameters
 *   broadcast along the last axis); x and dy are transposed once, outside the timing, and outputs
 *   transposed back for the check. LayerNorm: tf.moments over the last axis, then
 *   (x - mean) * rsqrt(var + eps) * w + b. GroupNorm and InstanceNorm: reshape to [N, G, C/G*HW],
 *   the same, weight and bias per channel. RMSNorm: x * rsqrt(mean(x^2) + eps) * w.
 *   Forward+backward: tf.grads of the same function w.r.t. (x, w, b) with dy. Timed calls run in
 *   tf.tidy and dispose the result; outputs stay in the backend (no dataSync in the timing).
 * - onnxruntime-node: the one-node models of ortModels.ts (forward only: ORT has no training
 *   here, onnxruntime-node ships inference only).
 */
import { manualSeed, nn, noGrad, randn, setBackend, tensor, type Module, type Tensor } from '../../src/index.js';
import { naiveBatchNorm, naiveGroupNorm, naiveLayerNorm } from './naive.js';
import {
  batchNormGraph,
  groupNormGraph,
  instanceNormGraph,
  layerNormGraph,
  ortRunner,
  rmsNormGraph,
} from './ortModels.js';
import type { Graph } from './onnx.js';
import type { Peers, Tf, TfTensor } from './peers.js';
import { compare, interleave, QUICK, type Check, type Contender } from './timing.js';

const EPS = 1e-5;
const RMS_EPS = 2 ** -23; // nn.RMSNorm's default eps: float32 machine epsilon

type Kind = 'batch' | 'layer' | 'group' | 'instance' | 'rms';

export interface NormCase {
  name: string;
  kind: Kind;
  shape: number[];
  /** Large enough that the memcpy target applies (> 1 MiB of x). */
  large: boolean;
  /** tfjs-cpu forward+backward too (slow: a few seconds a call). */
  cpuBackward: boolean;
  groups?: number;
  /** false: not a row of issue 14's PyTorch table (--quick skips it); PyTorch still runs it. */
  torchTable?: false;
}

export const NORM_CASES: NormCase[] = [
  { name: 'BatchNorm2d', kind: 'batch', shape: [32, 64, 32, 32], large: true, cpuBackward: true },
  { name: 'LayerNorm', kind: 'layer', shape: [8, 512, 768], large: true, cpuBackward: true },
  { name: 'GroupNorm(32)', kind: 'group', shape: [8, 64, 32, 32], groups: 32, large: true, cpuBackward: false },
  { name: 'InstanceNorm2d', kind: 'instance', shape: [8, 64, 32, 32], large: true, cpuBackward: false },
  { name: 'LayerNorm', kind: 'layer', shape: [32, 64, 128], large: true, cpuBackward: false },
  { name: 'BatchNorm2d', kind: 'batch', shape: [16, 128, 56, 56], large: true, cpuBackward: false, torchTable: false },
  { name: 'RMSNorm', kind: 'rms', shape: [8, 512, 768], large: true, cpuBackward: false },
];

export interface NormResult {
  c: NormCase;
  /** Median ms per contender: 'memcpy', 'naive', 'tg-wasm', ..., 'tg-wasm fwd+bwd', ... */
  t: Record<string, number>;
  checks: Check[];
  /** Contenders left out of the timing because their output disagreed. */
  failed: string[];
}

function randomParams(size: number, seed: number): { w: Float32Array; b: Float32Array } {
  manualSeed(seed);
  return { w: randn([size]).mul(0.2).add(1).data as Float32Array, b: randn([size]).mul(0.2).data as Float32Array };
}

/** Index of an NCHW element in NHWC order, applied to a whole array in either direction. */
function transposeNC(data: Float32Array, shape: readonly number[], toNhwc: boolean): Float32Array {
  const [n, c] = [shape[0]!, shape[1]!];
  const hw = data.length / (n * c);
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let j = 0; j < hw; j++) {
        const nchw = (i * c + ch) * hw + j;
        const nhwc = (i * hw + j) * c + ch;
        if (toNhwc) out[nhwc] = data[nchw]!;
        else out[nchw] = data[nhwc]!;
      }
  return out;
}

/** A norm layer: its weight (and bias, except RMSNorm) are set to the same values as the peers'. */
type NormModule = Module & { weight: Tensor | null; bias?: Tensor | null };

function typegradModule(c: NormCase, paramSize: number): NormModule {
  const channels = c.shape[1]!;
  switch (c.kind) {
    case 'batch':
      return new nn.BatchNorm2d(channels);
    case 'layer':
      return new nn.LayerNorm(c.shape[c.shape.length - 1]!);
    case 'group':
      return new nn.GroupNorm(c.groups!, channels);
    case 'instance':
      return new nn.InstanceNorm2d(channels, { affine: true });
    case 'rms':
      return new nn.RMSNorm(paramSize);
  }
}

/** The tfjs forward of a case on tensors already in the backend (BatchNorm: NHWC). */
function tfForward(tf: Tf, c: NormCase, x: TfTensor, w: TfTensor, b: TfTensor): TfTensor {
  const shape = c.shape;
  if (c.kind === 'batch') {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, b, w, EPS);
  }
  if (c.kind === 'layer' || c.kind === 'rms') {
    if (c.kind === 'rms') return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), RMS_EPS))), w);
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS))), w), b);
  }
  const [n, ch] = [shape[0]!, shape[1]!];
  const groups = c.kind === 'group' ? c.groups! : ch;
  const xr = tf.reshape(x, [n, groups, -1]);
  const { mean, variance } = tf.moments(xr, 2, true);
  const xhat = tf.reshape(tf.mul(tf.sub(xr, mean), tf.rsqrt(tf.add(variance, EPS))), [n, ch, -1]);
  return tf.reshape(tf.add(tf.mul(xhat, tf.reshape(w, [ch, 1])), tf.reshape(b, [ch, 1])), shape);
}

function ortGraph(c: NormCase, w: Float32Array, b: Float32Array): Graph {
  switch (c.kind) {
    case 'batch':
      return batchNormGraph(c.shape, w, b, EPS);
    case 'layer':
      return layerNormGraph(c.shape, 1, w, b, EPS);
    case 'group':
      return groupNormGraph(c.shape, c.groups!, w, b, EPS);
    case 'instance':
      return instanceNormGraph(c.shape, w, b, EPS);
    case 'rms':
      return rmsNormGraph(c.shape, w, RMS_EPS);
  }
}

function naiveForward(c: NormCase, x: Float32Array, w: Float32Array, b: Float32Array): Float32Array {
  const [n, ch] = [c.shape[0]!, c.shape[1]!];
  const last = c.shape[c.shape.length - 1]!;
  const hw = x.length / (n * ch);
  switch (c.kind) {
    case 'batch':
      return naiveBatchNorm(x, n, ch, hw, w, b, EPS);
    case 'layer':
      return naiveLayerNorm(x, last, w, b, EPS);
    case 'rms':
      return naiveLayerNorm(x, last, w, null, RMS_EPS, false);
    case 'group':
      return naiveGroupNorm(x, n, ch, hw, c.groups!, w, b, EPS);
    case 'instance':
      return naiveGroupNorm(x, n, ch, hw, ch, w, b, EPS);
  }
}

/** Norm outputs are O(1): 1e-4 absolute. Gradients: 1e-4 absolute + 1e-4 of the largest reference value. */
const FWD_ATOL = 1e-4;
const GRAD_ATOL = 1e-4;
const GRAD_RTOL = 1e-4;

export async function runNormCase(peers: Peers, c: NormCase, seed: number): Promise<NormResult> {
  const { tf, ort } = peers;
  const paramSize = c.kind === 'layer' || c.kind === 'rms' ? c.shape[c.shape.length - 1]! : c.shape[1]!;
  const { w, b } = randomParams(paramSize, seed);
  manualSeed(seed + 1);
  const x = randn(c.shape);
  const dy = randn(c.shape);
  const layer = typegradModule(c, paramSize).train();
  layer.weight!.data.set(w);
  layer.bias?.data.set(b);
  const xg = tensor(x.data, c.shape, { requiresGrad: true });
  const checks: Check[] = [];
  const failed: string[] = [];

  // typegrad (wasm) is the reference every other output is checked against.
  const tg = (backend: string) => () => {
    setBackend(backend);
    return noGrad(() => layer.forward(x)).data;
  };
  const tgBackward = (backend: string) => () => {
    setBackend(backend);
    xg.grad = null;
    layer.zeroGrad();
    (layer.forward(xg) as Tensor).backward(dy);
    const grads = [xg.grad!.data, layer.weight!.grad!.data];
    if (layer.bias) grads.push(layer.bias.grad!.data);
    return grads;
  };
  const refY = tg('wasm')() as Float32Array;
  const refGrads = tgBackward('wasm')() as Float32Array[];
  const gradNames = ['dx', 'dweight', 'dbias'];

  // tfjs: tensors made under each backend and used only under it.
  const nhwc = c.kind === 'batch';
  const tfIn = (data: Float32Array): Float32Array => (nhwc ? transposeNC(data, c.shape, true) : data);
  const tfOut = (data: Float32Array): Float32Array => (nhwc ? transposeNC(data, c.shape, false) : data);
  const tfShape = nhwc ? [c.shape[0]!, ...c.shape.slice(2), c.shape[1]!] : c.shape;
  const tfTensors: TfTensor[] = [];
  const tfContenders = async (
    backend: 'wasm' | 'cpu',
    backward: boolean,
  ): Promise<{ fwd: Contender; bwd: Contender }> => {
    await tf.setBackend(backend);
    const [tx, tdy, tw, tb] = [
      tf.tensor(tfIn(x.data as Float32Array), tfShape),
      tf.tensor(tfIn(dy.data as Float32Array), tfShape),
      tf.tensor(w, [paramSize]),
      tf.tensor(b, [paramSize]),
    ];
    tfTensors.push(tx, tdy, tw, tb);
    // Gradients w.r.t. x, w and b (RMSNorm has no b: tf.grads rejects an input the output ignores).
    const args = layer.bias ? [tx, tw, tb] : [tx, tw];
    const grads = tf.grads((a, wt, bt) => tfForward(tf, c, a, wt, bt ?? tb));
    const setup = () => tf.setBackend(backend);
    const name = `tfjs-${backend}`;
    const y = tf.tidy(() => tfForward(tf, c, tx, tw, tb));
    checks.push(compare('forward', name, tfOut(y.dataSync()), refY, FWD_ATOL));
    y.dispose();
    if (backward) {
      const g = tf.tidy(() => grads(args, tdy));
      refGrads.forEach((ref, i) =>
        checks.push(
          compare(
            gradNames[i]!,
            `${name} fwd+bwd`,
            i === 0 ? tfOut(g[i]!.dataSync()) : g[i]!.dataSync(),
            ref,
            GRAD_ATOL,
            GRAD_RTOL,
          ),
        ),
      );
      tf.dispose(g);
    }
    return {
      fwd: { name, setup, fn: () => tf.tidy(() => tfForward(tf, c, tx, tw, tb)).dispose() },
      bwd: { name: `${name} fwd+bwd`, setup, fn: () => tf.dispose(tf.tidy(() => grads(args, tdy))) },
    };
  };
  const tfWasm = await tfContenders('wasm', true);
  const tfCpu = QUICK ? null : await tfContenders('cpu', c.cpuBackward);

  // PyTorch: the same module with the same weight, bias, x and dy (torch_worker.py).
  const torch = peers.torch;
  const key = `${c.name} [${c.shape}]`;
  const torchContenders: Contender[] = [];
  if (torch) {
    const workload = {
      type: 'norm',
      kind: c.kind,
      shape: c.shape,
      groups: c.groups,
      eps: c.kind === 'rms' ? RMS_EPS : EPS,
      weight: torch.put(w, [paramSize]),
      bias: torch.put(b, [paramSize]),
      x: torch.put(x.data, c.shape),
      dy: torch.put(dy.data, c.shape),
    };
    const fwd = await torch.setup(`${key} fwd`, { ...workload, mode: 'fwd' });
    checks.push(compare('forward', 'torch', fwd['y']!, refY, FWD_ATOL));
    const bwd = await torch.setup(`${key} fwd+bwd`, { ...workload, mode: 'fwdbwd' });
    refGrads.forEach((ref, i) =>
      checks.push(compare(gradNames[i]!, 'torch fwd+bwd', bwd[gradNames[i]!]!, ref, GRAD_ATOL, GRAD_RTOL)),
    );
    torchContenders.push(torch.contender(`${key} fwd`), torch.contender(`${key} fwd+bwd`, 'torch fwd+bwd'));
  }

  // onnxruntime-node
  const ortRun = await ortRunner(ort, ortGraph(c, w, b), { X: { data: x.data as Float32Array, dims: c.shape } });
  checks.push(compare('forward', 'onnxruntime', await ortRun.run(), refY, FWD_ATOL));

  // typegrad js, naive
  checks.push(compare('forward', 'tg-js', tg('js')() as Float32Array, refY, FWD_ATOL));
  (tgBackward('js')() as Float32Array[]).forEach((g, i) =>
    checks.push(compare(gradNames[i]!, 'tg-js fwd+bwd', g, refGrads[i]!, GRAD_ATOL, GRAD_RTOL)),
  );
  checks.push(compare('forward', 'naive', naiveForward(c, x.data as Float32Array, w, b), refY, FWD_ATOL));

  const copy = new Float32Array(x.size);
  const contenders: Contender[] = [
    { name: 'memcpy', fn: () => copy.set(x.data as Float32Array) },
    { name: 'slice', fn: () => (x.data as Float32Array).slice() },
    { name: 'naive', fn: () => naiveForward(c, x.data as Float32Array, w, b) },
    { name: 'tg-js', fn: tg('js') },
    { name: 'tg-wasm', fn: tg('wasm') },
    tfWasm.fwd,
    ...(tfCpu ? [tfCpu.fwd] : []),
    { name: 'onnxruntime', fn: () => ortRun.run() },
    { name: 'tg-js fwd+bwd', fn: tgBackward('js') },
    { name: 'tg-wasm fwd+bwd', fn: tgBackward('wasm') },
    tfWasm.bwd,
    ...(tfCpu && c.cpuBackward ? [tfCpu.bwd] : []),
    ...torchContenders,
  ];
  for (const ch of checks) if (!ch.ok && !failed.includes(ch.contender)) failed.push(ch.contender);
  const t = await interleave(contenders.filter((k) => !failed.includes(k.name)));
  if (torch) await Promise.all([torch.drop(`${key} fwd`), torch.drop(`${key} fwd+bwd`)]);
  tf.dispose(tfTensors);
  setBackend('wasm');
  return { c, t, checks, failed };
}
