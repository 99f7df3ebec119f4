/**
 * Saved tensors: what an op's backward reads, checked against in-place writes.
 *
 * Every storage carries a version that in-place writes bump (`Tensor.version`). An op that needs a
 * tensor's values in backward saves it with `saveForBackward`, which notes the version; reading it
 * back in backward throws if the values have changed since, like torch's SavedVariable:
 *
 *   const y = x.mul(w);   // mul saves x and w (each one's gradient needs the other)
 *   w.data ... opt.step() // the optimizer writes w in place: version 0 -> 1
 *   y.backward(g);        // Error: ... [float32 [3]] is at version 1; expected version 0 instead.
 */
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from './tensor.js';

/** The op's name as torch 2.x prints it in this error: `'mul'` -> `'Mul'` (in-place `'mul_'` too). */
export function nodeName(op: string): string {
  const base = op.endsWith('_') ? op.slice(0, -1) : op;
  return `${base.charAt(0).toUpperCase()}${base.slice(1)}`;
}

/**
 * Saves `t` for backward and returns the accessor backward must read it through. Pass `outputOf`
 * (the op's name) when `t` is the op's own output (exp, sigmoid, tanh, softmax save theirs).
 * @example
 * const xs = saveForBackward(x);
 * return record(y, 'log', [x], (g) => [g.div(xs())]);
 */
export function saveForBackward(t: Tensor, outputOf?: string): () => Tensor {
  const expected = t.version;
  const producer = outputOf ?? t.gradFn?.name ?? null;
  return () => {
    if (t.version !== expected) {
      const which = producer === null ? '' : `, which is output 0 of ${nodeName(producer)},`;
      throw new Error(
        'backward: one of the variables needed for gradient computation has been modified by an inplace operation: ' +
          `[${t.dtype} ${fmtShape(t.shape)}]${which} is at version ${t.version}; ` +
          `expected version ${expected} instead. ` +
          'Clone the tensor before the in-place write (or do the write after backward).',
      );
    }
    return t;
  };
}

/** Saves `t` when `needed` (the gradient that reads it will be computed), else returns null. */
export function saveIf(needed: boolean, t: Tensor, outputOf?: string): (() => Tensor) | null {
  return needed ? saveForBackward(t, outputOf) : null;
}

/**
 * Records that `t`'s storage was written in place: every tensor saved from it (or from any view of
 * it) before now fails its check in backward. In-place ops, optimizer steps and `loadStateDict`
 * call this after they write.
 * @example
 * p.data.set(newValues); bumpVersion(p);
 */
export function bumpVersion(t: Tensor): void {
  t.storage.version++;
}
