/**
 * The embedding lookup `C.at(X)` of makemore (C [27, 10], X [32, 3] and [4096, 3] int32): forward,
 * and forward + backward of `emb.sum()`, with the two ways to copy one row timed beside it:
 * `out.set(C.subarray(...))` per row and a plain element loop per row (what indexSelectRows picks
 * between by row length, SET_MIN_ROW in src/tensor/kernels/indexing.ts).
 *
 * Run: npx tsx bench/indexing.bench.ts   (a few seconds)
 */
import { manualSeed, randn, tensor } from '../src/index.js';
import { machine, medians, printTable, type Row } from './harness.js';

function rowsBySet(c: Float32Array, cols: number, index: Int32Array, out: Float32Array): void {
  for (let k = 0; k < index.length; k++) out.set(c.subarray(index[k]! * cols, (index[k]! + 1) * cols), k * cols);
}

function rowsByLoop(c: Float32Array, cols: number, index: Int32Array, out: Float32Array): void {
  for (let k = 0; k < index.length; k++) {
    const from = index[k]! * cols;
    const to = k * cols;
    for (let j = 0; j < cols; j++) out[to + j] = c[from + j]!;
  }
}

async function main(): Promise<void> {
  manualSeed(0);
  const rows: Row[] = [];
  for (const [vocab, dim] of [
    [27, 10],
    [27, 64],
  ] as const) {
    for (const batch of [32, 4096]) {
      const C = randn([vocab, dim], { requiresGrad: true });
      // indices spread over the table by a multiplicative hash (randint lives on another branch)
      const ids = Int32Array.from({ length: batch * 3 }, (_, i) => ((i * 2654435761) % 4294967296) % vocab);
      const X = tensor(ids, [batch, 3]);
      const flat = X.data as Int32Array;
      const out = new Float32Array(flat.length * dim);
      const tasks: Record<string, () => void> = {
        'C.at(X)': () => void C.at(X),
        'C.at(X).sum().backward()': () => {
          C.grad = null;
          C.at(X).sum().backward();
        },
        'rows by set/subarray': () => rowsBySet(C.data as Float32Array, dim, flat, out),
        'rows by plain loop': () => rowsByLoop(C.data as Float32Array, dim, flat, out),
      };
      // the first task of a run pays for warm-up and collecting earlier garbage: keep each task's
      // lower median of two runs
      const [r1, r2] = [await medians(tasks, 250), await medians(tasks, 250)];
      const t = Object.fromEntries(Object.keys(tasks).map((k) => [k, Math.min(r1[k]!, r2[k]!)]));
      for (const [task, ms] of Object.entries(t)) {
        rows.push({ C: `[${vocab}, ${dim}]`, X: `[${batch}, 3]`, task, 'median us': ms * 1000 });
      }
    }
  }
  console.log(machine());
  printTable(rows);
}

await main();
