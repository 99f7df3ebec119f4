/**
 * Embedding lookup (torch.nn.functional.embedding): row gather by int32 indices, and its backward,
 * a scatter-add of gradient rows. Derivation: docs/derivations/sequence-models.md.
 *
 *   indices [*]  (int32, each in [0, V)),  weight [V, D]  ->  out [*, D]
 *   forward:   out[i, :] = weight[indices[i], :]                      (one row copy per index)
 *   backward:  dweight[v, :] = sum over { i : indices[i] = v } of dout[i, :]
 *              (zero for rows never looked up, and for row paddingIdx whatever its count)
 *
 * The indices are constants of the graph (no gradient); the gradient rows are summed in float64.
 */
import { describeValue } from '../../tensor/check.js';
import { allocate } from '../../tensor/dtype.js';
import { fmtShape } from '../../tensor/shape.js';
import { checkIndexTensor, floatData } from '../dtypeCheck.js';
import { handOver } from '../handOver.js';
import { record } from '../record.js';
import { saveForBackward } from '../saved.js';
import { Tensor } from '../tensor.js';

/**
 * Options of `embedding`.
 * @example embedding(tokens, weight, { paddingIdx: 0 })  // row 0 gets no gradient
 */
export interface EmbeddingOptions {
  /** A row that receives no gradient (negative counts from the end); null or absent: none. */
  paddingIdx?: number | null;
}

/**
 * `paddingIdx` as a row in [0, numEmbeddings), or null; negative counts from the end, like torch.
 * @example normalizePaddingIdx(-1, 10, 'Embedding')  // 9
 */
export function normalizePaddingIdx(
  paddingIdx: number | null | undefined,
  numEmbeddings: number,
  where: string,
): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
    throw new Error(
      `${where}: paddingIdx must be an integer within numEmbeddings (in [${-numEmbeddings}, ${numEmbeddings - 1}]), ` +
        `got ${paddingIdx} (torch: "Padding_idx must be within num_embeddings")`,
    );
  }
  return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
}

/**
 * Looks up rows of `weight` [V, D] by the int32 `indices` of any shape: out [...indices.shape, D].
 * Differentiable in `weight` (row `paddingIdx` gets no gradient).
 * @example embedding(tensor(Int32Array.of(2, 0)), weight)  // [weight[2], weight[0]], shape [2, D]
 */
export function embedding(indices: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  return embeddingAs('embedding', indices, weight, opts);
}

/** `embedding` under the name of its caller (nn.Embedding passes 'Embedding'). */
export function embeddingAs(where: string, indices: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  const idx = checkIndexTensor(where, 'indices', indices);
  if (!(weight instanceof Tensor)) throw new Error(`${where}: weight must be a Tensor, got ${describeValue(weight)}`);
  const w = floatData(weight, where, 'weight');
  if (weight.ndim !== 2)
    throw new Error(`${where}: weight must be 2-D [numEmbeddings, embeddingDim], got ${fmtShape(weight.shape)}`);
  const [V, D] = weight.shape as [number, number];
  const paddingIdx = normalizePaddingIdx(opts.paddingIdx, V, where);
  // out [n, D], n = number of indices: row i is weight row idx[i]
  const out = allocate(weight.dtype as 'float32' | 'float64', idx.length * D);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= V) {
      throw new Error(
        `${where}: index ${v} is out of range for weight with ${V} rows (torch: "index out of range in self")`,
      );
    }
    out.set(w.subarray(v * D, v * D + D), i * D);
  }
  const y = new Tensor(out, [...indices.shape, D]);
  const is = saveForBackward(indices); // backward reads the indices' values: checked against in-place writes
  return record(
    y,
    'embedding',
    [weight],
    (g) => {
      is();
      return [handOver(embeddingBackward(g, idx, V, D, paddingIdx))];
    },
    { indices },
  );
}

/** dweight [V, D]: the rows of g [n, D] summed (float64) into the rows their indices name, paddingIdx skipped. */
function embeddingBackward(g: Tensor, idx: Int32Array, V: number, D: number, paddingIdx: number | null): Tensor {
  const gd = g.data;
  const acc = new Float64Array(V * D);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v === paddingIdx) continue;
    const src = i * D;
    const dst = v * D;
    for (let j = 0; j < D; j++) acc[dst + j]! += gd[src + j]!;
  }
  const dw = allocate(g.dtype === 'float64' ? 'float64' : 'float32', V * D);
  dw.set(acc);
  return new Tensor(dw, [V, D]);
}
