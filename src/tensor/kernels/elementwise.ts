/**
 * Elementwise kernels: binary ops with NumPy broadcasting, unary maps, and strided copies
 * (permute, broadcast-to). Pure functions over typed arrays; the op is chosen once per run of the
 * innermost axis, never per element.
 *
 * They read and write any storage (TensorData): values are computed as JS numbers (float64) and
 * rounded on store, so a Float32Array rounds to nearest, an Int32Array wraps modulo 2^32 (exact for
 * add and sub; mul and pow have integer paths, `Math.imul` and `intPow`, because a float64 product
 * of two int32 values can lose its low bits), and comparisons and logical ops store 1 or 0.
 */
import type { TensorData } from '../dtype.js';
import { broadcastStrides, stridesOf, type Shape } from '../shape.js';
import { erf } from './special.js';

/**
 * Binary operations the kernel knows. `zeroWhere` is `a`, with 0 wherever `b` is non-zero. The
 * comparisons and logical ops give 1 or 0; logical ops treat any non-zero value (NaN too) as true.
 * The `...Backward` ops are activations' backward in one pass, a = dy and b = what the forward
 * saved: `reluBackward` (b = x) is dy where x > 0 or x is NaN, else 0 (torch's threshold_backward);
 * `sigmoidBackward` (b = s = sigmoid(x)) is dy s (1 - s); `tanhBackward` (b = t = tanh(x)) is
 * dy (1 - t^2); `geluBackward` (b = x) is dy (Phi(x) + x phi(x)); `siluBackward` (b = x) is
 * dy s (1 + x (1 - s)), s = sigmoid(x).
 */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'max'
  | 'min'
  | 'zeroWhere'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr'
  | 'logicalXor'
  | 'reluBackward'
  | 'sigmoidBackward'
  | 'tanhBackward'
  | 'geluBackward'
  | 'siluBackward';

/**
 * `out[i] = op(a[ia], b[ib])` where a and b are broadcast to `outShape`.
 * Runs along the innermost axis with strides 0 or 1 for each operand.
 */
export function binary(
  op: BinaryOp,
  a: TensorData,
  aShape: Shape,
  b: TensorData,
  bShape: Shape,
  outShape: Shape,
  out: TensorData,
): void {
  const ndim = outShape.length;
  const size = out.length;
  if (size === 0) return;
  const aStr = broadcastStrides(aShape, outShape);
  const bStr = broadcastStrides(bShape, outShape);
  const inner = ndim === 0 ? 1 : outShape[ndim - 1]!;
  const ai = ndim === 0 ? 0 : aStr[ndim - 1]!;
  const bi = ndim === 0 ? 0 : bStr[ndim - 1]!;
  const idx = new Array<number>(Math.max(ndim - 1, 0)).fill(0);
  let aOff = 0;
  let bOff = 0;
  for (let o = 0; o < size; o += inner) {
    binaryRun(op, a, aOff, ai, b, bOff, bi, out, o, inner);
    for (let k = ndim - 2; k >= 0; k--) {
      idx[k]!++;
      aOff += aStr[k]!;
      bOff += bStr[k]!;
      if (idx[k]! < outShape[k]!) break;
      aOff -= aStr[k]! * outShape[k]!;
      bOff -= bStr[k]! * outShape[k]!;
      idx[k] = 0;
    }
  }
}

/**
 * `a ** b` with C's (and torch's) special cases where JS's Math.pow differs: 1 ** b = 1 and
 * (-1) ** +-Infinity = 1, even for b = NaN (Math.pow gives NaN for both).
 */
export function powC(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

/**
 * `base ** exp` in int32 arithmetic (wrapping like torch's int32 pow), by squaring. A negative
 * exponent gives what torch's integer pow gives: 1 for base 1, +-1 for base -1, else 0.
 */
export function intPow(base: number, exp: number): number {
  if (exp < 0) return base === 1 ? 1 : base === -1 ? (exp % 2 === 0 ? 1 : -1) : 0;
  let result = 1;
  let b = base | 0;
  for (let e = exp; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = Math.imul(result, b);
    b = Math.imul(b, b);
  }
  return result;
}

function binaryRun(
  op: BinaryOp,
  a: TensorData,
  a0: number,
  as: number,
  b: TensorData,
  b0: number,
  bs: number,
  out: TensorData,
  o0: number,
  n: number,
): void {
  const integer = out instanceof Int32Array;
  switch (op) {
    case 'add':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! + b[b0 + j * bs]!;
      return;
    case 'sub':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! - b[b0 + j * bs]!;
      return;
    case 'mul':
      if (integer) for (let j = 0; j < n; j++) out[o0 + j] = Math.imul(a[a0 + j * as]!, b[b0 + j * bs]!);
      else for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! * b[b0 + j * bs]!;
      return;
    case 'div':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! / b[b0 + j * bs]!;
      return;
    case 'pow':
      if (integer) for (let j = 0; j < n; j++) out[o0 + j] = intPow(a[a0 + j * as]!, b[b0 + j * bs]!);
      else for (let j = 0; j < n; j++) out[o0 + j] = powC(a[a0 + j * as]!, b[b0 + j * bs]!);
      return;
    case 'eq':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! === b[b0 + j * bs]! ? 1 : 0;
      return;
    case 'ne':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! !== b[b0 + j * bs]! ? 1 : 0;
      return;
    case 'lt':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! < b[b0 + j * bs]! ? 1 : 0;
      return;
    case 'le':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! <= b[b0 + j * bs]! ? 1 : 0;
      return;
    case 'logicalAnd':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! !== 0 && b[b0 + j * bs]! !== 0 ? 1 : 0;
      return;
    case 'logicalOr':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! !== 0 || b[b0 + j * bs]! !== 0 ? 1 : 0;
      return;
    case 'logicalXor':
      for (let j = 0; j < n; j++) out[o0 + j] = (a[a0 + j * as]! !== 0) !== (b[b0 + j * bs]! !== 0) ? 1 : 0;
      return;
    case 'gt':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! > b[b0 + j * bs]! ? 1 : 0;
      return;
    case 'ge':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! >= b[b0 + j * bs]! ? 1 : 0;
      return;
    case 'max':
      for (let j = 0; j < n; j++) out[o0 + j] = Math.max(a[a0 + j * as]!, b[b0 + j * bs]!);
      return;
    case 'min':
      for (let j = 0; j < n; j++) out[o0 + j] = Math.min(a[a0 + j * as]!, b[b0 + j * bs]!);
      return;
    case 'zeroWhere':
      for (let j = 0; j < n; j++) out[o0 + j] = b[b0 + j * bs]! !== 0 ? 0 : a[a0 + j * as]!;
      return;
    case 'reluBackward':
      for (let j = 0; j < n; j++) out[o0 + j] = b[b0 + j * bs]! <= 0 ? 0 : a[a0 + j * as]!;
      return;
    case 'sigmoidBackward':
      for (let j = 0; j < n; j++) {
        const s = b[b0 + j * bs]!;
        out[o0 + j] = a[a0 + j * as]! * s * (1 - s);
      }
      return;
    case 'tanhBackward':
      for (let j = 0; j < n; j++) {
        const t = b[b0 + j * bs]!;
        out[o0 + j] = a[a0 + j * as]! * (1 - t * t);
      }
      return;
    case 'geluBackward':
      for (let j = 0; j < n; j++) out[o0 + j] = a[a0 + j * as]! * geluGrad(b[b0 + j * bs]!);
      return;
    case 'siluBackward':
      for (let j = 0; j < n; j++) {
        const v = b[b0 + j * bs]!;
        const s = 1 / (1 + Math.exp(-v));
        out[o0 + j] = a[a0 + j * as]! * s * (1 + v * (1 - s));
      }
      return;
  }
}

/**
 * Unary operations the kernel knows. `param` is the exponent of 'powScalar' ('intPowScalar' is its
 * int32 twin). The predicates ('isnan', 'isinf', 'isfinite', 'logicalNot', 'nonzero') give 1 or 0.
 */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'gelu'
  | 'sign'
  | 'step'
  | 'geluGrad'
  | 'silu'
  | 'powScalar'
  | 'intPowScalar'
  | 'isnan'
  | 'isinf'
  | 'isfinite'
  | 'logicalNot'
  | 'nonzero';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d/dx [x Phi(x)] = Phi(x) + x phi(x): GELU's derivative. */
function geluGrad(v: number): number {
  return 0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
}

/** `out[i] = op(x[i])`, computed in float64 and rounded on store. */
export function unary(op: UnaryOp, x: TensorData, out: TensorData, param = 0): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      return;
    case 'relu':
      // Like torch: NaN passes through (and -0 stays -0); only values below 0 become 0.
      for (let i = 0; i < n; i++) out[i] = x[i]! < 0 ? 0 : x[i]!;
      return;
    case 'sigmoid':
      // 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) otherwise: no overflow either way.
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          out[i] = e / (1 + e);
        }
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return;
    case 'gelu':
      // torch's exact GELU: x * Phi(x) = x/2 * (1 + erf(x / sqrt 2))
      for (let i = 0; i < n; i++) out[i] = 0.5 * x[i]! * (1 + erf(x[i]! * SQRT1_2));
      return;
    case 'geluGrad':
      for (let i = 0; i < n; i++) out[i] = geluGrad(x[i]!);
      return;
    case 'silu':
      // x sigmoid(x) = x / (1 + e^-x)
      for (let i = 0; i < n; i++) out[i] = x[i]! / (1 + Math.exp(-x[i]!));
      return;
    case 'sign':
      // torch's (0 < x) - (x < 0): 0 for NaN and for -0 (Math.sign would give NaN and -0).
      for (let i = 0; i < n; i++) out[i] = (x[i]! > 0 ? 1 : 0) - (x[i]! < 0 ? 1 : 0);
      return;
    case 'step':
      // relu's derivative as torch's threshold_backward takes it: 0 where x <= 0, else 1 (so 1 at NaN).
      for (let i = 0; i < n; i++) out[i] = x[i]! <= 0 ? 0 : 1;
      return;
    case 'powScalar':
      for (let i = 0; i < n; i++) out[i] = powC(x[i]!, param);
      return;
    case 'intPowScalar':
      for (let i = 0; i < n; i++) out[i] = intPow(x[i]!, param);
      return;
    case 'isnan':
      for (let i = 0; i < n; i++) out[i] = Number.isNaN(x[i]!) ? 1 : 0;
      return;
    case 'isinf':
      for (let i = 0; i < n; i++) out[i] = x[i] === Infinity || x[i] === -Infinity ? 1 : 0;
      return;
    case 'isfinite':
      for (let i = 0; i < n; i++) out[i] = Number.isFinite(x[i]!) ? 1 : 0;
      return;
    case 'logicalNot':
      for (let i = 0; i < n; i++) out[i] = x[i] === 0 ? 1 : 0;
      return;
    case 'nonzero':
      for (let i = 0; i < n; i++) out[i] = x[i] !== 0 ? 1 : 0;
      return;
  }
}

/**
 * Gathers `out` (contiguous, shape `outShape`) from `x` read with `srcStrides` (one per out axis).
 * `permute` passes the permuted strides of x; broadcast-to passes strides with 0 on expanded axes.
 */
export function stridedCopy(x: TensorData, srcStrides: readonly number[], outShape: Shape, out: TensorData): void {
  const ndim = outShape.length;
  const size = out.length;
  if (size === 0) return;
  if (ndim === 0) {
    out[0] = x[0]!;
    return;
  }
  const inner = outShape[ndim - 1]!;
  const is = srcStrides[ndim - 1]!;
  const idx = new Array<number>(ndim - 1).fill(0);
  let off = 0;
  for (let o = 0; o < size; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = x[off + j * is]!;
    for (let k = ndim - 2; k >= 0; k--) {
      idx[k]!++;
      off += srcStrides[k]!;
      if (idx[k]! < outShape[k]!) break;
      off -= srcStrides[k]! * outShape[k]!;
      idx[k] = 0;
    }
  }
}

/** Strides that read a contiguous tensor of `shape` in the axis order `axes` (a permutation). */
export function permutedStrides(shape: Shape, axes: readonly number[]): number[] {
  const strides = stridesOf(shape);
  return axes.map((a) => strides[a]!);
}
