/**
 * Embedding forward + backward (src/autograd/ops/embedding.ts: one row copy per index, a float64
 * scatter-add back) on the two shapes of the makemore / nanoGPT pipelines: a [27, 10] table looked
 * up by [32, 3] indices (the MLP language model) and a [65, 64] table by [16, 32] (character GPT),
 * plus the [65, 64] table by [64, 256] for scale. Runs in a few seconds:
 * `npx tsx bench/embedding.bench.ts`.
 */
import { functional as F, manualSeed, randn, Tensor } from '../src/index.js';
import { machine, medians, printTable, type Row } from './harness.js';

manualSeed(0);
const cases: [string, number, number, number[]][] = [
  ['[27, 10] x [32, 3]', 27, 10, [32, 3]],
  ['[65, 64] x [16, 32]', 65, 64, [16, 32]],
  ['[65, 64] x [64, 256]', 65, 64, [64, 256]],
];
const rows: Row[] = [];
for (const [name, V, D, idxShape] of cases) {
  const weight = randn([V, D], { requiresGrad: true });
  const n = idxShape.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = (i * 7919) % V;
  const indices = new Tensor(idx, idxShape);
  const g = randn([...idxShape, D]);
  const t = await medians(
    {
      forward: () => void F.embedding(indices, weight),
      'forward+backward': () => {
        weight.grad = null;
        F.embedding(indices, weight).backward(g);
      },
    },
    300,
  );
  rows.push({ shape: name, 'forward (us)': t['forward']! * 1000, 'fwd+bwd (us)': t['forward+backward']! * 1000 });
}
console.log(`Embedding, ${machine()}, median latency`);
printTable(rows);
