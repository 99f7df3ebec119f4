/**
 * Elementwise math of the tensor toolbox (torch.sin ... torch.reciprocal): `out[i] = f(x[i])`,
 * computed in float64 and rounded on store. Pure functions over typed arrays; the op is chosen once
 * per call, never per element. The derivatives are composed from these in
 * src/autograd/ops/unaryMath.ts.
 */
import type { TensorData } from '../dtype.js';

/** The elementwise functions this kernel knows. */
export type MathOp =
  | 'sin'
  | 'cos'
  | 'log2'
  | 'log10'
  | 'log1p'
  | 'expm1'
  | 'square'
  | 'rsqrt'
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'reciprocal';

/**
 * Rounds half to even, like torch.round (C's nearbyint): 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0.
 * `Math.round` rounds halves up; where it landed on an odd integer exactly 0.5 above, step back.
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `out[i] = op(x[i])`, rounded to out's type on store. `out` may be `x` itself (in place). */
export function mathUnary(op: MathOp, x: Float32Array | Float64Array | Int32Array, out: TensorData): void {
  const n = x.length;
  switch (op) {
    case 'sin':
      for (let i = 0; i < n; i++) out[i] = Math.sin(x[i]!);
      return;
    case 'cos':
      for (let i = 0; i < n; i++) out[i] = Math.cos(x[i]!);
      return;
    case 'log2':
      for (let i = 0; i < n; i++) out[i] = Math.log2(x[i]!);
      return;
    case 'log10':
      for (let i = 0; i < n; i++) out[i] = Math.log10(x[i]!);
      return;
    case 'log1p':
      for (let i = 0; i < n; i++) out[i] = Math.log1p(x[i]!);
      return;
    case 'expm1':
      for (let i = 0; i < n; i++) out[i] = Math.expm1(x[i]!);
      return;
    case 'square':
      for (let i = 0; i < n; i++) out[i] = x[i]! * x[i]!;
      return;
    case 'rsqrt':
      for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]!);
      return;
    case 'sign':
      // torch.sign: 1, -1, or 0 (also for -0 and NaN, where Math.sign would keep -0 / NaN)
      for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? 1 : x[i]! < 0 ? -1 : 0;
      return;
    case 'floor':
      for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]!);
      return;
    case 'ceil':
      for (let i = 0; i < n; i++) out[i] = Math.ceil(x[i]!);
      return;
    case 'round':
      for (let i = 0; i < n; i++) out[i] = roundHalfEven(x[i]!);
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) out[i] = 1 / x[i]!;
      return;
  }
}
