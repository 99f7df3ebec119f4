/**
 * Tie orders of topk, sort, argmax/argmin and max/min(dim) against torch 2.13's CPU kernels
 * (test/fixtures/sort_ties.py): lines full of equal values, NaN, +-inf and -0, of lengths around
 * the 16 elements where introsort switches to insertion sort and long enough for topk's
 * partial-sort path (64 k <= n). Indices must equal torch's exactly; values must equal, bit for
 * bit, the input gathered at torch's indices (which the script checked are torch's values).
 * Then the libstdc++ replay in src/tensor/kernels/stdSort.ts is checked on its own contract:
 * random lines come out ordered (sort), partitioned (nth_element), and as a permutation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { introsort, nthElement, partialSort, type PairLine } from '../../src/tensor/kernels/stdSort.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';

interface Params {
  dim: number;
  k?: number;
  largest?: boolean;
  sorted?: boolean;
  descending?: boolean;
  stable?: boolean;
  keepDim?: boolean;
}
interface TieCase {
  input: string;
  op: string;
  params: Params;
  indices: FixtureTensor;
}
interface RadixCase {
  head: FixtureTensor;
  digest: number;
  stable: boolean;
}
const fixture = loadFixture('sort_ties') as {
  inputs: Record<string, FixtureTensor>;
  cases: Record<string, TieCase>;
  radix: Record<string, RadixCase>;
};

type Selection = { values: Tensor | null; indices: Tensor };
const OPS: Record<string, (x: Tensor, p: Params) => Selection> = {
  topk: (x, p) => x.topk(p.k!, p.dim, { largest: p.largest, sorted: p.sorted }),
  sort: (x, p) => x.sort(p.dim, { descending: p.descending, stable: p.stable }),
  argmax: (x, p) => ({ values: null, indices: x.argmax(p.dim) }),
  argmin: (x, p) => ({ values: null, indices: x.argmin(p.dim) }),
  maxDim: (x, p) => x.max(p.dim, p.keepDim),
  minDim: (x, p) => x.min(p.dim, p.keepDim),
};

const bits = (v: ArrayLike<number>): string[] => Array.from(v, (e) => (Object.is(e, -0) ? '-0' : String(e)));

/** x gathered along `dim` at `indices` (same rank), the way torch.gather reads it. */
function gathered(x: FixtureTensor, indices: FixtureTensor, dim: number): number[] {
  const axis = dim < 0 ? dim + x.shape.length : dim;
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = x.shape[axis]!;
  const k = indices.shape.length === x.shape.length ? indices.shape[axis]! : 1;
  return Array.from(indices.data, (index, flat) => {
    const i = flat % inner;
    const o = Math.floor(flat / (k * inner));
    return x.data[(o * n + index) * inner + i]!;
  });
}

const cases = Object.entries(fixture.cases);

describe('tie orders against PyTorch (test/fixtures/sort_ties.py)', () => {
  it('has the cases, for every op', () => {
    expect(cases.length).toBeGreaterThan(1500);
    expect(new Set(cases.map(([, c]) => c.op))).toEqual(new Set(Object.keys(OPS)));
  });

  it.each(cases)('%s', (_, c) => {
    const input = fixture.inputs[c.input]!;
    const dtype = input.dtype === 'int32' ? 'int32' : 'float32';
    const x = tensor(input.data, input.shape, { dtype });
    const { values, indices } = OPS[c.op]!(x, c.params);
    expect(indices.dtype).toBe('int32');
    expect(indices.shape).toEqual(c.indices.shape);
    expect(Array.from(indices.data)).toEqual(Array.from(c.indices.data));
    if (values === null) return;
    expect(values.dtype).toBe(dtype);
    expect(bits(values.data)).toEqual(bits(gathered(input, c.indices, c.params.dim)));
  });

  it.each(Object.entries(fixture.radix))('1-d int32 sort of %s elements: radix (stable) from 32768', (n, r) => {
    const x = tensor(Int32Array.from({ length: Number(n) }, (_, j) => (j * 7) % 5));
    const indices = x.sort().indices.data;
    expect(Array.from(indices.subarray(0, 64))).toEqual(Array.from(r.head.data));
    let digest = 0;
    for (let j = 0; j < indices.length; j++) digest += (j + 1) * indices[j]!;
    expect(digest).toBe(r.digest);
    expect(r.stable).toBe(Number(n) >= 32768);
  });

  it('a 2-d int32 tensor with rows of 32768 is not radix-sorted (ties move, as in torch)', () => {
    const x = tensor(new Int32Array(32768), [1, 32768]);
    expect(Array.from(x.sort().indices.data.subarray(0, 3))).not.toEqual([0, 1, 2]);
    expect(Array.from(x.sort(-1, { stable: true }).indices.data.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('an expanded (stride 0) axis sorts to 0, 1, 2, ... as in torch', () => {
    const x = tensor([2]).expand([20]);
    expect(Array.from(x.sort().indices.data)).toEqual(Array.from({ length: 20 }, (_, j) => j));
    // the same values in their own storage: introsort moves the ties (torch: 10, 19, 18, ...)
    expect(Array.from(x.contiguous().sort().indices.data.subarray(0, 3))).toEqual([10, 19, 18]);
  });
});

describe('the libstdc++ replay (src/tensor/kernels/stdSort.ts) keeps its contract', () => {
  const before = (a: number, b: number, descending: boolean): boolean =>
    descending ? (Number.isNaN(a) && !Number.isNaN(b)) || a > b : (!Number.isNaN(a) && Number.isNaN(b)) || a < b;
  const lineOf = (values: number[], descending: boolean): PairLine => ({
    keys: Float64Array.from(values),
    pos: Int32Array.from(values, (_, j) => j),
    descending,
  });
  const value = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(NaN), fc.double({ noNaN: true }));
  const arb = fc.record({ values: fc.array(value, { maxLength: 120 }), descending: fc.boolean(), at: fc.nat() });
  /** Each pair still holds its original value (the moves kept pairs together) and positions are a permutation. */
  const expectPermutation = (L: PairLine, values: number[]): void => {
    expect(Array.from(L.pos).sort((a, b) => a - b)).toEqual(values.map((_, j) => j));
    L.pos.forEach((p, j) => expect(Object.is(L.keys[j], values[p])).toBe(true));
  };

  it('property: introsort orders every line', () => {
    fc.assert(
      fc.property(arb, ({ values, descending }) => {
        const L = lineOf(values, descending);
        introsort(L, 0, values.length);
        expectPermutation(L, values);
        for (let j = 1; j < values.length; j++) expect(before(L.keys[j]!, L.keys[j - 1]!, descending)).toBe(false);
      }),
    );
  });

  it('property: partialSort puts the first m of the order, in order, at the front', () => {
    fc.assert(
      fc.property(arb, ({ values, descending, at }) => {
        const m = values.length === 0 ? 0 : at % (values.length + 1);
        const L = lineOf(values, descending);
        partialSort(L, 0, m, values.length);
        expectPermutation(L, values);
        for (let j = 1; j < m; j++) expect(before(L.keys[j]!, L.keys[j - 1]!, descending)).toBe(false);
        for (let j = m; j < values.length && m > 0; j++) {
          expect(before(L.keys[j]!, L.keys[m - 1]!, descending)).toBe(false);
        }
      }),
    );
  });

  it('property: nthElement partitions around the nth', () => {
    fc.assert(
      fc.property(arb, ({ values, descending, at }) => {
        fc.pre(values.length > 0);
        const nth = at % values.length;
        const L = lineOf(values, descending);
        nthElement(L, 0, nth, values.length);
        expectPermutation(L, values);
        const pivot = L.keys[nth]!;
        for (let j = 0; j < nth; j++) expect(before(pivot, L.keys[j]!, descending)).toBe(false);
        for (let j = nth + 1; j < values.length; j++) expect(before(L.keys[j]!, pivot, descending)).toBe(false);
      }),
    );
  });
});
