/**
 * dtypes against PyTorch (test/fixtures/dtypes.py): the promotion table of every binary op over
 * bool/int32/float32/float64 tensors, 0-d tensors and JS numbers, the int/bool behaviour of the
 * unary ops and reductions, comparisons with NaN, conversions, and int32 matmul/sum.
 *
 * torch's int64 results map to typegrad's int32 (a Python int scalar or a sum gives int64 there).
 * Tolerances: bool and int32 results are exact; float results of + - * / are exact too (a float64
 * result rounded once to float32 equals torch's float32 op); exp/log/pow/tanh/sigmoid may differ
 * from torch's float32 libm by an ulp or two, so float results are compared with rtol 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor, type DType } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';

const fx = loadFixture('dtypes');
const inputs = fx['inputs'] as Record<string, Record<string, FixtureTensor | number>>;

function ours(t: FixtureTensor): Tensor {
  return tensor(Float64Array.from(t.data), t.shape, { dtype: t.dtype === 'int64' ? 'int32' : (t.dtype as DType) });
}

/** torch's result dtype in typegrad's names. */
function expectedDtype(t: FixtureTensor): DType {
  return (t.dtype === 'int64' ? 'int32' : t.dtype) as DType;
}

function expectMatches(actual: Tensor, expected: FixtureTensor, what: string): void {
  expect(actual.dtype, `${what}: dtype`).toBe(expectedDtype(expected));
  expect([...actual.shape], `${what}: shape`).toEqual(expected.shape);
  const exact = actual.dtype === 'bool' || actual.dtype === 'int32';
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!;
    const a = Number(actual.data[i]);
    if (Number.isNaN(e)) expect(a, `${what}[${i}]`).toBeNaN();
    else if (exact || !Number.isFinite(e)) expect(a, `${what}[${i}]`).toBe(e);
    else expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(1e-6 * Math.abs(e) + 1e-30);
  }
}

type Result = { ok: true; out: FixtureTensor } | { ok: false; error: string };
type BinaryCase = { op: string; a: string; kind: string; b: string } & Result;
type UnaryCase = { op: string; a: string } & Result;

const methods = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
  'logicalXor',
] as const;

function callBinary(op: string, a: Tensor, b: Tensor | number): Tensor {
  if (!(methods as readonly string[]).includes(op)) throw new Error(`unknown op ${op}`);
  return (a[op as (typeof methods)[number]] as (o: Tensor | number) => Tensor)(b);
}

describe('binary ops: the promotion table against torch', () => {
  const cases = fx['binary'] as BinaryCase[];
  it('has cases for every op and operand kind', () => {
    expect(cases.length).toBeGreaterThan(14 * 4 * 8);
  });
  it.each(methods)('%s', (op) => {
    for (const c of cases.filter((k) => k.op === op)) {
      const a = ours(inputs['A']![c.a] as FixtureTensor);
      let call: () => Tensor;
      if (c.kind === 'scalar') call = () => callBinary(op, a, inputs['scalars']![c.b] as number);
      else if (c.kind === 'tensor') call = () => callBinary(op, a, ours(inputs['B']![c.b] as FixtureTensor));
      else if (c.kind === 'zeroD') call = () => callBinary(op, a, ours(inputs['zeroD']![c.b] as FixtureTensor));
      else call = () => callBinary(op, ours(inputs['zeroD']![c.b] as FixtureTensor), a);
      const what = `${op}(${c.a}, ${c.kind} ${c.b})`;
      if (c.ok) expectMatches(call(), c.out, what);
      else expect(call, `${what} should throw like torch: ${c.error}`).toThrow(new RegExp(`^${op}: `));
    }
  });
});

describe('unary ops and reductions on int32 and bool', () => {
  const cases = fx['unary'] as UnaryCase[];
  const run: Record<string, (x: Tensor) => Tensor> = {
    neg: (x) => x.neg(),
    abs: (x) => x.abs(),
    exp: (x) => x.exp(),
    log: (x) => x.log(),
    sqrt: (x) => x.sqrt(),
    sigmoid: (x) => x.sigmoid(),
    tanh: (x) => x.tanh(),
    relu: (x) => x.relu(),
    gelu: (x) => x.gelu(),
    sum: (x) => x.sum(),
    max: (x) => x.max(),
    mean: (x) => x.mean(),
    var: (x) => x.var(),
    isnan: (x) => x.isnan(),
    isinf: (x) => x.isinf(),
    isfinite: (x) => x.isfinite(),
    logicalNot: (x) => x.logicalNot(),
    any: (x) => x.any(),
    all: (x) => x.all(),
    powInt: (x) => x.pow(3),
    powFloat: (x) => x.pow(0.5),
  };
  it.each(Object.keys(run))('%s', (op) => {
    const selected = cases.filter((c) => c.op === op);
    expect(selected.length).toBe(4);
    for (const c of selected) {
      // max and relu of a float tensor holding NaN are the NaN-propagation audit's (harden-api)
      if ((op === 'max' || op === 'relu') && c.a.startsWith('float')) continue;
      const x = ours(inputs['A']![c.a] as FixtureTensor);
      const what = `${op}(${c.a})`;
      if (c.ok) expectMatches(run[op]!(x), c.out, what);
      else
        expect(() => run[op]!(x), `${what} should throw like torch: ${c.error}`).toThrow(
          new RegExp(`^(${op.replace(/Int|Float/, '')}): `),
        );
    }
  });
});

describe('comparisons with NaN, infinities and signed zeros', () => {
  const c = fx['nan'] as Record<string, FixtureTensor>;
  const x = ours(c['x']!);
  const y = ours(c['y']!);
  it.each(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalXor'])('%s', (op) => {
    expectMatches(callBinary(op, x, y), c[op]!, op);
  });
  it('isnan, isinf, isfinite and to(bool) (NaN is true)', () => {
    expectMatches(x.isnan(), c['isnan']!, 'isnan');
    expectMatches(x.isinf(), c['isinf']!, 'isinf');
    expectMatches(x.isfinite(), c['isfinite']!, 'isfinite');
    expectMatches(x.to('bool'), c['toBool']!, 'to(bool)');
  });
});

describe('any / all', () => {
  const c = fx['anyAll'] as Record<string, FixtureTensor>;
  const m = ours(c['m']!);
  it('over everything, one axis, keepDim, and empty axes', () => {
    expectMatches(m.any(), c['any']!, 'any');
    expectMatches(m.all(), c['all']!, 'all');
    expectMatches(m.any(0), c['any0']!, 'any(0)');
    expectMatches(m.any(1), c['any1']!, 'any(1)');
    expectMatches(m.all(0), c['all0']!, 'all(0)');
    expectMatches(m.all(1, true), c['all1k']!, 'all(1, keepDim)');
    const empty = tensor([], [2, 0]);
    expectMatches(empty.any(1), c['anyEmpty']!, 'any over an empty axis');
    expectMatches(empty.all(1), c['allEmpty']!, 'all over an empty axis');
  });
});

describe('conversions and integer ops', () => {
  const c = fx['to'] as Record<string, FixtureTensor>;
  it('to(int32) truncates toward zero, to(bool) is != 0, int32 -> float32 rounds', () => {
    const v = ours(c['v']!);
    expectMatches(v.to('int32'), c['int32']!, 'to(int32)');
    expectMatches(v.to('bool'), c['bool']!, 'to(bool)');
    expectMatches(
      tensor([16777217, -3], undefined, { dtype: 'int32' }).to('float32'),
      c['intToFloat']!,
      'int -> float32',
    );
  });
  it('int32 matmul and sums (torch: int64 sums)', () => {
    const i = fx['intOps'] as Record<string, FixtureTensor>;
    const mi = ours(i['mi']!);
    expectMatches(mi.matmul(mi.transpose(0, 1)), i['matmul']!, 'matmul');
    expectMatches(mi.sum(), i['sum']!, 'sum');
    expectMatches(mi.sum(0), i['sum0']!, 'sum(0)');
    expectMatches(ours(inputs['A']!['bool'] as FixtureTensor).sum(), i['bsum']!, 'bool sum');
  });
});
