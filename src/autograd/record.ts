/**
 * Recording an op in the graph: the one function every differentiable op calls.
 */
import { isGradEnabled } from './gradMode.js';
import type { Tensor } from './tensor.js';

/**
 * Attaches `backward` to `out` when grad mode is on and any input requires grad, and returns `out`.
 * `backward(g)` returns one gradient per input (null where none is needed), in the op's output
 * broadcast shape; `backward.ts` reduces each to its input's shape.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (grad: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward };
  }
  return out;
}
