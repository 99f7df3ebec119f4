/**
 * A leak check: trains a small CNN (conv, BatchNorm2d, ReLU, max pooling, dropout, linear,
 * cross-entropy, SGD with momentum, DataLoader) for 2,000 steps and compares the heap in use after
 * step 200 with the heap after step 2,000. Every step builds and frees a whole graph, so anything a
 * step leaves behind (a graph kept alive by a closure, a cache that only grows) shows up as growth.
 * Tensor storage lives in ArrayBuffers outside the JS heap, so both are read. The heap is split
 * into the objects the program holds and the code V8 compiled (`v8.getHeapCodeStatistics()`:
 * machine code, bytecode and their metadata): the optimizing compiler keeps compiling functions
 * for the whole run (a heap-snapshot diff of steps 200 and 2,000 shows only code, deoptimization
 * data and relocation info growing, about 0.5 MiB, and no object count growing), which is warm-up,
 * not a leak. Exits with status 1 when the objects or the array buffers grew by more than 5%;
 * the whole heap's growth is printed beside them.
 *
 *   npm run check:memory      (runs node --expose-gc, so a full collection precedes each reading)
 *   npm run check:memory -- --backend js     (the TypeScript kernels; default: the default backend)
 */
import { getHeapCodeStatistics } from 'node:v8';
import { DataLoader, functional as F, Generator, getBackend, manualSeed, nn, optim, setBackend } from '../src/index.js';
import { loadDigits } from './mnist.js';
import { numberFlag } from './terminal.js';

const steps = numberFlag('steps', 2000);
const firstReading = numberFlag('first', 200);
const gc = (globalThis as { gc?: () => void }).gc;
const backendAt = process.argv.indexOf('--backend');
if (backendAt >= 0) setBackend(process.argv[backendAt + 1]!);

/** A reading of the memory in use after a full GC: see the header. */
interface Reading {
  /** The whole JS heap in use. */
  heap: number;
  /** Of which compiled code and bytecode with their metadata. */
  code: number;
  /** ArrayBuffers (tensor storage), outside the heap. */
  buffers: number;
}

function reading(): Reading {
  if (gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  const c = getHeapCodeStatistics();
  return { heap: m.heapUsed, code: c.code_and_metadata_size + c.bytecode_and_metadata_size, buffers: m.arrayBuffers };
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const describe = (r: Reading): string =>
  `heap used ${mib(r.heap)} (objects ${mib(r.heap - r.code)}, code ${mib(r.code)}), array buffers ${mib(r.buffers)}`;

manualSeed(0);
const { train } = loadDigits({ trainSize: 8000, shape: 'image' });
const net = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1 }),
  new nn.BatchNorm2d(8),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Dropout(0.2),
  new nn.Linear(8 * 14 * 14, 10),
);
const opt = new optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
const loader = new DataLoader([train.images, train.labels], {
  batchSize: 16,
  shuffle: true,
  dropLast: true,
  generator: new Generator(1),
});

console.log(
  `memory check (${getBackend()} backend): ${steps} training steps, heap compared after step ${firstReading} and step ${steps}${gc === undefined ? ' (no --expose-gc: readings include garbage)' : ''}`,
);
let step = 0;
let early: Reading = { heap: 0, code: 0, buffers: 0 };
let loss = NaN;
const t0 = performance.now();
while (step < steps) {
  for (const [x, y] of loader) {
    const l = F.crossEntropy(net.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    loss = l.item();
    step++;
    if (step === firstReading) {
      early = reading();
      console.log(`after step ${String(step).padStart(5)}: ${describe(early)} (loss ${loss.toFixed(3)})`);
    }
    if (step === steps) break;
  }
}
const late = reading();
const percent = (a: number, b: number): string => `${(100 * (b / a - 1)).toFixed(1)}%`;
const objects = (r: Reading): number => r.heap - r.code;
const growth = objects(late) / objects(early) - 1;
const bufferGrowth = late.buffers / early.buffers - 1;
console.log(`after step ${String(step).padStart(5)}: ${describe(late)} (loss ${loss.toFixed(3)})`);
console.log(
  `growth: heap objects ${percent(objects(early), objects(late))}, array buffers ` +
    `${percent(early.buffers, late.buffers)} (limit 5% each); whole heap ${percent(early.heap, late.heap)}, ` +
    `compiled code ${percent(early.code, late.code)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
if (!(growth <= 0.05 && bufferGrowth <= 0.05)) {
  console.log('FAIL: memory grew by more than 5% between the two readings');
  process.exit(1);
}
console.log('OK');
