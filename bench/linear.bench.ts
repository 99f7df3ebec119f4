/**
 * One training step of the demo's MLP (examples/demo.ts with BatchNorm: 784 -> 100 -> 100 -> 100
 * -> 10, Linear without bias, BatchNorm1d and sigmoid per hidden layer, cross-entropy, batch 60),
 * with SGD momentum 0.9: zeroGrad, forward, loss, backward, step. The Linear layers dominate.
 *
 * Prints the median step time of each of BENCH_ROUNDS (default 5) tinybench rounds of about a
 * second, and the lowest: on a shared machine a burst of other work inflates one round's median,
 * rarely all of them.
 *
 * Run: npx tsx bench/linear.bench.ts      (TYPEGRAD_BACKEND=js for the TypeScript kernels)
 */
import { Bench } from 'tinybench';
import { functional as F, getBackend, manualSeed, nn, optim, randn, setBackend, tensor } from '../src/index.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
if (process.env['TYPEGRAD_BACKEND'] !== undefined) setBackend(process.env['TYPEGRAD_BACKEND']);

manualSeed(0);
const net = new nn.Sequential();
for (const inFeatures of [784, 100, 100]) {
  net.append(new nn.Linear(inFeatures, 100, { bias: false }));
  net.append(new nn.BatchNorm1d(100));
  net.append(new nn.Sigmoid());
}
net.append(new nn.Linear(100, 10));
const opt = new optim.SGD(net.parameters(), { lr: 0.5, momentum: 0.9 });
const x = randn([60, 784]);
const y = tensor(Array.from({ length: 60 }, (_, i) => (i * 7) % 10), [60], { dtype: 'int32' });

function step(): void {
  opt.zeroGrad();
  F.crossEntropy(net.forward(x), y).backward();
  opt.step();
}

const medians: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ time: 1000, iterations: 20, warmupTime: 100, warmupIterations: 5 });
  bench.add('step', step);
  await bench.run();
  const task = bench.tasks[0]!;
  if (task.result.state !== 'completed') throw new Error(`bench: step ended ${task.result.state}`);
  medians.push(task.result.latency.p50);
}
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
console.log(`MLP 784-100x3-10 (BatchNorm1d, sigmoid), batch 60, SGD momentum 0.9, backend ${getBackend()}`);
console.log(`median step per round: ${medians.map(fmt).join(', ')}`);
console.log(`lowest median: ${fmt(Math.min(...medians))}`);
