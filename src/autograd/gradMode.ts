/**
 * Whether operations record a graph. `noGrad(fn)` turns recording off inside `fn`, like
 * `torch.no_grad()`; nesting is allowed and the previous mode is restored even if `fn` throws.
 */
import { describeValue } from '../tensor/check.js';

let enabled = true;

/**
 * True while operations record the graph for backward (false inside `noGrad`).
 * @example
 * noGrad(() => isGradEnabled()); // false
 */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` with graph recording off and returns its result, like `torch.no_grad()`.
 * @example
 * const prediction = noGrad(() => model.forward(x)); // no graph, no gradients
 */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`noGrad: fn must be a function, got ${describeValue(fn)}`);
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
