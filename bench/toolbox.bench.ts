/**
 * The tensor toolbox's training hot path at the sizes of the makemore / nanoGPT examples: gather
 * (cross-entropy's pick), indexSelect and embedding forward + backward, where / maskedFill (an
 * attention mask), cat / split (heads), the comparisons, `at` and topk / sort, each timed on the
 * backend TYPEGRAD_BACKEND names (js or wasm; default: the library's).
 *
 * Run: TYPEGRAD_BACKEND=js npx tsx bench/toolbox.bench.ts   (under a minute on a busy machine)
 */
import { cat, functional as F, getBackend, manualSeed, randn, setBackend, tensor, where } from '../src/index.js';
import { machine, medians, printTable, type Row } from './harness.js';

const requested = process.env['TYPEGRAD_BACKEND'];
if (requested) setBackend(requested);
manualSeed(0);

const ints = (n: number, high: number): Int32Array => Int32Array.from({ length: n }, (_, i) => (i * 7919) % high);
const logits = randn([512, 65], { requiresGrad: true });
const targets = tensor(ints(512, 65), [512, 1]);
const C = randn([65, 64], { requiresGrad: true });
const X = tensor(ints(16 * 256, 65), [16, 256]);
const flatX = tensor(ints(4096, 65));
const a = randn([64, 1024], { requiresGrad: true });
const b = randn([64, 1024], { requiresGrad: true });
const cond = a.gt(0);
const scores = randn([4, 4, 64, 64], { requiresGrad: true });
const causal = tensor(
  Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 64 > Math.floor(i / 64) ? 1 : 0)),
  [64, 64],
).gt(0);
const q = randn([16, 64, 128], { requiresGrad: true });
const qkv = randn([16, 64, 384], { requiresGrad: true });
const seq = randn([64, 32, 65]);
const wide = randn([64, 1024]);

const tasks: Record<string, () => void> = {
  'gather [512, 65] by [512, 1], fwd+bwd': () => {
    logits.grad = null;
    logits.gather(1, targets).sum().backward();
  },
  'indexSelect [65, 64] by 4096, fwd+bwd': () => {
    C.grad = null;
    C.indexSelect(0, flatX).sum().backward();
  },
  'embedding [65, 64] by [16, 256], fwd+bwd': () => {
    C.grad = null;
    F.embedding(X, C).sum().backward();
  },
  'C.at(X) [65, 64] by [16, 256], fwd+bwd': () => {
    C.grad = null;
    C.at(X).sum().backward();
  },
  'where [64, 1024], fwd+bwd': () => {
    a.grad = null;
    b.grad = null;
    where(cond, a, b).sum().backward();
  },
  'maskedFill [4, 4, 64, 64] causal, fwd+bwd': () => {
    scores.grad = null;
    scores.maskedFill(causal, -Infinity).exp().sum().backward();
  },
  'cat 3 x [16, 64, 128] dim 2, fwd+bwd': () => {
    q.grad = null;
    cat([q, q, q], 2).sum().backward();
  },
  'split [16, 64, 384] in 3 dim 2, fwd+bwd': () => {
    qkv.grad = null;
    const [s0, s1, s2] = qkv.split(128, 2);
    s0!.add(s1!).add(s2!).sum().backward();
  },
  'gt(0) [64, 1024]': () => void a.gt(0),
  'eq(b) [64, 1024]': () => void a.eq(b),
  'x.at(null, -1) [64, 32, 65]': () => void seq.at(null, -1).contiguous(),
  'topk 5 of [64, 1024]': () => void wide.topk(5),
  'sort [64, 1024]': () => void wide.sort(),
};

const [r1, r2] = [await medians(tasks, 100), await medians(tasks, 100)];
const rows: Row[] = Object.keys(tasks).map((task) => ({ task, 'median us': Math.min(r1[task]!, r2[task]!) * 1000 }));
console.log(`Toolbox ops, backend ${getBackend()}, ${machine()}, lower median of two runs`);
printTable(rows);
