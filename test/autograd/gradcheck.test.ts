/**
 * gradcheck (src/autograd/gradcheck.ts) itself: it passes correct gradients, and catches wrong
 * ones built with the internal `record()`, naming the input and the flat index.
 */
import { describe, expect, it } from 'vitest';
import { gradcheck, tensor, Tensor } from '../../src/index.js';
import { record } from '../../src/autograd/record.js';
import { expectInputsUnchanged, randomTensor } from './fixtures.js';

/**
 * x^2 with a backward that is 2x everywhere except at flat index `wrongAt`, where it adds `error`
 * (relative error `error / 2x`). Forward math in the input's dtype, like a real op.
 */
function squareWithWrongGrad(x: Tensor, wrongAt: number, error: number): Tensor {
  const out = new Tensor(
    x.data.map((v) => v * v),
    x.shape,
  );
  return record(out, 'badSquare', [x], (g) => {
    const local = new Tensor(
      x.data.map((v, i) => 2 * v + (i === wrongAt ? error : 0)),
      x.shape,
    );
    return [g.mul(local)];
  });
}

/** x^2 whose backward forgets its input entirely. */
function squareWithoutGrad(x: Tensor): Tensor {
  return record(
    new Tensor(
      x.data.map((v) => v * v),
      x.shape,
    ),
    'noGradSquare',
    [x],
    () => [null],
  );
}

const inputs = () => [randomTensor([3], 81, { minAbs: 0.5 }), randomTensor([2, 3], 82, { minAbs: 0.5 })];

describe('gradcheck', () => {
  it('returns true for correct gradients, with several inputs, a non-scalar output and constants', () => {
    expect(gradcheck((a, b) => a!.mul(b!).exp(), inputs())).toBe(true);
    const [a, b] = inputs();
    b!.requiresGrad = false;
    expect(gradcheck((x, y) => x!.div(y!).sum(0), [a!, b!])).toBe(true);
  });

  it('throws by default on a wrong gradient, naming the input, its shape and the flat index', () => {
    const fn = (a: Tensor, b: Tensor) => a.mul(squareWithWrongGrad(b, 4, 1));
    expect(() => gradcheck(fn as never, inputs())).toThrow(
      /gradcheck: gradient mismatch for input 1 \(shape \[2, 3\]\) at flat index 4: analytic -?[\d.e-]+, numeric -?[\d.e-]+ \(atol 0\.00001, rtol 0\.001\)/,
    );
  });

  it('returns false with raise: false instead of throwing', () => {
    const fn = (a: Tensor, b: Tensor) => a.mul(squareWithWrongGrad(b, 4, 1));
    expect(gradcheck(fn as never, inputs(), { raise: false })).toBe(false);
  });

  it('catches a missing gradient (analytic 0)', () => {
    expect(() => gradcheck((x) => squareWithoutGrad(x!).sum(), [randomTensor([4], 83, { minAbs: 0.5 })])).toThrow(
      /input 0 \(shape \[4\]\) at flat index \d: analytic 0, numeric/,
    );
  });

  it('honours rtol and atol: a 1e-4 relative error passes the defaults and fails rtol 1e-6', () => {
    const x = () => [tensor([1, 1, 1], undefined, { requiresGrad: true })];
    const fn = (t: Tensor) => squareWithWrongGrad(t, 1, 2e-4).sum(); // 2x = 2, error 2e-4: 1e-4 relative
    expect(gradcheck(fn as never, x())).toBe(true);
    expect(gradcheck(fn as never, x(), { rtol: 1e-6, atol: 1e-8, raise: false })).toBe(false);
  });

  it("evaluates fn in float64 on copies: the caller's tensors and grads are untouched", () => {
    const xs = inputs();
    const seen: string[] = [];
    expectInputsUnchanged(xs, () =>
      gradcheck((a, b) => {
        seen.push(a!.dtype, b!.dtype);
        return a!.mul(b!);
      }, xs),
    );
    expect(new Set(seen)).toEqual(new Set(['float64']));
    expect(xs.map((t) => t.grad)).toEqual([null, null]);
  });

  it('rejects calls with nothing to check', () => {
    expect(() => gradcheck((x) => x!.mul(2), [tensor([1])])).toThrow(
      /gradcheck: at least one input must have requiresGrad = true, got none/,
    );
    expect(() => gradcheck(() => tensor([1]), [randomTensor([1], 84)])).toThrow(
      /gradcheck: fn output does not depend on any input that requires grad/,
    );
    expect(() => gradcheck((() => 3) as never, [randomTensor([1], 84)])).toThrow(
      /gradcheck: fn must return a Tensor, got 3/,
    );
  });
});
