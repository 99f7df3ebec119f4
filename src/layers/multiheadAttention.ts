/**
 * `MultiheadAttention`: torch.nn.MultiheadAttention (F.multi_head_attention_forward), with torch's
 * parameter names and initialisation.
 *
 *   query [L, N, E], key [S, N, kdim], value [S, N, vdim]   (batchFirst: [N, L, E], ...; unbatched: [L, E], ...)
 *   q = query Wq^T + bq, k = key Wk^T + bk, v = value Wv^T + bv          each [*, E]
 *   split E into H heads of hd = E / H:  q -> [N, H, L, hd], k, v -> [N, H, S, hd]
 *   o = softmax(q k^T / sqrt(hd) + mask) v                               [N, H, L, hd]  (attend)
 *   output = concat_heads(o) Wo^T + bo                                    [L, N, E]
 *   weights = the softmax (after dropout) [N, H, L, S], averaged over heads by default -> [N, L, S]
 *
 * Wq, Wk, Wv are the three row blocks of `in_proj_weight` [3E, E] (or the separate `q_proj_weight`,
 * `k_proj_weight`, `v_proj_weight` when kdim or vdim differ from E), bq, bk, bv those of
 * `in_proj_bias` [3E]; Wo, bo are `out_proj.weight`, `out_proj.bias`.
 *
 * Masks follow torch's MultiheadAttention convention: a bool `attnMask` [L, S] or [N*H, L, S] and a
 * bool `keyPaddingMask` [N, S] are true where attention is NOT allowed; float masks are added to
 * the scores. Both are merged into one additive bias.
 */
import { describeValue } from '../tensor/check.js';
import { embedding } from '../autograd/ops/embedding.js';
import { checkProbability } from '../autograd/ops/dropout.js';
import { floatData } from '../autograd/dtypeCheck.js';
import { Tensor } from '../autograd/tensor.js';
import { fmtShape } from '../tensor/shape.js';
import { attend, boolMaskToBias } from './functional/attention.js';
import { xavierUniform_, zeros_ } from './init.js';
import { linearAs } from './functional/linear.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/**
 * Options of `MultiheadAttention`.
 * @example new MultiheadAttention(64, 8, { batchFirst: true, dropout: 0.1 })
 */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights in training (default 0). */
  dropout?: number;
  /** Biases in the input and output projections (default true). */
  bias?: boolean;
  /** Not supported (torch's learned bias_k / bias_v rows): an Error if true. */
  addBiasKV?: boolean;
  /** Not supported (torch's zero attention row): an Error if true. */
  addZeroAttn?: boolean;
  /** Features of `key` (default embedDim). */
  kdim?: number | null;
  /** Features of `value` (default embedDim). */
  vdim?: number | null;
  /** Inputs and output are [N, L, E] instead of [L, N, E] (default false, like torch). */
  batchFirst?: boolean;
}

/**
 * Options of `MultiheadAttention.forward`.
 * @example mha.forward(x, x, x, { keyPaddingMask: pad, needWeights: false })
 */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): bool, true = ignore that key; or float, added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true); otherwise `weights` is null. */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S]: bool, true = not allowed; or float, added to the scores. */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true): [N, L, S] instead of [N, H, L, S]. */
  averageAttnWeights?: boolean;
  /** A hint that attnMask is the causal mask; attnMask must then be given (as in torch). */
  isCausal?: boolean;
}

/**
 * What `MultiheadAttention.forward` returns (torch's `(attn_output, attn_output_weights)`).
 * @example const { output, weights } = mha.forward(q, k, v);
 */
export interface MultiheadAttentionOutput {
  /** [L, N, E] ([N, L, E] with batchFirst, [L, E] unbatched). */
  output: Tensor;
  /** [N, L, S] averaged, [N, H, L, S] per head (without N unbatched), or null unless needWeights. */
  weights: Tensor | null;
}

const WHERE = 'MultiheadAttention';

function checkPositive(value: number, argName: string): void {
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${WHERE}: ${argName} must be a positive integer, got ${value}`);
}

/** Rows start..start+count-1 of a parameter, differentiably: the embedding gather with indices start.. */
function rows(p: Tensor, start: number, count: number): Tensor {
  const idx = new Int32Array(count);
  for (let i = 0; i < count; i++) idx[i] = start + i;
  const table = p.ndim === 1 ? p.reshape([-1, 1]) : p;
  return embedding(new Tensor(idx, [count]), table).reshape(p.ndim === 1 ? [count] : [count, -1]);
}

/** A mask as an additive float bias (bool: true -> -inf), or null. */
function maskBias(mask: Tensor | null | undefined, arg: string, dtype: 'float32' | 'float64'): Tensor | null {
  if (mask === null || mask === undefined) return null;
  if (!(mask instanceof Tensor))
    throw new Error(`${WHERE}: ${arg} must be a Tensor or null, got ${describeValue(mask)}`);
  if (mask.dtype === 'bool') return boolMaskToBias(mask, false, dtype);
  floatData(mask, WHERE, `${arg} (bool or floating)`);
  return mask.to(dtype);
}

/**
 * Multi-head attention: `forward(query, key, value)` projects the inputs, attends with numHeads
 * heads of embedDim / numHeads features and projects the concatenated heads back; returns
 * `{ output, weights }`. Parameters `in_proj_weight` [3E, E] (xavier-uniform), `in_proj_bias` [3E]
 * (zeros), `out_proj.weight`, `out_proj.bias` (zeros), torch's keys.
 * @example
 * const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
 * const x = randn([4, 5, 8]);
 * const { output, weights } = mha.forward(x, x, x); // output [4, 5, 8], weights [4, 5, 5]
 */
export class MultiheadAttention extends Module {
  /** E: features of query and output. */
  readonly embedDim: number;
  /** H: number of heads. */
  readonly numHeads: number;
  /** E / H: features per head. */
  readonly headDim: number;
  /** Features of key. */
  readonly kdim: number;
  /** Features of value. */
  readonly vdim: number;
  /** Dropout probability on the attention weights in training. */
  readonly dropout: number;
  /** Inputs and output are [N, L, E]. */
  readonly batchFirst: boolean;
  /** [3E, E], or null when kdim or vdim differ from E. */
  inProjWeight: Tensor | null;
  /** [E, E] when kdim or vdim differ from E (then the q rows of the projection); else null. */
  qProjWeight: Tensor | null;
  /** [E, kdim] when kdim or vdim differ from E; else null. */
  kProjWeight: Tensor | null;
  /** [E, vdim] when kdim or vdim differ from E; else null. */
  vProjWeight: Tensor | null;
  /** [3E], or null without bias. */
  inProjBias: Tensor | null;
  /** The output projection E -> E. */
  outProj: Linear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    checkPositive(embedDim, 'embedDim');
    checkPositive(numHeads, 'numHeads');
    if (embedDim % numHeads !== 0) {
      throw new Error(
        `${WHERE}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads}) (torch: "embed_dim ` +
          `must be divisible by num_heads")`,
      );
    }
    if (opts.addBiasKV === true) throw new Error(`${WHERE}: addBiasKV is not supported, got true`);
    if (opts.addZeroAttn === true) throw new Error(`${WHERE}: addZeroAttn is not supported, got true`);
    const dropout = opts.dropout ?? 0;
    checkProbability(dropout, WHERE);
    const E = embedDim;
    this.embedDim = E;
    this.numHeads = numHeads;
    this.headDim = E / numHeads;
    this.kdim = opts.kdim ?? E;
    this.vdim = opts.vdim ?? E;
    checkPositive(this.kdim, 'kdim');
    checkPositive(this.vdim, 'vdim');
    this.dropout = dropout;
    this.batchFirst = opts.batchFirst ?? false;
    const bias = opts.bias ?? true;
    // torch's _reset_parameters: xavier_uniform_ on the projection weights, zeros on the biases
    const xavier = (r: number, c: number): Tensor => xavierUniform_(new Tensor(new Float32Array(r * c), [r, c], true));
    const sameDim = this.kdim === E && this.vdim === E;
    this.inProjWeight = sameDim ? xavier(3 * E, E) : null;
    this.qProjWeight = sameDim ? null : xavier(E, E);
    this.kProjWeight = sameDim ? null : xavier(E, this.kdim);
    this.vProjWeight = sameDim ? null : xavier(E, this.vdim);
    this.inProjBias = bias ? new Tensor(new Float32Array(3 * E), [3 * E], true) : null;
    this.outProj = new Linear(E, E, { bias });
    if (this.outProj.bias !== null) zeros_(this.outProj.bias);
    this.registerParameter('in_proj_weight', 'inProjWeight');
    this.registerParameter('q_proj_weight', 'qProjWeight');
    this.registerParameter('k_proj_weight', 'kProjWeight');
    this.registerParameter('v_proj_weight', 'vProjWeight');
    this.registerParameter('in_proj_bias', 'inProjBias');
    this.registerModule('out_proj', 'outProj');
  }

  /** The three projections' weights and biases [Wq, Wk, Wv], [bq, bk, bv]. */
  private projections(): { w: Tensor[]; b: (Tensor | null)[] } {
    const E = this.embedDim;
    const w =
      this.inProjWeight !== null
        ? [0, 1, 2].map((i) => rows(this.inProjWeight!, i * E, E))
        : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
    const b = [0, 1, 2].map((i) => (this.inProjBias === null ? null : rows(this.inProjBias, i * E, E)));
    return { w, b };
  }

  /**
   * Attention of `query` over `key`/`value`; see the class and the options for shapes and masks.
   * @example
   * const { output } = mha.forward(q, k, v, { attnMask: mask, needWeights: false });
   */
  // An object, not a Tensor: Module.forward's result type is open (any) for this one layer.
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: MultiheadAttentionForwardOptions = {},
  ): MultiheadAttentionOutput {
    for (const [arg, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const) {
      if (!(t instanceof Tensor)) throw new Error(`${WHERE}: ${arg} must be a Tensor, got ${describeValue(t)}`);
      floatData(t, WHERE, arg);
    }
    const batched = query.ndim === 3;
    if (query.ndim !== 2 && query.ndim !== 3) {
      throw new Error(
        `${WHERE}: query should be unbatched 2D or batched 3D tensor, got a ${query.ndim}-D query ` +
          `${fmtShape(query.shape)}`,
      );
    }
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new Error(
        `${WHERE}: key and value must be ${query.ndim}-D like query ${fmtShape(query.shape)}, got key ` +
          `${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`,
      );
    }
    // to [L, N, E] ([S, N, kdim], [S, N, vdim])
    const seqFirst = (t: Tensor): Tensor => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const [q0, k0, v0] = [seqFirst(query), seqFirst(key), seqFirst(value)] as [Tensor, Tensor, Tensor];
    const [L, N, E] = q0.shape as [number, number, number];
    const S = k0.shape[0]!;
    const H = this.numHeads;
    const hd = this.headDim;
    if (E !== this.embedDim)
      throw new Error(
        `${WHERE}: was expecting embedding dimension of ${this.embedDim}, got query ${fmtShape(query.shape)}`,
      );
    if (k0.shape[2] !== this.kdim || v0.shape[2] !== this.vdim) {
      throw new Error(
        `${WHERE}: key and value must have ${this.kdim} and ${this.vdim} features, got key ` +
          `${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`,
      );
    }
    if (k0.shape[0] !== v0.shape[0] || k0.shape[1] !== N || v0.shape[1] !== N) {
      throw new Error(
        `${WHERE}: key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} must match query ` +
          `${fmtShape(query.shape)} in batch and each other in length`,
      );
    }
    const bias = this.mergedMask(opts, L, S, N, batched, q0.dtype as 'float32' | 'float64');
    const { w, b } = this.projections();
    // [len, N, E] -> [N, H, len, hd]
    const heads = (t: Tensor, len: number): Tensor => t.reshape([len, N, H, hd]).permute([1, 2, 0, 3]);
    const q = heads(linearAs(WHERE, q0, w[0]!, b[0]!), L);
    const k = heads(linearAs(WHERE, k0, w[1]!, b[1]!), S);
    const v = heads(linearAs(WHERE, v0, w[2]!, b[2]!), S);
    const att = attend(q, k, v, bias, 1 / Math.sqrt(hd), this.training ? this.dropout : 0);
    // [N, H, L, hd] -> [L, N, E] -> out_proj
    let output = linearAs(
      WHERE,
      att.output.permute([2, 0, 1, 3]).reshape([L, N, E]),
      this.outProj.weight,
      this.outProj.bias,
    );
    output = !batched ? output.squeeze(1) : this.batchFirst ? output.transpose(0, 1) : output;
    if (!(opts.needWeights ?? true)) return { output, weights: null };
    let weights = (opts.averageAttnWeights ?? true) ? att.weights.mean(1) : att.weights;
    if (!batched) weights = weights.squeeze(0);
    return { output, weights };
  }

  /** attnMask and keyPaddingMask as one additive bias broadcasting to [N, H, L, S], or null. */
  private mergedMask(
    opts: MultiheadAttentionForwardOptions,
    L: number,
    S: number,
    N: number,
    batched: boolean,
    dtype: 'float32' | 'float64',
  ): Tensor | null {
    const H = this.numHeads;
    if ((opts.isCausal ?? false) && (opts.attnMask === null || opts.attnMask === undefined)) {
      throw new Error(
        `${WHERE}: isCausal is a hint and needs attnMask (torch: "Need attn_mask if specifying the is_causal hint")`,
      );
    }
    let attn = maskBias(opts.attnMask, 'attnMask', dtype);
    if (attn !== null) {
      const heads = batched ? N * H : H;
      if (attn.ndim === 3 && `${attn.shape}` === `${heads},${L},${S}`) attn = attn.reshape([N, H, L, S]);
      else if (attn.ndim !== 2 || `${attn.shape}` !== `${L},${S}`) {
        throw new Error(
          `${WHERE}: attnMask must be [${L}, ${S}] or [${heads}, ${L}, ${S}], got ${fmtShape(attn.shape)}`,
        );
      }
    }
    let pad = maskBias(opts.keyPaddingMask, 'keyPaddingMask', dtype);
    if (pad !== null) {
      const want = batched ? `${N},${S}` : `${S}`;
      if (`${pad.shape}` !== want) {
        throw new Error(
          `${WHERE}: keyPaddingMask must be [${batched ? `${N}, ` : ''}${S}], got ${fmtShape(pad.shape)}`,
        );
      }
      pad = pad.reshape([N, 1, 1, S]);
    }
    if (attn === null) return pad;
    return pad === null ? attn : attn.add(pad);
  }
}
