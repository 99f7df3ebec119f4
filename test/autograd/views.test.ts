/**
 * Strided views (src/autograd/ops/shape.ts): select/narrow/slice/view/reshape/transpose/expand/
 * squeeze/unsqueeze against torch (test/fixtures/views.py: values, strides, storage offset,
 * contiguity, shared storage, error messages), Python slice semantics against an index reference
 * written here (fast-check), gradients by gradcheck, and the `data` copy cache.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, noGrad, tensor, zeros, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

type Op = [string, ...unknown[]];
interface ViewCase {
  shape: number[];
  ops: Op[];
  values?: FixtureTensor;
  stride?: number[];
  offset?: number;
  contiguous?: boolean;
  shares?: boolean;
  error?: string;
}

const cases = loadFixture('views');

/** Applies one fixture op (the same names as views.py's `apply`). */
function apply(x: Tensor, [name, ...args]: Op): Tensor {
  const n = args as number[];
  switch (name) {
    case 'select':
      return x.select(n[0]!, n[1]!);
    case 'narrow':
      return x.narrow(n[0]!, n[1]!, n[2]!);
    case 'slice':
      return x.slice(n[0]!, args[1] as number | null, args[2] as number | null, (args[3] as number | null) ?? 1);
    case 'transpose':
      return x.transpose(n[0]!, n[1]!);
    case 'permute':
      return x.permute(args[0] as number[]);
    case 'expand':
      return x.expand(args[0] as number[]);
    case 'view':
      return x.view(args[0] as number[]);
    case 'reshape':
      return x.reshape(args[0] as number[]);
    case 'flatten':
      return x.flatten(...(args as number[]));
    case 'squeeze':
      return x.squeeze(...(args as number[]));
    case 'unsqueeze':
      return x.unsqueeze(n[0]!);
    default:
      throw new Error(`unknown fixture op ${name}`);
  }
}

describe('views against torch (fixture)', () => {
  for (const c of cases['views'] as ViewCase[]) {
    const opText = (o: Op): string =>
      `${o[0]}(${o
        .slice(1)
        .map((a) => JSON.stringify(a))
        .join(', ')})`;
    const label = `${JSON.stringify(c.shape)} ${c.ops.map(opText).join('.')}`;
    it(label, () => {
      const size = c.shape.reduce((p, d) => p * d, 1);
      const x = arange(size).reshape(c.shape);
      const run = (): Tensor => c.ops.reduce(apply, x);
      if (c.error !== undefined) {
        // torch's text is kept verbatim inside ours (which adds the function name and context)
        expect(run).toThrow(c.error.replace(/^view\(\) received.*$/, ''));
        return;
      }
      const y = run();
      expect(y.shape).toEqual(c.values!.shape);
      expect(Array.from(y.data)).toEqual(Array.from(c.values!.data));
      expect(y.stride()).toEqual(c.stride);
      expect(y.storageOffset()).toBe(c.offset);
      expect(y.isContiguous()).toBe(c.contiguous);
      expect(y.storage === x.storage).toBe(c.shares);
    });
  }
});

describe('slice: Python semantics', () => {
  /** The indices Python's range(*slice(start, end, step).indices(n)) visits, written from the rules. */
  function pyIndices(n: number, start: number | null, end: number | null, step: number): number[] {
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const s = start === null ? 0 : clamp(start);
    const e = end === null ? n : clamp(end);
    const out: number[] = [];
    for (let i = s; i < e; i += step) out.push(i);
    return out;
  }
  const bound = fc.option(fc.integer({ min: -8, max: 8 }), { nil: null });

  it('selects the same elements as Python, on every axis (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        bound,
        bound,
        fc.integer({ min: 1, max: 4 }),
        (shape, dimSeed, start, end, step) => {
          const dim = dimSeed % shape.length;
          const x = arange(shape.reduce((p, d) => p * d, 1)).reshape(shape);
          const y = x.slice(dim, start, end, step);
          const picked = pyIndices(shape[dim]!, start, end, step);
          expect(y.shape).toEqual(shape.map((d, i) => (i === dim ? picked.length : d)));
          // element [..., j, ...] of y is x[..., picked[j], ...]: x's value is its row-major index
          const xStrides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
          const expected: number[] = [];
          const idx = new Array<number>(shape.length).fill(0);
          for (let k = 0; k < y.size; k++) {
            let rem = k;
            for (let i = shape.length - 1; i >= 0; i--) {
              idx[i] = rem % y.shape[i]!;
              rem = Math.floor(rem / y.shape[i]!);
            }
            expected.push(idx.reduce((acc, v, i) => acc + (i === dim ? picked[v]! : v) * xStrides[i]!, 0));
          }
          expect(Array.from(y.data)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a step that is not a positive integer, and bad dims', () => {
    const x = zeros([3, 4]);
    expect(() => x.slice(1, null, null, 0)).toThrow('slice: step must be a positive integer, got 0');
    expect(() => x.slice(1, null, null, -1)).toThrow('got -1');
    expect(() => x.slice(2)).toThrow('slice: dim must be an integer in [-2, 1]');
    expect(() => x.slice(0, 1.5)).toThrow('slice: start must be an integer or null, got 1.5');
    expect(() => zeros([]).slice(0)).toThrow('slice() cannot be applied to a 0-dim tensor');
  });
});

describe('select and narrow', () => {
  it('select on a 0-d tensor and a bad dim throw like torch', () => {
    expect(() => tensor(1).select(0, 0)).toThrow('select() cannot be applied to a 0-dim tensor.');
    expect(() => zeros([3, 4]).select(2, 0)).toThrow('select: dim must be an integer in [-2, 1]');
    expect(() => zeros([3]).select(0, 0.5)).toThrow('select(): index 0.5 out of range');
  });
  it('narrow rejects a negative length', () => {
    expect(() => zeros([3]).narrow(0, 0, -1)).toThrow('narrow: length must be a non-negative integer, got -1');
  });
});

describe('views share storage', () => {
  it('a view reads its base: later writes to the base show through it', () => {
    const x = arange(12).reshape([3, 4]);
    const col = x.select(1, 2);
    const t = x.transpose(0, 1);
    expect(col.toArray()).toEqual([2, 6, 10]);
    x.fill_(1);
    expect(col.toArray()).toEqual([1, 1, 1]);
    expect(t.toArray()).toEqual(Array.from({ length: 4 }, () => [1, 1, 1]));
  });

  it("a contiguous view's data is a subarray of the storage (no copy)", () => {
    const x = arange(12).reshape([3, 4]);
    const row = x.select(0, 1);
    expect(row.data.buffer).toBe(x.data.buffer);
    expect(row.data.byteOffset).toBe(4 * 4);
    expect(x.narrow(0, 1, 2).view([8]).data.buffer).toBe(x.data.buffer);
  });

  it('a non-contiguous view materialises data once per version', () => {
    const x = arange(6).reshape([2, 3]);
    const t = x.transpose(0, 1);
    const first = t.data;
    expect(t.data).toBe(first); // cached: the same copy while nothing is written
    expect(Array.from(first)).toEqual([0, 3, 1, 4, 2, 5]);
    x.add_(10); // bumps the version shared by x and t
    expect(t.data).not.toBe(first);
    expect(Array.from(t.data)).toEqual([10, 13, 11, 14, 12, 15]);
  });

  it('contiguous() returns the tensor itself when contiguous, else a contiguous copy', () => {
    const x = arange(6).reshape([2, 3]);
    expect(x.contiguous()).toBe(x);
    const c = x.transpose(0, 1).contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.storage).not.toBe(x.storage);
    expect(c.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });

  it('reshape views when it can and copies when it cannot; view throws instead', () => {
    const x = arange(12).reshape([3, 4]);
    expect(x.transpose(0, 1).reshape([2, 6]).storage).not.toBe(x.storage);
    expect(x.transpose(0, 1).reshape([4, 3, 1]).storage).toBe(x.storage);
    expect(() => x.transpose(0, 1).view([12])).toThrow(
      'Use .reshape(...) instead. (input shape [4, 3] with strides [1, 4], requested [12])',
    );
    expect(() => x.view([5, -1])).toThrow('view: shape [5, -1] is invalid for input of size 12');
  });

  it('detach shares storage and version but is no view for autograd', () => {
    const w = randomTensor([3], 1);
    const d = w.detach();
    expect(d.storage).toBe(w.storage);
    expect(d.base).toBe(null);
    d.add_(1); // allowed: d does not require grad and is not a view of w
    expect(w.version).toBe(1);
  });

  it('a view of a view has the original tensor as base', () => {
    const x = zeros([2, 3, 4]);
    expect(x.select(0, 1).slice(1, 1).base).toBe(x);
    expect(arange(24).reshape([2, 3, 4]).base).not.toBe(null); // reshape of a contiguous tensor is a view too
    expect(x.base).toBe(null);
  });
});

describe('gradients of views', () => {
  const x = () => randomTensor([3, 4, 2], 7, { dtype: 'float64' });
  it('select, narrow and slice scatter g into zeros (gradcheck)', () => {
    expectGradcheck((t) => t!.select(1, -2).mul(t!.select(1, 0)), [x()]);
    expectGradcheck((t) => t!.narrow(1, 1, 2).exp(), [x()]);
    expectGradcheck((t) => t!.slice(1, -3, null, 2).mul(t!.slice(1, 0, 2)), [x()]);
    expectGradcheck((t) => t!.slice(0, 5, 9), [x()]); // empty: zero gradient
  });
  it('view, transpose, permute, expand, squeeze, unsqueeze, contiguous (gradcheck)', () => {
    expectGradcheck((t) => t!.view([4, 6]).mul(t!.view([-1, 6])), [x()]);
    expectGradcheck((t) => t!.transpose(0, 2).contiguous().view([-1]).tanh(), [x()]);
    expectGradcheck((t) => t!.permute([2, 0, 1]).select(0, 1).expand([2, 3, 4]), [x()]);
    expectGradcheck(
      (t) =>
        t!
          .narrow(2, 0, 1)
          .squeeze()
          .unsqueeze(0)
          .mul(t!.narrow(2, 1, 1).squeeze(2)),
      [x()],
    );
    expectGradcheck((t) => t!.transpose(0, 1).reshape([4, 6]), [x()]); // the copying reshape
  });
  it('a selected gradient lands in the right place', () => {
    const t = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      { requiresGrad: true },
    );
    t.select(1, 0)
      .mul(tensor([10, 100]))
      .sum()
      .backward();
    expect(t.grad!.toArray()).toEqual([
      [10, 0],
      [100, 0],
    ]);
    const u = tensor([0, 1, 2, 3, 4]).requiresGrad_();
    u.slice(0, 1, null, 2).sum().backward();
    expect(u.grad!.toArray()).toEqual([0, 1, 0, 1, 0]);
  });
  it('views never change their input', () => {
    const t = randomTensor([3, 4], 3);
    expectInputsUnchanged([t], () => {
      t.select(0, 1).add(1).sum().backward();
      t.slice(1, 1, 3).transpose(0, 1).mul(2).sum().backward();
    });
  });
  it('view ops under noGrad record nothing but are still views', () => {
    const t = randomTensor([3, 4], 3);
    const v = noGrad(() => t.select(0, 0));
    expect([v.requiresGrad, v.gradFn, v.base]).toEqual([false, null, t]);
  });
  it('matmul with transposed and sliced operands matches the contiguous result', () => {
    const a = randomTensor([4, 3], 11, { requiresGrad: false });
    const b = randomTensor([5, 4], 12, { requiresGrad: false });
    const viaViews = a.transpose(0, 1).matmul(b.slice(0, 1, null, 2).transpose(0, 1));
    const bt = b.slice(0, 1, null, 2).contiguous().transpose(0, 1).contiguous();
    const viaCopies = a.transpose(0, 1).contiguous().matmul(bt);
    expectClose(viaViews, viaCopies, { rtol: 0, atol: 0 }); // same kernel on the same values
  });
});
