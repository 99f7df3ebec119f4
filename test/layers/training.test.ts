/**
 * End to end: a tiny model with every kind of layer (conv, BatchNorm, pooling, dropout, linear)
 * trained with cross-entropy and SGD on a synthetic problem. It must learn (far above chance), and
 * the same seed must give the very same run: identical final weights and accuracy to the digit,
 * while another seed gives another run.
 */
import { describe, expect, it } from 'vitest';
import {
  DataLoader,
  functional as F,
  Generator,
  manualSeed,
  nn,
  noGrad,
  optim,
  randn,
  Tensor,
} from '../../src/index.js';

/** 256 images [1, 6, 6] labelled by which quadrant holds the brightest 3x3 block (4 classes), plus noise. */
function dataset(gen: Generator): { x: Tensor; y: Tensor } {
  const n = 256;
  const x = randn([n, 1, 6, 6], { generator: gen }).mul(0.3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const q = gen.int(4);
    y[i] = q;
    const r0 = q < 2 ? 0 : 3;
    const c0 = q % 2 === 0 ? 0 : 3;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) x.data[i * 36 + (r0 + r) * 6 + c0 + c] += 1;
  }
  return { x, y: new Tensor(y, [n]) };
}

/** Trains from seed `seed` for 3 epochs and returns the final accuracy (in eval mode) and the weights. */
function run(seed: number): { accuracy: number; weights: number[] } {
  manualSeed(seed);
  const { x, y } = dataset(new Generator(123));
  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Dropout(0.2),
    new nn.Linear(4 * 3 * 3, 4),
  );
  const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  const loader = new DataLoader([x, y], { batchSize: 16, shuffle: true });
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const [xb, yb] of loader) {
      const loss = F.crossEntropy(net.forward(xb), yb);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
  }
  net.eval();
  const logits = noGrad(() => net.forward(x));
  let right = 0;
  for (let i = 0; i < y.size; i++) {
    let best = 0;
    for (let c = 1; c < 4; c++) if (logits.data[i * 4 + c]! > logits.data[i * 4 + best]!) best = c;
    if (best === y.data[i]) right++;
  }
  return { accuracy: right / y.size, weights: Object.values(net.stateDict()).flatMap((t) => Array.from(t.data)) };
}

describe('training a small model end to end', () => {
  it('learns, and the same seed reproduces the run exactly', () => {
    const a = run(7);
    const b = run(7);
    // 4 classes: chance is 25%; the quadrant problem is easy, so a working model is far above it
    expect(a.accuracy).toBeGreaterThan(0.9);
    expect(b.accuracy).toBe(a.accuracy);
    expect(b.weights).toEqual(a.weights);
  });

  it('another seed (other initial weights, dropout masks and batch order) gives another run', () => {
    expect(run(8).weights).not.toEqual(run(7).weights);
  });
});
