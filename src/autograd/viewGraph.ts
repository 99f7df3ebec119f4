/**
 * The graph of views after an in-place write through one of them (torch's CopySlices and view
 * regeneration).
 *
 * When `v = base.select(0, 1)` is written in place with grad mode on, the write changes `base`
 * too, so `base` gets a new grad function (`copySlices`, in ops/inplace.ts) and `v` becomes a view
 * of that new `base`: its gradient is scattered into zeros of base's shape (`asStrided`). Other
 * views of `base` made before the write still lead to its old grad function, although their
 * values may have changed; like torch, typegrad gives such a stale view a fresh `asStrided` grad
 * function the next time an op records it as an input (`refreshStaleViews`, called by `record`).
 */
import { allocate } from '../tensor/dtype.js';
import { stridedWrite } from '../tensor/kernels/strided.js';
import { handOver } from './handOver.js';
import { record } from './record.js';
import { Tensor, viewOf } from './tensor.js';

/** How many times each base got a new grad function through a view; a view notes the count it saw. */
const rewrites = new WeakMap<Tensor, number>();
const seen = new WeakMap<Tensor, number>();
let anyRewrite = false;

/** Records that `base` got a new grad function through a write into one of its views. */
export function noteRewrite(base: Tensor): void {
  anyRewrite = true;
  rewrites.set(base, (rewrites.get(base) ?? 0) + 1);
}

/** Notes that `view`'s grad function is up to date with its base's. */
export function markCurrent(view: Tensor): void {
  if (anyRewrite && view.base !== null) seen.set(view, rewrites.get(view.base) ?? 0);
}

/** Gives every stale view among `inputs` a grad function that leads to its base's current one. */
export function refreshStaleViews(inputs: readonly Tensor[]): void {
  if (!anyRewrite) return;
  for (const t of inputs) {
    if (t.base !== null && (seen.get(t) ?? 0) !== (rewrites.get(t.base) ?? 0)) attachToBase(t);
  }
}

/** Where `view` sits in a contiguous tensor of its base's shape (its base must be contiguous). */
export function placeIn(view: Tensor, target: Tensor): Tensor {
  const base = view.base!;
  return viewOf(target, view.shape, view.stride(), view.storageOffset() - base.storageOffset());
}

/** The view's gradient g written into zeros of its base's shape. */
export function scatterToBase(view: Tensor, g: Tensor): Tensor {
  const base = view.base!;
  const z = new Tensor(allocate(g.dtype, base.size), base.shape);
  const place = placeIn(view, z);
  stridedWrite(g.data, z.storage.array, place.storageOffset(), place.stride(), place.shape);
  return handOver(z);
}

/** Makes `view`'s grad function `asStrided` of its base's current one: d/dbase = g scattered into zeros. */
export function attachToBase(view: Tensor): void {
  const base = view.base!;
  if (!base.requiresGrad || !base.isContiguous()) return;
  record(view, 'asStrided', [base], (g) => [scatterToBase(view, g)]);
  seen.set(view, rewrites.get(base) ?? 0);
}
