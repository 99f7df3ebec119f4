/**
 * Elementwise functions. Each forward sits beside its derivative.
 *
 * dtypes, like torch: exp, log, sqrt, sigmoid and tanh of an int32 or bool tensor are float32
 * (integer inputs are promoted to the default float dtype); neg, abs and relu keep int32 and
 * reject bool; gelu takes floating tensors only; pow keeps integers for integer exponents.
 */
import { describeValue } from '../../tensor/check.js';
import { allocate, isFloating, type DType } from '../../tensor/dtype.js';
import { kernels } from '../../kernels/registry.js';
import type { UnaryOp } from '../../tensor/kernels/elementwise.js';
import { floatData } from '../dtypeCheck.js';
import { asTensor, binaryForward, castOperand, checkNotBool, equal, greaterEqual, zeroWhere } from './binary.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

/** Forward only: `op(x)` elementwise, same shape, of `dtype` (default x's). No graph. */
export function unaryForward(op: UnaryOp, x: Tensor, param = 0, dtype: DType = x.dtype): Tensor {
  const out = allocate(dtype, x.size);
  kernels().unary(op, x.data, out, param);
  return new Tensor(out, x.shape);
}

/** x itself when floating, else x converted to float32 (int32/bool inputs of exp, log, ...). */
function asFloating(x: Tensor): Tensor {
  if (isFloating(x.dtype)) return x;
  return castOperand(x.dtype === 'bool' ? unaryForward('nonzero', x, 0, 'int32') : x, 'float32');
}

function checkNumeric(x: Tensor, where: string): void {
  if (x.dtype === 'bool') throw new Error(`${where}: not implemented for bool tensors, got dtype 'bool'`);
}

/** `-x`. d/dx = -1. */
export function neg(x: Tensor): Tensor {
  checkNotBool('neg', x);
  return record(unaryForward('neg', x), 'neg', [x], (g) => [g.neg()]);
}

/** `e^x`. d/dx = e^x (the output). */
export function exp(x: Tensor): Tensor {
  const y = unaryForward('exp', asFloating(x));
  const ys = saveForBackward(y, 'exp');
  return record(y, 'exp', [x], (g) => [g.mul(ys())]);
}

/** `ln x`. d/dx = 1/x. */
export function log(x: Tensor): Tensor {
  const xs = saveForBackward(x);
  return record(unaryForward('log', asFloating(x)), 'log', [x], (g) => [g.div(xs())]);
}

/** `sqrt x`. d/dx = 1 / (2 sqrt x). */
export function sqrt(x: Tensor): Tensor {
  const y = unaryForward('sqrt', asFloating(x));
  const ys = saveForBackward(y, 'sqrt');
  return record(y, 'sqrt', [x], (g) => [g.div(ys().mul(2))]);
}

/** `|x|`. d/dx = sign(x) (0 at 0, like torch). */
export function abs(x: Tensor): Tensor {
  checkNumeric(x, 'abs');
  const xs = saveForBackward(x);
  return record(unaryForward('abs', x), 'abs', [x], (g) => [g.mul(unaryForward('sign', xs()))]);
}

/** `max(x, 0)`, NaN passing through like torch. d/dx = 0 where x <= 0, else 1 (1 at NaN, like torch). */
export function relu(x: Tensor): Tensor {
  checkNumeric(x, 'relu');
  const xs = saveForBackward(x);
  return record(unaryForward('relu', x), 'relu', [x], (g) => [binaryForward('reluBackward', g, xs(), 'relu')]);
}

/** `s = 1 / (1 + e^-x)`. d/dx = s (1 - s). */
export function sigmoid(x: Tensor): Tensor {
  const s = unaryForward('sigmoid', asFloating(x));
  const ss = saveForBackward(s, 'sigmoid');
  return record(s, 'sigmoid', [x], (g) => [binaryForward('sigmoidBackward', g, ss(), 'sigmoid')]);
}

/** `t = tanh x`. d/dx = 1 - t^2. */
export function tanh(x: Tensor): Tensor {
  const t = unaryForward('tanh', asFloating(x));
  const ts = saveForBackward(t, 'tanh');
  return record(t, 'tanh', [x], (g) => [binaryForward('tanhBackward', g, ts(), 'tanh')]);
}

/** Exact GELU `x Phi(x)`. d/dx = Phi(x) + x phi(x). */
export function gelu(x: Tensor): Tensor {
  floatData(x, 'gelu');
  const xs = saveForBackward(x);
  return record(unaryForward('gelu', x), 'gelu', [x], (g) => [binaryForward('geluBackward', g, xs(), 'gelu')]);
}

/**
 * `x ** p`. With a number p: d/dx = p x^(p-1) (0 for p = 0, also at x = 0, like torch). With a
 * tensor p (broadcast): d/dx = p x^(p-1), d/dp = x^p ln x, and where these meet 0 * inf, torch's
 * conventions: d/dx = 0 where p = 0, d/dp = 0 where x = 0 and p >= 0.
 */
export function pow(x: Tensor, p: Tensor | number): Tensor {
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) {
      throw new Error(`pow: exponent must be a finite number or a Tensor, got ${describeValue(p)}`);
    }
    if (!isFloating(x.dtype)) {
      // int32/bool base: an integer exponent keeps integers (bool -> int32), a fractional one is float32
      if (!Number.isInteger(p)) return unaryForward('powScalar', asFloating(x), p);
      if (p < 0) throw new Error(`pow: integers to negative integer powers are not allowed, got exponent ${p}`);
      return unaryForward('intPowScalar', x, p, 'int32');
    }
    const xs = saveForBackward(x);
    return record(unaryForward('powScalar', x, p), 'pow', [x], (g) => [
      p === 0 ? g.mul(0) : g.mul(unaryForward('powScalar', xs(), p - 1)).mul(p),
    ]);
  }
  const pt = asTensor(p, x, 'pow', 'p');
  if (x.dtype === 'bool' && pt.dtype === 'bool') throw new Error(`pow: not implemented for two bool tensors`);
  const y = binaryForward('pow', x, pt, 'pow');
  const [xs, ps] = [saveForBackward(x), saveForBackward(pt)];
  const ys = saveForBackward(y, 'pow');
  return record(y, 'pow', [x, pt], (g) => {
    const [xv, pv] = [xs(), ps()];
    return [
      x.requiresGrad ? g.mul(zeroWhere(pv.mul(binaryForward('pow', xv, pv.sub(1), 'pow')), equal(pv, 0))) : null,
      pt.requiresGrad
        ? g.mul(zeroWhere(ys().mul(unaryForward('log', asFloating(xv))), equal(xv, 0).mul(greaterEqual(pv, 0))))
        : null,
    ];
  });
}
