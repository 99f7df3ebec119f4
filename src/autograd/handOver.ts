/**
 * Gradients handed over: tensors that an op's backward allocated itself and returned to the
 * engine without keeping any other reference to them or to their storage.
 *
 * An optimisation, not part of the semantics. The rule is micrograd's: a leaf's gradient
 * accumulates, `leaf.grad += g`, with `.grad` starting at zero. Handing over only skips the
 * allocation and copy of the first `+=` (0 + g is g), so every result is what the plain rule
 * gives; reading backward.ts, `PendingGrads.deliver`'s in-place sum into a gradient the engine
 * owns is `prev.add(g)`, and `accumulateLeaf`'s first two branches are "`.grad` = zeros, then add".
 *
 * The engine may adopt a handed-over tensor's storage as a leaf's first `.grad` instead of copying
 * it. PyTorch does the same: its `AccumulateGrad` steals the incoming gradient when the reference
 * count says nothing else holds it. JavaScript has no reference counts, so the op says so instead,
 * by passing the tensor through `handOver` as it returns it.
 *
 * Why it has to be said and cannot be guessed: a backward may return the incoming gradient itself
 * (`add` gives the same tensor to both inputs) or a view sharing its storage (`reshape`), and a
 * leaf that adopted such storage would later accumulate, in place, into an array someone else
 * reads. Only tensors passed through `handOver` are adopted, and each at most once (`takeOver`
 * forgets it), so the same tensor delivered twice is adopted once and copied the second time.
 * Views are new tensor objects and are never in the set.
 */
import type { Tensor } from './tensor.js';

const handedOver = new WeakSet<Tensor>();

/** Marks `t` (freshly allocated, referenced nowhere else) as the engine's to keep; returns it. */
export function handOver<T extends Tensor | null>(t: T): T {
  if (t !== null) handedOver.add(t);
  return t;
}

/** True once for a tensor that was handed over: the caller now owns its storage. */
export function takeOver(t: Tensor): boolean {
  return handedOver.delete(t);
}
