/**
 * Gradient clipping (src/layers/utils.ts) against torch.nn.utils.clip_grad_norm_ / clip_grad_value_
 * on fixed gradients (test/fixtures/init_clip.py), plus a float64 reference for the 2-norm.
 */
import { describe, expect, it } from 'vitest';
import { nn, type Tensor, tensor, zeros } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';

const fixture = loadFixture('init_clip') as {
  clipNorm: {
    grads: FixtureTensor[];
    runs: { normType: number; maxNorm: number; total: number; grads: FixtureTensor[] }[];
  };
  clipValue: { value: number; grads: FixtureTensor[] };
};

function withGrads(grads: FixtureTensor[]): Tensor[] {
  return grads.map((g) => {
    const p = nn.Parameter(zeros(g.shape));
    p.grad = tensor(Float32Array.from(g.data), g.shape);
    return p;
  });
}

describe('clipGradNorm_', () => {
  it.each(fixture.clipNorm.runs.map((r) => [`normType ${r.normType}, maxNorm ${r.maxNorm}`, r] as const))(
    "%s: total norm and clipped gradients equal torch's",
    (_, run) => {
      const params = withGrads(fixture.clipNorm.grads);
      const total = nn.utils.clipGradNorm_(params, run.maxNorm, { normType: run.normType });
      // torch sums in float32, typegrad in float64: a few float32 ulps on the total and the factor
      expect(Math.abs(total - run.total)).toBeLessThanOrEqual(4e-7 * Math.abs(run.total));
      params.forEach((p, i) => expectClose(p.grad!, run.grads[i]!.data, { rtol: 1e-6, atol: 1e-7 }));
    },
  );

  it('equals the float64 2-norm of all elements and scales to maxNorm', () => {
    const params = [nn.Parameter(zeros([2])), nn.Parameter(zeros([1])), nn.Parameter(zeros([1]))];
    params[0]!.grad = tensor([3, 4]);
    params[1]!.grad = tensor([12]);
    // params[2] has no gradient: skipped
    expect(nn.utils.clipGradNorm_(params, 6.5)).toBe(13);
    expectClose(params[0]!.grad!, [1.5, 2], { rtol: 1e-6, atol: 0 });
    expect(params[2]!.grad).toBeNull();
  });

  it('returns 0 without gradients, accepts one tensor, and reports a non-finite norm on request', () => {
    expect(nn.utils.clipGradNorm_([nn.Parameter(zeros([2]))], 1)).toBe(0);
    const p = nn.Parameter(zeros([2]));
    p.grad = tensor([NaN, 1]);
    expect(() => nn.utils.clipGradNorm_(p, 1, { errorIfNonfinite: true })).toThrow(
      'clipGradNorm_: the total norm of order 2 for gradients from parameters is non-finite (NaN)',
    );
    expect(Number.isNaN(nn.utils.clipGradNorm_(p, 1))).toBe(true);
    expect(Array.from(p.grad.data).every(Number.isNaN)).toBe(true); // torch scales by the NaN factor too
    expect(() => nn.utils.clipGradNorm_(p, 1, { normType: -1 })).toThrow(
      'clipGradNorm_: normType must be a number >= 0, Infinity or -Infinity, got -1',
    );
    expect(() => nn.utils.clipGradNorm_([3 as unknown as Tensor], 1)).toThrow(
      'clipGradNorm_: parameters[0] must be a Tensor, got 3',
    );
  });
});

describe('clipGradValue_', () => {
  it("clamps every element like torch's", () => {
    const params = withGrads(fixture.clipNorm.grads);
    nn.utils.clipGradValue_(params, fixture.clipValue.value);
    // exact: a clamp only selects values
    params.forEach((p, i) => expectClose(p.grad!, fixture.clipValue.grads[i]!.data, { rtol: 0, atol: 0 }));
  });

  it('keeps NaN and rejects a NaN clip value', () => {
    const p = nn.Parameter(zeros([3]));
    p.grad = tensor([NaN, -5, 0.1]);
    nn.utils.clipGradValue_([p], 1);
    expect(Array.from(p.grad.data)).toEqual([NaN, -1, Math.fround(0.1)]);
    expect(() => nn.utils.clipGradValue_([p], NaN)).toThrow('clipGradValue_: clipValue must be a number, got NaN');
  });
});
