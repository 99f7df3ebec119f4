/**
 * Checks analytic gradients against central finite differences evaluated in float64.
 *
 * Every input is copied to a float64 leaf, so `fn` runs in double precision (ops follow their
 * inputs' dtype; float32 constants inside `fn` stay exact constants). One exception follows
 * torch's promotion rule: a 0-d input combined with a float32 tensor that has dimensions gives a
 * float32 result, so give such constants dtype 'float64' (or pass them as inputs). Then, with a fixed random
 * projection `v` of the output (torch's "fast mode"), the analytic gradient `d<v, fn(x)>/dx` from
 * one backward pass is compared, element by element, with
 *   (<v, fn(x + eps e_i)> - <v, fn(x - eps e_i)>) / (2 eps)
 * and must satisfy |analytic - numeric| <= atol + rtol * |numeric|.
 */
import { checkTensor } from './check.js';
import { checkBoolean, checkOptions, describeValue } from '../tensor/check.js';
import { Generator } from '../tensor/random.js';
import { fmtShape } from '../tensor/shape.js';
import { noGrad } from './gradMode.js';
import { bumpVersion } from './saved.js';
import { Tensor } from './tensor.js';

/**
 * Options of `gradcheck`. An element passes when `|analytic - numeric| <= atol + rtol * |numeric|`.
 * @example
 * gradcheck(f, [x], { eps: 1e-6, atol: 1e-5, rtol: 1e-3, raise: false });
 */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw on mismatch (default true); otherwise return false. */
  raise?: boolean;
  /** Seed of the projection vector (default 0). */
  seed?: number;
}

/**
 * True when the analytic gradient of `fn` matches central differences
 * `(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`, evaluated in float64, for every input that
 * requires grad; otherwise throws (or returns false with `raise: false`) naming the worst element.
 * @example
 * gradcheck((x) => x.mul(x).sum(), [randn([3], { requiresGrad: true })]); // true
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): boolean {
  opts = checkOptions(opts, 'gradcheck');
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const raise = checkBoolean(opts.raise ?? true, 'gradcheck', 'raise');
  if (typeof fn !== 'function') throw new Error(`gradcheck: fn must be a function, got ${describeValue(fn)}`);
  if (!Array.isArray(inputs)) {
    throw new Error(`gradcheck: inputs must be an array of Tensors, got ${describeValue(inputs)}`);
  }
  inputs.forEach((t, i) => checkTensor(t, 'gradcheck', `inputs[${i}]`));
  if (!inputs.some((t) => t.requiresGrad)) {
    throw new Error('gradcheck: at least one input must have requiresGrad = true, got none');
  }
  const leaves = inputs.map((t) => {
    if (t.dtype === 'int32' || t.dtype === 'bool') return t; // indices and masks stay as they are
    const data = new Float64Array(t.size);
    data.set(t.data);
    return new Tensor(data, t.shape, t.requiresGrad);
  });

  const y0 = noGrad(() => fn(...leaves));
  if (!(y0 instanceof Tensor)) throw new Error(`gradcheck: fn must return a Tensor, got ${describeValue(y0)}`);
  const gen = new Generator(opts.seed ?? 0);
  const v = new Float64Array(y0.size);
  for (let i = 0; i < v.length; i++) v[i] = gen.uniform() * 2 - 1 + (gen.uniform() < 0.5 ? -0.5 : 0.5);
  const project = (y: Tensor): number => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * y.data[i]!;
    return s;
  };

  const y = fn(...leaves);
  if (!y.requiresGrad) throw new Error('gradcheck: fn output does not depend on any input that requires grad');
  y.backward(new Tensor(v, y.shape));

  let worst: { input: number; index: number; analytic: number; numeric: number; excess: number } | null = null;
  leaves.forEach((leaf, k) => {
    if (!leaf.requiresGrad) return;
    const data = leaf.data as Float64Array;
    for (let i = 0; i < data.length; i++) {
      const orig = data[i]!;
      data[i] = orig + eps;
      bumpVersion(leaf); // written in place: views of it made earlier must not reuse a stale copy
      const plus = noGrad(() => project(fn(...leaves)));
      data[i] = orig - eps;
      bumpVersion(leaf);
      const minus = noGrad(() => project(fn(...leaves)));
      data[i] = orig;
      bumpVersion(leaf);
      const numeric = (plus - minus) / (2 * eps);
      const analytic = leaf.grad === null ? 0 : leaf.grad.data[i]!;
      const excess = Math.abs(analytic - numeric) - (atol + rtol * Math.abs(numeric));
      if (!(excess <= 0) && (worst === null || !(excess <= worst.excess))) {
        worst = { input: k, index: i, analytic, numeric, excess };
      }
    }
  });
  if (worst === null) return true;
  const w = worst as { input: number; index: number; analytic: number; numeric: number };
  const shape = fmtShape(inputs[w.input]!.shape);
  const msg =
    `gradcheck: gradient mismatch for input ${w.input} (shape ${shape}) at flat index ${w.index}: ` +
    `analytic ${w.analytic}, numeric ${w.numeric} (atol ${atol}, rtol ${rtol})`;
  if (raise) throw new Error(msg);
  return false;
}
