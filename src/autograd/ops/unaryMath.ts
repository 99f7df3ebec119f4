/**
 * The toolbox's elementwise math (sin ... reciprocal) and the bounded ops (clamp, minimum,
 * maximum). Each forward sits beside its derivative; the kernels are in
 * src/tensor/kernels/mathUnary.ts and src/tensor/kernels/elementwise.ts.
 */
import { allocate, isFloating } from '../../tensor/dtype.js';
import { mathUnary, type MathOp } from '../../tensor/kernels/mathUnary.js';
import { asTensor, binaryForward, zeroWhere } from './binary.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { emptyLike, Tensor } from '../tensor.js';

/**
 * Forward only: `op(x)` elementwise, same shape. No graph. dtypes, like torch: floating inputs keep
 * their dtype; int32 keeps int32 for the integer-valued ops (`keepsIntegers`: square, sign, floor,
 * ceil, round) and becomes float32 for the others; bool becomes float32 (torch rejects some of these).
 */
export function mathForward(op: MathOp, x: Tensor): Tensor {
  const dtype = isFloating(x.dtype) || (x.dtype === 'int32' && keepsIntegers(op)) ? x.dtype : 'float32';
  const input = x.dtype === 'bool' ? x.to('int32') : x;
  const out = allocate(dtype, x.size);
  mathUnary(op, input.data as Float32Array | Float64Array | Int32Array, out);
  return new Tensor(out, x.shape);
}

function keepsIntegers(op: MathOp): boolean {
  return op === 'square' || op === 'sign' || op === 'floor' || op === 'ceil' || op === 'round';
}

/** `sin x`. d/dx = cos x. */
export function sin(x: Tensor): Tensor {
  const xs = saveForBackward(x);
  return record(mathForward('sin', x), 'sin', [x], (g) => [g.mul(mathForward('cos', xs()))]);
}

/** `cos x`. d/dx = -sin x. */
export function cos(x: Tensor): Tensor {
  const xs = saveForBackward(x);
  return record(mathForward('cos', x), 'cos', [x], (g) => [g.mul(mathForward('sin', xs())).neg()]);
}

/** `log2 x`. d/dx = 1 / (x ln 2). */
export function log2(x: Tensor): Tensor {
  const xs = saveForBackward(x);
  return record(mathForward('log2', x), 'log2', [x], (g) => [g.div(xs().mul(Math.LN2))]);
}

/** `log10 x`. d/dx = 1 / (x ln 10). */
export function log10(x: Tensor): Tensor {
  const xs = saveForBackward(x);
  return record(mathForward('log10', x), 'log10', [x], (g) => [g.div(xs().mul(Math.LN10))]);
}

/** `ln(1 + x)`, accurate for small x. d/dx = 1 / (1 + x). */
export function log1p(x: Tensor): Tensor {
  const xs = saveForBackward(x);
  return record(mathForward('log1p', x), 'log1p', [x], (g) => [g.div(xs().add(1))]);
}

/** `e^x - 1`, accurate for small x. d/dx = e^x = y + 1. */
export function expm1(x: Tensor): Tensor {
  const y = mathForward('expm1', x);
  const ys = saveForBackward(y, 'expm1');
  return record(y, 'expm1', [x], (g) => [g.mul(ys().add(1))]);
}

/** `x^2`. d/dx = 2x. */
export function square(x: Tensor): Tensor {
  const xs = saveForBackward(x);
  return record(mathForward('square', x), 'square', [x], (g) => [g.mul(xs().mul(2))]);
}

/** `y = 1 / sqrt x`. d/dx = -1/2 x^(-3/2) = -y^3 / 2. */
export function rsqrt(x: Tensor): Tensor {
  const y = mathForward('rsqrt', x);
  const ys = saveForBackward(y, 'rsqrt');
  return record(y, 'rsqrt', [x], (g) => {
    const yv = ys();
    return [g.mul(yv.mul(yv).mul(yv)).mul(-0.5)];
  });
}

/** `y = 1 / x`. d/dx = -1/x^2 = -y^2. */
export function reciprocal(x: Tensor): Tensor {
  const y = mathForward('reciprocal', x);
  const ys = saveForBackward(y, 'reciprocal');
  return record(y, 'reciprocal', [x], (g) => {
    const yv = ys();
    return [g.mul(yv.mul(yv)).neg()];
  });
}

/**
 * The piecewise-constant functions sign, floor, ceil and round (half to even). Their derivative is
 * 0 wherever it exists, and torch defines it as 0 everywhere (a zero tensor, not g * 0).
 */
export function stepFunction(op: 'sign' | 'floor' | 'ceil' | 'round', x: Tensor): Tensor {
  return record(mathForward(op, x), op, [x], () => [emptyLike(x.shape, x.dtype)]);
}

/** A bound of clamp as a tensor (numbers become 0-d tensors of x's dtype), or null. */
function bound(value: Tensor | number | null | undefined, x: Tensor, name: string): Tensor | null {
  if (value === null || value === undefined) return null;
  return asTensor(value, x, 'clamp', name);
}

/** 1 where the condition holds, else 0, broadcast (forward only). */
const lt = (a: Tensor, b: Tensor): Tensor => binaryForward('gt', b, a, 'clamp');
const le = (a: Tensor, b: Tensor): Tensor => binaryForward('ge', b, a, 'clamp');

/**
 * `min(max(x, lo), hi)` elementwise with broadcasting, like torch.clamp: NaN in x or in a bound
 * gives NaN, and where lo > hi the result is hi. Gradients, torch's rules (clamp_backward):
 *   d/dx  = 1 where lo <= x <= hi (inclusive; 0 at NaN),
 *   d/dlo = 1 where x < lo and lo < hi (lo alone: where x < lo),
 *   d/dhi = 1 where x > hi or hi < lo (hi alone: where x > hi).
 */
export function clamp(x: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
  const lo = bound(min, x, 'min');
  const hi = bound(max, x, 'max');
  if (lo === null && hi === null) throw new Error('clamp: at least one of min or max must be given, got neither');
  let y = x;
  if (lo !== null) y = binaryForward('max', y, lo, 'clamp');
  if (hi !== null) y = binaryForward('min', y, hi, 'clamp');
  const inputs = [x, ...(lo ? [lo] : []), ...(hi ? [hi] : [])];
  const [xs, los, his] = [saveForBackward(x), lo && saveForBackward(lo), hi && saveForBackward(hi)];
  return record(y, 'clamp', inputs, (g) => {
    const [x, lo, hi] = [xs(), los && los(), his && his()];
    let inside: Tensor | null = null; // lo <= x <= hi
    if (lo !== null) inside = le(lo, x);
    if (hi !== null) inside = inside === null ? le(x, hi) : inside.mul(le(x, hi));
    const grads: (Tensor | null)[] = [x.requiresGrad ? g.mul(inside!) : null];
    if (lo !== null) {
      const below = hi === null ? lt(x, lo) : lt(x, lo).mul(lt(lo, hi));
      grads.push(lo.requiresGrad ? g.mul(below) : null);
    }
    if (hi !== null) {
      const above = lo === null ? lt(hi, x) : binaryForward('max', lt(hi, x), lt(hi, lo), 'clamp');
      grads.push(hi.requiresGrad ? g.mul(above) : null);
    }
    return grads;
  });
}

/**
 * The gradient of `maximum` / `minimum` for one side, torch's rule: g where this side won, g / 2
 * where the two are equal, 0 where it lost (`loses`: 1 where the other side is strictly better).
 * NaN compares neither equal nor less, so both sides receive g where either is NaN.
 */
function winnerGrad(g: Tensor, a: Tensor, b: Tensor, loses: Tensor): Tensor {
  const half = binaryForward('eq', a, b, 'maximum').mul(-0.5).add(1);
  return zeroWhere(g.mul(half), loses);
}

/**
 * Elementwise maximum with broadcasting (torch.maximum); NaN propagates. Ties split the gradient
 * half/half between the two inputs, as in torch.
 * @example
 * maximum(tensor([1, 5, NaN]), tensor([3, 2, 0])); // [3, 5, NaN]
 */
export function maximum(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'maximum');
  const [as, bs] = [saveForBackward(a), saveForBackward(b)];
  return record(binaryForward('max', a, b, 'maximum'), 'maximum', [a, b], (g) => {
    const [av, bv] = [as(), bs()];
    return [
      a.requiresGrad ? winnerGrad(g, av, bv, lt(av, bv)) : null,
      b.requiresGrad ? winnerGrad(g, av, bv, lt(bv, av)) : null,
    ];
  });
}

/**
 * Elementwise minimum with broadcasting (torch.minimum); NaN propagates. Ties split the gradient
 * half/half between the two inputs, as in torch.
 * @example
 * minimum(tensor([1, 5]), 2); // [1, 2]
 */
export function minimum(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a, 'minimum');
  const [as, bs] = [saveForBackward(a), saveForBackward(b)];
  return record(binaryForward('min', a, b, 'minimum'), 'minimum', [a, b], (g) => {
    const [av, bv] = [as(), bs()];
    return [
      a.requiresGrad ? winnerGrad(g, av, bv, lt(bv, av)) : null,
      b.requiresGrad ? winnerGrad(g, av, bv, lt(av, bv)) : null,
    ];
  });
}
