/**
 * The kernels behind `kernels()`, TypeScript reference ('js') vs WebAssembly SIMD ('wasm'), at the
 * norm layers' shapes and three matmul sizes, with a same-size memcpy (Float32Array.prototype.set)
 * timed in the same run.
 *
 * Bytes counted per element of x (float32): moments and reduceSum read x (4 B); normalizeAffine
 * reads x and writes y (8 B); normBackwardReduce reads x and dy (8 B); normBackwardInput reads x
 * and dy and writes dx (12 B). GB/s = those bytes / median time. "x memcpy" = median time / the
 * median time of copying x once (which moves 8 B per element). The wasm times include copying the
 * inputs into the wasm memory and the outputs back (every call does), so they can never beat a
 * memcpy of their inputs plus outputs.
 * Matmul: GFLOP/s = 2 n k m / median time; "x memcpy" against copying a, b and c once.
 * Each time is the lowest of BENCH_ROUNDS (default 3) tinybench medians, see medianTimes.
 *
 * Run: npm run bench:kernels
 */
import { Bench } from 'tinybench';
import { jsKernels, wasmKernels, type Kernels } from '../src/kernels/registry.js';
import { planAxes, type AxisPlan } from '../src/tensor/kernels/axisPlan.js';
import { machine, printTable, type Row } from './harness.js';

/** Rounds of every group of tasks; each task reports its lowest median over the rounds. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

/**
 * Median latency (ms) of each task (at least `iterations` runs and `timeMs` of running), taken
 * ROUNDS times with the tasks interleaved, keeping each task's lowest median: on a shared machine
 * a burst of other work inflates one round's medians, rarely all of them.
 */
async function medianTimes(
  tasks: Record<string, () => void>,
  iterations = 20,
  timeMs = 300,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: timeMs, iterations, warmupTime: 50, warmupIterations: 3 });
    for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      if (task.result.state !== 'completed') throw new Error(`bench: ${task.name} ended ${task.result.state}`);
      out[task.name] = Math.min(out[task.name] ?? Infinity, task.result.latency.p50);
    }
  }
  return out;
}

function randomF32(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface NormShape {
  name: string;
  shape: number[];
  reduced: number[];
  params: number[];
  centered: boolean;
}

// GroupNorm(32) on [8, 64, 32, 32] is the view [N, G, C/G, H*W] = [8, 32, 2, 1024].
const NORM_SHAPES: NormShape[] = [
  { name: 'BatchNorm2d [32,64,32,32]', shape: [32, 64, 32 * 32], reduced: [0, 2], params: [1], centered: true },
  { name: 'LayerNorm [8,512,768]', shape: [8, 512, 768], reduced: [2], params: [2], centered: true },
  { name: 'GroupNorm(32) [8,64,32,32]', shape: [8, 32, 2, 32 * 32], reduced: [2, 3], params: [1, 2], centered: true },
  { name: 'InstanceNorm2d [8,64,32,32]', shape: [8, 64, 32 * 32], reduced: [2], params: [1], centered: true },
  { name: 'RMSNorm [8,512,768]', shape: [8, 512, 768], reduced: [2], params: [2], centered: false },
];

/** The four norm kernels of a training step on one backend, as tasks. */
function normTasks(
  k: Kernels,
  plan: AxisPlan,
  s: NormShape,
  x: Float32Array,
  dy: Float32Array,
): Record<string, () => void> {
  const mean = new Float64Array(plan.statSize);
  const m2 = new Float64Array(plan.statSize);
  k.moments(x, plan, mean, m2, s.centered);
  const rstd = m2.map((v) => 1 / Math.sqrt(v / plan.count + 1e-5));
  const weight = randomF32(plan.paramSize, 3);
  const bias = randomF32(plan.paramSize, 4);
  const y = new Float32Array(plan.size);
  const sums = [new Float64Array(plan.statSize), new Float64Array(plan.statSize)] as const;
  const grads = [new Float64Array(plan.paramSize), new Float64Array(plan.paramSize)] as const;
  return {
    moments: () => k.moments(x, plan, mean, m2, s.centered),
    normalizeAffine: () => k.normalizeAffine(x, plan, mean, rstd, weight, bias, y),
    normBackwardReduce: () => k.normBackwardReduce(x, dy, plan, mean, rstd, weight, ...sums, ...grads),
    normBackwardInput: () =>
      k.normBackwardInput(x, dy, plan, mean, rstd, weight, s.centered ? sums[0] : null, sums[1], y),
  };
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  moments: 4,
  normalizeAffine: 8,
  normBackwardReduce: 8,
  normBackwardInput: 12,
};

const normRows: Row[] = [];
for (const s of NORM_SHAPES) {
  const plan = planAxes(s.shape, s.reduced, s.params);
  const x = randomF32(plan.size, 1);
  const dy = randomF32(plan.size, 2);
  const copy = new Float32Array(plan.size);
  const js = normTasks(jsKernels, plan, s, x, dy);
  const wasm = normTasks(wasmKernels, plan, s, x, dy);
  const tasks: Record<string, () => void> = { memcpy: () => copy.set(x) };
  for (const name of Object.keys(js)) {
    tasks[`js ${name}`] = js[name]!;
    tasks[`wasm ${name}`] = wasm[name]!;
  }
  const t = await medianTimes(tasks);
  for (const name of Object.keys(js)) {
    const gbps = (ms: number): number => (BYTES_PER_ELEMENT[name]! * plan.size) / ms / 1e6;
    normRows.push({
      shape: s.name,
      kernel: name,
      'js ms': t[`js ${name}`]!,
      'wasm ms': t[`wasm ${name}`]!,
      'speed-up': t[`js ${name}`]! / t[`wasm ${name}`]!,
      'js GB/s': gbps(t[`js ${name}`]!),
      'wasm GB/s': gbps(t[`wasm ${name}`]!),
      'wasm x memcpy': t[`wasm ${name}`]! / t.memcpy!,
    });
  }
  normRows.push({
    shape: s.name,
    kernel: `memcpy of x: ${t.memcpy!.toFixed(3)} ms`,
    'js ms': '',
    'wasm ms': '',
    'speed-up': '',
    'js GB/s': '',
    'wasm GB/s': (8 * plan.size) / t.memcpy! / 1e6,
    'wasm x memcpy': 1,
  });
}

const matmulRows: Row[] = [];
for (const [n, k, m] of [
  [60, 784, 100],
  [256, 256, 256],
  [512, 512, 512],
] as const) {
  const a = randomF32(n * k, 5);
  const b = randomF32(k * m, 6);
  const c = new Float32Array(n * m);
  const all = new Float32Array(n * k + k * m + n * m);
  const copy = new Float32Array(all.length);
  const t = await medianTimes(
    {
      memcpy: () => copy.set(all),
      js: () => jsKernels.batchedMatmul(a, [n, k], b, [k, m], [], c),
      wasm: () => wasmKernels.batchedMatmul(a, [n, k], b, [k, m], [], c),
    },
    5,
  );
  const gflops = (ms: number): number => (2 * n * k * m) / ms / 1e6;
  matmulRows.push({
    'n x k x m': `${n} x ${k} x ${m}`,
    'js ms': t.js!,
    'wasm ms': t.wasm!,
    'speed-up': t.js! / t.wasm!,
    'js GFLOP/s': gflops(t.js!),
    'wasm GFLOP/s': gflops(t.wasm!),
    'wasm x memcpy(a,b,c)': t.wasm! / t.memcpy!,
  });
}

console.log(`\nkernels, js vs wasm (lowest of ${ROUNDS} tinybench medians) on ${machine()}\n`);
printTable(normRows);
console.log('');
printTable(matmulRows);
