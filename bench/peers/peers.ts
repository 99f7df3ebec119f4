/**
 * Loads the peer libraries from bench/peers/node_modules (installed by run.ts) and sets them up
 * the way each one runs fastest on one thread:
 *
 * - tfjs-core 4.22 with tfjs-backend-cpu and tfjs-backend-wasm in one instance of tfjs-core;
 *   production mode (`enableProdMode`: no per-op NaN checks). tfjs-core registers no gradients
 *   itself: the union package @tensorflow/tfjs imports `tfjs-core/dist/register_all_gradients`,
 *   an ES module whose directory imports Node cannot load. So registerGradients bundles that one
 *   file with esbuild (a root devDependency) into CommonJS and runs it: the gradient functions
 *   land in tfjs's global gradient registry and run their ops on the one global engine. The wasm backend loads
 *   `tfjs-backend-wasm-simd.wasm` from the package's dist folder (`setWasmPaths`), with
 *   `setThreadsCount(1)`; tfjs-backend-wasm never uses its threaded build under Node
 *   (`WASM_HAS_MULTITHREAD_SUPPORT` is false there), so it is one thread either way.
 * - onnxruntime-node 1.30 (CPU execution provider), sessions with intraOpNumThreads 1,
 *   interOpNumThreads 1, graphOptimizationLevel 'all'.
 *
 * The types below are the small part of each API this bench uses, written here so that
 * `npm run typecheck` passes without the peers installed.
 */
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TorchWorker } from './torch.js';

/** A tfjs tensor (the methods used here). */
export interface TfTensor {
  readonly shape: number[];
  dataSync(): Float32Array;
  dispose(): void;
}
export interface TfVariable extends TfTensor {
  assign(v: TfTensor): void;
}
type T = TfTensor;
type Pad = 'same' | 'valid';

/** tfjs-core's namespace (the functions used here). */
export interface Tf {
  version_core: string;
  setBackend(name: string): Promise<boolean>;
  getBackend(): string;
  ready(): Promise<void>;
  enableProdMode(): void;
  env(): { getAsync(flag: string): Promise<unknown> };
  memory(): { numTensors: number };
  tensor(values: Float32Array | Int32Array, shape: number[], dtype?: 'float32' | 'int32'): T;
  variable(t: T, trainable?: boolean, name?: string): TfVariable;
  tidy<R extends T | T[] | void>(fn: () => R): R;
  dispose(t: T | T[]): void;
  moments(x: T, axes: number | number[], keepDims?: boolean): { mean: T; variance: T };
  batchNorm(x: T, mean: T, variance: T, offset?: T, scale?: T, eps?: number): T;
  add(a: T, b: T | number): T;
  sub(a: T, b: T | number): T;
  mul(a: T, b: T | number): T;
  rsqrt(a: T): T;
  square(a: T): T;
  mean(a: T, axes?: number | number[], keepDims?: boolean): T;
  sum(a: T, axes?: number | number[], keepDims?: boolean): T;
  reshape(a: T, shape: number[]): T;
  transpose(a: T, perm: number[]): T;
  matMul(a: T, b: T, transposeA?: boolean, transposeB?: boolean): T;
  pad(x: T, paddings: [number, number][]): T;
  slice(x: T, begin: number[], size: number[]): T;
  concat(tensors: T[], axis: number): T;
  conv2dTranspose(x: T, filter: T, outputShape: number[], strides: number, pad: Pad): T;
  customGrad(
    f: (x: T, w: T, b: T, save: (saved: T[]) => void) => { value: T; gradFunc: (dy: T, saved: T[]) => T[] },
  ): (x: T, w: T, b: T) => T;
  relu(a: T): T;
  maxPool(x: T, filterSize: number, strides: number, pad: Pad): T;
  oneHot(indices: T, depth: number): T;
  fused: { conv2d(args: { x: T; filter: T; bias?: T; strides: number; pad: Pad }): T };
  losses: { softmaxCrossEntropy(onehotLabels: T, logits: T): T };
  grads(f: (...args: T[]) => T): (args: T[], dy?: T) => T[];
  variableGrads(f: () => T, varList?: TfVariable[]): { value: T; grads: Record<string, T> };
}

/** onnxruntime-node (the part used here). */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface Ort {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  env: { versions: Record<string, string> };
}

export interface Peers {
  tf: Tf;
  ort: Ort;
  /** PyTorch in a second process (torch.ts), or null when no Python with torch 2.x was found. */
  torch: TorchWorker | null;
  /** What each peer runs, for the printed header. */
  description: string[];
}

export const ORT_SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
} as const;

/** Registers tfjs-core's gradient functions (what `import '@tensorflow/tfjs'` does), see above. */
function registerGradients(require: NodeJS.Require): void {
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const bundle = buildSync({
    entryPoints: [entry],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'error',
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', bundle.outputFiles[0]!.text)(module, module.exports, require);
}

/** Loads and configures the peers; `peersDir` holds their node_modules. */
export async function loadPeers(peersDir: string): Promise<Peers> {
  const require = createRequire(join(peersDir, 'package.json'));
  const tf = require('@tensorflow/tfjs-core') as Tf;
  require('@tensorflow/tfjs-backend-cpu');
  const tfWasm = require('@tensorflow/tfjs-backend-wasm') as {
    setWasmPaths(prefix: string): void;
    setThreadsCount(n: number): void;
    getThreadsCount(): number;
  };
  const ort = require('onnxruntime-node') as Ort;

  registerGradients(require);
  tf.enableProdMode();
  tfWasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  tfWasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('bench:peers: the tfjs wasm backend did not initialize');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  if (simd !== true) throw new Error('bench:peers: tfjs-backend-wasm found no WebAssembly SIMD support');
  const wasmThreads = tfWasm.getThreadsCount();
  if (!(await tf.setBackend('cpu'))) throw new Error('bench:peers: the tfjs cpu backend did not initialize');

  // A one-node probe: the native binding loads and runs (install scripts were skipped).
  const { probeOrt } = await import('./ortModels.js');
  await probeOrt(ort);
  const torch = await TorchWorker.start(join(peersDir, '..', '..'));

  return {
    tf,
    ort,
    torch: typeof torch === 'string' ? null : torch,
    description: [
      typeof torch === 'string' ? `PyTorch: ${torch}` : torch.description,
      `tfjs-core ${tf.version_core} (prod mode): backend 'cpu' (tfjs-backend-cpu, plain JS) and backend 'wasm' (tfjs-backend-wasm, ` +
        `tfjs-backend-wasm-simd.wasm, SIMD ${simd}, threaded build ${threads ? 'available' : 'not used under Node'}, XNNPACK threads ${wasmThreads})`,
      `onnxruntime-node ${ort.env.versions['node'] ?? '?'} (CPU execution provider, intraOpNumThreads 1, interOpNumThreads 1, graph optimization 'all'), one-node models built in memory (bench/peers/onnx.ts)`,
    ],
  };
}
