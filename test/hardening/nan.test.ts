/**
 * NaN and +-Inf propagation, forward and backward, against PyTorch (test/fixtures/nan_propagation.py).
 * One table: each case names the op as torch ran it and as typegrad runs it; every case runs in
 * float64 (tolerance rtol 1e-12, atol 1e-12: the same formulas in the same precision) and in float32
 * (rtol 1e-5, atol 1e-6: float32 rounding of outputs near 1). NaN must match NaN and an infinity the
 * same infinity (expectClose). Run on both backends (wasm covers the norms and matmul).
 */
import { describe, expect, it } from 'vitest';
import { functional as F, tensor, type DType, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';

interface NanCase {
  x: FixtureTensor;
  y: FixtureTensor;
  dy: FixtureTensor;
  dx: FixtureTensor;
}

const cases = loadFixture('nan_propagation') as Record<string, NanCase>;

const colWeight = (dtype: DType): Tensor =>
  tensor(
    [
      [0, 1],
      [0, 2],
    ],
    undefined,
    { dtype },
  );
const conv = (dtype: DType): Tensor => tensor([0, 1, 1, 0], [1, 1, 2, 2], { dtype });

/** The op of each fixture case, written with typegrad's API. */
const ops: Record<string, (x: Tensor) => Tensor> = {
  relu: (x) => x.relu(),
  sigmoid: (x) => x.sigmoid(),
  tanh: (x) => x.tanh(),
  gelu: (x) => x.gelu(),
  abs: (x) => x.abs(),
  exp: (x) => x.exp(),
  neg: (x) => x.neg(),
  sqrt: (x) => x.sqrt(),
  log: (x) => x.log(),
  mulScalar: (x) => x.mul(0),
  sum: (x) => x.sum(1),
  mean: (x) => x.mean(0),
  var: (x) => x.var(1),
  amaxAxis: (x) => x.amax(1),
  maxAll: (x) => x.max(),
  maxAllInf: (x) => x.max(),
  maxPool2d: (x) => F.maxPool2d(x, 2),
  maxPool2dPadded: (x) => F.maxPool2d(x, 3, { stride: 1, padding: 1 }),
  avgPool2d: (x) => F.avgPool2d(x, 2),
  softmax: (x) => F.softmax(x, 1),
  logSoftmax: (x) => F.logSoftmax(x, 1),
  crossEntropy: (x) => F.crossEntropy(x, [1, 0, 0, 2], { reduction: 'none' }),
  mseLoss: (x) => F.mseLoss(x, tensor([0, Infinity, 1, NaN], undefined, { dtype: x.dtype }), { reduction: 'none' }),
  bceWithLogits: (x) =>
    F.binaryCrossEntropyWithLogits(x, tensor([1, 1, 0, 0.5, 0], undefined, { dtype: x.dtype }), { reduction: 'none' }),
  matmul: (x) => x.matmul(colWeight(x.dtype)),
  layerNorm: (x) => F.layerNorm(x, [3]),
  groupNorm: (x) => F.groupNorm(x, 2),
  batchNorm: (x) => F.batchNorm(x, null, null, { training: true }),
  instanceNorm: (x) => F.instanceNorm(x),
  rmsNorm: (x) => F.rmsNorm(x, [3]),
  conv2d: (x) => F.conv2d(x, conv(x.dtype)),
};

const TOL: Record<'float32' | 'float64', { rtol: number; atol: number }> = {
  float64: { rtol: 1e-12, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
};

describe('NaN and Inf propagate like torch (forward and backward)', () => {
  it('has an op for every fixture case and a case for every op', () => {
    expect(Object.keys(ops).sort()).toEqual(Object.keys(cases).sort());
  });

  for (const dtype of ['float64', 'float32'] as const) {
    it.each(Object.keys(cases))(`%s (${dtype})`, (name) => {
      const c = cases[name]!;
      const x = tensor(Float64Array.from(c.x.data), c.x.shape, { dtype, requiresGrad: true });
      const y = ops[name]!(x);
      expect(y.shape, name).toEqual(c.y.shape);
      expectClose(y, c.y.data, TOL[dtype], `${name} y`);
      y.backward(tensor(Float64Array.from(c.dy.data), c.dy.shape, { dtype }));
      expectClose(x.grad!, c.dx.data, TOL[dtype], `${name} dx`);
    });
  }

  it('relu keeps -0 and NaN as they are (torch clamps only values below 0)', () => {
    const y = tensor([-0, NaN, -1]).relu().data;
    expect(Object.is(y[0], -0)).toBe(true);
    expect(Number.isNaN(y[1])).toBe(true);
    expect(y[2]).toBe(0);
  });
});

/**
 * The fixture's tensors are small, so on the wasm backend they run on the TypeScript fallback (the
 * wasm kernels take over from 256 elements / 512 multiply-adds). Here inputs are large enough for the
 * wasm kernels, and the expected pattern of non-finite outputs follows from the math alone: a
 * statistic over a set containing NaN or +-Inf is NaN, so the whole set normalizes to NaN; a matmul
 * row with a NaN is NaN throughout, a row with one +Inf (and B > 0) is +Inf throughout.
 */
describe('NaN and Inf through the large (wasm-sized) norm and matmul kernels', () => {
  const rows = 64;
  const feats = 48;
  const data = (): Float32Array =>
    Float32Array.from({ length: rows * feats }, (_, i) => Math.sin(i) + 0.5 * Math.cos(3 * i));
  const poisoned: Record<number, number> = { 3: NaN, 17: Infinity, 40: -Infinity, 63: NaN };

  function poisonedInput(): Tensor {
    const d = data();
    for (const [r, v] of Object.entries(poisoned)) d[Number(r) * feats + 7] = v;
    return tensor(d, [rows, feats], { requiresGrad: true });
  }

  it('layerNorm: a row with NaN or Inf is NaN in y and in dx; the other rows stay finite', () => {
    const x = poisonedInput();
    const y = F.layerNorm(x, [feats]);
    y.backward(
      tensor(
        Float32Array.from({ length: rows * feats }, (_, i) => Math.cos(i)),
        [rows, feats],
      ),
    );
    for (let r = 0; r < rows; r++) {
      const bad = r in poisoned;
      for (let f = 0; f < feats; f++) {
        const i = r * feats + f;
        expect(Number.isNaN(y.data[i]!), `y[${r}, ${f}]`).toBe(bad);
        expect(Number.isNaN(x.grad!.data[i]!), `dx[${r}, ${f}]`).toBe(bad);
        if (!bad) expect(Number.isFinite(y.data[i]!) && Number.isFinite(x.grad!.data[i]!)).toBe(true);
      }
    }
  });

  it('batchNorm: the channel holding a NaN is NaN everywhere; the others stay finite', () => {
    const [n, c, hw] = [16, 6, 16];
    const d = Float32Array.from({ length: n * c * hw }, (_, i) => Math.sin(0.7 * i));
    d[(5 * c + 2) * hw + 3] = NaN; // sample 5, channel 2
    const x = tensor(d, [n, c, 4, 4], { requiresGrad: true });
    const y = F.batchNorm(x, null, null, { training: true });
    y.sum().backward();
    for (let i = 0; i < d.length; i++) {
      const channel = Math.floor(i / hw) % c;
      expect(Number.isNaN(y.data[i]!), `y flat ${i}`).toBe(channel === 2);
      expect(Number.isNaN(x.grad!.data[i]!), `dx flat ${i}`).toBe(channel === 2);
    }
  });

  it('matmul: a NaN row is NaN, a +Inf row (B > 0) is +Inf, the rest finite', () => {
    const x = poisonedInput();
    const b = tensor(
      Float32Array.from({ length: feats * 32 }, (_, i) => 0.5 + (i % 7) / 7),
      [feats, 32],
    );
    const y = x.matmul(b);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 32; j++) {
        const v = y.data[r * 32 + j]!;
        const p = poisoned[r];
        if (p === undefined) expect(Number.isFinite(v), `y[${r}, ${j}]`).toBe(true);
        else if (Number.isNaN(p)) expect(Number.isNaN(v), `y[${r}, ${j}]`).toBe(true);
        else expect(v, `y[${r}, ${j}]`).toBe(p);
      }
    }
  });
});
