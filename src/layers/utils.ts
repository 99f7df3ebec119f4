/**
 * `nn.utils`: gradient clipping, torch.nn.utils.clip_grad_norm_ and clip_grad_value_. Both change
 * the `.grad` of the given parameters in place; parameters without a gradient are skipped.
 *
 *   clipGradNorm_: total = || (||g_1||_p, ..., ||g_k||_p) ||_p   (for p = inf: max_i |g|)
 *                  every g <- g * min(1, maxNorm / (total + 1e-6))
 *   clipGradValue_: every element g <- min(max(g, -clipValue), clipValue)
 * As torch, the norm is taken of each gradient and then of those norms (for a finite p > 0 this is
 * the p-norm of all elements together), and the gradients are multiplied even when the factor is 1.
 * Norms accumulate in float64.
 */
import { describeValue } from '../tensor/check.js';
import { Tensor } from '../autograd/tensor.js';
import { floatData } from '../autograd/dtypeCheck.js';
import type { FloatArray } from '../tensor/dtype.js';

/**
 * Options of `clipGradNorm_`.
 * @example clipGradNorm_(model.parameters(), 1, { normType: Infinity })
 */
export interface ClipGradNormOptions {
  /** The p of the p-norm: a number > 0, 0 (count of non-zeros), Infinity or -Infinity (default 2). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite, instead of scaling by it (default false). */
  errorIfNonfinite?: boolean;
}

/**
 * Tensors whose gradients are clipped: one tensor or a list.
 * @example
 * const params: nn.utils.GradParams = model.parameters();
 */
export type GradParams = Tensor | Iterable<Tensor>;

function gradsOf(params: GradParams, where: string): FloatArray[] {
  const iterable = params !== null && typeof params === 'object' && Symbol.iterator in params;
  const list = params instanceof Tensor ? [params] : iterable ? [...params] : null;
  if (list === null) {
    throw new Error(
      `${where}: parameters must be a Tensor or an iterable of Tensors` + `, got ${describeValue(params)}`,
    );
  }
  const grads: FloatArray[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) {
      throw new Error(`${where}: parameters[${i}] must be a Tensor, got ${describeValue(p)}`);
    }
    if (p.grad !== null) grads.push(floatData(p.grad, where, `parameters[${i}].grad`));
  });
  return grads;
}

/** The p-norm of `values` in float64 (p = 0: the count of non-zeros; +-Infinity: max / min of |v|). */
function vectorNorm(values: ArrayLike<number>, p: number): number {
  if (p === Infinity || p === -Infinity) {
    let m = p === Infinity ? 0 : Infinity;
    for (let i = 0; i < values.length; i++) {
      const a = Math.abs(values[i]!);
      if (Number.isNaN(a)) return NaN;
      m = p === Infinity ? Math.max(m, a) : Math.min(m, a);
    }
    return values.length === 0 && p === -Infinity ? Infinity : m;
  }
  let s = 0;
  if (p === 0) {
    for (let i = 0; i < values.length; i++) s += values[i] !== 0 ? 1 : 0;
    return s;
  }
  if (p === 2) {
    // scaled by the largest |v| so that squares neither overflow nor underflow
    const scale = vectorNorm(values, Infinity);
    if (scale === 0 || !Number.isFinite(scale)) return scale;
    for (let i = 0; i < values.length; i++) s += (values[i]! / scale) ** 2;
    return scale * Math.sqrt(s);
  }
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i]!) ** p;
  return s ** (1 / p);
}

/**
 * Scales the gradients of `params` so that their total p-norm is at most `maxNorm`; returns the
 * total norm before clipping (a number).
 * @example
 * loss.backward();
 * const norm = nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * opt.step();
 */
export function clipGradNorm_(params: GradParams, maxNorm: number, opts: ClipGradNormOptions = {}): number {
  const where = 'clipGradNorm_';
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new Error(`${where}: maxNorm must be a number, got ${describeValue(maxNorm)}`);
  }
  const p = opts.normType ?? 2;
  if (typeof p !== 'number' || Number.isNaN(p) || (p < 0 && p !== -Infinity)) {
    throw new Error(`${where}: normType must be a number >= 0, Infinity or -Infinity, got ${describeValue(p)}`);
  }
  const grads = gradsOf(params, where);
  if (grads.length === 0) return 0;
  const total = vectorNorm(
    grads.map((g) => (p === 2 && g instanceof Float32Array ? norm2F32(g) : vectorNorm(g, p))),
    p,
  );
  if ((opts.errorIfNonfinite ?? false) && !Number.isFinite(total)) {
    throw new Error(
      `${where}: the total norm of order ${p} for gradients from parameters is non-finite (${total}), ` +
        'so it cannot be clipped. ' +
        'To scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false',
    );
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1); // a NaN total gives NaN, as torch's clamp
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  return total;
}

/**
 * The 2-norm of float32 values: squares summed in float64 without scaling (a float32 value's
 * square lies between 2^-298 and 2^256, so neither overflows nor underflows float64).
 */
function norm2F32(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! * values[i]!;
  return Math.sqrt(s);
}

/**
 * Clamps every gradient element of `params` to [-clipValue, clipValue], in place.
 * @example nn.utils.clipGradValue_(model.parameters(), 0.5)
 */
export function clipGradValue_(params: GradParams, clipValue: number): void {
  const where = 'clipGradValue_';
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue)) {
    throw new Error(`${where}: clipValue must be a number, got ${describeValue(clipValue)}`);
  }
  for (const g of gradsOf(params, where)) {
    for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i]!, -clipValue), clipValue);
  }
}
