/**
 * Module hooks, run by `Module.call` (torch's `module(x)`), in torch's order:
 *
 *   inputs = preHook(module, inputs) ?? inputs            each forward pre-hook, in order
 *   output = module.forward(...inputs)
 *   output = hook(module, inputs, output) ?? output       each forward hook, in order
 *   backward: gradInput = fullBackwardHook(module, gradInput, gradOutput) ?? gradInput
 *
 * Full backward hooks work like torch's BackwardHookFunction: the input and the output pass
 * through pass-through graph nodes (record.ts); the output's node captures gradOutput, and the
 * input's node, which backward reaches after it, calls the hooks and may replace gradInput.
 */
import { isGradEnabled } from '../autograd/gradMode.js';
import type { RemovableHandle } from '../autograd/hooks.js';
import { recordPassThrough } from '../autograd/record.js';
import { Tensor } from '../autograd/tensor.js';
import type { Module } from './module.js';

/**
 * Called before `forward` with the inputs; may return replacement inputs (an array, or one tensor).
 * @example
 * model.registerForwardPreHook((m, inputs) => [inputs[0].mul(2)]);
 */
export type ForwardPreHook = (module: Module, inputs: unknown[]) => unknown[] | Tensor | void | undefined;
/**
 * Called after `forward` with the inputs and the output; may return a replacement output.
 * @example
 * layer.registerForwardHook((m, inputs, output) => { seen.push(output.shape); });
 */
export type ForwardHook = (module: Module, inputs: unknown[], output: Tensor) => Tensor | void | undefined;
/**
 * Called in backward with the gradients of the module's tensor inputs (null where an input needs
 * none) and of its output; may return replacement input gradients.
 * @example
 * layer.registerFullBackwardHook((m, gradInput, gradOutput) => [gradInput[0]!.clamp_(-1, 1)]);
 */
export type FullBackwardHook = (
  module: Module,
  gradInput: (Tensor | null)[],
  gradOutput: (Tensor | null)[],
) => (Tensor | null)[] | void | undefined;

/** An ordered set of hooks whose `add` returns a removable handle. */
export class HookList<F> {
  private readonly hooks = new Map<number, F>();
  private next = 0;

  add(fn: F, where: string): RemovableHandle {
    if (typeof fn !== 'function') throw new Error(`${where}: hook must be a function, got ${typeof fn}`);
    const id = this.next++;
    this.hooks.set(id, fn);
    return { remove: () => void this.hooks.delete(id) };
  }

  /** The hooks in registration order (a copy: a hook may remove itself while running). */
  list(): F[] {
    return [...this.hooks.values()];
  }
}

/** What `Module.call` needs of a module's hooks. */
export interface ModuleHooks {
  readonly forwardPre: HookList<ForwardPreHook>;
  readonly forward: HookList<ForwardHook>;
  readonly fullBackward: HookList<FullBackwardHook>;
}

/** Runs `forward` on `inputs` with the module's hooks around it. */
export function callWithHooks(
  module: Module,
  hooks: ModuleHooks,
  inputs: unknown[],
  forward: (...args: unknown[]) => Tensor,
): Tensor {
  let args = inputs;
  for (const hook of hooks.forwardPre.list()) {
    const r = hook(module, args);
    if (r !== undefined && r !== null) args = Array.isArray(r) ? r : [r];
  }
  const backwardHooks = hooks.fullBackward.list();
  const wrap = backwardHooks.length > 0 && isGradEnabled() ? backwardHookNodes(module, backwardHooks, args) : null;
  if (wrap !== null) args = wrap.inputs;
  let output = forward(...args);
  for (const hook of hooks.forward.list()) {
    const r = hook(module, args, output);
    if (r !== undefined && r !== null) output = r;
  }
  return wrap === null ? output : wrap.output(output);
}

/** The pass-through nodes that let full backward hooks see gradInput and gradOutput. */
function backwardHookNodes(
  module: Module,
  hooks: FullBackwardHook[],
  inputs: unknown[],
): {
  inputs: unknown[];
  output: (y: Tensor) => Tensor;
} {
  const where = `${module.constructor.name}.registerFullBackwardHook`;
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  const tracked = tensors.filter((t) => t.requiresGrad);
  if (tracked.length > 1) {
    throw new Error(
      `${where}: full backward hooks support modules with at most one input that requires grad, got ${tracked.length}`,
    );
  }
  let gradOutput: Tensor | null = null;
  const run = (gradIn: Tensor | null): Tensor | null => {
    let gradInput = tensors.map((t) => (t.requiresGrad ? gradIn : null));
    for (const hook of hooks) {
      const r = hook(module, gradInput, [gradOutput]);
      if (r === undefined || r === null) continue;
      if (!Array.isArray(r) || r.length !== gradInput.length) {
        throw new Error(
          `${where}: a hook must return nothing or an array of ${gradInput.length} gradients, got ${String(r)}`,
        );
      }
      gradInput = r;
    }
    return gradInput[tensors.findIndex((t) => t.requiresGrad)] ?? null;
  };
  const wrapped = inputs.map((x) =>
    x instanceof Tensor && x.requiresGrad ? recordPassThrough(x, 'backwardHook', (g) => run(g) ?? g.mul(0)) : x,
  );
  const output = (y: Tensor): Tensor => {
    if (!(y instanceof Tensor) || !y.requiresGrad) return y;
    return recordPassThrough(y, 'backwardHook', (g) => {
      gradOutput = g;
      if (tracked.length === 0) run(null); // no input needs a gradient: the hooks see gradInput [null]
      return g;
    });
  };
  return { inputs: wrapped, output };
}
