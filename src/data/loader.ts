/**
 * `DataLoader`: mini-batches from tensors that share their first dimension (samples), like
 * torch.utils.data.DataLoader over a TensorDataset.
 *
 * Shapes: every input tensor is [N, ...rest]; a batch of B samples is [B, ...rest] per tensor, copied
 * into new storage. With `shuffle`, each pass (each `for ... of`) draws a fresh permutation of the N
 * samples by Fisher-Yates with `generator.int`, so the same seed gives the same order everywhere.
 */
import { describeValue } from '../tensor/check.js';
import { Tensor } from '../autograd/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { fmtShape } from '../tensor/shape.js';

/**
 * Options of `DataLoader`.
 * @example
 * for (const [x, y] of new DataLoader([images, labels], { batchSize: 64, shuffle: true, dropLast: true })) {
 *   // one training step on the batch
 * }
 */
export interface DataLoaderOptions {
  /** Samples per batch (default 1, like torch). */
  batchSize?: number;
  /** Draw a new random order of the samples on every pass (default false). */
  shuffle?: boolean;
  /** Leave out the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** The generator that shuffles (default: the one `manualSeed` resets). */
  generator?: Generator;
}

/** A random permutation of 0..n-1 by Fisher-Yates: for i = n-1 down to 1, swap i with j in [0, i]. */
function permutation(n: number, generator: Generator): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** Rows `order[start..end)` of `t` (shape [N, ...rest]) stacked into a new [end - start, ...rest] tensor. */
function gatherRows(t: Tensor, order: Int32Array, start: number, end: number): Tensor {
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = allocate(t.dtype, (end - start) * rowSize);
  for (let k = start; k < end; k++) {
    const row = order[k]!;
    out.set(t.data.subarray(row * rowSize, (row + 1) * rowSize), (k - start) * rowSize);
  }
  return new Tensor(out, [end - start, ...t.shape.slice(1)]);
}

/**
 * Iterates over mini-batches of tensors that share their first dimension; `length` is the number
 * of batches per pass, `ceil(N / batchSize)` (or `floor` with `dropLast`).
 * @example
 * const loader = new DataLoader([inputs, targets], { batchSize: 32, shuffle: true });
 * for (const [x, y] of loader) { ... }
 */
export class DataLoader<T extends Tensor[]> implements Iterable<T> {
  /** The tensors batches are drawn from (not copied, never modified). */
  readonly tensors: T;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each pass draws a new random order. */
  readonly shuffle: boolean;
  /** Whether a last, smaller batch is left out. */
  readonly dropLast: boolean;
  /** The generator that shuffles. */
  readonly generator: Generator;
  /** Number of samples N (the shared first dimension). */
  readonly numSamples: number;

  constructor(tensors: [...T], opts: DataLoaderOptions = {}) {
    if (!Array.isArray(tensors) || tensors.length === 0) {
      throw new Error(`DataLoader: tensors must be a non-empty array of Tensors, got ${describeValue(tensors)}`);
    }
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor))
        throw new Error(`DataLoader: tensors[${i}] must be a Tensor, got ${describeValue(t)}`);
      if (t.ndim === 0) throw new Error(`DataLoader: tensors[${i}] must have a first (sample) dimension, got shape []`);
      if (t.shape[0] !== tensors[0]!.shape[0]) {
        throw new Error(
          `DataLoader: every tensor must have the same first dimension; tensors[0] has ` +
            `${tensors[0]!.shape[0]} samples ` +
            `(shape ${fmtShape(tensors[0]!.shape)}), tensors[${i}] has ${t.shape[0]} (shape ${fmtShape(t.shape)})`,
        );
      }
    });
    const batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${describeValue(batchSize)}`);
    if (opts.generator !== undefined && !(opts.generator instanceof Generator)) {
      throw new Error(`DataLoader: generator must be a Generator, got ${describeValue(opts.generator)}`);
    }
    this.tensors = tensors as T;
    this.batchSize = batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.generator = opts.generator ?? defaultGenerator;
    this.numSamples = tensors[0]!.shape[0]!;
  }

  /** Number of batches in one pass. */
  get length(): number {
    const round = this.dropLast ? Math.floor : Math.ceil;
    return round(this.numSamples / this.batchSize);
  }

  /** One pass over the data; with `shuffle`, the order is drawn here, when the pass starts. */
  [Symbol.iterator](): Iterator<T> {
    const n = this.numSamples;
    const order = this.shuffle ? permutation(n, this.generator) : Int32Array.from({ length: n }, (_, i) => i);
    return this.batches(order);
  }

  private *batches(order: Int32Array): IterableIterator<T> {
    for (let b = 0; b < this.length; b++) {
      const start = b * this.batchSize;
      const end = Math.min(start + this.batchSize, this.numSamples);
      yield this.tensors.map((t) => gatherRows(t, order, start, end)) as T;
    }
  }
}
