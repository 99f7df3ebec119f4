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
import { describeValue } from '../tensor/check.js';
import { Tensor } from '../autograd/tensor.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { sizeOf } from '../tensor/shape.js';

const marked = new WeakSet<Tensor>();

/**
 * The callable that makes parameters; `x instanceof nn.Parameter` tells whether x is one.
 * @example
 * const w = nn.Parameter(zeros([3]));
 * w instanceof nn.Parameter; // true
 */
export interface ParameterConstructor {
  /**
   * A new parameter sharing `data`'s storage; `requiresGrad` defaults to true.
   * @example
   * nn.Parameter(zeros([3])).requiresGrad; // true
   */
  (data: Tensor, requiresGrad?: boolean): Tensor;
  /**
   * The same as calling it without `new`.
   * @example
   * new nn.Parameter(zeros([3]));
   */
  new (data: Tensor, requiresGrad?: boolean): Tensor;
  /** Whether `value` was made by `Parameter` (or is a built-in layer's weight). */
  [Symbol.hasInstance](value: unknown): value is Tensor;
}

function makeParameter(data: Tensor, requiresGrad = true): Tensor {
  if (!(data instanceof Tensor)) {
    throw new Error(`Parameter: data must be a Tensor, got ${describeValue(data)}`);
  }
  if (typeof requiresGrad !== 'boolean') {
    throw new Error(`Parameter: requiresGrad must be true or false, got ${describeValue(requiresGrad)}`);
  }
  if (requiresGrad && data.dtype !== 'float32' && data.dtype !== 'float64') {
    throw new Error(`Parameter: only tensors of floating dtype can require gradients, got dtype '${data.dtype}'`);
  }
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
/**
 * The type of a parameter: a Tensor (see `Parameter`).
 * @example
 * const w: nn.Parameter = nn.Parameter(zeros([3]));
 */
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

// Default initialisation of the built-in layers -------------------------------------------------
// PyTorch's `reset_parameters` for Linear and Conv: weight ~ kaiming_uniform_(a = sqrt(5)), bias
// ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)). kaiming_uniform_ draws from U(-bound, bound) with
// bound = gain * sqrt(3 / fanIn) and gain = sqrt(2 / (1 + a^2)); with a = sqrt(5) the gain is
// sqrt(1/3), so bound = 1/sqrt(fanIn): weight and bias share the same bound. fanIn = inFeatures
// for Linear and (inChannels / groups) * prod(kernelSize) for Conv.

/** The bound 1/sqrt(fanIn) of torch's default weight and bias initialisation (0 when fanIn is 0). */
export function defaultInitBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/**
 * A new float32 `nn.Parameter` (requiresGrad) of `shape` with values from U(-bound, bound), drawn
 * from the seeded default generator (or `generator`).
 * @example uniformParameter([10, 784], defaultInitBound(784))
 */
export function uniformParameter(
  shape: readonly number[],
  bound: number,
  generator: Generator = defaultGenerator,
): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = (2 * generator.uniform() - 1) * bound;
  return markParameter(new Tensor(data, shape, true));
}
