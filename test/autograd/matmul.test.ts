/**
 * matmul with torch.matmul's rules (src/autograd/ops/matmul.ts, src/tensor/kernels/matmul.ts):
 * forward against a triple loop written here, gradients by gradcheck, and the errors.
 */
import { describe, expect, it } from 'vitest';
import { tensor, zeros, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { refMatmul } from '../tensor/reference.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

const CASES: [string, number[], number[]][] = [
  ['2-D @ 2-D', [3, 4], [4, 5]],
  ['1-D @ 2-D (a row)', [4], [4, 5]],
  ['2-D @ 1-D (a column)', [3, 4], [4]],
  ['1-D @ 1-D (a dot product, 0-d)', [4], [4]],
  ['batched @ 2-D', [2, 3, 4], [4, 5]],
  ['2-D @ batched', [3, 4], [2, 4, 5]],
  ['broadcast batch dims [2,1] with [5]', [2, 1, 3, 4], [5, 4, 2]],
  ['1-D @ batched', [4], [2, 4, 5]],
  ['batched @ 1-D', [2, 3, 4], [4]],
  ['k = 1 (outer product)', [3, 1], [1, 5]],
];

describe('matmul', () => {
  it.each(CASES)('forward, %s, equals the reference', (_, aShape, bShape) => {
    const a = randomTensor(aShape, 61, { requiresGrad: false });
    const b = randomTensor(bShape, 62, { requiresGrad: false });
    const ref = refMatmul([...a.data], aShape, [...b.data], bShape);
    const out = a.matmul(b);
    expect(out.shape).toEqual(ref.shape);
    // both accumulate in float64 (same order along k) and round once to float32: one ulp, plus
    // 1e-12 absolute for dot products that cancel to ~0
    expectClose(out, ref.data, { rtol: 2 ** -23, atol: 1e-12 }, 'matmul');
  });

  it.each(CASES)('gradcheck, %s', (_, aShape, bShape) => {
    expectGradcheck((a, b) => a!.matmul(b!), [randomTensor(aShape, 63), randomTensor(bShape, 64)]);
  });

  it('gradcheck with only one operand requiring grad', () => {
    expectGradcheck(
      (a, b) => a!.matmul(b!),
      [randomTensor([2, 3, 4], 65, { requiresGrad: false }), randomTensor([4, 2], 66)],
    );
    expectGradcheck(
      (a, b) => a!.matmul(b!),
      [randomTensor([2, 3, 4], 65), randomTensor([1, 4, 2], 66, { requiresGrad: false })],
    );
  });

  // The backward reads B^T and A^T in place (matmulNT / matmulTN per batch) instead of copying the
  // transposes. Against the plain formulas dA = g @ B^T, dB = A^T @ g on float32 data: bit-identical
  // without batch broadcasting (same products, same order along the summed axis, on sizes below and
  // above the wasm threshold). With broadcasting, the sum over the broadcast batch runs in another
  // order here, and the wasm threshold counts one batch's multiply-adds (not all batches'), so a
  // small batch may accumulate in float64 where the formula's call used float32: within 1e-5
  // relative (float32 sums of <= 24 terms of size ~1, and sums of <= 10 batches).
  it.each([
    ['batched @ batched, same batch', [3, 16, 24], [3, 24, 20], true],
    ['batched, small matrices (TypeScript kernels)', [3, 2, 4], [3, 4, 5], true],
    ['batched @ 2-D (b broadcast)', [2, 5, 24, 16], [16, 20], false],
    ['2-D @ batched (a broadcast)', [16, 24], [4, 24, 20], false],
    ['broadcast [2,1] with [3]', [2, 1, 3, 4], [3, 4, 2], false],
    ['1-D @ batched', [24], [3, 24, 20], false],
  ])('backward without transposed copies, %s, equals g @ b^T and a^T @ g', (_, aShape, bShape, exact) => {
    const a = randomTensor(aShape, 71);
    const b = randomTensor(bShape, 72);
    const y = a.matmul(b);
    const g = randomTensor(y.shape, 73, { requiresGrad: false });
    y.backward(g);
    const a2 = a.ndim === 1 ? a.detach().reshape([1, -1]) : a.detach();
    const b2 = b.detach();
    const g2 = a.ndim === 1 ? g.unsqueeze(-2) : g;
    const sumTo = (t: Tensor, shape: readonly number[]): Tensor => {
      let r = t;
      while (r.ndim > shape.length) r = r.sum(0);
      shape.forEach((d, i) => {
        if (d === 1 && r.shape[i] !== 1) r = r.sum(i, true);
      });
      return r.reshape(shape);
    };
    const refA = sumTo(g2.matmul(b2.transpose(-1, -2)), a.shape);
    const refB = sumTo(a2.transpose(-1, -2).matmul(g2), b.shape);
    if (exact) {
      expect(a.grad!.data).toEqual(refA.data);
      expect(b.grad!.data).toEqual(refB.data);
    } else {
      expectClose(a.grad!, [...refA.data], { rtol: 1e-5, atol: 1e-5 }, 'dA');
      expectClose(b.grad!, [...refB.data], { rtol: 1e-5, atol: 1e-5 }, 'dB');
    }
  });

  it('accumulates in float64: a sum that cancels exactly in float64 but not in float32', () => {
    // 1e8 + 1 - 1e8 is 1 in float64 but 0 in float32 (float32 spacing at 1e8 is 8)
    const a = tensor([[1e8, 1, -1e8]]);
    const b = tensor([[1], [1], [1]]);
    expect(a.matmul(b).item()).toBe(1);
  });

  it('empty inner dimension gives zeros, empty outer dimensions give empty results', () => {
    expect(
      zeros([2, 0])
        .matmul(zeros([0, 3]))
        .toArray(),
    ).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(zeros([0, 4]).matmul(zeros([4, 3])).shape).toEqual([0, 3]);
  });

  it('float64 wins', () => {
    expect(randomTensor([2, 2], 1).matmul(randomTensor([2, 2], 2, { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('leaves its inputs unchanged, forward and backward', () => {
    const a = randomTensor([2, 3, 4], 67);
    const b = randomTensor([4, 5], 68);
    expectInputsUnchanged([a, b], () => a.matmul(b).sum().backward());
  });

  it('rejects an inner-dimension mismatch, showing both shapes and both k', () => {
    expect(() => randomTensor([2, 3], 1).matmul(randomTensor([4, 5], 2))).toThrow(
      /matmul: inner dimensions must match: a is \[2, 3\] \(k = 3\) but b is \[4, 5\] \(k = 4\)/,
    );
    expect(() => randomTensor([3], 1).matmul(randomTensor([4], 2))).toThrow(
      /a is \[3\] \(k = 3\) but b is \[4\] \(k = 4\)/,
    );
  });

  it('rejects batch dims that do not broadcast, 0-d operands and non-tensors', () => {
    expect(() => randomTensor([2, 3, 4], 1).matmul(randomTensor([3, 4, 5], 2))).toThrow(
      /matmul \(batch dimensions\): shapes \[2\] and \[3\] cannot be broadcast/,
    );
    expect(() => tensor(2).matmul(randomTensor([2], 1))).toThrow(
      /matmul: both operands need at least 1 dimension, got \[\] and \[2\]/,
    );
    expect(() => randomTensor([2], 1).matmul(3 as never)).toThrow(/matmul: other must be a Tensor, got 3/);
  });
});
