/**
 * Elementwise functions. Each forward sits beside its derivative.
 */
import { allocate } from '../../tensor/dtype.js';
import { unary, type UnaryOp } from '../../tensor/kernels/elementwise.js';
import { asTensor, binaryForward, equal, greaterEqual, zeroWhere } from './binary.js';
import { record } from '../record.js';
import { Tensor } from '../tensor.js';

/** Forward only: `op(x)` elementwise, same dtype and shape. No graph. */
export function unaryForward(op: UnaryOp, x: Tensor, param = 0): Tensor {
  const out = allocate(x.dtype, x.size);
  unary(op, x.data, out, param);
  return new Tensor(out, x.shape);
}

/** `-x`. d/dx = -1. */
export function neg(x: Tensor): Tensor {
  return record(unaryForward('neg', x), 'neg', [x], (g) => [g.neg()]);
}

/** `e^x`. d/dx = e^x (the output). */
export function exp(x: Tensor): Tensor {
  const y = unaryForward('exp', x);
  return record(y, 'exp', [x], (g) => [g.mul(y)]);
}

/** `ln x`. d/dx = 1/x. */
export function log(x: Tensor): Tensor {
  return record(unaryForward('log', x), 'log', [x], (g) => [g.div(x)]);
}

/** `sqrt x`. d/dx = 1 / (2 sqrt x). */
export function sqrt(x: Tensor): Tensor {
  const y = unaryForward('sqrt', x);
  return record(y, 'sqrt', [x], (g) => [g.div(y.mul(2))]);
}

/** `|x|`. d/dx = sign(x) (0 at 0, like torch). */
export function abs(x: Tensor): Tensor {
  return record(unaryForward('abs', x), 'abs', [x], (g) => [g.mul(unaryForward('sign', x))]);
}

/** `max(x, 0)`. d/dx = 1 where x > 0, else 0. */
export function relu(x: Tensor): Tensor {
  return record(unaryForward('relu', x), 'relu', [x], (g) => [g.mul(unaryForward('step', x))]);
}

/** `s = 1 / (1 + e^-x)`. d/dx = s (1 - s). */
export function sigmoid(x: Tensor): Tensor {
  const s = unaryForward('sigmoid', x);
  return record(s, 'sigmoid', [x], (g) => [g.mul(s).mul(s.neg().add(1))]);
}

/** `t = tanh x`. d/dx = 1 - t^2. */
export function tanh(x: Tensor): Tensor {
  const t = unaryForward('tanh', x);
  return record(t, 'tanh', [x], (g) => [g.mul(t.mul(t).neg().add(1))]);
}

/** Exact GELU `x Phi(x)`. d/dx = Phi(x) + x phi(x). */
export function gelu(x: Tensor): Tensor {
  return record(unaryForward('gelu', x), 'gelu', [x], (g) => [g.mul(unaryForward('geluGrad', x))]);
}

/**
 * `x ** p`. With a number p: d/dx = p x^(p-1) (0 for p = 0, also at x = 0, like torch). With a
 * tensor p (broadcast): d/dx = p x^(p-1), d/dp = x^p ln x, and where these meet 0 * inf, torch's
 * conventions: d/dx = 0 where p = 0, d/dp = 0 where x = 0 and p >= 0.
 */
export function pow(x: Tensor, p: Tensor | number): Tensor {
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) throw new Error(`pow: exponent must be a finite number or a Tensor, got ${p}`);
    return record(unaryForward('powScalar', x, p), 'pow', [x], (g) => [
      p === 0 ? g.mul(0) : g.mul(unaryForward('powScalar', x, p - 1)).mul(p),
    ]);
  }
  const pt = asTensor(p, x, 'pow', 'p');
  const y = binaryForward('pow', x, pt, 'pow');
  return record(y, 'pow', [x, pt], (g) => [
    x.requiresGrad ? g.mul(zeroWhere(pt.mul(binaryForward('pow', x, pt.sub(1), 'pow')), equal(pt, 0))) : null,
    pt.requiresGrad ? g.mul(zeroWhere(y.mul(unaryForward('log', x)), equal(x, 0).mul(greaterEqual(pt, 0)))) : null,
  ]);
}
