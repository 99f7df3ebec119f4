/**
 * The linear op (src/autograd/ops/linear.ts): y = x W^T + b as one op over x of any rank >= 1.
 *
 * - float64 gradcheck of x, weight and bias for x of rank 1, 2 and 3, with and without bias;
 * - float32 equality with the composition it replaces, x.matmul(W.transpose(0, 1)).add(b), for y
 *   and every gradient, on the backend in use (run the file with TYPEGRAD_BACKEND=js and without);
 * - torch's float32 F.linear results and gradients (test/fixtures/linear.py), same tolerance;
 * - gradients handed over (adopted as a leaf's first .grad) and right across two backwards;
 * - cases outside the one-op path (integer dtypes, 1-D weight, broadcast bias) behave as before.
 *
 * Tolerance of the float32 comparison, per element: each of the two results is a float32 sum of
 * k products (k = in for y, out for dx, N for dW and db) plus at most two float32 roundings, so
 * each lies within (k + 2) u S of the exact value, S = sum of |terms| (u = 2^-24, float32
 * accumulation on wasm; the TypeScript kernels accumulate in float64 and do better). Their
 * difference is therefore bounded by 2 (k + 2) u S.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, tensor, type Tensor } from '../../src/index.js';
import { linear } from '../../src/autograd/ops/linear.js';
import { takeOver } from '../../src/autograd/handOver.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectWithin } from '../helpers.js';
import { expectGradcheck, randomTensor } from './fixtures.js';

const U = 2 ** -24;
const f64 = { dtype: 'float64' } as const;

describe('linear: float64 gradcheck', () => {
  for (const xShape of [[4], [3, 4], [2, 3, 4]]) {
    it(`x [${xShape}], weight [5, 4], with and without bias`, () => {
      const x = randomTensor(xShape, 1, f64);
      const w = randomTensor([5, 4], 2, f64);
      const b = randomTensor([5], 3, f64);
      expectGradcheck((xx, ww, bb) => linear(xx!, ww!, bb!), [x, w, b]);
      expectGradcheck((xx, ww) => linear(xx!, ww!), [x, w]);
    });
  }

  it('only the inputs that require grad get one (x frozen, bias frozen)', () => {
    const x = randomTensor([3, 4], 4, { ...f64, requiresGrad: false });
    const w = randomTensor([2, 4], 5, f64);
    const b = randomTensor([2], 6, { ...f64, requiresGrad: false });
    expectGradcheck((ww) => linear(x, ww!, b), [w]);
    linear(x, w, b).sum().backward();
    expect(x.grad).toBeNull();
    expect(b.grad).toBeNull();
  });
});

/** Sum over p < k of |A(o, p)|: the S of the tolerance for every output index o. */
function absSums(count: number, k: number, term: (o: number, p: number) => number): number[] {
  const s: number[] = [];
  for (let o = 0; o < count; o++) {
    let t = 0;
    for (let p = 0; p < k; p++) t += Math.abs(term(o, p));
    s.push(t);
  }
  return s;
}

/** |new - old| <= 2 (k + 2) u S per element (see the header). */
function expectSame(actual: Tensor, expected: Tensor, k: number, S: number[], label: string): void {
  expect(actual.shape, label).toEqual(expected.shape);
  expect(actual.dtype, label).toBe(expected.dtype);
  expectWithin(actual.data, expected.data, (i) => 2 * (k + 2) * U * S[i]!, label, '2 (k + 2) u S');
}

describe('linear: float32, equal to x.matmul(W^T).add(b)', () => {
  const cases: [number[], number, boolean][] = [
    [[17], 13, true],
    [[60, 129], 17, true],
    [[3, 5, 64], 9, true],
    [[2, 1, 3, 17], 3, false],
    [[0, 8], 4, true],
    [[4, 0], 3, true],
  ];
  for (const [xShape, outF, withBias] of cases) {
    it(`x [${xShape}], out ${outF}, ${withBias ? 'with' : 'no'} bias: y, dx, dW and db`, () => {
      const inF = xShape[xShape.length - 1]!;
      const n = xShape.slice(0, -1).reduce((p, d) => p * d, 1);
      const x = randomTensor(xShape, 10);
      const w = randomTensor([outF, inF], 11);
      const b = withBias ? randomTensor([outF], 12) : null;
      const g = randomTensor([...xShape.slice(0, -1), outF], 13, { requiresGrad: false });
      const run = (f: () => Tensor) => {
        for (const t of [x, w, b]) if (t !== null) t.grad = null;
        const y = f();
        y.backward(g);
        return { y, dx: x.grad!, dw: w.grad!, db: b?.grad ?? null };
      };
      const fast = run(() => linear(x, w, b));
      const old = run(() => {
        const y = x.matmul(w.transpose(0, 1));
        return b === null ? y : y.add(b);
      });
      const X = x.data;
      const W = w.data;
      const G = g.data;
      const bias = (o: number) => (b === null ? 0 : Math.abs(b.data[o]!));
      expect(fast.y.gradFn!.name).toBe('linear');
      // Output o of y is (row, unit) = (o / outF, o % outF); of dx (row, feature); of dW (unit, feature).
      const yS = absSums(n * outF, inF, (o, p) => X[Math.floor(o / outF) * inF + p]! * W[(o % outF) * inF + p]!);
      expectSame(
        fast.y,
        old.y,
        inF,
        yS.map((s, o) => s + bias(o % outF)),
        'y',
      );
      const dxS = absSums(n * inF, outF, (o, p) => G[Math.floor(o / inF) * outF + p]! * W[p * inF + (o % inF)]!);
      expectSame(fast.dx, old.dx, outF, dxS, 'dx');
      const dwS = absSums(outF * inF, n, (o, p) => G[p * outF + Math.floor(o / inF)]! * X[p * inF + (o % inF)]!);
      expectSame(fast.dw, old.dw, n, dwS, 'dW');
      if (b !== null)
        expectSame(
          fast.db!,
          old.db!,
          n,
          absSums(outF, n, (o, p) => G[p * outF + o]!),
          'db',
        );
    });
  }

  it('float32 and float64 operands mix into a float64 result, with float32 leaf grads', () => {
    const x = randomTensor([3, 4], 20);
    const w = randomTensor([2, 4], 21, f64);
    const b = randomTensor([2], 22);
    const y = linear(x, w, b);
    expect(y.dtype).toBe('float64');
    y.sum().backward();
    expect([x.grad!.dtype, w.grad!.dtype, b.grad!.dtype]).toEqual(['float32', 'float64', 'float32']);
    // d sum / d b[o] = N = 3; d sum / d x[r, i] = sum_o W[o, i] (rounded to float32).
    expect(Array.from(b.grad!.data)).toEqual([3, 3]);
    const colSums = [0, 1, 2, 3].map((i) => Math.fround(w.data[i]! + w.data[4 + i]!));
    expect(Array.from(x.grad!.data)).toEqual([...colSums, ...colSums, ...colSums]);
  });
});

describe('linear: against torch (test/fixtures/linear.py)', () => {
  const cases = loadFixture('linear') as unknown as Record<string, FixtureTensor>[];
  const t = (f: FixtureTensor) => tensor(Array.from(f.data), f.shape, { requiresGrad: true });
  cases.forEach((c, i) => {
    it(`case ${i}: x [${c['x']!.shape}], weight [${c['weight']!.shape}], ${c['bias'] ? 'with' : 'no'} bias`, () => {
      const [x, w] = [t(c['x']!), t(c['weight']!)];
      const b = c['bias'] ? t(c['bias']) : null;
      const y = linear(x, w, b);
      y.backward(tensor(Array.from(c['g']!.data), c['g']!.shape));
      const [outF, inF] = w.shape as [number, number];
      const n = x.size / inF;
      const check = (ours: Tensor, name: string, k: number) => {
        const want = c[name]!;
        expect(ours.shape, name).toEqual(want.shape);
        expectWithin(ours.data, want.data, (j) => 2 * (k + 2) * U * c[`${name}S`]!.data[j]!, name, '2 (k + 2) u S');
      };
      check(y, 'y', inF);
      check(x.grad!, 'dx', outF);
      check(w.grad!, 'dweight', n);
      if (b !== null) check(b.grad!, 'dbias', n);
    });
  });
});

describe('linear: gradients are handed over', () => {
  it('the backward returns fresh, handed-over tensors for x, weight and bias', () => {
    const x = randomTensor([2, 3], 30);
    const w = randomTensor([4, 3], 31);
    const b = randomTensor([4], 32);
    const y = linear(x, w, b);
    const grads = y.gradFn!.backward!(randomTensor([2, 4], 33, { requiresGrad: false })) as (Tensor | null)[];
    expect(grads).toHaveLength(3);
    for (const gi of grads) expect(takeOver(gi!)).toBe(true);
    expect(new Set(grads.map((gi) => gi!.data)).size).toBe(3);
  });

  it('leaf grads are right after one backward and after a second accumulates into them', () => {
    const x = randomTensor([2, 3, 5], 40);
    const fc = { w: randomTensor([4, 5], 41), b: randomTensor([4], 42) };
    const g = randomTensor([2, 3, 4], 43, { requiresGrad: false });
    linear(x, fc.w, fc.b).backward(g);
    const once = [x, fc.w, fc.b].map((t) => Array.from(t.grad!.data));
    linear(x, fc.w, fc.b).backward(g);
    [x, fc.w, fc.b].forEach((t, k) => {
      expectWithin(
        t.grad!.data,
        once[k]!.map((v) => 2 * v),
        (i) => 1e-6 * Math.abs(once[k]![i]!),
        `grad ${k}`,
      );
    });
  });
});

describe('linear: strided inputs', () => {
  it('a transposed view of x and of W gives what their contiguous copies give, y and every gradient', () => {
    // large enough (20 x 16 x 24 multiply-adds) for the wasm kernels' path
    const xt = randomTensor([16, 20], 50);
    const wt = randomTensor([16, 24], 51);
    const b = randomTensor([24], 52);
    const g = randomTensor([20, 24], 53, { requiresGrad: false });
    const viewed = linear(xt.transpose(0, 1), wt.transpose(0, 1), b);
    viewed.backward(g);
    const grads = [xt, wt, b].map((t) => Array.from(t.grad!.data));
    const xc = xt.detach().transpose(0, 1).contiguous().requiresGrad_();
    const wc = wt.detach().transpose(0, 1).contiguous().requiresGrad_();
    const bc = b.detach().requiresGrad_();
    const copied = linear(xc, wc, bc);
    copied.backward(g);
    expect(Array.from(viewed.data)).toEqual(Array.from(copied.data));
    expect(grads[0]).toEqual(Array.from(xc.grad!.transpose(0, 1).contiguous().data));
    expect(grads[1]).toEqual(Array.from(wc.grad!.transpose(0, 1).contiguous().data));
    expect(grads[2]).toEqual(Array.from(bc.grad!.data));
  });
});

describe('linear: outside the one-op path, the composition as before', () => {
  it("a 1-D weight, a broadcast bias and int32 operands give the composition's results", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      Array.from(
        F.linear(
          x,
          tensor([
            [1, 1],
            [1, 0],
          ]),
          tensor([10]),
        ).data,
      ),
    ).toEqual([13, 11, 17, 13]);
    expect(() => linear(x, tensor([1, 1]))).toThrow(/transpose/);
    const xi = tensor([[1, 2]], undefined, { dtype: 'int32' });
    const wi = tensor([[3, 4]], undefined, { dtype: 'int32' });
    const yi = linear(xi, wi);
    expect(yi.dtype).toBe('int32');
    expect(Array.from(yi.data)).toEqual([11]);
  });

  it("a size mismatch throws matmul's error from the op, the layer's own from F.linear", () => {
    const x = randomTensor([2, 3], 50);
    const w = randomTensor([4, 5], 51);
    expect(() => linear(x, w)).toThrow('matmul: inner dimensions must match');
    const message = "linear: input's last axis must have size 5 (weight [4, 5]), got input [2, 3]";
    expect(() => F.linear(x, w)).toThrow(message);
  });
});
