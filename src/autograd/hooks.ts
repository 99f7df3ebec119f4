/**
 * Gradient access on tensors: hooks that see (and may replace) a tensor's gradient, and
 * `retainGrad` for non-leaf tensors. Both attach to the tensor's node in the graph (its grad
 * function, or the leaf itself), and `backward.ts` runs them when that node's gradient is complete:
 *
 *   g = sum of the gradients arriving at the node
 *   for each hook, in registration order: g = hook(g) ?? g
 *   retained non-leaf: t.grad += g;   leaf: accumulate g into t.grad (after the hooks, like torch)
 */
import type { GradFn, GraphNode, Tensor } from './tensor.js';

/**
 * A tensor hook: gets the gradient and may return a replacement (same shape), or nothing.
 * @example
 * x.registerHook((g) => g.mul(2)); // doubles the gradient that flows through x
 */
export type TensorHook = (grad: Tensor) => Tensor | void | undefined;

/**
 * What a `register...Hook` call returns: `remove()` unregisters the hook (calling it twice is harmless).
 * @example
 * const h = x.registerHook(console.log); h.remove();
 */
export interface RemovableHandle {
  /**
   * Unregisters the hook; calling it again does nothing.
   * @example
   * handle.remove();
   */
  remove(): void;
}

const hooksOf = new WeakMap<GraphNode, Map<number, TensorHook>>();
const retainedBy = new WeakMap<GradFn, Tensor>();
let nextId = 0;

/** Registers `fn` on `node` and returns its handle. */
export function addHook(node: GraphNode, fn: TensorHook): RemovableHandle {
  let hooks = hooksOf.get(node);
  if (hooks === undefined) {
    hooks = new Map();
    hooksOf.set(node, hooks);
  }
  const id = nextId++;
  hooks.set(id, fn);
  const owned = hooks;
  return { remove: () => void owned.delete(id) };
}

/** Makes `t` (a non-leaf, made by `node`) keep its gradient in `.grad`. */
export function retainOn(node: GradFn, t: Tensor): void {
  retainedBy.set(node, t);
}

/** True when tensor hooks are registered on the node (they may keep the gradient they are shown). */
export function hasNodeHooks(node: GraphNode): boolean {
  return (hooksOf.get(node)?.size ?? 0) > 0;
}

/** Runs the node's hooks on `g` (each may replace it) and fills a retained tensor's `.grad`; returns the gradient. */
export function runNodeHooks(node: GraphNode, g: Tensor, where: string): Tensor {
  const hooks = hooksOf.get(node);
  let grad = g;
  if (hooks !== undefined) {
    for (const fn of [...hooks.values()]) {
      const replaced = fn(grad);
      if (replaced === undefined || replaced === null) continue;
      checkReplacement(replaced, grad, where);
      grad = replaced;
    }
  }
  const retained = 'next' in node ? retainedBy.get(node) : undefined; // a GradFn, not a leaf
  if (retained !== undefined) {
    retained.grad = retained.grad === null ? grad.detach().clone() : retained.grad.add(grad);
  }
  return grad;
}

function checkReplacement(replaced: unknown, grad: Tensor, where: string): void {
  const shape = (t: { shape: readonly number[] }): string => `[${t.shape.join(', ')}]`;
  if (typeof replaced !== 'object' || replaced === null || !('shape' in replaced) || !('data' in replaced)) {
    throw new Error(`${where}: a hook must return a Tensor or nothing, got ${typeof replaced}`);
  }
  const r = replaced as Tensor;
  if (r.shape.length !== grad.shape.length || r.shape.some((d, i) => d !== grad.shape[i])) {
    throw new Error(`${where}: a hook returned a gradient of shape ${shape(r)}, expected ${shape(grad)}`);
  }
}

/** After an in-place op gave a retained tensor a new grad function, it retains through the new one (like torch). */
export function moveRetained(from: GradFn, to: GradFn): void {
  const t = retainedBy.get(from);
  if (t === undefined) return;
  retainedBy.delete(from);
  retainedBy.set(to, t);
}
