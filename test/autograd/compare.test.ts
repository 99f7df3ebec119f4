/**
 * Comparisons, logical ops, where and maskedFill (src/autograd/ops/compare.ts): results against
 * formulas written here and PyTorch (test/fixtures/dtypes.py), gradients of where and maskedFill by
 * float64 gradcheck and against torch's, and the errors at the boundary.
 */
import { describe, expect, it } from 'vitest';
import { tensor, where, type Tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { expectClose } from '../helpers.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

const fx = loadFixture('dtypes');

function f64(t: FixtureTensor): Tensor {
  return tensor(Float64Array.from(t.data), t.shape, { dtype: 'float64' });
}
function bool(t: FixtureTensor): Tensor {
  return tensor(Uint8Array.from(t.data), t.shape);
}

describe('comparisons', () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = tensor([3, 2, 1]);
  const cases: [string, (x: Tensor, y: Tensor | number) => Tensor, (p: number, q: number) => boolean][] = [
    ['eq', (x, y) => x.eq(y), (p, q) => p === q],
    ['ne', (x, y) => x.ne(y), (p, q) => p !== q],
    ['lt', (x, y) => x.lt(y), (p, q) => p < q],
    ['le', (x, y) => x.le(y), (p, q) => p <= q],
    ['gt', (x, y) => x.gt(y), (p, q) => p > q],
    ['ge', (x, y) => x.ge(y), (p, q) => p >= q],
  ];
  it.each(cases)('%s broadcasts and gives bool, no graph', (_, op, f) => {
    const x = a.to('float64').requiresGrad_();
    const out = op(x, b);
    expect(out.dtype).toBe('bool');
    expect(out.requiresGrad).toBe(false);
    expect(out.toArray()).toEqual(
      [
        [1, 2, 3],
        [4, 5, 6],
      ].map((row) => row.map((v, j) => f(v, [3, 2, 1][j]!))),
    );
    expect(op(a, 2).toArray()).toEqual(
      [
        [1, 2, 3],
        [4, 5, 6],
      ].map((row) => row.map((v) => f(v, 2))),
    );
  });
  it('compares in the promoted dtype: float32 0.1 equals a float64 0-d 0.1 (both become float32)', () => {
    expect(
      tensor([0.1])
        .eq(tensor(0.1, undefined, { dtype: 'float64' }))
        .toArray(),
    ).toEqual([true]);
    expect(
      tensor([0.1], undefined, { dtype: 'float64' })
        .eq(tensor([0.1]))
        .toArray(),
    ).toEqual([false]);
  });
  it('rejects a non-tensor, non-number other', () => {
    expect(() => a.eq('1' as never)).toThrow(/eq: other must be a Tensor or a number, got "1" \(string\)/);
    expect(() => a.lt(tensor([1, 2]))).toThrow(/lt/);
  });
});

describe('logical ops', () => {
  it('treat non-zero (NaN too) as true and broadcast', () => {
    const x = tensor([[0, 1, NaN]]);
    const y = tensor([[1], [0]]);
    expect(x.logicalAnd(y).toArray()).toEqual([
      [false, true, true],
      [false, false, false],
    ]);
    expect(x.logicalOr(y).toArray()).toEqual([
      [true, true, true],
      [false, true, true],
    ]);
    expect(x.logicalXor(y).toArray()).toEqual([
      [true, false, false],
      [false, true, true],
    ]);
    expect(x.logicalNot().toArray()).toEqual([[true, false, false]]);
  });
  it('name a non-tensor argument', () => {
    expect(() => tensor([true]).logicalAnd(1 as never)).toThrow(/logicalAnd: other must be a Tensor, got 1/);
  });
});

describe('where', () => {
  const c = fx['where'] as Record<string, FixtureTensor>;
  it('matches torch: values and the gradients of sum(out * w)', () => {
    const cond = bool(c['cond']!);
    const a = f64(c['a']!).requiresGrad_();
    const b = f64(c['b']!).requiresGrad_();
    const out = where(cond, a, b);
    expectClose(out, f64(c['out']!), { rtol: 0, atol: 0 }); // a selection: exact
    out.mul(f64(c['w']!)).sum().backward();
    expectClose(a.grad!, f64(c['da']!), { rtol: 1e-15, atol: 0 });
    expectClose(b.grad!, f64(c['db']!), { rtol: 1e-15, atol: 0 }); // summed over the broadcast rows
  });
  it('gradcheck in float64 (cond [2,1], a [2,3], b [3] broadcast together)', () => {
    const cond = tensor([[true], [false]]);
    const a = randomTensor([2, 3], 1, { dtype: 'float64' });
    const b = randomTensor([3], 2, { dtype: 'float64' });
    expectGradcheck((x, y) => where(cond, x, y), [a, b]);
    expectGradcheck((x) => where(cond, x, 0.5), [a]);
    expectGradcheck((y) => where(cond, 2, y), [b]);
    // a bool input to gradcheck stays bool (only floating inputs are promoted to float64)
    expectGradcheck((k, x) => where(k!, x!, 0), [cond, a]);
  });
  it('promotes like torch: int32 and 1.5 give float32, two integers give int32 (torch int64)', () => {
    const cond = bool((fx['inputs'] as Record<string, Record<string, FixtureTensor>>)['A']!['bool']!);
    const i = tensor([3, -2, 0], undefined, { dtype: 'int32' });
    const mixed = where(cond, i, 1.5);
    expect(mixed.dtype).toBe('float32');
    expect(Array.from(mixed.data)).toEqual(Array.from(c['intFloat']!.data));
    const ints = where(cond, 1, 0);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.data)).toEqual(Array.from(c['scalars']!.data));
  });
  it('does not mutate its inputs', () => {
    const cond = tensor([true, false]);
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expectInputsUnchanged([cond, a, b], () => where(cond, a, b));
  });
  it('needs a bool condition and broadcastable shapes', () => {
    expect(() => where(tensor([1, 0]), 1, 2)).toThrow(/where: condition must be a bool tensor, got dtype 'float32'/);
    expect(() => where([true] as never, 1, 2)).toThrow(/where: condition must be a Tensor, got \[true\] \(array\)/);
    expect(() => where(tensor([true, false]), tensor([1, 2, 3]), 0)).toThrow(/where/);
    expect(() => where(tensor([true]), 'a' as never, 0)).toThrow(
      /where: input must be a Tensor or a number, got "a" \(string\)/,
    );
  });
});

describe('maskedFill', () => {
  const c = fx['maskedFill'] as Record<string, FixtureTensor>;
  it('matches torch: values and the gradients of self and a 0-d value', () => {
    const s = f64(c['s']!).requiresGrad_();
    const value = tensor(0.75, undefined, { dtype: 'float64', requiresGrad: true });
    const out = s.maskedFill(bool(c['mask']!), value);
    expectClose(out, f64(c['out']!), { rtol: 0, atol: 0 });
    out.mul(f64(c['w']!)).sum().backward();
    expectClose(s.grad!, f64(c['ds']!), { rtol: 1e-15, atol: 0 });
    expectClose(value.grad!, f64(c['dval']!), { rtol: 1e-14, atol: 0 });
  });
  it('gradcheck in float64', () => {
    const mask = tensor([
      [true, false, false],
      [false, true, false],
    ]);
    expectGradcheck((x) => x.maskedFill(mask, -1), [randomTensor([2, 3], 3, { dtype: 'float64' })]);
    expectGradcheck(
      (x, v) => x.maskedFill(tensor([false, true, true]), v!),
      [randomTensor([2, 3], 4, { dtype: 'float64' }), randomTensor([], 5, { dtype: 'float64' })],
    );
  });
  it('an int32 self filled from a float value that requires grad gives an int32 result without grad', () => {
    const value = tensor(2.5, undefined, { requiresGrad: true });
    const out = tensor([1, 2], undefined, { dtype: 'int32' }).maskedFill(tensor([true, false]), value);
    expect(out.dtype).toBe('int32');
    expect(out.requiresGrad).toBe(false);
    expect(out.toArray()).toEqual([2, 2]);
  });
  it("keeps self's dtype (int32 truncates 1.5 like torch) and fills NaN", () => {
    const inputs = (fx['inputs'] as Record<string, Record<string, FixtureTensor>>)['A']!;
    const i = tensor(Int32Array.from(inputs['int32']!.data));
    const out = i.maskedFill(bool(inputs['bool']!), 1.5);
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.data)).toEqual(Array.from(c['int']!.data));
    expect(Array.from(tensor([0, 0, 0]).maskedFill(bool(c['mask']!), NaN).data)).toEqual(Array.from(c['nan']!.data));
  });
  it('needs a bool mask that broadcasts to self, and a scalar or 0-d value', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => x.maskedFill(tensor([1, 0, 1]), 0)).toThrow(
      /maskedFill: mask must be a bool tensor, got dtype 'float32'/,
    );
    expect(() => x.maskedFill(tensor([[true], [false]]), 0)).toThrow(
      /maskedFill: mask of shape \[2, 1\] must broadcast to self's shape \[1, 3\]/,
    );
    expect(() => x.maskedFill(tensor([true]), tensor([1, 2]))).toThrow(
      /maskedFill: value must be a number, a boolean or a 0-d tensor, got a tensor of shape \[2\]/,
    );
    expect(() => x.maskedFill(tensor([true]), 'a' as never)).toThrow(
      /maskedFill: value must be a number, a boolean or a 0-d tensor, got "a" \(string\)/,
    );
  });
});

describe('any / all / is*', () => {
  it('reduce over axes with keepDim; results are bool and record nothing', () => {
    const x = tensor(
      [
        [0, 0],
        [0, 3],
      ],
      undefined,
      { requiresGrad: true },
    );
    expect(x.any().toArray()).toBe(true);
    expect(x.all().toArray()).toBe(false);
    expect(x.any([0, 1], true).shape).toEqual([1, 1]);
    expect(x.any(-1).toArray()).toEqual([false, true]);
    expect(x.any().requiresGrad).toBe(false);
    expect(() => x.any(2)).toThrow(/any: /);
  });
  it('isnan, isinf and isfinite of an int32 tensor: never NaN, always finite', () => {
    const i = tensor([1, 2], undefined, { dtype: 'int32' });
    expect(i.isnan().toArray()).toEqual([false, false]);
    expect(i.isinf().toArray()).toEqual([false, false]);
    expect(i.isfinite().toArray()).toEqual([true, true]);
  });
});
