/**
 * `Embedding`: a lookup table of numEmbeddings vectors of size embeddingDim, PyTorch's nn.Embedding
 * (weight [numEmbeddings, embeddingDim], state-dict key `weight`). The op is in
 * src/autograd/ops/embedding.ts.
 */
import { describeValue } from '../tensor/check.js';
import { embeddingAs, normalizePaddingIdx } from '../autograd/ops/embedding.js';
import { floatData } from '../autograd/dtypeCheck.js';
import { Tensor } from '../autograd/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import { normal_ } from './init.js';
import { Module, reprFields } from './module.js';

/**
 * Options of `Embedding`. `maxNorm`, `scaleGradByFreq` and `sparse` are torch's too but not
 * supported: giving one (other than false/null) is an Error.
 * @example new Embedding(10, 3, { paddingIdx: 0 })
 */
export interface EmbeddingModuleOptions {
  /** Row that is initialised to zero and receives no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /** Not supported (torch renormalises looked-up rows in place): an Error if given. */
  maxNorm?: number | null;
  /** Not supported: an Error if true. */
  scaleGradByFreq?: boolean;
  /**
   * The initial weight [numEmbeddings, embeddingDim] (torch's `_weight`), used as it is (no random
   * draw, row paddingIdx not zeroed); `fromPretrained` passes a copy.
   */
  weight?: Tensor;
  /** Not supported (typegrad has no sparse gradients): an Error if true. */
  sparse?: boolean;
}

/**
 * Options of `Embedding.fromPretrained`.
 * @example Embedding.fromPretrained(vectors, { freeze: false, paddingIdx: 0 })
 */
export interface FromPretrainedOptions extends EmbeddingModuleOptions {
  /** Keep the weight fixed (requiresGrad false; default true, like torch). */
  freeze?: boolean;
}

function checkUnsupported(opts: EmbeddingModuleOptions): void {
  if (opts.maxNorm !== undefined && opts.maxNorm !== null) {
    throw new Error(`Embedding: maxNorm is not supported (typegrad does not renormalise rows), got ${opts.maxNorm}`);
  }
  if (opts.scaleGradByFreq === true) throw new Error('Embedding: scaleGradByFreq is not supported, got true');
  if (opts.sparse === true) throw new Error('Embedding: sparse gradients are not supported, got sparse = true');
}

function checkSize(value: number, argName: string): void {
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`Embedding: ${argName} must be a non-negative integer, got ${value}`);
}

/**
 * A lookup table: `forward(indices)` returns row `indices[i]` of `weight` for every index, so int32
 * indices [*] give [*, embeddingDim]. The weight starts N(0, 1) (torch's init), with row
 * `paddingIdx` zero; that row receives no gradient. State-dict key `weight`.
 * @example
 * const emb = new nn.Embedding(27, 10);
 * emb.forward(tensor(Int32Array.of(1, 5, 0), [1, 3])).shape; // [1, 3, 10]
 */
export class Embedding extends Module {
  /** Size of the dictionary (rows of `weight`). */
  readonly numEmbeddings: number;
  /** Size of each embedding vector (columns of `weight`). */
  readonly embeddingDim: number;
  /** The row that gets no gradient, in [0, numEmbeddings), or null. */
  readonly paddingIdx: number | null;
  /** [numEmbeddings, embeddingDim]. */
  weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingModuleOptions = {}) {
    super();
    checkSize(numEmbeddings, 'numEmbeddings');
    checkSize(embeddingDim, 'embeddingDim');
    checkUnsupported(opts);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normalizePaddingIdx(opts.paddingIdx, numEmbeddings, 'Embedding');
    this.weight = opts.weight ?? this.initialWeight();
    if (opts.weight !== undefined && `${opts.weight.shape}` !== `${numEmbeddings},${embeddingDim}`) {
      throw new Error(
        `Embedding: weight must have shape [${numEmbeddings}, ${embeddingDim}], got ${fmtShape(opts.weight.shape)}`,
      );
    }
    this.registerParameter('weight');
  }

  /** N(0, 1) from the default generator with row paddingIdx zero: torch's `reset_parameters`. */
  private initialWeight(): Tensor {
    const { numEmbeddings: V, embeddingDim: D, paddingIdx } = this;
    const weight = normal_(new Tensor(new Float32Array(V * D), [V, D], true));
    if (paddingIdx !== null) weight.data.fill(0, paddingIdx * D, (paddingIdx + 1) * D);
    return weight;
  }

  /**
   * An Embedding whose weight is a copy of `weight` [numEmbeddings, embeddingDim] (torch shares
   * storage; here the input is never mutated by training). `freeze` (default true) keeps it fixed.
   * Unlike the constructor, row `paddingIdx` keeps its given values (it only gets no gradient).
   * @example
   * const emb = nn.Embedding.fromPretrained(tensor([[1, 2.3, 3], [4, 5.1, 6.3]]));
   * emb.forward(tensor(Int32Array.of(1))); // [[4, 5.1, 6.3]]
   */
  static fromPretrained(weight: Tensor, opts: FromPretrainedOptions = {}): Embedding {
    if (!(weight instanceof Tensor))
      throw new Error(`Embedding.fromPretrained: weight must be a Tensor, got ${describeValue(weight)}`);
    floatData(weight, 'Embedding.fromPretrained', 'weight');
    if (weight.ndim !== 2) {
      throw new Error(
        `Embedding.fromPretrained: embeddings parameter is expected to be 2-dimensional, got ${fmtShape(weight.shape)}`,
      );
    }
    const [rows, cols] = weight.shape as [number, number];
    const { freeze = true, ...rest } = opts;
    return new Embedding(rows, cols, { ...rest, weight: new Tensor(weight.data.slice(), weight.shape, !freeze) });
  }

  protected override extraRepr(): string {
    const padding = this.paddingIdx === null ? '' : `, ${reprFields({ paddingIdx: this.paddingIdx })}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${padding}`;
  }

  /** int32 indices [*] -> [*, embeddingDim]. */
  forward(indices: Tensor): Tensor {
    return embeddingAs('Embedding', indices, this.weight, { paddingIdx: this.paddingIdx });
  }
}
