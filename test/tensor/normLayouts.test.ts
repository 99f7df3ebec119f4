/**
 * Every fast norm kernel against the reference (src/tensor/kernels/normReference.ts), on the one
 * table of layouts (test/tensor/layouts.ts): the TypeScript kernels ('js': unfused in
 * axisReduce.ts, fused in normFused.ts), the wasm kernels with no size threshold (every call in
 * wasm) and as registered (small calls handed to TypeScript), and the 'reference' backend itself.
 * Float32 data, plain (mean 0.5, std 2) and hard (mean 1e4, std 1e-2).
 *
 * Tolerances, per element (u = 2^-24), the wasm kernels' bounds (test/wasm/norm.test.ts), which the
 * TypeScript kernels meet with room to spare (they round once, from float64):
 *   - mean, dweight, dbias, the backward sums: float64 on both sides, only the order of the
 *     additions differs: |diff| <= 1e-12 sum|terms|;
 *   - variance: 1e-12 variance + 2 std e + e^2, e = count 2^-53 |mean| the float64 mean's error
 *     (BatchNorm's merged per-run moments carry it to first order, two-pass moments squared);
 *   - rstd: half the relative change of variance + eps, plus a float64 rounding;
 *   - y: float32 with mean = hi + lo in wasm: 8u (|xhat w| + |b|) + 2u |y| + u^2 |mean| rstd |w|;
 *   - dx: 8u rstd (|dxhat| + |xhat mean(dxhat xhat)| + |mean(dxhat)|) + 2u |dx|.
 * A wrong term, index or statistic is off by O(|term|), far outside these.
 */
import { describe, it } from 'vitest';
import {
  createWasmKernels,
  jsKernels,
  referenceKernels,
  wasmKernels,
  wasmSimdSupported,
  type Kernels,
} from '../../src/kernels/registry.js';
import type { AxisPlan } from '../../src/tensor/kernels/axisPlan.js';
import {
  backwardInputReference,
  backwardSumsReference,
  elementIndex,
  momentsReference,
  normalizeReference,
  normBackwardReference,
  normForwardReference,
  type NormStatsMode,
} from '../../src/tensor/kernels/normReference.js';
import { expectWithin } from '../helpers.js';
import { normalF32, U32 } from '../wasm/support.js';
import { LAYOUTS, MORE_LAYOUTS, planOf } from './layouts.js';

const EPS = 1e-5;
const f64 = (n: number): Float64Array => new Float64Array(n);

const BACKENDS: [string, Kernels][] = [
  ['js', jsKernels],
  ['reference', referenceKernels],
  ...(wasmSimdSupported
    ? ([
        ['wasm (every call)', createWasmKernels({ minSize: 0, minMacs: 0 })],
        ['wasm (as registered)', wasmKernels],
      ] as [string, Kernels][])
    : []),
];

interface Data {
  x: Float32Array;
  dy: Float32Array;
  weight: Float32Array | null;
  bias: Float32Array | null;
}

function check(k: Kernels, plan: AxisPlan, d: Data, centered: boolean, label: string): void {
  const { statSize, paramSize, count, size } = plan;
  const index = elementIndex(plan);
  const { stat, param } = index;
  const { x, dy, weight, bias } = d;

  // The reference forward, and the kernel's fused and unfused forwards.
  const [mean, variance, rstd] = [f64(statSize), f64(statSize), f64(statSize)];
  const y = new Float32Array(size);
  normForwardReference(x, index, centered, EPS, weight, bias, y, mean, variance, rstd);
  const [meanK, varK, rstdK] = [f64(statSize), f64(statSize), f64(statSize)];
  const yK = new Float32Array(size);
  k.normForward(x, plan, centered, EPS, weight, bias, yK, meanK, varK, rstdK);

  const absSum = f64(statSize);
  for (let i = 0; i < size; i++) absSum[stat[i]!] += Math.abs(x[i]!);
  // A float64 mean of `count` values errs by up to count 2^-53 |mean|: two-pass moments feel it only
  // squared, but BatchNorm's merged per-run moments (normCompose.ts) feel it to first order.
  const meanErr = (s: number): number => count * 2 ** -53 * Math.abs(mean[s]!);
  const varBound = (s: number): number =>
    1e-12 * variance[s]! + 2 * Math.sqrt(variance[s]!) * meanErr(s) + meanErr(s) ** 2;
  expectWithin(meanK, mean, (s) => (1e-12 * absSum[s]!) / count, `${label} mean`);
  expectWithin(varK, variance, varBound, `${label} variance`);
  expectWithin(rstdK, rstd, (s) => rstd[s]! * (varBound(s) / (variance[s]! + EPS) + 1e-15), `${label} rstd`);
  const w = (i: number): number => (weight === null ? 1 : weight[param[i]!]!);
  const b = (i: number): number => (bias === null ? 0 : bias[param[i]!]!);
  const xhat = (i: number): number => (x[i]! - mean[stat[i]!]!) * rstd[stat[i]!]!;
  const yBound = (i: number): number =>
    8 * U32 * (Math.abs(xhat(i) * w(i)) + Math.abs(b(i))) +
    2 * U32 * Math.abs(y[i]!) +
    U32 * U32 * Math.abs(mean[stat[i]!]! * rstd[stat[i]!]! * w(i));
  expectWithin(yK, y, yBound, `${label} y (normForward)`);

  const [meanU, m2U] = [f64(statSize), f64(statSize)];
  const [meanR, m2R] = [f64(statSize), f64(statSize)];
  k.moments(x, plan, meanU, m2U, centered);
  momentsReference(x, index, meanR, m2R, centered);
  expectWithin(meanU, meanR, (s) => (1e-12 * absSum[s]!) / count, `${label} moments mean`);
  expectWithin(m2U, m2R, (s) => varBound(s) * count, `${label} moments m2`);
  const yU = new Float32Array(size);
  const yR = new Float32Array(size);
  k.normalizeAffine(x, plan, mean, rstd, weight, bias, yU);
  normalizeReference(x, index, mean, rstd, weight, bias, yR);
  expectWithin(yU, yR, yBound, `${label} y (normalizeAffine)`);

  // The backward, in each statistics mode, fused and unfused.
  const absDxhat = f64(statSize);
  const absDxhatXhat = f64(statSize);
  const absDw = f64(paramSize);
  const absDb = f64(paramSize);
  for (let i = 0; i < size; i++) {
    absDxhat[stat[i]!] += Math.abs(dy[i]! * w(i));
    absDxhatXhat[stat[i]!] += Math.abs(dy[i]! * w(i) * xhat(i));
    absDw[param[i]!] += Math.abs(dy[i]! * xhat(i));
    absDb[param[i]!] += Math.abs(dy[i]!);
  }
  const sums = { sumDxhat: f64(statSize), sumDxhatXhat: f64(statSize), dweight: f64(paramSize), dbias: f64(paramSize) };
  backwardSumsReference(x, dy, index, mean, rstd, weight, sums);
  const sumsK = [f64(statSize), f64(statSize), f64(paramSize), f64(paramSize)].map((a) => a.fill(7)); // overwritten
  k.normBackwardReduce(x, dy, plan, mean, rstd, weight, sumsK[0]!, sumsK[1]!, sumsK[2]!, sumsK[3]!);
  expectWithin(sumsK[0]!, sums.sumDxhat, (s) => 1e-12 * absDxhat[s]!, `${label} sumDxhat`);
  expectWithin(sumsK[1]!, sums.sumDxhatXhat, (s) => 1e-12 * absDxhatXhat[s]!, `${label} sumDxhatXhat`);
  expectWithin(sumsK[2]!, sums.dweight, (p) => 1e-12 * absDw[p]!, `${label} normBackwardReduce dweight`);
  expectWithin(sumsK[3]!, sums.dbias, (p) => 1e-12 * absDb[p]!, `${label} normBackwardReduce dbias`);

  for (const mode of ['centered', 'rms', 'constant'] as NormStatsMode[]) {
    const dx = new Float32Array(size);
    const [dweight, dbias] = [f64(paramSize), f64(paramSize)];
    normBackwardReference(x, dy, index, mean, rstd, weight, mode, dx, dweight, dbias);
    const dxK = new Float32Array(size);
    const [dweightK, dbiasK] = [f64(paramSize).fill(7), f64(paramSize).fill(7)];
    k.normBackward(x, dy, plan, mean, rstd, weight, mode, dxK, dweightK, dbiasK);
    expectWithin(dweightK, dweight, (p) => 1e-12 * absDw[p]!, `${label} dweight (${mode})`);
    expectWithin(dbiasK, dbias, (p) => 1e-12 * absDb[p]!, `${label} dbias (${mode})`);
    const meanDxhatXhat = (s: number): number => (mode === 'constant' ? 0 : sums.sumDxhatXhat[s]! / count);
    const meanDxhat = (s: number): number => (mode === 'centered' ? sums.sumDxhat[s]! / count : 0);
    const dxBound = (i: number): number => {
      const s = stat[i]!;
      const terms = Math.abs(dy[i]! * w(i)) + Math.abs(xhat(i) * meanDxhatXhat(s)) + Math.abs(meanDxhat(s));
      return 8 * U32 * rstd[s]! * terms + 2 * U32 * Math.abs(dx[i]!);
    };
    expectWithin(dxK, dx, dxBound, `${label} dx (normBackward, ${mode})`);

    // The unfused input pass, told the mode by which sums it is given.
    const dxU = new Float32Array(size);
    const s1 = mode === 'centered' ? sums.sumDxhat : null;
    const s2 = mode === 'constant' ? null : sums.sumDxhatXhat;
    k.normBackwardInput(x, dy, plan, mean, rstd, weight, s1, s2, dxU);
    const dxR = new Float32Array(size);
    backwardInputReference(x, dy, index, mean, rstd, weight, mode, sums.sumDxhat, sums.sumDxhatXhat, dxR);
    expectWithin(dxU, dxR, dxBound, `${label} dx (normBackwardInput, ${mode})`);
  }
}

function dataFor(plan: AxisPlan, seed: number, affine: boolean, mean: number, std: number): Data {
  return {
    x: normalF32(plan.size, seed, mean, std),
    dy: normalF32(plan.size, seed + 1),
    weight: affine ? normalF32(plan.paramSize, seed + 2, 1, 0.5) : null,
    bias: affine ? normalF32(plan.paramSize, seed + 3) : null,
  };
}

for (const [name, k] of BACKENDS) {
  describe(`the '${name}' norm kernels equal the reference on every layout`, () => {
    for (const layout of [...LAYOUTS, ...MORE_LAYOUTS]) {
      it(`${layout.name} [${layout.shape}]`, () => {
        const plan = planOf(layout);
        for (const affine of [true, false]) {
          for (const centered of [true, false]) {
            const what = `${layout.name}, ${affine ? 'affine' : 'no affine'}, ${centered ? 'centered' : 'RMS'}`;
            check(k, plan, dataFor(plan, 11, affine, 0.5, 2), centered, what);
            check(k, plan, dataFor(plan, 17, affine, 1e4, 1e-2), centered, `${what}, mean 1e4 std 1e-2`);
          }
        }
      });
    }
  });
}
