/**
 * add, sub, mul, div with NumPy broadcasting (src/autograd/ops/binary.ts): forward against a float64
 * reference, gradients by gradcheck and against the reference "sum of the upstream gradient over the
 * broadcast axes", and the errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { broadcastPairArb } from '../tensor/arbitraries.js';
import {
  broadcastShape,
  broadcastSource,
  numel,
  randomValues,
  refBinary,
  refSumToShape,
  unravel,
} from '../tensor/reference.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor, toFloat32 } from './fixtures.js';

type OpName = 'add' | 'sub' | 'mul' | 'div';

interface OpSpec {
  name: OpName;
  f: (a: number, b: number) => number;
  /** d out / d a and d out / d b at (a, b). */
  da: (a: number, b: number) => number;
  db: (a: number, b: number) => number;
}

const OPS: OpSpec[] = [
  { name: 'add', f: (a, b) => a + b, da: () => 1, db: () => 1 },
  { name: 'sub', f: (a, b) => a - b, da: () => 1, db: () => -1 },
  { name: 'mul', f: (a, b) => a * b, da: (_, b) => b, db: (a) => a },
  { name: 'div', f: (a, b) => a / b, da: (_, b) => 1 / b, db: (a, b) => -a / (b * b) },
];

const apply = (op: OpName, a: Tensor, b: Tensor | number): Tensor => a[op](b);

const CASES: [string, number[], number[]][] = [
  ['same shape', [2, 3, 4], [2, 3, 4]],
  ['[2,3,4] with [3,1]', [2, 3, 4], [3, 1]],
  ['[2,3,4] with [1]', [2, 3, 4], [1]],
  ['size-1 dims on both sides [2,1,4] with [3,1]', [2, 1, 4], [3, 1]],
  ['rank mismatch, the lower rank on the left', [4], [2, 3, 4]],
  ['0-d with a matrix', [], [2, 3]],
  ['empty [0,3] with [3]', [0, 3], [3]],
];

// b stays in [0.5, 1.5] in magnitude so that div is well conditioned.
const bValues = { minAbs: 0.5, maxAbs: 1.5 };

describe.each(OPS)('$name', (op) => {
  it.each(CASES)('forward, %s, equals the float64 reference rounded once to float32', (_, aShape, bShape) => {
    const a = randomTensor(aShape, 1);
    const b = randomTensor(bShape, 2, bValues);
    const out = apply(op.name, a, b);
    const ref = refBinary(op.f, [...a.data], aShape, [...b.data], bShape);
    expect(out.shape).toEqual(ref.shape);
    // both sides do the same float64 operation on the same float32 inputs and round once: bit-exact
    expect(Array.from(out.data)).toEqual(toFloat32(ref.data));
  });

  it('forward with a number operand: the number takes the tensor dtype, like a Python scalar in torch', () => {
    const a = randomTensor([2, 3], 3);
    const s = Math.fround(0.3);
    expect(Array.from(apply(op.name, a, 0.3).data)).toEqual(toFloat32([...a.data].map((v) => op.f(v, s))));
    const a64 = randomTensor([3], 3, { dtype: 'float64' });
    const out64 = apply(op.name, a64, 0.3);
    expect(out64.dtype).toBe('float64');
    expect(Array.from(out64.data)).toEqual([...a64.data].map((v) => op.f(v, 0.3)));
  });

  it('float64 wins over float32', () => {
    const out = apply(op.name, randomTensor([2], 1), randomTensor([2], 2, { ...bValues, dtype: 'float64' }));
    expect(out.dtype).toBe('float64');
  });

  it.each(CASES.filter(([, a, b]) => numel(a) > 0 && numel(b) > 0))('gradcheck, %s', (_, aShape, bShape) => {
    expectGradcheck((a, b) => apply(op.name, a!, b!), [randomTensor(aShape, 4), randomTensor(bShape, 5, bValues)]);
  });

  it('gradcheck with a number operand and with only one side requiring grad', () => {
    expectGradcheck((a) => apply(op.name, a!, 0.7), [randomTensor([2, 3, 4], 6)]);
    expectGradcheck(
      (a, b) => apply(op.name, a!, b!),
      [randomTensor([2, 3, 4], 7, { requiresGrad: false }), randomTensor([3, 1], 8, bValues)],
    );
    expectGradcheck(
      (a, b) => apply(op.name, a!, b!),
      [randomTensor([2, 3, 4], 7), randomTensor([1], 8, { ...bValues, requiresGrad: false })],
    );
  });

  it('gradients equal the reference: upstream grad times the local derivative, summed over broadcast axes', () => {
    fc.assert(
      fc.property(broadcastPairArb, ({ a: aShape, b: bShape, seed }) => {
        const a = randomTensor(aShape, seed, { dtype: 'float64' });
        const b = randomTensor(bShape, seed + 1, { ...bValues, dtype: 'float64' });
        const outShape = broadcastShape(aShape, bShape)!;
        const g = randomValues(numel(outShape), seed + 2);
        apply(op.name, a, b).backward(tensor(g, outShape, { dtype: 'float64' }));
        const at = (i: number) => {
          const idx = unravel(i, outShape);
          return [a.data[broadcastSource(idx, aShape)]!, b.data[broadcastSource(idx, bShape)]!] as const;
        };
        // float64 throughout, so only the summation order differs: ~1e-16 per term, 1e-12 is ample
        const tol = { rtol: 1e-12, atol: 1e-12 };
        expectClose(
          a.grad!,
          refSumToShape((i) => g[i]! * op.da(...at(i)), outShape, aShape),
          tol,
          'grad a',
        );
        expectClose(
          b.grad!,
          refSumToShape((i) => g[i]! * op.db(...at(i)), outShape, bShape),
          tol,
          'grad b',
        );
        expect(a.grad!.shape).toEqual(aShape);
        expect(b.grad!.shape).toEqual(bShape);
      }),
      { numRuns: 60 },
    );
  });

  it('forward property over random broadcast pairs', () => {
    fc.assert(
      fc.property(broadcastPairArb, ({ a: aShape, b: bShape, seed }) => {
        const a = randomTensor(aShape, seed, { requiresGrad: false });
        const b = randomTensor(bShape, seed + 1, bValues);
        const ref = refBinary(op.f, [...a.data], aShape, [...b.data], bShape);
        const out = apply(op.name, a, b);
        expect(out.shape).toEqual(ref.shape);
        expect(Array.from(out.data)).toEqual(toFloat32(ref.data)); // one rounding on both sides
      }),
      { numRuns: 60 },
    );
  });

  it('leaves its inputs unchanged, forward and backward', () => {
    const a = randomTensor([2, 3, 4], 9);
    const b = randomTensor([3, 1], 10, bValues);
    expectInputsUnchanged([a, b], () => apply(op.name, a, b).sum().backward());
  });

  it('rejects shapes that do not broadcast, naming both shapes and the dimension', () => {
    expect(() => apply(op.name, randomTensor([2, 3], 1), randomTensor([4], 2))).toThrow(
      new RegExp(
        `${op.name}: shapes \\[2, 3\\] and \\[4\\] cannot be broadcast \\(dimension -1 is 3 vs 4; expected equal sizes or 1\\)`,
      ),
    );
    expect(() => apply(op.name, randomTensor([2, 3, 4], 1), randomTensor([2, 4], 2))).toThrow(
      /shapes \[2, 3, 4\] and \[2, 4\] cannot be broadcast \(dimension -2 is 3 vs 2/,
    );
  });

  it('rejects an operand that is neither a Tensor nor a number', () => {
    expect(() => apply(op.name, randomTensor([2], 1), '3' as unknown as number)).toThrow(
      new RegExp(`${op.name}: other must be a Tensor or a number, got "3" \\(string\\)`),
    );
  });
});

describe('broadcasting in backward', () => {
  it('a [3,1] operand of a [2,3,4] sum receives 8 per element', () => {
    const a = randomTensor([2, 3, 4], 1);
    const b = randomTensor([3, 1], 2);
    a.add(b).sum().backward();
    expect(Array.from(b.grad!.data)).toEqual([8, 8, 8]);
    expect(Array.from(a.grad!.data)).toEqual(new Array(24).fill(1));
  });

  it('a 0-d operand receives the sum of everything', () => {
    const s = tensor(2, undefined, { requiresGrad: true });
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      { requiresGrad: true },
    );
    x.mul(s).sum().backward();
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(10);
  });
});

describe('result dtype, like torch', () => {
  it('a 0-d float64 tensor does not turn a dimensioned float32 result into float64', () => {
    const x = tensor([1, 2, 3]);
    const s = tensor(2, undefined, { dtype: 'float64' });
    expect(x.mul(s).dtype).toBe('float32');
    expect(s.add(x).dtype).toBe('float32');
    expect(x.mul(tensor([2], undefined, { dtype: 'float64' })).dtype).toBe('float64'); // both dimensioned: float64 wins
    expect(s.mul(tensor(3)).dtype).toBe('float64'); // both 0-d: float64 wins
  });
});
