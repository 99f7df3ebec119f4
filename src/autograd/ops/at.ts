/**
 * `x.at(...indices)`: PyTorch's `x[...]`. Each entry indexes the next axis (or axes):
 *
 *   number            select that position (negative counts from the end); the axis goes away
 *   null              the whole axis, torch's `:`
 *   {start,end,step}  a Python slice (each part optional; negative start/end count from the end)
 *   int32 Tensor      advanced indexing: position index[b] of the axis, for every b of index's shape
 *   bool Tensor       a mask over as many axes as it has: the positions where it is true
 *
 * Axes after the last entry are taken whole. Like torch, numbers and slices are applied first; the
 * tensor indices (a mask counts as one int32 index per axis, its true positions) then broadcast
 * together to one shape B, which replaces the indexed axes: in their place when they are adjacent,
 * at the front when a null or slice separates them (NumPy's rule). That step is one row gather:
 *
 *   y [.., a_1, .., a_m, ..] (indexed axes adjacent, moved there by a permute if needed)
 *     -> merge them into one axis of size A = a_1 * .. * a_m
 *     -> out[.., b, ..] = y[.., lin[b], ..], lin[b] = sum_k index_k[b] * (a_{k+1} * .. * a_m)
 *     -> split b back into B
 *
 * so `C.at(X)` (an embedding lookup) copies one row of C per element of X, and its backward adds
 * each row of the gradient back into the row it came from (pickAlong's backward).
 * Numbers and slices give views sharing x's storage (select and slice), as in torch.
 */
import { broadcastShapes, broadcastStrides, fmtShape, sizeOf, stridesOf } from '../../tensor/shape.js';
import { checkIndexTensor } from '../dtypeCheck.js';
import { Tensor } from '../tensor.js';
import { saveForBackward } from '../saved.js';
import { boundIndices, pickAlong } from './indexing.js';

/**
 * A Python slice for `Tensor.at`: `{ start: 1 }` is `1:`, `{ end: -1 }` is `:-1`, `{ step: 2 }` is `::2`.
 * @example
 * x.at({ start: 1 }, { step: 2 }); // x[1:, ::2]
 */
export interface Slice {
  /** First index (default 0; negative counts from the end; clamped like Python). */
  start?: number;
  /** One past the last index (default the axis size; negative counts from the end; clamped). */
  end?: number;
  /** A positive step (default 1); torch rejects zero and negative steps. */
  step?: number;
}

/**
 * One entry of `Tensor.at`: an integer, `null` (torch's `:`), a {@link Slice}, or an int32/bool tensor.
 * @example
 * const idx: IndexEntry[] = [null, -1]; // x[:, -1]
 */
export type IndexEntry = number | null | Slice | Tensor;

/** A tensor index over one axis of the (partly indexed) tensor. */
interface Advanced {
  /** Its axis in the tensor after numbers and slices have been applied. */
  axis: number;
  index: Int32Array;
  shape: readonly number[];
}

function describe(e: unknown): string {
  return e === undefined ? 'undefined' : Array.isArray(e) ? 'an array' : typeof e === 'number' ? String(e) : typeof e;
}

/** Checks a slice's parts (torch's rules: integers, a positive step). */
function checkSlice(s: Slice, k: number): void {
  const { start = 0, end = 0, step = 1 } = s;
  for (const [name, v] of [
    ['start', start],
    ['end', end],
    ['step', step],
  ] as const) {
    if (!Number.isInteger(v)) throw new Error(`at: indices[${k}].${name} must be an integer, got ${describe(v)}`);
  }
  if (step <= 0) throw new Error(`at: indices[${k}].step must be greater than zero, got ${step}`);
}

/** The true positions of a bool mask, one int32 index per mask axis. */
function maskIndices(mask: Tensor): Int32Array[] {
  const data = mask.data;
  let count = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) count++;
  const out = mask.shape.map(() => new Int32Array(count));
  const strides = stridesOf(mask.shape);
  let c = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) continue;
    strides.forEach((s, a) => (out[a]![c] = Math.floor(i / s) % mask.shape[a]!));
    c++;
  }
  return out;
}

/** lin[b] = sum_k index_k[b broadcast] * (sizes[k+1] * .. * sizes[m-1]) over every b of `shape`. */
function linearIndex(adv: readonly Advanced[], sizes: readonly number[], shape: readonly number[]): Int32Array {
  if (adv.length === 1) return adv[0]!.index; // already of the broadcast shape
  const out = new Int32Array(sizeOf(shape));
  const outStrides = stridesOf(shape);
  let scale = 1;
  for (let k = adv.length - 1; k >= 0; k--) {
    const { index, shape: s } = adv[k]!;
    const from = broadcastStrides(s, shape);
    for (let b = 0; b < out.length; b++) {
      let off = 0;
      for (let a = 0; a < shape.length; a++) off += (Math.floor(b / outStrides[a]!) % shape[a]!) * from[a]!;
      out[b] += index[off]! * scale;
    }
    scale *= sizes[k]!;
  }
  return out;
}

/** `x[...]` (see the file header). */
export function at(x: Tensor, entries: readonly IndexEntry[]): Tensor {
  let consumed = 0;
  for (const e of entries) consumed += e instanceof Tensor && e.dtype === 'bool' ? e.ndim : 1;
  if (consumed > x.ndim) throw new Error(`at: too many indices for tensor of dimension ${x.ndim} (got ${consumed})`);
  let y = x;
  let axis = 0; // the next axis of y to index
  let source = 0; // the same axis in x, for error messages
  const adv: Advanced[] = [];
  const saved: (() => Tensor)[] = []; // the index tensors, as torch saves them for backward
  entries.forEach((e, k) => {
    if (e instanceof Tensor) saved.push(saveForBackward(e));
    const n = y.shape[axis]!;
    if (typeof e === 'number') {
      if (!Number.isInteger(e)) throw new Error(`at: indices[${k}] must be an integer, got ${e}`);
      boundIndices(Int32Array.of(e), n, source, 'at', true); // torch's message, naming x's axis
      y = y.select(axis, e);
      source++;
    } else if (e === null) {
      axis++;
      source++;
    } else if (e instanceof Tensor && e.dtype === 'bool') {
      if (e.ndim === 0) {
        // a 0-d mask adds an axis of size 1 (true) or 0 (false), like torch
        y = y.unsqueeze(axis);
        adv.push({ axis: axis++, index: e.data[0] ? Int32Array.of(0) : new Int32Array(0), shape: [e.data[0] ? 1 : 0] });
        return;
      }
      const covered = y.shape.slice(axis, axis + e.ndim);
      if (!e.shape.every((s, j) => s === covered[j])) {
        throw new Error(
          `at: the shape of the mask ${fmtShape(e.shape)} at indices[${k}] does not match the shape of the ` +
            `indexed tensor ${fmtShape(x.shape)} at dimension ${source}`,
        );
      }
      for (const index of maskIndices(e)) adv.push({ axis: axis++, index, shape: [index.length] });
      source += e.ndim;
    } else if (e instanceof Tensor) {
      const index = boundIndices(checkIndexTensor('at', `indices[${k}]`, e), n, source, 'at', true);
      adv.push({ axis: axis++, index, shape: e.shape });
      source++;
    } else if (typeof e === 'object' && !Array.isArray(e)) {
      checkSlice(e, k);
      if (e.start !== undefined || e.end !== undefined || (e.step ?? 1) !== 1)
        y = y.slice(axis, e.start, e.end, e.step);
      axis++;
      source++;
    } else {
      throw new Error(
        `at: indices[${k}] must be an integer, null, a { start, end, step } slice or an int32/bool ` +
          `Tensor, got ${describe(e)}`,
      );
    }
  });
  if (adv.length === 0) return y === x ? x.reshape(x.shape) : y; // x.at() is x[...]: same values, shared storage
  return gatherAdvanced(y, adv, saved);
}

/** The advanced-indexing step of `at`: one row gather over the merged indexed axes. */
function gatherAdvanced(y: Tensor, adv: Advanced[], saved: readonly (() => Tensor)[]): Tensor {
  let shape: number[];
  try {
    shape = adv.map((a) => [...a.shape]).reduce((p, q) => broadcastShapes(p, q, 'at'));
  } catch {
    const list = adv.map((a) => fmtShape(a.shape)).join(', ');
    throw new Error(`at: shape mismatch: indexing tensors could not be broadcast together with shapes ${list}`);
  }
  const m = adv.length;
  const adjacent = adv.every((a, k) => a.axis === adv[0]!.axis + k);
  if (!adjacent) {
    // a null or slice separates them: the indexed axes go first (NumPy's rule)
    const rest = y.shape.map((_, i) => i).filter((i) => !adv.some((a) => a.axis === i));
    y = y.permute([...adv.map((a) => a.axis), ...rest]);
  }
  const p = adjacent ? adv[0]!.axis : 0;
  const before = y.shape.slice(0, p);
  const after = y.shape.slice(p + m);
  const sizes = y.shape.slice(p, p + m);
  const merged = y.reshape([...before, sizeOf(sizes), ...after]);
  const picked = pickAlong(merged, p, linearIndex(adv, sizes, shape), 'index', saved);
  return picked.reshape([...before, ...shape, ...after]);
}
