/**
 * A leak check: trains a small CNN (conv, BatchNorm2d, ReLU, max pooling, dropout, linear,
 * cross-entropy, SGD with momentum, DataLoader) for 2,000 steps and compares the heap in use after
 * step 200 with the heap after step 2,000. Every step builds and frees a whole graph, so anything a
 * step leaves behind (a graph kept alive by a closure, a cache that only grows) shows up as growth.
 * Tensor storage lives in ArrayBuffers outside the JS heap, so both are read. Exits with status 1
 * when either grew by more than 10%.
 *
 *   npm run check:memory      (runs node --expose-gc, so a full collection precedes each reading)
 *   npm run check:memory -- --backend js     (the TypeScript kernels; default: the default backend)
 */
import { DataLoader, functional as F, Generator, getBackend, manualSeed, nn, optim, setBackend } from '../src/index.js';
import { loadDigits } from './mnist.js';
import { numberFlag } from './terminal.js';

const steps = numberFlag('steps', 2000);
const firstReading = numberFlag('first', 200);
const gc = (globalThis as { gc?: () => void }).gc;
const backendAt = process.argv.indexOf('--backend');
if (backendAt >= 0) setBackend(process.argv[backendAt + 1]!);

/**
 * The JS heap in use and the memory of ArrayBuffers (tensor storage lives there, outside the heap),
 * after a full GC.
 */
function reading(): { heap: number; buffers: number } {
  if (gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

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
let early = { heap: 0, buffers: 0 };
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
      console.log(
        `after step ${String(step).padStart(5)}: heap used ${mib(early.heap)}, array buffers ${mib(early.buffers)} (loss ${loss.toFixed(3)})`,
      );
    }
    if (step === steps) break;
  }
}
const late = reading();
const growth = late.heap / early.heap - 1;
const bufferGrowth = late.buffers / early.buffers - 1;
console.log(
  `after step ${String(step).padStart(5)}: heap used ${mib(late.heap)}, array buffers ${mib(late.buffers)} (loss ${loss.toFixed(3)})`,
);
console.log(
  `growth: heap ${(100 * growth).toFixed(1)}%, array buffers ${(100 * bufferGrowth).toFixed(1)}% (limit 10% each), ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
if (!(growth <= 0.1 && bufferGrowth <= 0.1)) {
  console.log('FAIL: memory grew by more than 10% between the two readings');
  process.exit(1);
}
console.log('OK');
