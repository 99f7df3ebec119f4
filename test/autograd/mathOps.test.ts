/**
 * The toolbox math (src/autograd/ops/unaryMath.ts, reduce.ts, cumulative.ts): elementwise math,
 * clamp, minimum/maximum, std, prod, cumsum, logsumexp, norm. Forward values and gradients against
 * PyTorch fixtures (test/fixtures/math_ops.py), float64 references written here, gradcheck, and
 * the error messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maximum, minimum, tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';
import { groups, normAxes, reducedShape } from '../tensor/reference.js';
import { expectGradcheck, expectInputsUnchanged, randomTensor } from './fixtures.js';

type Input = Tensor | number | null;
type Params = { dim?: number | number[] | null; keepDim?: boolean; correction?: number; p?: number };

/** How each fixture op is called here: torch's call, in typegrad's names. */
const OPS: Record<string, (inputs: Input[], params: Params) => Tensor> = {
  clamp: ([x, lo, hi]) => (x as Tensor).clamp(lo, hi),
  maximum: ([a, b]) => maximum(a as Tensor, b as Tensor),
  minimum: ([a, b]) => minimum(a as Tensor, b as Tensor),
  std: ([x], p) => (x as Tensor).std(p.dim ?? undefined, { correction: p.correction, keepDim: p.keepDim }),
  prod: ([x], p) => (x as Tensor).prod((p.dim as number | undefined) ?? undefined, p.keepDim),
  cumsum: ([x], p) => (x as Tensor).cumsum(p.dim as number),
  logsumexp: ([x], p) => (x as Tensor).logsumexp(p.dim as number | number[], p.keepDim),
  norm: ([x], p) => (x as Tensor).norm(p.p, p.dim ?? undefined, p.keepDim),
};
for (const name of [
  'sin',
  'cos',
  'log2',
  'log10',
  'log1p',
  'expm1',
  'square',
  'rsqrt',
  'sign',
  'floor',
  'ceil',
  'round',
  'reciprocal',
] as const) {
  OPS[name] = ([x]) => (x as Tensor)[name]();
}

interface MathCase {
  op: string;
  inputs: (FixtureTensor | number | null)[];
  params: Params;
  w: FixtureTensor;
  out: FixtureTensor;
  grads: (FixtureTensor | null)[];
}

const toTensor = (t: FixtureTensor, requiresGrad = false): Tensor =>
  tensor(t.data, t.shape, { dtype: t.dtype as 'float32' | 'float64', requiresGrad });

// the selection cases (argmax ... sort) of the same fixture are run by sortSelect.test.ts
const cases = Object.entries(loadFixture('math_ops') as Record<string, MathCase>).filter(([, c]) => c.op in OPS);

// float64: torch and typegrad evaluate the same formulas in other orders (std: Welford vs two-pass)
// and libm vs V8 transcendental functions (<= 1 ulp): 1e-12 relative is ~4000 ulps of headroom.
// float32: torch's vectorized float32 functions (SLEEF, <= 1 ulp) against float64 rounded once,
// and gradients that round after each of 2-3 ops: 4 float32 ulps (2^-22 relative).
const TOL = { float64: { rtol: 1e-12, atol: 1e-14 }, float32: { rtol: 2 ** -21, atol: 1e-30 } };

describe('against PyTorch (test/fixtures/math_ops.py)', () => {
  it('has the cases', () => expect(cases.length).toBeGreaterThan(70));

  it.each(cases)('%s', (_, c) => {
    const inputs = c.inputs.map((v) => (v === null || typeof v === 'number' ? v : toTensor(v, true)));
    const out = OPS[c.op]!(inputs, c.params);
    const tol = TOL[c.out.dtype as 'float32' | 'float64'];
    expect(out.dtype).toBe(c.out.dtype);
    expect(out.shape).toEqual(c.out.shape);
    expectClose(out.data, c.out.data, tol, 'forward');
    if (!out.requiresGrad) return;
    out.mul(toTensor(c.w)).sum().backward();
    c.grads.forEach((g, k) => {
      const input = inputs[k];
      if (!(input instanceof Object) || input === null) return;
      if (g === null) {
        expect(input.grad, `input ${k} has no gradient in torch`).toBeNull();
        return;
      }
      expect(input.grad, `input ${k} gradient`).not.toBeNull();
      expectClose(input.grad!.data, g.data, tol, `gradient of input ${k}`);
    });
  });

  it('sign, floor, ceil and round follow torch at -0, halves and NaN (bit for bit, sign of zero included)', () => {
    for (const op of ['sign', 'floor', 'ceil', 'round'] as const) {
      const c = cases.find(([name]) => name === `${op} float32 special values`)![1];
      const out = Array.from(OPS[op]!([toTensor(c.inputs[0] as FixtureTensor)], {}).data);
      expect(
        out.map((v) => (Object.is(v, -0) ? '-0' : v)),
        op,
      ).toEqual(Array.from(c.out.data).map((v) => (Object.is(v, -0) ? '-0' : v)));
    }
  });
});

describe('gradcheck (float64)', () => {
  const smooth = { maxAbs: 2 };
  const positive = { minAbs: 0.2, maxAbs: 3, positive: true };
  it.each([
    ['sin', smooth],
    ['cos', smooth],
    ['log2', positive],
    ['log10', positive],
    ['log1p', positive],
    ['expm1', smooth],
    ['square', smooth],
    ['rsqrt', positive],
    ['reciprocal', { minAbs: 0.3, maxAbs: 2 }],
  ] as const)('%s', (name, domain) => {
    expectGradcheck((x) => x![name](), [randomTensor([2, 3, 4], 101, domain)]);
  });

  it('sign, floor, ceil, round: gradient 0 everywhere (torch defines it so)', () => {
    for (const name of ['sign', 'floor', 'ceil', 'round'] as const) {
      const x = randomTensor([5], 102);
      x[name]().mul(3).sum().backward();
      expect(Array.from(x.grad!.data), name).toEqual([0, 0, 0, 0, 0]);
    }
  });

  it('clamp with number and tensor bounds (away from the kinks), all three inputs', () => {
    const x = tensor([-1.3, -0.2, 0.4, 1.7, 2.6, 0.9], [2, 3], { dtype: 'float64', requiresGrad: true });
    expectGradcheck((t) => t!.clamp(-0.5, 1.5), [x]);
    const lo = tensor([-1, 0.1, 0.2], [3], { dtype: 'float64', requiresGrad: true });
    const hi = tensor([[1], [2]], undefined, { dtype: 'float64', requiresGrad: true });
    expectGradcheck((t, l, h) => t!.clamp(l, h), [x, lo, hi]);
  });

  it('minimum and maximum with broadcasting (no ties)', () => {
    const a = randomTensor([2, 3], 103);
    const b = randomTensor([3], 104);
    expectGradcheck((p, q) => maximum(p!, q!), [a, b]);
    expectGradcheck((p, q) => minimum(p!, q!), [a, b]);
  });

  it.each([
    ['std over [0, 2]', (t: Tensor) => t.std([0, 2])],
    ['std correction 0 keepDim', (t: Tensor) => t.std(-1, { correction: 0, keepDim: true })],
    ['prod over all', (t: Tensor) => t.prod()],
    ['prod along 1', (t: Tensor) => t.prod(1, true)],
    ['cumsum along 0', (t: Tensor) => t.cumsum(0)],
    ['cumsum along -1', (t: Tensor) => t.cumsum(-1)],
    ['logsumexp over [1, 2]', (t: Tensor) => t.logsumexp([1, 2])],
    ['norm 2 over 1', (t: Tensor) => t.norm(2, 1)],
    ['norm 1', (t: Tensor) => t.norm(1)],
    ['norm 3 over [0, 2]', (t: Tensor) => t.norm(3, [0, 2], true)],
    ['norm 0.5 over -1', (t: Tensor) => t.norm(0.5, -1)],
    ['norm 1.5', (t: Tensor) => t.norm(1.5)],
    ['norm -1 over 1', (t: Tensor) => t.norm(-1, 1)],
    ['norm inf over 2', (t: Tensor) => t.norm(Infinity, 2)],
    ['norm -inf over 2', (t: Tensor) => t.norm(-Infinity, 2)],
  ])('%s', (_, f) => {
    // |x| >= 0.2 keeps the norms away from their kinks at 0 and the products away from 0
    expectGradcheck((t) => f(t!), [randomTensor([2, 3, 4], 105, { minAbs: 0.2, maxAbs: 2 })]);
  });

  it('prod along an axis with zeros: gradient of the exact zero cases (one zero, two zeros)', () => {
    const x = tensor(
      [
        [2, 0, 3],
        [0, 0, 5],
        [1, 2, 3],
      ],
      undefined,
      { dtype: 'float64', requiresGrad: true },
    );
    x.prod(1).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 6, 0],
      [0, 0, 0],
      [6, 3, 2],
    ]);
    expectGradcheck(
      (t) => t!.prod(1),
      [
        tensor(
          [
            [2, 0, 3],
            [1, 2, 3],
          ],
          undefined,
          { dtype: 'float64', requiresGrad: true },
        ),
      ],
    );
  });
});

describe('float64 references written from the formulas', () => {
  it('property: cumsum, prod, logsumexp, std and norm over random shapes and axes', () => {
    const shapeAxis = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
        seed: fc.nat(),
      }),
    );
    fc.assert(
      fc.property(shapeAxis, ({ shape, axis, seed }) => {
        const x = randomTensor(shape, seed, { dtype: 'float64', requiresGrad: false });
        const v = [...x.data];
        const axes = normAxes(axis, shape.length);
        const rows = groups(v, shape, axes);
        const red = (f: (row: number[]) => number): number[] => rows.map(f);
        const tol = { rtol: 1e-12, atol: 1e-14 };
        expectClose(
          x.prod(axis),
          red((r) => r.reduce((a, b) => a * b, 1)),
          tol,
          'prod',
        );
        expectClose(
          x.logsumexp(axis),
          red((r) => Math.log(r.reduce((a, b) => a + Math.exp(b), 0))),
          tol,
          'logsumexp',
        );
        expectClose(
          x.norm(3, axis),
          red((r) => r.reduce((a, b) => a + Math.abs(b) ** 3, 0) ** (1 / 3)),
          tol,
          'norm 3',
        );
        expectClose(
          x.std(axis, { correction: 0 }),
          red((r) => {
            const m = r.reduce((a, b) => a + b, 0) / r.length;
            return Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length);
          }),
          tol,
          'std',
        );
        expect(x.prod(axis, true).shape).toEqual(reducedShape(shape, axes, true));
        // cumsum: the last element of each running sum is the row's sum; check every prefix
        const cs = x.cumsum(axis);
        const a = axes[0]!;
        const stride = shape.slice(a + 1).reduce((p, d) => p * d, 1);
        for (let i = 0; i < v.length; i++) {
          const k = Math.floor(i / stride) % shape[a]!;
          let s = 0;
          for (let j = 0; j <= k; j++) s += v[i - (k - j) * stride]!;
          expect(Math.abs(cs.data[i]! - s)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(s)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('cumsum accumulates in float64: a float32 running sum of 10^5 tenths stays within one rounding', () => {
    const n = 100_000;
    const out = tensor(new Float32Array(n).fill(0.1)).cumsum(0);
    const exact = n * Math.fround(0.1);
    expect(Math.abs(out.data[n - 1]! - exact)).toBeLessThanOrEqual(exact * 2 ** -24);
  });

  it('norm 2 does not overflow on float32 values whose squares exceed float32 (torch float32 gives inf)', () => {
    expect(tensor([3e30, 4e30]).norm().item()).toBeCloseTo(5e30, -24);
  });

  it('logsumexp of large values does not overflow, and of empty rows is -inf like torch', () => {
    expect(
      tensor([[1000, 1000]])
        .logsumexp(1)
        .item(),
    ).toBeCloseTo(1000 + Math.LN2, 3);
    expect(Array.from(tensor([], [2, 0]).logsumexp(1).data)).toEqual([-Infinity, -Infinity]);
  });

  it('ops leave their inputs unchanged, forward and backward', () => {
    const x = randomTensor([3, 4], 106, { minAbs: 0.2 });
    const lo = randomTensor([4], 107);
    expectInputsUnchanged([x, lo], () => {
      x.clamp(lo, 1).sum().backward();
      x.prod(0).sum().backward();
      x.cumsum(1).sum().backward();
      x.logsumexp(1).sum().backward();
      x.norm(3, 0).sum().backward();
      x.std(1).sum().backward();
      maximum(x, lo).sum().backward();
      x.sin().expm1().rsqrt().sum().backward();
    });
  });
});

describe('errors name the function, the argument, expected and given', () => {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  it.each([
    ['clamp without bounds', () => x.clamp(), /clamp: at least one of min or max must be given, got neither/],
    [
      'clamp with a string bound',
      () => x.clamp('1' as unknown as number),
      /clamp: min must be a Tensor or a number, got "1" \(string\)/,
    ],
    [
      'clamp bounds that do not broadcast',
      () => x.clamp(tensor([1, 2, 3])),
      /clamp: shapes \[2, 2\] and \[3\] cannot be broadcast/,
    ],
    [
      'maximum with a string',
      () => maximum(x, 'a' as unknown as number),
      /maximum: other must be a Tensor or a number, got "a" \(string\)/,
    ],
    [
      'std with a negative correction',
      () => x.std(0, { correction: -1 }),
      /std: correction must be a finite number >= 0, got -1/,
    ],
    ['std with a bad axis', () => x.std(2), /std: axes must be an integer in \[-2, 1\] for a tensor of rank 2, got 2/],
    [
      'prod with a list of axes',
      () => x.prod([0, 1] as unknown as number),
      /prod: dim must be one axis \(a number\), got 0,1/,
    ],
    ['prod with a bad axis', () => x.prod(-3), /prod: axes must be an integer in \[-2, 1\].*got -3/],
    [
      'cumsum with a bad dim',
      () => x.cumsum(2),
      /cumsum: dim must be an integer in \[-2, 1\] for a tensor of rank 2, got 2/,
    ],
    [
      'cumsum without dim',
      () => (x.cumsum as (d?: number) => Tensor)(),
      /cumsum: dim must be an axis \(a number\), got undefined/,
    ],
    [
      'logsumexp without dim',
      () => (x.logsumexp as (d?: number) => Tensor)(),
      /logsumexp: dim must be an axis or a list of axes, got undefined/,
    ],
    ['norm with a string p', () => x.norm('fro' as unknown as number), /norm: p must be a number, got string/],
    [
      'inf norm of an empty tensor',
      () => tensor([]).norm(Infinity),
      /norm: cannot compute the inf norm on an empty tensor because the operation does not have an identity/,
    ],
    [
      '-1 norm of an empty tensor',
      () => tensor([], [2, 0]).norm(-1, 1),
      /norm: cannot compute the -1 norm on an empty tensor/,
    ],
  ])('%s', (_, f, message) => {
    expect(f).toThrow(message);
  });

  it('the 2-norm and 0-norm of an empty tensor are 0, as in torch', () => {
    expect([tensor([]).norm().item(), tensor([]).norm(0).item(), tensor([]).prod().item()]).toEqual([0, 0, 1]);
  });
});

describe('dtypes, like torch', () => {
  const i = tensor([-2, 0, 3], undefined, { dtype: 'int32' });
  it('int32 stays int32 for square, sign, floor, ceil, round; the transcendental ops give float32', () => {
    for (const op of ['square', 'sign', 'floor', 'ceil', 'round'] as const) expect(i[op]().dtype, op).toBe('int32');
    expect(Array.from(i.square().data)).toEqual([4, 0, 9]);
    const s = i.sin();
    expect(s.dtype).toBe('float32');
    expectClose(s, [Math.sin(-2), 0, Math.sin(3)], { rtol: 2 ** -23, atol: 0 }, 'sin of int32');
    expect(tensor([true, false]).reciprocal().toArray()).toEqual([1, Infinity]);
  });

  it('cumsum and prod of int32 are int32 (torch: int64), logsumexp is float32, std and norm need floats', () => {
    expect([i.cumsum(0).dtype, Array.from(i.cumsum(0).data)]).toEqual(['int32', [-2, -2, 1]]);
    expect([i.prod().dtype, i.prod().item()]).toEqual(['int32', 0]);
    expect(i.logsumexp(0).dtype).toBe('float32');
    expect(() => i.std()).toThrow(/std: input must have a floating dtype \('float32' or 'float64'\), got 'int32'/);
    expect(() => i.norm()).toThrow(/norm: input must have a floating dtype \('float32' or 'float64'\), got 'int32'/);
  });
});
