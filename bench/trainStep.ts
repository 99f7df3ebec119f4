/**
 * Training-step timings of the two examples' models on both kernel backends, interleaved:
 *
 *   mlp  the demo's BatchNorm net (examples/demo.ts): 784-100x3-10, Linear (no bias) + BatchNorm1d
 *        + sigmoid, batch 60, cross-entropy, SGD lr 0.5 momentum 0.9
 *   cnn  bench/peers/cnn.ts's net: conv 1->8, BN2d, ReLU, maxpool, conv 8->16, BN2d, ReLU, maxpool,
 *        linear 784->10, batch 32, SGD lr 0.05 momentum 0.9
 *   adam the mlp with AdamW (lr 1e-3) instead of SGD
 *
 * Each round runs every (model, backend) pair for about 150 ms, the order rotating; a pair's time is
 * its lowest round median (the machine is shared: its quietest window). A full GC precedes each batch.
 * Two clocks: wall time, and the process's CPU time per call (`process.cpuUsage`, user + system,
 * all threads), which a loaded machine inflates far less than wall time.
 *
 *   npx tsx bench/trainStep.ts [--rounds 5] [--only mlp,cnn] [--compare DIR]
 *
 * --compare DIR adds the same tasks run on DIR/src/index.ts (another checkout, e.g. `git archive main
 * src | tar -x -C DIR`), interleaved with this tree's: before/after in one window. DIR needs this
 * tree's package.json too (`cp package.json DIR/`): without its `"type": "module"` tsx loads DIR's
 * files as CommonJS, and the same code measured about 8% slower there (MLP step, Node 20).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Typegrad from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('rounds', '5'));
const only = arg('only', 'mlp,cnn,adam').split(',');
const compare = arg('compare', '');

type Engine = typeof Typegrad;

function mlp({ nn }: Engine): InstanceType<Engine['nn']['Sequential']> {
  const net = new nn.Sequential();
  let inFeatures = 784;
  for (let i = 0; i < 3; i++) {
    net.append(new nn.Linear(inFeatures, 100, { bias: false }));
    net.append(new nn.BatchNorm1d(100));
    net.append(new nn.Sigmoid());
    inFeatures = 100;
  }
  net.append(new nn.Linear(100, 10));
  return net;
}

function cnn({ nn }: Engine): InstanceType<Engine['nn']['Sequential']> {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 7 * 7, 10),
  );
}

interface Task {
  name: string;
  fn: () => void;
}

function task(tg: Engine, label: string, model: string, backend: string): Task {
  const { functional: F, manualSeed, optim, rand, setBackend } = tg;
  manualSeed(0);
  const isCnn = model === 'cnn';
  const net = (isCnn ? cnn(tg) : mlp(tg)).train();
  const batch = isCnn ? 32 : 60;
  const x = rand(isCnn ? [batch, 1, 28, 28] : [batch, 784]);
  const labels = Array.from({ length: batch }, (_, i) => (i * 7) % 10);
  const opt =
    model === 'adam'
      ? new optim.AdamW(net.parameters(), { lr: 1e-3 })
      : new optim.SGD(net.parameters(), { lr: isCnn ? 0.05 : 0.5, momentum: 0.9 });
  return {
    name: `${model} ${backend}${label}`,
    fn: () => {
      setBackend(backend);
      const loss = F.crossEntropy(net.forward(x), labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    },
  };
}

const engines: [Engine, string][] = [[await import('../src/index.js'), '']];
if (compare !== '') {
  if (!existsSync(resolve(compare, 'package.json'))) {
    console.warn(`--compare ${compare}: no package.json there, so its files load as CommonJS (slower); copy this one`);
  }
  const other = (await import(pathToFileURL(resolve(compare, 'src/index.ts')).href)) as Engine;
  engines.push([other, ` (${compare})`]);
}
const tasks = only.flatMap((m) => ['wasm', 'js'].flatMap((b) => engines.map(([tg, label]) => task(tg, label, m, b))));
for (const t of tasks) for (let i = 0; i < 5; i++) t.fn(); // warm up
const best = new Map<string, [number, number]>();
const median = (a: number[]): number => a.sort((x, y) => x - y)[a.length >> 1]!;
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < tasks.length; k++) {
    const t = tasks[(k + r) % tasks.length]!;
    gc();
    const wall: number[] = [];
    const cpu: number[] = [];
    const start = performance.now();
    while (performance.now() - start < 150 && wall.length < 300) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      t.fn();
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    const [w, c] = best.get(t.name) ?? [Infinity, Infinity];
    best.set(t.name, [Math.min(w, median(wall)), Math.min(c, median(cpu))]);
  }
}
console.log('| step | wall ms | CPU ms |');
console.log('|---|---|---|');
for (const t of tasks) {
  const [w, c] = best.get(t.name)!;
  console.log(`| ${t.name} | ${w.toFixed(3)} | ${c.toFixed(3)} |`);
}
