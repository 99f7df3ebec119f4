/**
 * One training step of a small GPT (examples/gpt/model.ts, nanoGPT ported to typegrad) in
 * typegrad and PyTorch (torch_worker.py's copy of nanoGPT's model.py), from the same weights:
 *
 *   2 layers x 64 channels, 4 heads, block size 32, vocabulary 27 (makemore's characters),
 *   bias true, dropout 0, LayerNorm; a batch of 16 x 32 random tokens and targets;
 *   loss (nanoGPT's: cross-entropy of the [B*T, V] logits), zeroGrad, backward,
 *   clipGradNorm_(parameters, 1), AdamW with nanoGPT's two groups (weight decay 0.1 on tensors
 *   of 2 or more dims, 0 on the rest), lr 1e-3, betas (0.9, 0.99)
 *
 * No tfjs row: the table has none.
 */
import { manualSeed, randint, type Tensor } from '../../src/index.js';
import { GPT, type GPTConfig } from '../../examples/gpt/model.js';
import type { Peers } from './peers.js';
import type { Contender } from './timing.js';
import { timeSteps, typegradStep, type StepParts, type StepResult, type StepTolerance } from './trainStep.js';

const CONFIG: GPTConfig = {
  blockSize: 32,
  vocabSize: 27,
  nLayer: 2,
  nHead: 4,
  nEmbd: 64,
  dropout: 0,
  bias: true,
  norm: 'layernorm',
};
const BATCH = 16;
const LR = 1e-3;
const BETAS: [number, number] = [0.9, 0.99];
const WEIGHT_DECAY = 0.1;
const CLIP = 1;

/**
 * Loss within 1e-5 (about 3.3). Gradients (after clipping) within 1e-6 + 1e-3 of their largest
 * value: float32 sums over 512 positions in different orders, measured below 5e-8. Parameters after
 * the first AdamW step: its update is lr * g / (|g| + eps), +-lr wherever |g| >> eps = 1e-8, so an
 * element whose gradient is near float32 noise may move differently; measured up to 6e-6, bound
 * lr / 10 = 1e-4. That catches a wrong lr, betas or update rule (every element moves by about lr),
 * not the weight decay of one step (lr * 0.1 * |p| < 1e-5 for these weights).
 */
const TOL: StepTolerance = { loss: 1e-5, gradAtol: 1e-6, gradRtol: 1e-3, paramAtol: LR / 10, paramRtol: 0 };

/** typegrad's step with its batch (random tokens and targets). */
export function gptStep(seed: number): StepParts & { idx: Tensor; targets: Tensor } {
  manualSeed(seed);
  const model = new GPT(CONFIG).train();
  const idx = randint(0, CONFIG.vocabSize, [BATCH, CONFIG.blockSize]);
  const targets = randint(0, CONFIG.vocabSize, [BATCH, CONFIG.blockSize]);
  const opt = model.configureOptimizers(WEIGHT_DECAY, LR, BETAS);
  return { model, opt, lossOf: () => model.forward(idx, targets)[1]!, clip: CLIP, idx, targets };
}

export async function runGpt(peers: Peers, seed: number): Promise<StepResult> {
  const { idx, targets, ...parts } = gptStep(seed);
  const tg = typegradStep(parts);
  const contenders: Contender[] = [
    { name: 'tg-wasm', fn: tg.run('wasm') },
    { name: 'tg-js', fn: tg.run('js') },
  ];
  const spec = {
    model: 'gpt' as const,
    config: {
      block_size: CONFIG.blockSize,
      vocab_size: CONFIG.vocabSize,
      n_layer: CONFIG.nLayer,
      n_head: CONFIG.nHead,
      n_embd: CONFIG.nEmbd,
      bias: CONFIG.bias,
      tie: true,
    },
    x: { tokens: [...idx.data], shape: [BATCH, CONFIG.blockSize] },
    labels: [...targets.data],
    optimizer: { name: 'AdamW-nanoGPT', lr: LR, betas: BETAS, weightDecay: WEIGHT_DECAY },
    clip: CLIP,
  };
  return timeSteps(peers.torch, 'gpt', spec, tg, TOL, contenders, []);
}
