/**
 * Convolution: im2col + matmul (what src/autograd/ops/conv.ts uses) vs a direct kernel, forward +
 * backward (dx, dweight, dbias) on the shapes of examples/cnn.ts, with each matmul backend (the
 * direct kernel does not use matmul, so only the first column changes). Run: `npx tsx bench/conv.ts`.
 *
 * The direct kernel below is written for this comparison only, with its loops ordered so that the
 * innermost one runs along an output row (contiguous in y and, at stride 1, in x); it is checked
 * against the op before it is timed.
 */
import { conv2d } from '../src/layers/functional/conv.js';
import { getBackend, manualSeed, randn, setBackend, type Tensor } from '../src/index.js';

interface Shape {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: number;
  pad: number;
}

function directForward(x: Float32Array, wt: Float32Array, bias: Float32Array, s: Shape, y: Float32Array): void {
  const { n, c, h, w, o, k, pad } = s;
  const oh = h + 2 * pad - k + 1;
  const ow = w + 2 * pad - k + 1;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const y0 = (b * o + oc) * oh * ow;
      for (let t = 0; t < oh * ow; t++) y[y0 + t] = bias[oc]!;
      for (let ic = 0; ic < c; ic++) {
        const x0 = (b * c + ic) * h * w;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const wv = wt[((oc * c + ic) * k + i) * k + j]!;
            for (let r = 0; r < oh; r++) {
              const ih = r - pad + i;
              if (ih < 0 || ih >= h) continue;
              const lo = Math.max(0, pad - j);
              const hi = Math.min(ow, w + pad - j);
              const xr = x0 + ih * w - pad + j;
              const yr = y0 + r * ow;
              for (let q = lo; q < hi; q++) y[yr + q] += wv * x[xr + q]!;
            }
          }
        }
      }
    }
  }
}

function directBackward(
  x: Float32Array,
  wt: Float32Array,
  dy: Float32Array,
  s: Shape,
  dx: Float32Array,
  dw: Float32Array,
  db: Float32Array,
): void {
  const { n, c, h, w, o, k, pad } = s;
  const oh = h + 2 * pad - k + 1;
  const ow = w + 2 * pad - k + 1;
  dx.fill(0);
  dw.fill(0);
  db.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const y0 = (b * o + oc) * oh * ow;
      for (let t = 0; t < oh * ow; t++) db[oc] += dy[y0 + t]!;
      for (let ic = 0; ic < c; ic++) {
        const x0 = (b * c + ic) * h * w;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const wi = ((oc * c + ic) * k + i) * k + j;
            const wv = wt[wi]!;
            let acc = 0;
            for (let r = 0; r < oh; r++) {
              const ih = r - pad + i;
              if (ih < 0 || ih >= h) continue;
              const lo = Math.max(0, pad - j);
              const hi = Math.min(ow, w + pad - j);
              const xr = x0 + ih * w - pad + j;
              const yr = y0 + r * ow;
              for (let q = lo; q < hi; q++) {
                const g = dy[yr + q]!;
                acc += g * x[xr + q]!;
                dx[xr + q] += wv * g;
              }
            }
            dw[wi] += acc;
          }
        }
      }
    }
  }
}

function time(fn: () => void, reps: number): number {
  for (let i = 0; i < 3; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

const cases: [string, Shape][] = [
  ['conv1 N=32 1->8 28x28 k3 p1', { n: 32, c: 1, h: 28, w: 28, o: 8, k: 3, pad: 1 }],
  ['conv2 N=32 8->16 14x14 k3 p1', { n: 32, c: 8, h: 14, w: 14, o: 16, k: 3, pad: 1 }],
  ['conv1 N=2 1->8 28x28 k3 p1', { n: 2, c: 1, h: 28, w: 28, o: 8, k: 3, pad: 1 }],
  ['conv2 N=2 8->16 14x14 k3 p1', { n: 2, c: 8, h: 14, w: 14, o: 16, k: 3, pad: 1 }],
];
function run(name: string, s: Shape): void {
  manualSeed(0);
  const x = randn([s.n, s.c, s.h, s.w], { requiresGrad: true });
  const wt = randn([s.o, s.c, s.k, s.k], { requiresGrad: true });
  const bias = randn([s.o], { requiresGrad: true });
  const yShape = [s.n, s.o, s.h + 2 * s.pad - s.k + 1, s.w + 2 * s.pad - s.k + 1];
  const dy = randn(yShape);

  const viaOp = (): Tensor => {
    x.grad = wt.grad = bias.grad = null;
    const y = conv2d(x, wt, bias, { padding: s.pad });
    y.backward(dy);
    return y;
  };
  const yDirect = new Float32Array(dy.size);
  const dx = new Float32Array(x.size);
  const dw = new Float32Array(wt.size);
  const db = new Float32Array(bias.size);
  const direct = (): void => {
    directForward(x.data as Float32Array, wt.data as Float32Array, bias.data as Float32Array, s, yDirect);
    directBackward(x.data as Float32Array, wt.data as Float32Array, dy.data as Float32Array, s, dx, dw, db);
  };

  // Check the direct kernel against the op before timing it.
  const y = viaOp();
  direct();
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
    return m;
  };
  const diff = Math.max(
    maxDiff(y.data, yDirect),
    maxDiff(x.grad!.data, dx),
    maxDiff(wt.grad!.data, dw),
    maxDiff(bias.grad!.data, db),
  );
  // float32 sums of up to 25k products, accumulated in different orders: agree to ~1e-5 relative
  if (diff > 1e-4) throw new Error(`direct kernel disagrees with conv2d by ${diff}`);

  const reps = s.n > 4 ? 30 : 300;
  const tOp = time(viaOp, reps);
  const tDirect = time(direct, reps);
  console.log(
    `${getBackend().padEnd(5)} ${name.padEnd(30)} im2col+matmul ${tOp.toFixed(3).padStart(7)} ms   direct ${tDirect.toFixed(3).padStart(7)} ms   (fwd+bwd, max rel diff ${diff.toExponential(1)})`,
  );
}

for (const backend of ['js', 'wasm']) {
  try {
    setBackend(backend);
  } catch {
    console.log(`(backend '${backend}' is not available here)`);
    continue;
  }
  for (const [name, s] of cases) run(name, s);
}
