/**
 * Recording an op in the graph: the one function every differentiable op calls.
 */
import { isGradEnabled } from './gradMode.js';
import { refreshStaleViews } from './viewGraph.js';
import { Tensor, type GradFn, type GraphNode } from './tensor.js';
import type { PlacedGrad } from './placedGrad.js';

/**
 * Sees every op as `record` is called, grad mode on or off: the ONNX exporter's tracer
 * (src/onnx/trace.ts) while `exportOnnx` runs, null otherwise. `attrs` are the op's arguments
 * that its inputs do not carry (an axis), for the ops whose export needs them.
 */
export const opObserver: {
  current: ((out: Tensor, name: string, inputs: readonly Tensor[], attrs?: Record<string, unknown>) => void) | null;
} = { current: null };

/**
 * Sees calls of the functional forms that are compositions of ops (conv2d, the norms) while
 * `exportOnnx` runs, so that it can lower the call as one ONNX node, the way it lowers their
 * modules; null otherwise. The form runs `run` either way.
 */
export const callObserver: {
  current: ((name: string, args: readonly unknown[], run: () => Tensor) => Tensor) | null;
} = { current: null };

/** `run()`, seen by `callObserver` as the call `name(...args)` when an exporter is watching. */
export function observed(name: string, args: readonly unknown[], run: () => Tensor): Tensor {
  return callObserver.current === null ? run() : callObserver.current(name, args, run);
}

/**
 * Attaches `backward` to `out` when grad mode is on and any input requires grad, and returns `out`.
 * `backward(g)` returns one gradient per input (null where none is needed), in the op's output
 * broadcast shape; `backward.ts` reduces each to its input's shape.
 *
 * The edges to the inputs' nodes (their grad functions, or the leaves themselves) are fixed now,
 * so an in-place op that later gives an input a new grad function does not reroute this one.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (grad: Tensor) => readonly (Tensor | PlacedGrad | null)[],
  attrs?: Record<string, unknown>,
): Tensor {
  if (opObserver.current !== null) opObserver.current(out, name, inputs, attrs);
  if (!isGradEnabled()) return out;
  refreshStaleViews(inputs); // views whose base was written through another view (viewGraph.ts)
  if (inputs.some((t) => t.requiresGrad)) {
    const next: (GraphNode | null)[] = inputs.map((t) => (t.requiresGrad ? (t.gradFn ?? t) : null));
    const fn: GradFn = { name, inputs, backward, next };
    out.requiresGrad = true;
    out.gradFn = fn;
  }
  return out;
}

/**
 * A tensor sharing `x`'s storage, recorded as one more node `name` whose gradient passes through
 * `backward` (identity by default): a place in the graph where backward can look at, check or
 * replace a gradient (module backward hooks, conv's weight check). Not a view: in-place writes
 * to it are as allowed as they are on x.
 */
export function recordPassThrough(x: Tensor, name: string, backward: (g: Tensor) => Tensor): Tensor {
  const out = new Tensor(x.storage.array, x.shape, false, {
    base: x,
    strides: x.stride(),
    offset: x.storageOffset(),
    detached: true,
  });
  return record(out, name, [x], (g) => [backward(g)]);
}
