/**
 * nanoGPT (Karpathy, https://github.com/karpathy/nanoGPT, `model.py`) ported to typegrad line by
 * line, as a PyTorch user would write it: the same modules, the same attribute names (so the state
 * dict keys are nanoGPT's exactly: `transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`,
 * ..., `lm_head.weight`), the same initialisation, optimizer groups and sampling loop.
 *
 *   idx [B, T] int32 -> wte(idx) + wpe(0..T-1)            [B, T, C]   then dropout
 *   nLayer blocks:  x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))        (pre-norm residual)
 *     attn: c_attn [C -> 3C] split into q, k, v; heads [B, nh, T, hs]; causal SDPA; c_proj [C -> C]
 *     mlp:  c_fc [C -> 4C], GELU, c_proj [4C -> C], dropout
 *   ln_f, lm_head [C -> vocabSize] (its weight IS wte's weight: tied)   [B, T, vocabSize]
 *
 * Departures from nanoGPT, each small: `norm` picks LayerNorm (nanoGPT's) or torch's nn.RMSNorm for
 * every norm; `transformer` is a typed Module with the fields of nanoGPT's ModuleDict (same keys);
 * module attributes keep nanoGPT's snake_case names because they are the state-dict keys, while the
 * config and the methods use TypeScript's camelCase (`nEmbd`, `configureOptimizers`).
 * test/fixtures/gpt_roundtrip.py holds the PyTorch twin that test/examples/gptRoundtrip.test.ts
 * compares against.
 */
import { arange, cat, functional as F, multinomial, nn, noGrad, optim, type Tensor } from '../../src/index.js';

/** The model's hyper-parameters (nanoGPT's GPTConfig, camelCase). */
export interface GPTConfig {
  /** Longest context (positions of wpe). */
  blockSize: number;
  /** Number of tokens (rows of wte, outputs of lm_head). */
  vocabSize: number;
  nLayer: number;
  nHead: number;
  /** Channels C; must be divisible by nHead. */
  nEmbd: number;
  /** Dropout probability after the embeddings, on attention weights and residual branches. */
  dropout: number;
  /** Biases in the Linears and LayerNorms (nanoGPT: true is like GPT-2, false a bit better and faster). */
  bias: boolean;
  /** 'layernorm' (nanoGPT, GPT-2) or 'rmsnorm' (torch.nn.RMSNorm, as in LLaMA; never has a bias). */
  norm: 'layernorm' | 'rmsnorm';
}

/** The norm layer that `config.norm` names, over the nEmbd channels. */
function makeNorm(config: GPTConfig): nn.LayerNorm | nn.RMSNorm {
  if (config.norm === 'rmsnorm') return new nn.RMSNorm(config.nEmbd);
  return new nn.LayerNorm(config.nEmbd, { bias: config.bias });
}

/** Multi-head causal self-attention with one fused q, k, v projection. */
export class CausalSelfAttention extends nn.Module {
  c_attn: nn.Linear;
  c_proj: nn.Linear;
  resid_dropout: nn.Dropout;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly dropout: number;

  constructor(config: GPTConfig) {
    super();
    if (config.nEmbd % config.nHead !== 0) {
      throw new Error(`CausalSelfAttention: nEmbd (${config.nEmbd}) must be divisible by nHead (${config.nHead})`);
    }
    // key, query, value projections for all heads, in one batch
    this.c_attn = new nn.Linear(config.nEmbd, 3 * config.nEmbd, { bias: config.bias });
    // output projection
    this.c_proj = new nn.Linear(config.nEmbd, config.nEmbd, { bias: config.bias });
    // (nanoGPT's attn_dropout is only used by its non-flash path; SDPA's dropoutP does that job)
    this.resid_dropout = new nn.Dropout(config.dropout);
    this.nHead = config.nHead;
    this.nEmbd = config.nEmbd;
    this.dropout = config.dropout;
  }

  /** x [B, T, C] -> [B, T, C]. */
  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    const hs = C / this.nHead;
    // q, k, v for all heads, then the head axis moved forward: [B, nh, T, hs]
    const [q, k, v] = this.c_attn
      .call(x)
      .split(this.nEmbd, 2)
      .map((t) => t.view([B, T, this.nHead, hs]).transpose(1, 2));
    // causal self-attention: [B, nh, T, hs] x [B, nh, hs, T] -> [B, nh, T, T] -> [B, nh, T, hs]
    const y = F.scaledDotProductAttention(q!, k!, v!, {
      isCausal: true,
      dropoutP: this.training ? this.dropout : 0,
    });
    // re-assemble all head outputs side by side: [B, T, C]
    const merged = y.transpose(1, 2).contiguous().view([B, T, C]);
    return this.resid_dropout.call(this.c_proj.call(merged));
  }
}

/** The feed-forward part of a block: C -> 4C -> GELU -> C. */
export class MLP extends nn.Module {
  c_fc: nn.Linear;
  gelu: nn.GELU;
  c_proj: nn.Linear;
  dropout: nn.Dropout;

  constructor(config: GPTConfig) {
    super();
    this.c_fc = new nn.Linear(config.nEmbd, 4 * config.nEmbd, { bias: config.bias });
    this.gelu = new nn.GELU();
    this.c_proj = new nn.Linear(4 * config.nEmbd, config.nEmbd, { bias: config.bias });
    this.dropout = new nn.Dropout(config.dropout);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.call(this.c_proj.call(this.gelu.call(this.c_fc.call(x))));
  }
}

/** A pre-norm transformer block: attention then MLP, each on a normalized input, each residual. */
export class Block extends nn.Module {
  ln_1: nn.LayerNorm | nn.RMSNorm;
  attn: CausalSelfAttention;
  ln_2: nn.LayerNorm | nn.RMSNorm;
  mlp: MLP;

  constructor(config: GPTConfig) {
    super();
    this.ln_1 = makeNorm(config);
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = makeNorm(config);
    this.mlp = new MLP(config);
  }

  forward(x: Tensor): Tensor {
    x = x.add(this.attn.call(this.ln_1.call(x)));
    return x.add(this.mlp.call(this.ln_2.call(x)));
  }
}

/**
 * nanoGPT's `transformer` ModuleDict as a Module with typed fields (the same keys: wte, wpe, drop,
 * h, ln_f); GPT.forward runs it, so it has no forward of its own.
 */
export class Transformer extends nn.Module {
  wte: nn.Embedding;
  wpe: nn.Embedding;
  drop: nn.Dropout;
  h: nn.ModuleList<Block>;
  ln_f: nn.LayerNorm | nn.RMSNorm;

  constructor(config: GPTConfig) {
    super();
    this.wte = new nn.Embedding(config.vocabSize, config.nEmbd);
    this.wpe = new nn.Embedding(config.blockSize, config.nEmbd);
    this.drop = new nn.Dropout(config.dropout);
    this.h = new nn.ModuleList(Array.from({ length: config.nLayer }, () => new Block(config)));
    this.ln_f = makeNorm(config);
  }

  forward(): never {
    throw new Error('Transformer: a container of the GPT; call the GPT instead');
  }
}

/** Options of {@link GPT.generate}. */
export interface GenerateOptions {
  /** Divides the logits before softmax (default 1; lower is more conservative). */
  temperature?: number;
  /** Sample only among the topK most likely tokens (default: all). */
  topK?: number | null;
}

/** The GPT language model: token ids [B, T] -> next-token logits [B, T, vocabSize]. */
export class GPT extends nn.Module {
  readonly config: GPTConfig;
  transformer: Transformer;
  lm_head: nn.Linear;

  constructor(config: GPTConfig) {
    super();
    this.config = { ...config };
    this.transformer = new Transformer(config);
    this.lm_head = new nn.Linear(config.nEmbd, config.vocabSize, { bias: false });
    // weight tying (https://paperswithcode.com/method/weight-tying): one tensor, two state-dict keys
    this.transformer.wte.weight = this.lm_head.weight;
    // init all weights, then the special scaled init of the residual projections (GPT-2 paper)
    this.apply((m) => this.initWeights(m));
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith('c_proj.weight')) nn.init.normal_(p, 0, 0.02 / Math.sqrt(2 * config.nLayer));
    }
  }

  /** nanoGPT's `_init_weights`: N(0, 0.02) for Linear and Embedding weights, zero biases. */
  private initWeights(module: nn.Module): void {
    if (module instanceof nn.Linear) {
      nn.init.normal_(module.weight, 0, 0.02);
      if (module.bias !== null) nn.init.zeros_(module.bias);
    } else if (module instanceof nn.Embedding) {
      nn.init.normal_(module.weight, 0, 0.02);
    }
  }

  /**
   * The number of parameters, each tensor once (the tied lm_head is not counted twice); by default
   * without the position embeddings, as nanoGPT reports it.
   */
  getNumParams(nonEmbedding = true): number {
    let n = this.parameters().reduce((s, p) => s + p.size, 0);
    if (nonEmbedding) n -= this.transformer.wpe.weight.size;
    return n;
  }

  /**
   * idx [B, T] int32 -> [logits, loss]. With targets [B, T] (int32, -1 = ignored): logits [B, T, V]
   * and the mean cross-entropy; without: logits of the last position only [B, 1, V] and null.
   */
  forward(idx: Tensor, targets?: Tensor): [Tensor, Tensor | null] {
    const [, t] = idx.shape as [number, number];
    if (t > this.config.blockSize) {
      throw new Error(`GPT: cannot forward a sequence of length ${t}, block size is only ${this.config.blockSize}`);
    }
    const pos = arange(0, t, 1, { dtype: 'int32' }); // [T]
    const tokEmb = this.transformer.wte.call(idx); // [B, T, C]
    const posEmb = this.transformer.wpe.call(pos); // [T, C]
    let x = this.transformer.drop.call(tokEmb.add(posEmb));
    for (const block of this.transformer.h) x = block.call(x);
    x = this.transformer.ln_f.call(x);
    if (targets !== undefined) {
      const logits = this.lm_head.call(x);
      const V = logits.shape[2]!;
      const loss = F.crossEntropy(logits.view([-1, V]), targets.view([-1]), { ignoreIndex: -1 });
      return [logits, loss];
    }
    // inference-time mini-optimization: the lm_head on the very last position only
    return [this.lm_head.call(x.slice(1, -1)), null];
  }

  /**
   * AdamW with nanoGPT's two groups: every parameter of 2 or more dims (matmul weights, embeddings)
   * decays, the others (biases, norm weights) do not.
   */
  configureOptimizers(weightDecay: number, learningRate: number, betas: [number, number]): optim.AdamW {
    const params = this.namedParameters().filter(([, p]) => p.requiresGrad);
    const decay = params.filter(([, p]) => p.ndim >= 2).map(([, p]) => p);
    const noDecay = params.filter(([, p]) => p.ndim < 2).map(([, p]) => p);
    return new optim.AdamW(
      [
        { params: decay, weightDecay },
        { params: noDecay, weightDecay: 0 },
      ],
      { lr: learningRate, betas },
    );
  }

  /**
   * Extends idx [B, T] by maxNewTokens sampled tokens, feeding each prediction back in (the
   * context cropped to blockSize). Put the model in eval mode first (dropout off).
   */
  generate(idx: Tensor, maxNewTokens: number, opts: GenerateOptions = {}): Tensor {
    const { temperature = 1, topK = null } = opts;
    return noGrad(() => {
      for (let i = 0; i < maxNewTokens; i++) {
        const T = idx.shape[1]!;
        const idxCond = T <= this.config.blockSize ? idx : idx.slice(1, T - this.config.blockSize);
        const [out] = (this as GPT).call(idxCond); // `this` typed as GPT for call()'s argument types
        let logits = out.select(1, out.shape[1]! - 1).div(temperature); // [B, V]
        if (topK !== null) {
          const { values } = logits.topk(Math.min(topK, logits.shape[1]!));
          logits = logits.maskedFill(logits.lt(values.slice(1, -1)), -Infinity);
        }
        const probs = F.softmax(logits, -1);
        const idxNext = multinomial(probs, 1); // [B, 1]
        idx = cat([idx, idxNext], 1);
      }
      return idx;
    });
  }
}
