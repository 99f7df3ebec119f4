/**
 * The elementwise kernels behind `kernels().unary` / `kernels().binary`, TypeScript ('js') vs
 * WebAssembly SIMD ('wasm', copies into and out of the wasm memory included), at the sizes of the
 * training steps' activations: the MLP's hidden layer [60, 100], a CNN feature map [32, 8, 28, 28],
 * a GPT block's [512, 256]; softmax rows of logits and attention. src/kernels/registry.ts sends an
 * op to wasm only where this shows a win. Each time is the lowest of 2 tinybench medians
 * (BENCH_ROUNDS), in microseconds.
 *
 * Run: npx tsx bench/elementwise.bench.ts   (about 50 s)
 */
import { jsKernels, wasmKernels } from '../src/kernels/registry.js';
import type { BinaryOp, UnaryOp } from '../src/tensor/kernels/elementwise.js';
import { sizeOf, type Shape } from '../src/tensor/shape.js';
import { machine, medians, printTable, type Row } from './harness.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);

function randomF32(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * 4;
  }
  return out;
}

async function lowest(tasks: Record<string, () => void>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let r = 0; r < ROUNDS; r++) {
    const m = await medians(tasks, 150);
    for (const [k, v] of Object.entries(m)) out[k] = Math.min(out[k] ?? Infinity, v);
  }
  return out;
}

const SIZES: readonly Shape[] = [
  [60, 100],
  [32, 8, 28, 28],
  [512, 256],
];
const UNARY: readonly UnaryOp[] = ['relu', 'exp', 'sigmoid', 'tanh', 'gelu', 'silu'];
/** [op, b's shape for an output of shape s] */
const BINARY: readonly (readonly [BinaryOp, string, (s: Shape) => Shape])[] = [
  ['add', 'same shape', (s) => s],
  ['add', 'row bias', (s) => [s[s.length - 1]!]],
  ['mul', 'channel', (s) => (s.length === 4 ? [1, s[1]!, 1, 1] : [s[0]!, 1])],
  ['div', 'scalar', () => []],
  ['reluBackward', 'same shape', (s) => s],
  ['sigmoidBackward', 'same shape', (s) => s],
  ['geluBackward', 'same shape', (s) => s],
  ['siluBackward', 'same shape', (s) => s],
];

async function main(): Promise<void> {
  console.log(`# elementwise kernels, js vs wasm (${machine()})\n`);
  const rows: Row[] = [];
  for (const shape of SIZES) {
    const n = sizeOf(shape);
    const x = randomF32(n, 1);
    const out = new Float32Array(n);
    const tasks: Record<string, () => void> = {};
    for (const op of UNARY) {
      tasks[`${op}|js`] = () => jsKernels.unary(op, x, out);
      tasks[`${op}|wasm`] = () => wasmKernels.unary(op, x, out);
    }
    for (const [op, kind, bShapeOf] of BINARY) {
      const bShape = bShapeOf(shape);
      const b = randomF32(sizeOf(bShape), 2);
      tasks[`${op} (${kind})|js`] = () => jsKernels.binary(op, x, shape, b, bShape, shape, out);
      tasks[`${op} (${kind})|wasm`] = () => wasmKernels.binary(op, x, shape, b, bShape, shape, out);
    }
    const t = await lowest(tasks);
    for (const name of new Set(Object.keys(t).map((k) => k.split('|')[0]!))) {
      const js = t[`${name}|js`]! * 1000;
      const wasm = t[`${name}|wasm`]! * 1000;
      rows.push({ shape: `[${shape.join(', ')}]`, op: name, 'js us': js, 'wasm us': wasm, 'js / wasm': js / wasm });
    }
  }
  // softmax rows: [60, 10] MLP/CNN logits, [512, 65] GPT logits, [2048, 32] GPT attention
  for (const [r, n] of [
    [60, 10],
    [512, 65],
    [2048, 32],
  ] as const) {
    const x = randomF32(r * n, 3);
    const dy = randomF32(r * n, 4);
    const out = new Float32Array(r * n);
    const tasks: Record<string, () => void> = {};
    for (const log of [false, true]) {
      const name = log ? 'logSoftmax' : 'softmax';
      tasks[`${name}|js`] = () => jsKernels.softmaxRows(x, r, n, log, out);
      tasks[`${name}|wasm`] = () => wasmKernels.softmaxRows(x, r, n, log, out);
      tasks[`${name} backward|js`] = () => jsKernels.softmaxBackwardRows(x, dy, r, n, log, out);
      tasks[`${name} backward|wasm`] = () => wasmKernels.softmaxBackwardRows(x, dy, r, n, log, out);
    }
    const t = await lowest(tasks);
    for (const name of new Set(Object.keys(t).map((k) => k.split('|')[0]!))) {
      const js = t[`${name}|js`]! * 1000;
      const wasm = t[`${name}|wasm`]! * 1000;
      rows.push({ shape: `[${r}, ${n}]`, op: name, 'js us': js, 'wasm us': wasm, 'js / wasm': js / wasm });
    }
  }
  printTable(rows);
}

await main();
