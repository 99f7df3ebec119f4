/**
 * Adopting handed-over gradients as a leaf's first `.grad` (src/autograd/handOver.ts, used by
 * backward.ts): a leaf may take a gradient's storage only when nothing else can reach it. These
 * tests build the graphs where a wrong adoption would alias two gradients (the same tensor given
 * to two leaves, views, the user's seed, a dtype change) and check that every `.grad` is right on
 * the first backward and still right after a second one accumulates into it in place.
 *
 * Expected values are written from the formula in float64; the float32 tolerance is 1e-5 relative
 * (a few float32 roundings on values of order 1).
 */
import { describe, expect, it } from 'vitest';
import { functional as F, manualSeed, nn, noGrad, randn, Tensor, tensor } from '../../src/index.js';
import { handOver, takeOver } from '../../src/autograd/handOver.js';
import { record } from '../../src/autograd/record.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { expectClose } from '../helpers.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };

/** dx of sum(dy * layerNorm(x)) over the last axis (no affine), from the formula in float64. */
function layerNormGradRef(x: Float32Array, dy: Float32Array, d: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length; r += d) {
    let m = 0;
    for (let j = 0; j < d; j++) m += x[r + j]!;
    m /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[r + j]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / d + 1e-5);
    let sd = 0;
    let sdx = 0;
    for (let j = 0; j < d; j++) {
      sd += dy[r + j]!;
      sdx += dy[r + j]! * (x[r + j]! - m) * rs;
    }
    for (let j = 0; j < d; j++) out.push(rs * (dy[r + j]! - sd / d - (x[r + j]! - m) * rs * (sdx / d)));
  }
  return out;
}

describe('handOver / takeOver', () => {
  it('takeOver is true once for a handed-over tensor and never for any other', () => {
    const t = tensor([1, 2]);
    expect(takeOver(t)).toBe(false);
    expect(handOver(t)).toBe(t);
    expect(takeOver(t)).toBe(true);
    expect(takeOver(t)).toBe(false);
    expect(handOver(null)).toBe(null);
  });
});

describe('a leaf adopts a handed-over gradient', () => {
  manualSeed(3);
  const x0 = randn([4, 6]);
  const dy = randn([4, 6]);
  const ref = layerNormGradRef(x0.data as Float32Array, dy.data as Float32Array, 6);

  it('the norm gradient of a leaf: right on the first backward and after accumulating a second', () => {
    const x = x0.detach().requiresGrad_();
    F.layerNorm(x, [6]).backward(dy);
    expectClose(x.grad!, ref, TOL, 'first');
    F.layerNorm(x, [6]).backward(dy);
    expectClose(
      x.grad!,
      ref.map((v) => 2 * v),
      TOL,
      'second',
    );
  });

  it('one handed-over tensor given to two leaves (add) is adopted by one and copied by the other', () => {
    // u = a + b: add's backward gives the norm's dx (handed over) to both a and b, the same object.
    const a = x0.detach().requiresGrad_();
    const b = tensor(new Float32Array(24), [4, 6], { requiresGrad: true });
    F.layerNorm(a.add(b), [6]).backward(dy);
    expect(a.grad!.data).not.toBe(b.grad!.data);
    expectClose(a.grad!, ref, TOL, 'a');
    expectClose(b.grad!, ref, TOL, 'b');
    // A second backward adds in place into each .grad: neither may see the other's addition.
    F.layerNorm(a.add(b), [6]).backward(dy);
    expectClose(
      a.grad!,
      ref.map((v) => 2 * v),
      TOL,
      'a twice',
    );
    expectClose(
      b.grad!,
      ref.map((v) => 2 * v),
      TOL,
      'b twice',
    );
  });

  it('a view of a handed-over gradient (reshape) is copied, not adopted', () => {
    // The leaf gets g.reshape(...), which shares the handed-over storage with g; a second leaf
    // gets g itself through add. Both must own separate arrays.
    const a = x0.detach().reshape([24]).requiresGrad_();
    const b = tensor(new Float32Array(24), [4, 6], { requiresGrad: true });
    F.layerNorm(a.reshape([4, 6]).add(b), [6]).backward(dy);
    expect(a.grad!.data).not.toBe(b.grad!.data);
    F.layerNorm(a.reshape([4, 6]).add(b), [6]).backward(dy);
    expectClose(
      a.grad!,
      ref.map((v) => 2 * v),
      TOL,
      'a twice',
    );
    expectClose(
      b.grad!,
      ref.map((v) => 2 * v),
      TOL,
      'b twice',
    );
  });

  it("the user's seed gradient is never adopted", () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const seed = tensor([0.5, 0.25, 2]);
    x.backward(seed);
    expect(x.grad!.data).not.toBe(seed.data);
    seed.data[0] = 99;
    expect(Array.from(x.grad!.data)).toEqual([0.5, 0.25, 2]);
    const y = x.mul(1);
    y.backward(seed); // mul's backward: a new tensor, not handed over; copied into .grad += ...
    expect(Array.from(x.grad!.data)).toEqual([99.5, 0.5, 4]);
  });

  it('a handed-over gradient of another dtype is converted into a new array', () => {
    // float32 leaf, float64 computation: matmul hands over a float64 gradient straight to the
    // leaf (no view in between), and it must be stored as float32.
    const x = tensor([[1, 2, 3]], undefined, { requiresGrad: true });
    const w = tensor([[1], [2], [3]], undefined, { dtype: 'float64' });
    x.matmul(w).sum().backward(); // d/dx = w^T
    expect(x.grad!.dtype).toBe('float32');
    expect(Array.from(x.grad!.data)).toEqual([1, 2, 3]);
  });

  it('matmul gradients of two leaves that share nothing are right across two backwards', () => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      { requiresGrad: true },
    );
    const b = tensor(
      [
        [5, 6],
        [7, 8],
      ],
      undefined,
      { requiresGrad: true },
    );
    for (let k = 1; k <= 2; k++) {
      a.matmul(b).sum().backward();
      // d/da = ones @ b^T: row sums of b; d/db = a^T @ ones: column sums of a.
      expect(Array.from(a.grad!.data)).toEqual([11, 15, 11, 15].map((v) => k * v));
      expect(Array.from(b.grad!.data)).toEqual([4, 4, 6, 6].map((v) => k * v));
    }
  });

  it('gradients computed under noGrad inside backward do not leak a graph into .grad', () => {
    const x = x0.detach().requiresGrad_();
    F.layerNorm(x, [6]).backward(dy);
    expect(x.grad!.requiresGrad).toBe(false);
    expect(x.grad!.gradFn).toBe(null);
    expect(x.grad).toBeInstanceOf(Tensor);
    noGrad(() => expect(x.grad!.shape).toEqual([4, 6]));
  });
});

describe('what is and is not adopted', () => {
  /** An op whose backward returns `grads()` (fresh per call unless the test shares one). */
  const op = (inputs: Tensor[], grads: () => (Tensor | null)[]) => record(tensor([0]), 'test op', inputs, grads);

  it("a handed-over gradient becomes the leaf's .grad itself (no copy)", () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const given = handOver(tensor([5, 6]));
    op([a], () => [given]).backward(tensor([1]));
    expect(a.grad).toBe(given);
  });

  it('a gradient not handed over is copied', () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const given = tensor([5, 6]);
    op([a], () => [given]).backward(tensor([1]));
    expect(a.grad).not.toBe(given);
    expect(a.grad!.data).not.toBe(given.data);
    expect(Array.from(a.grad!.data)).toEqual([5, 6]);
  });

  it('one handed-over tensor returned for two leaves is adopted by one only', () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const b = tensor([3, 4], undefined, { requiresGrad: true });
    const given = handOver(tensor([5, 6]));
    op([a, b], () => [given, given]).backward(tensor([1]));
    expect([a.grad, b.grad].filter((g) => g === given)).toHaveLength(1);
    expect(a.grad!.data).not.toBe(b.grad!.data);
    expect(Array.from(b.grad!.data)).toEqual([5, 6]);
  });

  it("a leaf reached twice adopts the engine's sum of both gradients", () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    op([a, a], () => [handOver(tensor([1, 2])), handOver(tensor([10, 20]))]).backward(tensor([1]));
    expect(Array.from(a.grad!.data)).toEqual([11, 22]);
  });

  it('a seed the caller passes is never adopted, even if an op once handed it over', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const seed = handOver(tensor([3, 4]));
    x.backward(seed);
    expect(x.grad).not.toBe(seed);
    expect(x.grad!.data).not.toBe(seed.data);
  });

  it('an old .grad the user kept is not changed by later steps (zeroGrad, then backward)', () => {
    manualSeed(5);
    const x = randn([3, 4]).requiresGrad_();
    const dy = randn([3, 4]);
    F.layerNorm(x, [4]).backward(dy);
    const kept = x.grad!;
    const before = Array.from(kept.data);
    x.grad = null;
    F.layerNorm(x, [4]).backward(dy);
    F.layerNorm(x, [4]).backward(dy); // accumulates in place into the new .grad
    expect(Array.from(kept.data)).toEqual(before);
    expectClose(
      x.grad!,
      before.map((v) => 2 * v),
      TOL,
      'two steps',
    );
  });

  it('retainGraph: a second backward through the same graph accumulates into the adopted .grad', () => {
    manualSeed(6);
    const x = randn([2, 5]).requiresGrad_();
    const dy = randn([2, 5]);
    const y = F.layerNorm(x, [5]);
    y.backward(dy, { retainGraph: true });
    const once = Array.from(x.grad!.data);
    y.backward(dy);
    expectClose(
      x.grad!,
      once.map((v) => 2 * v),
      TOL,
      'retained',
    );
  });

  it("conv2d: the input and the bias adopt the gradients conv2d's backward allocated", () => {
    manualSeed(7);
    const x = randn([2, 2, 5, 5]).requiresGrad_();
    const conv = new nn.Conv2d(2, 3, 3, { groups: 1 });
    for (let k = 1; k <= 2; k++) {
      conv.forward(x).sum().backward();
      // d sum / d bias[o] = N * Ho * Wo = 2 * 3 * 3 per step.
      expect(Array.from(conv.bias!.grad!.data)).toEqual([18, 18, 18].map((v) => k * v));
    }
    expect(x.grad!.shape).toEqual([2, 2, 5, 5]);
    // d sum / dx[n, c, i, j] = sum of the weights that touch (i, j): independent of n.
    expectClose(x.grad!.data.subarray(0, 50), x.grad!.data.subarray(50, 100), { rtol: 1e-6, atol: 1e-6 }, 'batch rows');
  });
});

describe("a node's gradients summed in place (backward.ts, PendingGrads)", () => {
  const op = (inputs: Tensor[], grads: (dy: Tensor) => (Tensor | null)[]) =>
    record(tensor([0]), 'test op', inputs, grads);

  it('a node reached three times gets the sum of three handed-over gradients', () => {
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const u = a.mul(1); // a non-leaf: its three gradients are summed before mul's backward
    op([u, u, u], () => [handOver(tensor([1, 2])), handOver(tensor([10, 20])), handOver(tensor([100, 200]))]).backward(
      tensor([1]),
    );
    expect(Array.from(a.grad!.data)).toEqual([111, 222]);
  });

  it('one handed-over tensor waiting at two nodes is not changed when one of them sums another gradient', () => {
    // given goes to u and to w; u then gets 100s from a second op. w (and so b) must still see given.
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const b = tensor([3, 4], undefined, { requiresGrad: true });
    const u = a.mul(1);
    const w = b.mul(1);
    const given = handOver(tensor([5, 6]));
    const s = op([u, w], () => [given, given]);
    // t also reads w (no gradient), so w's node runs after t's: while t sums into u, w still waits.
    const t = op([u, w], () => [handOver(tensor([100, 200])), null]);
    t.add(s).backward(tensor([1])); // s's backward runs first, then t's

    expect(Array.from(a.grad!.data)).toEqual([105, 206]);
    expect(Array.from(b.grad!.data)).toEqual([5, 6]);
  });

  it('a waiting tensor that an op passes through (add) is not summed into in place either', () => {
    // given waits at u and w; u = x + 1 passes it on to x, which then sums t's gradient while w waits.
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const b = tensor([3, 4], undefined, { requiresGrad: true });
    const x = a.mul(1);
    const u = x.add(1);
    const w = b.mul(1);
    const given = handOver(tensor([5, 6]));
    const s = op([u, w], () => [given, given]);
    const t = op([x, w], () => [handOver(tensor([100, 200])), null]);
    t.add(s).backward(tensor([1])); // order: s, u (passes given to x), t (sums into x's), w
    expect(Array.from(a.grad!.data)).toEqual([105, 206]);
    expect(Array.from(b.grad!.data)).toEqual([5, 6]);
  });

  it('a gradient a tensor hook was shown is neither summed into nor adopted', () => {
    // w's two gradients are summed by the engine; the hook keeps the sum, add passes it on to a.
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const w = a.add(0);
    let seen: Tensor | null = null;
    w.registerHook((g) => {
      seen = g;
    });
    op([w, w], () => [handOver(tensor([1, 2])), handOver(tensor([10, 20]))]).backward(tensor([1]));
    a.mul(1).sum().backward(); // accumulates into a.grad in place: seen must not change
    expect(Array.from(seen!.data)).toEqual([11, 22]);
    expect(Array.from(a.grad!.data)).toEqual([12, 23]);
  });

  it('a gradient an op passes through (add) and also sends elsewhere is not summed into in place', () => {
    // y = u + r with r = u.reshape: add gives its dy to u and to r, and r's backward hands a view of
    // it back to u; z = 2u reaches u too. d loss/du = dy + dy + 2 dz, with dy the norm's gradient.
    manualSeed(8);
    const x = randn([4, 6]).requiresGrad_();
    const dy = randn([4, 6]);
    const dz = randn([4, 6]);
    const u = x.mul(1);
    const y = F.layerNorm(u.add(u.reshape([24]).reshape([4, 6])), [6]);
    const z = u.mul(2);
    y.mul(dy).sum().add(z.mul(dz).sum()).backward();
    const v = x.detach().mul(2);
    const ref = layerNormGradRef(v.data as Float32Array, dy.data as Float32Array, 6);
    const expected = ref.map((g, i) => 2 * g + 2 * dz.data[i]!);
    expectClose(x.grad!, expected, TOL, 'dx');
  });

  it('gradcheck through nodes with several consumers (float64)', () => {
    manualSeed(9);
    const a = randn([3, 3]);
    const b = randn([3, 3]);
    const f = (x: Tensor): Tensor => {
      const v = x.mul(1.5);
      return v.matmul(a).add(v.matmul(b).transpose(0, 1)).add(v.transpose(0, 1).mul(v)).add(v.sigmoid());
    };
    expect(gradcheck(f, [randn([3, 3]).requiresGrad_()])).toBe(true);
  });
});
