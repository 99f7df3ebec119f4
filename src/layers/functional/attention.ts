/**
 * Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention), composed of
 * differentiable ops (matmul, mul, add, softmax, dropout), as in torch's documented reference:
 *
 *   q [*, L, E], k [*, S, E], v [*, S, Ev]  (the batch axes * broadcast, as in matmul)
 *   scores  = q k^T * scale + bias          [*, L, S], scale = 1/sqrt(E) by default
 *   weights = softmax(scores, -1)           (then dropout when dropoutP > 0)
 *   out     = weights v                     [*, L, Ev]
 *
 * `bias` is 0 where a query may attend and -inf where it may not (a bool mask: true = take part;
 * isCausal: key j > query i is masked), or the given float mask, added. A query row whose scores
 * are all -inf gets zero weights (and zero gradient), as torch computes it, not the reference's NaN.
 * The gradient through softmax is the softmax op's: dscores = w * (dw - sum(dw * w)); see
 * docs/derivations/sequence-models.md.
 */
import { describeValue } from '../../tensor/check.js';
import { softmax } from '../../autograd/ops/softmax.js';
import { dropout, checkProbability } from '../../autograd/ops/dropout.js';
import { floatData } from '../../autograd/dtypeCheck.js';
import { Tensor } from '../../autograd/tensor.js';
import { attention } from '../../autograd/ops/attention.js';
import { opObserver } from '../../autograd/record.js';
import { allocate, isFloating } from '../../tensor/dtype.js';
import type { Generator } from '../../tensor/random.js';
import { broadcastShapes, fmtShape, sameShape } from '../../tensor/shape.js';

/**
 * Options of `scaledDotProductAttention`.
 * @example scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: 0.1 })
 */
export interface ScaledDotProductAttentionOptions {
  /** bool (true = may attend) or float (added to the scores) mask, broadcastable to [*, L, S]. */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0; applied whenever > 0, like torch). */
  dropoutP?: number;
  /** Mask keys after each query: query i attends to keys 0..i (an [L, S] lower triangle). */
  isCausal?: boolean;
  /** Factor on q k^T (default 1/sqrt(E)). */
  scale?: number | null;
  /** Draw the dropout mask from this generator instead of the default one. */
  generator?: Generator;
}

/** What `attend` computes: the output and the attention weights (after dropout). */
export interface Attended {
  output: Tensor;
  weights: Tensor;
}

/**
 * An additive float bias of `dtype` from a bool mask: 0 where `mask` equals `keep`, -inf elsewhere
 * (SDPA's masks keep true; MultiheadAttention's masks drop true, so keep = false there).
 */
export function boolMaskToBias(mask: Tensor, keep: boolean, dtype: 'float32' | 'float64'): Tensor {
  const m = mask.data;
  const bias = allocate(dtype, m.length);
  const keepBit = keep ? 1 : 0;
  for (let i = 0; i < m.length; i++) bias[i] = m[i] === keepBit ? 0 : -Infinity;
  return new Tensor(bias, mask.shape);
}

/** The [L, S] causal bias: 0 where key j <= query i, -inf where j > i (torch's ones(L, S).tril()). */
export function causalBias(L: number, S: number, dtype: 'float32' | 'float64'): Tensor {
  const bias = allocate(dtype, L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) bias[i * S + j] = -Infinity;
  return new Tensor(bias, [L, S]);
}

/** A bool [..., L, 1] tensor marking the rows of `scores` [..., L, S] that are all -inf, or null if none. */
function deadRows(scores: Tensor): Tensor | null {
  const S = scores.shape[scores.ndim - 1]!;
  if (S === 0) return null;
  const d = scores.data;
  const rows = d.length / S;
  const dead = new Uint8Array(rows);
  let any = false;
  for (let r = 0; r < rows; r++) {
    let all = true;
    for (let j = r * S; j < (r + 1) * S && all; j++) all = d[j] === -Infinity;
    if (all) {
      dead[r] = 1;
      any = true;
    }
  }
  return any ? new Tensor(dead, [...scores.shape.slice(0, -1), 1]) : null;
}

/**
 * softmax(q k^T * scale + bias) v and the weights; the shared core of scaledDotProductAttention and
 * MultiheadAttention. Arguments are checked by the callers.
 */
export function attend(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  bias: Tensor | null,
  scale: number,
  dropoutP: number,
  generator?: Generator,
): Attended {
  let scores = q.matmul(k.transpose(-2, -1)).mul(scale); // [*, L, S]
  if (bias !== null) scores = scores.add(bias);
  // torch's safe softmax: a row with nothing to attend to gets weights 0 instead of 0/0
  const dead = deadRows(scores);
  if (dead !== null) scores = scores.maskedFill(dead, 0);
  let weights = softmax(scores, -1);
  if (dead !== null) weights = weights.maskedFill(dead, 0);
  if (dropoutP > 0) weights = dropout(weights, dropoutP, generator === undefined ? {} : { generator });
  return { output: weights.matmul(v), weights };
}

/**
 * True when q, k, v have one batch shape and no empty axis (the one-op form's domain), and no ONNX
 * exporter is tracing (it lowers the composition's ops one by one).
 */
function fusable(q: Tensor, k: Tensor, v: Tensor): boolean {
  if (opObserver.current !== null) return false;
  const batch = q.shape.slice(0, -2);
  if (!sameShape(k.shape.slice(0, -2), batch) || !sameShape(v.shape.slice(0, -2), batch)) return false;
  return q.size > 0 && k.size > 0 && v.size > 0;
}

function checkInput(t: unknown, arg: string): Tensor {
  if (!(t instanceof Tensor))
    throw new Error(`scaledDotProductAttention: ${arg} must be a Tensor, got ${describeValue(t)}`);
  // (floatData only for its error: reading a view's data would copy it)
  if (!isFloating(t.dtype)) floatData(t, 'scaledDotProductAttention', arg);
  if (t.ndim < 2)
    throw new Error(
      `scaledDotProductAttention: ${arg} must have at least 2 dimensions [..., length, features], got ` +
        `${fmtShape(t.shape)}`,
    );
  return t;
}

/**
 * Attention of queries `query` [*, L, E] over keys `key` [*, S, E] and values `value` [*, S, Ev]:
 * softmax(q k^T / sqrt(E) + mask) v, [*, L, Ev], torch's `F.scaled_dot_product_attention`.
 * @example
 * const q = randn([2, 4, 8]), k = randn([2, 6, 8]), v = randn([2, 6, 3]);
 * scaledDotProductAttention(q, k, v, { isCausal: true }).shape; // [2, 4, 3]
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  opts: ScaledDotProductAttentionOptions = {},
): Tensor {
  const where = 'scaledDotProductAttention';
  checkInput(query, 'query');
  checkInput(key, 'key');
  checkInput(value, 'value');
  const L = query.shape[query.ndim - 2]!;
  const E = query.shape[query.ndim - 1]!;
  const S = key.shape[key.ndim - 2]!;
  if (key.shape[key.ndim - 1] !== E) {
    throw new Error(
      `${where}: key's last axis must equal query's (E = ${E}), got query ${fmtShape(query.shape)}, ` +
        `key ${fmtShape(key.shape)}`,
    );
  }
  if (value.shape[value.ndim - 2] !== S) {
    throw new Error(
      `${where}: value's length axis (-2) must equal key's (S = ${S}), got key ${fmtShape(key.shape)}, ` +
        `value ${fmtShape(value.shape)}`,
    );
  }
  if (key.dtype !== query.dtype || value.dtype !== query.dtype) {
    throw new Error(
      `${where}: query, key and value must have the same dtype, got '${query.dtype}', '${key.dtype}' ` +
        `and '${value.dtype}'`,
    );
  }
  const { attnMask = null, isCausal = false, dropoutP = 0, scale = null } = opts;
  checkProbability(dropoutP, where);
  if (scale !== null && (typeof scale !== 'number' || !Number.isFinite(scale))) {
    throw new Error(`${where}: scale must be a finite number or null, got ${describeValue(scale)}`);
  }
  const dtype = query.dtype as 'float32' | 'float64';
  let bias: Tensor | null = null;
  if (isCausal && attnMask !== null) {
    throw new Error(
      `${where}: explicit attnMask should not be set when isCausal is true (torch: "Explicit attn_mask ` +
        `should not be set when is_causal=True")`,
    );
  }
  // no mask but the causal one, no dropout, one batch shape: the one-op form (ops/attention.ts)
  if (attnMask === null && dropoutP === 0 && fusable(query, key, value)) {
    return attention(query, key, value, scale ?? 1 / Math.sqrt(E), isCausal);
  }
  if (isCausal) {
    bias = causalBias(L, S, dtype);
  } else if (attnMask !== null) {
    if (!(attnMask instanceof Tensor))
      throw new Error(`${where}: attnMask must be a Tensor or null, got ${describeValue(attnMask)}`);
    if (attnMask.dtype !== 'bool' && attnMask.dtype !== dtype) {
      throw new Error(`${where}: attnMask must be bool or of query's dtype '${dtype}', got dtype '${attnMask.dtype}'`);
    }
    const scoresShape = [...broadcastShapes(query.shape.slice(0, -2), key.shape.slice(0, -2), where), L, S];
    if (!sameShape(broadcastShapes(scoresShape, attnMask.shape, where), scoresShape)) {
      throw new Error(
        `${where}: attnMask ${fmtShape(attnMask.shape)} must broadcast to the scores' shape ${fmtShape(scoresShape)}`,
      );
    }
    bias = attnMask.dtype === 'bool' ? boolMaskToBias(attnMask, true, dtype) : attnMask;
  }
  return attend(query, key, value, bias, scale ?? 1 / Math.sqrt(E), dropoutP, opts.generator).output;
}
