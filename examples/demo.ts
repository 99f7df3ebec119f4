/**
 * A small real example until the MNIST demo lands: a two-layer network fitted with the autograd
 * to a toy problem (points inside vs outside a circle), printing its loss going down.
 */
import { manualSeed, noGrad, rand, randn, tensor, zeros, type Tensor } from '../src/index.js';

manualSeed(0);
const n = 256;
const points = rand([n, 2]).mul(2).sub(1); // uniform in [-1, 1]^2
const labels = tensor(
  Array.from({ length: n }, (_, i) => (points.data[2 * i]! ** 2 + points.data[2 * i + 1]! ** 2 < 0.5 ? 1 : 0)),
  [n, 1],
);

const hidden = 16;
const w1 = randn([2, hidden]).mul(Math.sqrt(2 / 2)).detach().requiresGrad_();
const b1 = zeros([hidden], { requiresGrad: true });
const w2 = randn([hidden, 1]).mul(Math.sqrt(1 / hidden)).detach().requiresGrad_();
const b2 = zeros([1], { requiresGrad: true });
const params = [w1, b1, w2, b2];

const lr = 0.5;
for (let step = 0; step <= 1000; step++) {
  const prob = points.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sigmoid();
  // binary cross-entropy, clamped away from log(0)
  const p = prob.mul(1 - 2e-7).add(1e-7);
  const loss = labels.mul(p.log()).add(labels.neg().add(1).mul(p.neg().add(1).log())).mean().neg();
  for (const q of params) q.grad = null;
  loss.backward();
  noGrad(() => {
    for (const q of params) {
      const g = q.grad!.data;
      for (let i = 0; i < q.data.length; i++) q.data[i] -= lr * g[i]!;
    }
  });
  if (step % 100 === 0) {
    const acc = accuracy(prob, labels);
    console.log(`step ${String(step).padStart(4)}  loss ${loss.item().toFixed(4)}  accuracy ${(acc * 100).toFixed(1)}%`);
  }
}

function accuracy(prob: Tensor, target: Tensor): number {
  let right = 0;
  for (let i = 0; i < prob.size; i++) right += (prob.data[i]! > 0.5 ? 1 : 0) === target.data[i] ? 1 : 0;
  return right / prob.size;
}
