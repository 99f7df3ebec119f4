/**
 * More activation functions, each forward beside its derivative, with torch.nn.functional's
 * definitions and boundary conventions. Values are computed in float64 and stored in the input's
 * dtype; the derivative is formed in the backward from the saved input.
 *
 *   leakyRelu(x, slope)          y = x > 0 ? x : slope x              dy/dx = x > 0 ? 1 : slope
 *   silu(x)                      y = x s(x), s = 1 / (1 + e^-x)       dy/dx = s (1 + x (1 - s))
 *   elu(x, alpha)                y = x > 0 ? x : alpha (e^x - 1)      dy/dx = x > 0 ? 1 : alpha e^x
 *   softplus(x, beta, thr)       y = beta x > thr ? x : ln(1 + e^(beta x)) / beta
 *                                dy/dx = beta x > thr ? 1 : z / (z + 1), z = e^(beta x)
 *   xlogySelf(t)                 y = t > 0 ? t ln t : (t == 0 ? 0 : NaN)   dy/dt = ln t + 1
 */
import { describeValue } from '../../tensor/check.js';
import { allocateFloat } from '../../tensor/dtype.js';
import { floatData } from '../dtypeCheck.js';
import { binaryForward } from './binary.js';
import { unaryForward } from './unary.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

function checkInput(x: Tensor, where: string): void {
  if (!(x instanceof Tensor)) {
    throw new Error(`${where}: input must be a Tensor, got ${describeValue(x)}`);
  }
}

function checkParam(v: unknown, name: string, where: string): number {
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new Error(`${where}: ${name} must be a number, got ${describeValue(v)}`);
  return v;
}

/**
 * LeakyReLU: x where x > 0, else negativeSlope * x (torch's default slope 0.01).
 * @example leakyRelu(tensor([-2, 3]), 0.1)  // [-0.2, 3]
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return leakyReluAs('leakyRelu', x, negativeSlope);
}

/** `leakyRelu` under the name of its caller (nn.LeakyReLU passes 'LeakyReLU'). */
export function leakyReluAs(where: string, x: Tensor, negativeSlope = 0.01): Tensor {
  checkInput(x, where);
  const slope = checkParam(negativeSlope, 'negativeSlope', where);
  const xs = floatData(x, where);
  const saved = saveForBackward(x); // backward reads xs: checked against in-place writes
  const y = allocateFloat(xs, x.size);
  for (let i = 0; i < xs.length; i++) y[i] = xs[i]! > 0 ? xs[i]! : slope * xs[i]!;
  return record(
    new Tensor(y, x.shape),
    'leakyRelu',
    [x],
    (g) => {
      saved();
      const d = allocateFloat(xs, x.size);
      for (let i = 0; i < xs.length; i++) d[i] = xs[i]! > 0 ? 1 : slope; // dy/dx
      return [g.mul(new Tensor(d, x.shape))];
    },
    { negativeSlope: slope },
  );
}

/**
 * SiLU (swish): x * sigmoid(x).
 * @example silu(tensor([0, 1]))  // [0, 0.7311]
 */
export function silu(x: Tensor): Tensor {
  return siluAs('silu', x);
}

/** `silu` under the name of its caller (nn.SiLU passes 'SiLU'). */
export function siluAs(where: string, x: Tensor): Tensor {
  checkInput(x, where);
  floatData(x, where);
  const xs = saveForBackward(x);
  // dy/dx = s + x s (1 - s), in one pass: 'siluBackward' (src/tensor/kernels/elementwise.ts)
  return record(unaryForward('silu', x), 'silu', [x], (g) => [binaryForward('siluBackward', g, xs(), 'silu')]);
}

/**
 * ELU: x where x > 0, else alpha * (e^x - 1) (torch's default alpha 1).
 * @example elu(tensor([-1, 2]))  // [-0.6321, 2]
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  return eluAs('elu', x, alpha);
}

/** `elu` under the name of its caller (nn.ELU passes 'ELU'). */
export function eluAs(where: string, x: Tensor, alpha = 1): Tensor {
  checkInput(x, where);
  const a = checkParam(alpha, 'alpha', where);
  const xs = floatData(x, where);
  const saved = saveForBackward(x); // backward reads xs: checked against in-place writes
  const y = allocateFloat(xs, x.size);
  for (let i = 0; i < xs.length; i++) y[i] = xs[i]! > 0 ? xs[i]! : a * Math.expm1(xs[i]!);
  return record(
    new Tensor(y, x.shape),
    'elu',
    [x],
    (g) => {
      saved();
      const d = allocateFloat(xs, x.size);
      for (let i = 0; i < xs.length; i++) d[i] = xs[i]! > 0 ? 1 : a * Math.exp(xs[i]!); // dy/dx (alpha at 0, as torch)
      return [g.mul(new Tensor(d, x.shape))];
    },
    { alpha: a },
  );
}

/**
 * Softplus: ln(1 + e^(beta x)) / beta, and x itself where beta x > threshold (torch's defaults
 * beta 1, threshold 20), which keeps it from overflowing.
 * @example softplus(tensor([0, 30]))  // [0.6931, 30]
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return softplusAs('softplus', x, beta, threshold);
}

/** `softplus` under the name of its caller (nn.Softplus passes 'Softplus'). */
export function softplusAs(where: string, x: Tensor, beta = 1, threshold = 20): Tensor {
  checkInput(x, where);
  const b = checkParam(beta, 'beta', where);
  const thr = checkParam(threshold, 'threshold', where);
  const xs = floatData(x, where);
  const saved = saveForBackward(x); // backward reads xs: checked against in-place writes
  const y = allocateFloat(xs, x.size);
  for (let i = 0; i < xs.length; i++) {
    const bx = b * xs[i]!;
    y[i] = bx > thr ? xs[i]! : Math.log1p(Math.exp(bx)) / b;
  }
  return record(
    new Tensor(y, x.shape),
    'softplus',
    [x],
    (g) => {
      saved();
      const d = allocateFloat(xs, x.size);
      for (let i = 0; i < xs.length; i++) {
        const bx = b * xs[i]!;
        const z = Math.exp(bx);
        d[i] = bx > thr ? 1 : z / (z + 1); // dy/dx = sigmoid(beta x)
      }
      return [g.mul(new Tensor(d, x.shape))];
    },
    { beta: b, threshold: thr },
  );
}

/**
 * t ln t with 0 ln 0 = 0 (torch's xlogy(t, t)): the entropy term of KL divergence. d/dt = ln t + 1.
 * @example xlogySelf(tensor([0, 0.5]))  // [0, -0.3466]
 */
export function xlogySelf(t: Tensor): Tensor {
  checkInput(t, 'xlogySelf');
  const ts = floatData(t, 'xlogySelf');
  const saved = saveForBackward(t); // backward reads ts: checked against in-place writes
  const y = allocateFloat(ts, t.size);
  for (let i = 0; i < ts.length; i++) y[i] = ts[i] === 0 ? 0 : ts[i]! * Math.log(ts[i]!);
  return record(new Tensor(y, t.shape), 'xlogySelf', [t], (g) => {
    saved();
    const d = allocateFloat(ts, t.size);
    for (let i = 0; i < ts.length; i++) d[i] = Math.log(ts[i]!) + 1; // dy/dt
    return [g.mul(new Tensor(d, t.shape))];
  });
}
