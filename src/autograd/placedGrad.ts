/**
 * A view's gradient not yet written into a tensor of its input's shape: `g` belongs at the
 * elements that `place` picks out of a tensor of the input's shape (a slice or select), zeros
 * everywhere else.
 *
 *   dx = zeros(x.shape);  dx[place] = g          (select, narrow, slice: and so split, chunk, unbind)
 *
 * The engine (backward.ts) adds it straight into the gradient it is summing for the input when it
 * owns one, `acc[place] += g`, so the pieces of a split share one input-gradient array instead of
 * each allocating a zeroed one that is then summed. The result is the same sum: acc + (zeros with
 * g at place) differs from acc only at place.
 */
import { allocate } from '../tensor/dtype.js';
import { stridedWrite } from '../tensor/kernels/strided.js';
import { sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from './tensor.js';
import { writeStrided } from './ops/inplace.js';

/**
 * What a view op's backward (select, narrow, slice, and so split, chunk, unbind) returns for its
 * input: the view's gradient and where it goes. `materialize()` gives the plain gradient tensor.
 * @example
 * const x = tensor([1, 2, 3, 4], undefined, { requiresGrad: true });
 * const [a] = x.split(2);
 * const g = a.gradFn!.backward!(tensor([1, 1]))[0];
 * const dx = g instanceof PlacedGrad ? g.materialize() : g; // [1, 1, 0, 0]
 */
export class PlacedGrad {
  constructor(
    /** the view's gradient */
    readonly g: Tensor,
    /** the input's shape */
    readonly shape: Shape,
    /** the view of a tensor of the input's shape where g belongs */
    readonly place: (z: Tensor) => Tensor,
  ) {}

  /** zeros of the input's shape with g at its place (a new tensor, referenced nowhere else) */
  materialize(): Tensor {
    const z = new Tensor(allocate(this.g.dtype, sizeOf(this.shape)), this.shape);
    writeStrided(this.place(z), this.g.data);
    return z;
  }

  /** acc[place] += g, for acc of the input's shape and g's dtype (written in place) */
  addTo(acc: Tensor): void {
    const at = this.place(acc);
    stridedWrite(this.g.data, acc.storage.array, at.storageOffset(), at.stride(), at.shape, true);
  }
}
