/**
 * Whether operations record a graph. `noGrad(fn)` turns recording off inside `fn`, like
 * `torch.no_grad()`; nesting is allowed and the previous mode is restored even if `fn` throws.
 */
let enabled = true;

/** True while operations record the graph for backward. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` with graph recording off and returns its result. */
export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
