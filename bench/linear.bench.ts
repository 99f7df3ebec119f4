/**
 * One training step of the demo's MLP (examples/demo.ts with BatchNorm: 784 -> 100 -> 100 -> 100
 * -> 10, Linear without bias, BatchNorm1d and sigmoid per hidden layer, cross-entropy, batch 60),
 * with SGD momentum 0.9: zeroGrad, forward, loss, backward, step. The Linear layers dominate.
 *
 * Two nets with the same weights, timed interleaved in every round: `nn.Linear` (the linear op:
 * W^T never materialized) and the composition Linear was before, x.matmul(W.transpose(0, 1)).add(b)
 * (transpose copies W, and matmul's backward transposes again).
 *
 * Prints each task's median step time per BENCH_ROUNDS (default 5) tinybench rounds of about a
 * second, and the lowest: on a shared machine a burst of other work inflates one round's median,
 * rarely all of them.
 *
 * Run: npx tsx bench/linear.bench.ts      (TYPEGRAD_BACKEND=js for the TypeScript kernels)
 */
import { Bench } from 'tinybench';
import { functional as F, getBackend, manualSeed, nn, optim, randn, setBackend, tensor } from '../src/index.js';
import type { Tensor } from '../src/index.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
if (process.env['TYPEGRAD_BACKEND'] !== undefined) setBackend(process.env['TYPEGRAD_BACKEND']);

/** Linear as a composition of matmul, transpose and add. */
class ComposedLinear extends nn.Linear {
  override forward(x: Tensor): Tensor {
    const y = x.matmul(this.weight.transpose(0, 1));
    return this.bias === null ? y : y.add(this.bias);
  }
}

function makeStep(Lin: typeof nn.Linear): () => void {
  manualSeed(0);
  const net = new nn.Sequential();
  for (const inFeatures of [784, 100, 100]) {
    net.append(new Lin(inFeatures, 100, { bias: false }));
    net.append(new nn.BatchNorm1d(100));
    net.append(new nn.Sigmoid());
  }
  net.append(new Lin(100, 10));
  const opt = new optim.SGD(net.parameters(), { lr: 0.5, momentum: 0.9 });
  const x = randn([60, 784]);
  const y = tensor(
    Array.from({ length: 60 }, (_, i) => (i * 7) % 10),
    [60],
    { dtype: 'int32' },
  );
  return () => {
    opt.zeroGrad();
    F.crossEntropy(net.forward(x), y).backward();
    opt.step();
  };
}

const tasks = { 'linear op': makeStep(nn.Linear), composition: makeStep(ComposedLinear) };
const medians: Record<string, number[]> = { 'linear op': [], composition: [] };
for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ time: 1000, iterations: 20, warmupTime: 100, warmupIterations: 5 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  for (const task of bench.tasks) {
    if (task.result.state !== 'completed') throw new Error(`bench: ${task.name} ended ${task.result.state}`);
    medians[task.name]!.push(task.result.latency.p50);
  }
}
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
console.log(`MLP 784-100x3-10 (BatchNorm1d, sigmoid), batch 60, SGD momentum 0.9, backend ${getBackend()}`);
for (const [name, ms] of Object.entries(medians)) {
  console.log(`${name.padEnd(12)} lowest median ${fmt(Math.min(...ms))}   (per round: ${ms.map(fmt).join(', ')})`);
}
