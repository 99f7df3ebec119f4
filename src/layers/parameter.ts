/**
 * `nn.Parameter(t)`: torch.nn.Parameter, a tensor that a Module registers as a parameter when it is
 * assigned to one of the module's fields.
 *
 * Design: a marker, not a subclass. `Parameter(t)` returns a new leaf Tensor that shares `t`'s
 * storage (like torch's, which aliases the data), requires grad, and is remembered in a WeakSet.
 * `x instanceof nn.Parameter` asks that set (through `Symbol.hasInstance`), so it reads as in
 * torch. A marker keeps the Tensor class the one class every op builds, so nothing that makes or
 * views tensors needs to know about parameters, and ops on a parameter return plain tensors, as in
 * torch. `Parameter(t)` and `new Parameter(t)` both work; `t` itself is not changed.
 */
import { Tensor } from '../autograd/tensor.js';

const marked = new WeakSet<Tensor>();

/**
 * The callable that makes parameters; `x instanceof nn.Parameter` tells whether x is one.
 * @example
 * const w = nn.Parameter(zeros([3]));
 * w instanceof nn.Parameter; // true
 */
export interface ParameterConstructor {
  /** A new parameter sharing `data`'s storage; `requiresGrad` defaults to true. */
  (data: Tensor, requiresGrad?: boolean): Tensor;
  /** The same as calling it without `new`. */
  new (data: Tensor, requiresGrad?: boolean): Tensor;
  /** Whether `value` was made by `Parameter` (or is a built-in layer's weight). */
  [Symbol.hasInstance](value: unknown): value is Tensor;
}

function makeParameter(data: Tensor, requiresGrad = true): Tensor {
  if (!(data instanceof Tensor)) {
    throw new Error(`Parameter: data must be a Tensor, got ${data === null ? 'null' : typeof data}`);
  }
  if (typeof requiresGrad !== 'boolean') throw new Error(`Parameter: requiresGrad must be true or false, got ${String(requiresGrad)}`);
  const p = data.detach();
  p.requiresGrad = requiresGrad;
  marked.add(p);
  return p;
}
Object.defineProperty(makeParameter, Symbol.hasInstance, { value: isParameter });
Object.defineProperty(makeParameter, 'name', { value: 'Parameter' });

/**
 * A tensor to be learned: `Parameter(t)` is a leaf that shares t's storage and requires grad.
 * Assigned to a field of a Module, it is registered under the field's name.
 * @example
 * class Scale extends nn.Module {
 *   weight = nn.Parameter(ones([3]));
 *   forward(x: Tensor): Tensor { return x.mul(this.weight); }
 * }
 */
export const Parameter = makeParameter as unknown as ParameterConstructor;
/** The type of a parameter: a Tensor (see `Parameter`). */
export type Parameter = Tensor;

/**
 * Whether `value` is a parameter (made by `Parameter`, or marked by `markParameter`).
 * @example
 * isParameter(new nn.Linear(2, 3).weight); // true
 */
export function isParameter(value: unknown): value is Tensor {
  return value instanceof Tensor && marked.has(value);
}

/** Marks a freshly made leaf tensor of a built-in layer as a parameter (no copy), and returns it. */
export function markParameter(t: Tensor): Tensor {
  marked.add(t);
  return t;
}
