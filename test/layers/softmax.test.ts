/**
 * softmax / logSoftmax (src/autograd/ops/softmax.ts) and the nn.Softmax / nn.LogSoftmax modules:
 * forward against a float64 reference written from the formula, gradcheck along every axis,
 * stability on huge logits, and the errors.
 */
import { describe, expect, it } from 'vitest';
import { functional as F, nn, tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from '../autograd/fixtures.js';
import { ravel, unravel } from '../tensor/reference.js';

/** log-softmax along `axis` in float64, from the definition log(e^x / sum e^x), shifted by the max. */
function refLogSoftmax(data: ArrayLike<number>, shape: number[], axis: number): number[] {
  const out = new Array<number>(data.length);
  for (let flat = 0; flat < data.length; flat++) {
    const idx = unravel(flat, shape);
    let m = -Infinity;
    for (let k = 0; k < shape[axis]!; k++)
      m = Math.max(
        m,
        data[
          ravel(
            idx.map((v, a) => (a === axis ? k : v)),
            shape,
          )
        ]!,
      );
    let s = 0;
    for (let k = 0; k < shape[axis]!; k++)
      s += Math.exp(
        data[
          ravel(
            idx.map((v, a) => (a === axis ? k : v)),
            shape,
          )
        ]! - m,
      );
    out[flat] = data[flat]! - m - Math.log(s);
  }
  return out;
}

const CASES: [string, number[], number][] = [
  ['[4, 5] along 1', [4, 5], 1],
  ['[4, 5] along 0', [4, 5], 0],
  ['[2, 3, 4] along -1', [2, 3, 4], -1],
  ['[2, 3, 4] along 1 (the class axis of [N, C, L])', [2, 3, 4], 1],
  ['[6] along 0', [6], 0],
];

describe('softmax and logSoftmax', () => {
  it.each(CASES)('forward, %s, equals the reference', (_, shape, axis) => {
    const x = randomTensor(shape, 1, { maxAbs: 5 });
    const a = axis < 0 ? axis + shape.length : axis;
    const ref = refLogSoftmax(x.data, shape, a);
    // float32 exp and sums; one float32 rounding of O(1) results: a few ulps
    expectClose(F.logSoftmax(x, axis), ref, { rtol: 1e-6, atol: 1e-6 }, 'logSoftmax');
    expectClose(F.softmax(x, axis), ref.map(Math.exp), { rtol: 1e-6, atol: 1e-7 }, 'softmax');
  });

  it.each(CASES)('gradcheck, %s', (_, shape, axis) => {
    expectGradcheck((x) => F.softmax(x!, axis), [randomTensor(shape, 2, { maxAbs: 3 })]);
    expectGradcheck((x) => F.logSoftmax(x!, axis), [randomTensor(shape, 3, { maxAbs: 3 })]);
  });

  it('is stable on logits of 1e4 (no overflow, no NaN)', () => {
    const x = tensor([
      [1e4, 0, -1e4],
      [1e4, 1e4 - 1, 1e4 - 2],
    ]);
    const lp = F.logSoftmax(x, 1);
    const p = F.softmax(x, 1);
    expect(Array.from(lp.data).every(Number.isFinite)).toBe(true);
    // row 0: log(1) = 0 and -1e4, -2e4 exactly representable; row 1: the reference of [0, -1, -2]
    expectClose(lp, [0, -1e4, -2e4, ...refLogSoftmax([0, -1, -2], [3], 0)], { rtol: 1e-6, atol: 1e-6 });
    expectClose(p.sum(1), [1, 1], { rtol: 1e-6, atol: 0 });
  });

  it('each softmax row sums to 1 and the modules match the functions', () => {
    const x = randomTensor([3, 7], 4, { maxAbs: 10, requiresGrad: false });
    // a float32 sum of 7 probabilities
    expectClose(new nn.Softmax(1).forward(x).sum(1), [1, 1, 1], { rtol: 0, atol: 1e-6 });
    // exact: same op, same input
    expectClose(new nn.LogSoftmax(-1).forward(x), F.logSoftmax(x, -1), { rtol: 0, atol: 0 });
  });

  it('does not mutate its input', () => {
    const x = randomTensor([2, 3], 5);
    expectInputsUnchanged([x], () => {
      F.softmax(x, 1).sum().backward();
      F.logSoftmax(x, 0).sum().backward();
    });
  });

  it('names the argument in its errors', () => {
    expect(() => F.softmax(randomTensor([2, 3], 6), 2)).toThrow(
      'softmax: axis must be an integer in [-2, 1] for a tensor of rank 2, got 2',
    );
    expect(() => F.logSoftmax(randomTensor([2, 3], 6), undefined as unknown as number)).toThrow(
      /logSoftmax: axis must be given/,
    );
    expect(() => new nn.Softmax(1.5)).toThrow('Softmax: dim must be an integer axis, got 1.5');
  });
});
