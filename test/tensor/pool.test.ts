/**
 * Recycled float32 storage (src/tensor/pool.ts) and the engine's use of it (backward.ts gives back
 * the gradients it owned once consumed). The pool only changes where arrays come from, so a
 * training run must give bit-identical results with and without it, and no tensor the program
 * still holds (outputs, losses, gradients, optimizer state) may change when later steps reuse
 * recycled arrays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { functional as F, manualSeed, nn, optim, randn, type Tensor } from '../../src/index.js';
import {
  clearFloat32Pool,
  float32PoolStats,
  recycleFloat32,
  setFloat32Pooling,
  takeFloat32,
} from '../../src/tensor/pool.js';
import { allocate } from '../../src/tensor/dtype.js';

afterEach(() => setFloat32Pooling(true));

describe('the float32 pool', () => {
  it('hands a recycled array back zero-filled, once', () => {
    clearFloat32Pool();
    const a = new Float32Array(5000).fill(3);
    recycleFloat32(a);
    const b = takeFloat32(5000);
    expect(b).toBe(a);
    expect(b!.every((v) => v === 0)).toBe(true);
    expect(takeFloat32(5000)).toBe(null);
  });

  it('allocate draws from it; other lengths and dtypes do not', () => {
    clearFloat32Pool();
    const a = new Float32Array(6000).fill(1);
    recycleFloat32(a);
    expect(allocate('float64', 6000)).not.toBe(a);
    expect(allocate('float32', 6001)).not.toBe(a);
    const got = allocate('float32', 6000);
    expect(got).toBe(a);
    expect(got.every((v) => v === 0)).toBe(true);
  });

  it('keeps neither small arrays, windows into a larger buffer, nor the same array twice', () => {
    clearFloat32Pool();
    recycleFloat32(new Float32Array(100));
    expect(takeFloat32(100)).toBe(null);
    const big = new Float32Array(10000);
    recycleFloat32(big.subarray(0, 5000));
    expect(takeFloat32(5000)).toBe(null);
    const a = new Float32Array(5000);
    recycleFloat32(a);
    recycleFloat32(a);
    expect(takeFloat32(5000)).toBe(a);
    expect(takeFloat32(5000)).toBe(null);
  });

  it('keeps at most 4 arrays of one length, and nothing when turned off', () => {
    clearFloat32Pool();
    const arrays = Array.from({ length: 6 }, () => new Float32Array(4096));
    arrays.forEach(recycleFloat32);
    const back = Array.from({ length: 6 }, () => takeFloat32(4096));
    expect(back.filter((a) => a !== null)).toHaveLength(4);
    setFloat32Pooling(false);
    recycleFloat32(new Float32Array(4096));
    expect(takeFloat32(4096)).toBe(null);
  });
});

/** Trains a small CNN and an MLP (shared tensors, BatchNorm, dropout) and returns everything it kept. */
function train(pooling: boolean) {
  setFloat32Pooling(pooling);
  manualSeed(11);
  const cnn = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Dropout(0.2),
    new nn.Linear(4 * 16 * 16, 10),
  );
  const [lin1, bn, lin2] = [new nn.Linear(64, 80), new nn.BatchNorm1d(80), new nn.Linear(80, 10)];
  const params = [...cnn.parameters(), ...lin1.parameters(), ...bn.parameters(), ...lin2.parameters()];
  const opt = new optim.SGD(params, { lr: 0.1, momentum: 0.9 });
  const x = randn([8, 2, 32, 32]);
  const h = randn([64, 64]);
  const labels = [0, 1, 2, 3, 4, 5, 6, 7];
  const kept: { t: Tensor; copy: number[] }[] = [];
  for (let step = 0; step < 4; step++) {
    const y = cnn.forward(x);
    // a residual: add hands its gradient (64 x 80, pooled size) to both branches, the same tensor
    const a1 = lin1.forward(h);
    const z = lin2.forward(bn.forward(a1).sigmoid().add(a1));
    // z is read by three consumers: its gradient is summed in place, then consumed and recycled
    const loss = F.crossEntropy(y, labels).add(z.mul(z).mean()).add(z.sigmoid().sum().mul(1e-3));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    for (const t of [y, z, loss, params[0]!.grad!]) kept.push({ t, copy: Array.from(t.data) });
  }
  const state = opt.stateDict().state;
  return { params: params.map((p) => Array.from(p.data)), kept, state };
}

describe('training with recycled gradients', () => {
  it('is bit-identical to training without, and every kept tensor keeps its values', () => {
    const plain = train(false);
    clearFloat32Pool();
    const pooled = train(true);
    expect(float32PoolStats().reused).toBeGreaterThan(4); // the run did reuse recycled gradients
    expect(pooled.params).toEqual(plain.params);
    expect(pooled.kept.map((k) => k.copy)).toEqual(plain.kept.map((k) => k.copy));
    // what the run held on to was not overwritten by later steps' recycled arrays
    for (const [i, k] of pooled.kept.entries()) expect(Array.from(k.t.data), `kept ${i}`).toEqual(k.copy);
    for (const [i, s] of Object.entries(pooled.state)) {
      const buf = s['momentum_buffer'] as Tensor;
      expect(Array.from(buf.data), `momentum ${i}`).toEqual(
        Array.from((plain.state[+i]!['momentum_buffer'] as Tensor).data),
      );
    }
  });
});
