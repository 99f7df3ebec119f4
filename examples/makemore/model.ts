/**
 * makemore part 3 ("Activations & Gradients, BatchNorm", Karpathy) as a PyTorch user writes it with
 * typegrad: a character-level MLP that reads the last 3 characters of a name and predicts the next.
 *
 *   nn.Embedding(27, 10)                  [B, 3] -> [B, 3, 10], viewed as [B, 30]
 *   Linear(30, 100) -> BatchNorm1d -> Tanh
 *   4 x (Linear(100, 100) -> BatchNorm1d -> Tanh)
 *   Linear(100, 27) -> BatchNorm1d        the logits
 *
 * Without BatchNorm the Linear layers get a bias and the BatchNorm1d layers are left out. Weights:
 * kaiming normal with tanh's gain 5/3 (std = 5/3 / sqrt(fanIn)); the last layer is made less
 * confident by scaling its BatchNorm weight (or, without BatchNorm, its Linear weight) by 0.1, as in
 * the lecture.
 *
 * The diagnostics of the lecture are here too: forward hooks on the Tanh layers keep their outputs
 * (with `retainGrad()`, so backward fills in their gradients), and a few small functions turn them
 * into the numbers and histograms examples/makemore.ts plots. Nothing here touches the file system
 * or the terminal, so the browser page (examples/browser) trains the same model.
 */
import {
  functional as F,
  multinomial,
  nn,
  noGrad,
  optim,
  randint,
  tensor,
  type Generator,
  type Module,
  type Tensor,
} from '../../src/index.js';
import { CHARS } from '../data/names.js';

/** How many characters the model sees to predict the next one. */
export const BLOCK_SIZE = 3;

/** A character-level data set: contexts X [N, BLOCK_SIZE] and next characters Y [N], int32. */
export interface Dataset {
  X: Tensor;
  Y: Tensor;
}

/**
 * Every (context, next character) pair of `words`, as in makemore's `build_dataset`: each name is
 * read as '...' + name + '.', so "emma" gives ... -> e, ..e -> m, .em -> m, emm -> a, mma -> .
 */
export function buildDataset(words: readonly string[], blockSize = BLOCK_SIZE): Dataset {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const word of words) {
    const context: number[] = new Array<number>(blockSize).fill(0);
    for (const ch of word + '.') {
      const ix = CHARS.indexOf(ch);
      if (ix < 0) throw new Error(`buildDataset: word "${word}" has a character outside a-z: "${ch}"`);
      xs.push(...context);
      ys.push(ix);
      context.shift();
      context.push(ix);
    }
  }
  return {
    X: tensor(Int32Array.from(xs), [ys.length, blockSize]),
    Y: tensor(Int32Array.from(ys), [ys.length]),
  };
}

/** The model's sizes and whether it normalizes. */
export interface MlpConfig {
  batchNorm: boolean;
  /** Embedding size per character (10). */
  nEmbd?: number;
  /** Width of the hidden layers (100). */
  nHidden?: number;
  /** Number of Linear -> (BatchNorm1d) -> Tanh blocks (5). */
  nBlocks?: number;
}

/** The makemore MLP; `tanhs` are its Tanh layers, whose activations the lecture inspects. */
export class MakemoreMLP extends nn.Module {
  readonly C: nn.Embedding;
  readonly layers: nn.Sequential;
  readonly batchNorm: boolean;

  constructor(cfg: MlpConfig) {
    super();
    const { batchNorm, nEmbd = 10, nHidden = 100, nBlocks = 5 } = cfg;
    const vocab = CHARS.length;
    this.batchNorm = batchNorm;
    this.C = new nn.Embedding(vocab, nEmbd); // N(0, 1) rows, like the lecture's torch.randn((27, 10))
    const layers: Module[] = [];
    for (let i = 0; i < nBlocks; i++) {
      const linear = new nn.Linear(i === 0 ? nEmbd * BLOCK_SIZE : nHidden, nHidden, { bias: !batchNorm });
      layers.push(linear, ...(batchNorm ? [new nn.BatchNorm1d(nHidden)] : []), new nn.Tanh());
    }
    layers.push(new nn.Linear(nHidden, vocab, { bias: !batchNorm }));
    if (batchNorm) layers.push(new nn.BatchNorm1d(vocab));
    this.layers = new nn.Sequential(...layers);
    this.initWeights();
  }

  /** Kaiming init with tanh's gain; the last layer scaled down by 0.1 (less confident at the start). */
  private initWeights(): void {
    const linears = this.layers.children().filter((m): m is nn.Linear => m instanceof nn.Linear);
    const last = this.layers.children().at(-1)!;
    noGrad(() => {
      for (const linear of linears) {
        const isLast = linear === linears.at(-1);
        nn.init.kaimingNormal_(linear.weight, { nonlinearity: isLast ? 'linear' : 'tanh' });
        if (linear.bias) nn.init.zeros_(linear.bias);
      }
      if (last instanceof nn.BatchNorm1d) last.weight!.mul_(0.1);
      else (last as nn.Linear).weight.mul_(0.1);
    });
  }

  /** The Tanh layers, in order. */
  get tanhs(): nn.Tanh[] {
    return this.layers.children().filter((m): m is nn.Tanh => m instanceof nn.Tanh);
  }

  /** Logits [B, 27] for contexts `idx` [B, BLOCK_SIZE] (int32). */
  forward(idx: Tensor): Tensor {
    const emb = this.C.call(idx); // [B, 3, 10]
    return this.layers.call(emb.view([emb.shape[0]!, -1])); // [B, 30] -> [B, 27]
  }
}

/** SGD at lr 0.1, dropped to 0.01 for the last quarter of the run (the lecture: 150k of 200k steps). */
export function makeOptimizer(
  model: Module,
  steps: number,
): { optimizer: optim.SGD; scheduler: optim.lrScheduler.MultiStepLR } {
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  const scheduler = new optim.lrScheduler.MultiStepLR(optimizer, {
    milestones: [Math.floor(0.75 * steps)],
    gamma: 0.1,
  });
  return { optimizer, scheduler };
}

/**
 * One training step on a random minibatch of `batchSize` rows of `data`: forward, cross-entropy,
 * backward, SGD update, scheduler step. Returns the minibatch loss and the learning rate used.
 */
export function trainStep(
  model: Module,
  optimizer: optim.SGD,
  scheduler: optim.lrScheduler.MultiStepLR,
  data: Dataset,
  batchSize: number,
  generator?: Generator,
): { loss: number; lr: number } {
  const ix = randint(0, data.X.shape[0]!, [batchSize], { generator });
  const logits = model.call(data.X.at(ix));
  const loss = F.crossEntropy(logits, data.Y.at(ix));
  optimizer.zeroGrad();
  loss.backward();
  const lr = optimizer.paramGroups[0]!.lr;
  optimizer.step();
  scheduler.step();
  return { loss: loss.item(), lr };
}

/** The mean cross-entropy on a whole split, in eval mode (BatchNorm uses its running statistics). */
export function splitLoss(model: Module, data: Dataset): number {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => F.crossEntropy(model.call(data.X), data.Y).item());
  } finally {
    model.train(wasTraining);
  }
}

/** `count` names sampled from the model one character at a time (eval mode, `multinomial`). */
export function sampleNames(model: Module, count: number, generator: Generator, maxLength = 30): string[] {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      Array.from({ length: count }, () => {
        const context: number[] = new Array<number>(BLOCK_SIZE).fill(0);
        let name = '';
        while (name.length < maxLength) {
          const logits = model.call(tensor(Int32Array.from(context), [1, BLOCK_SIZE]));
          const probs = F.softmax(logits, 1);
          const ix = multinomial(probs, 1, { generator }).item();
          if (ix === 0) break;
          name += CHARS[ix];
          context.shift();
          context.push(ix);
        }
        return name;
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Keeps the outputs of the given layers (forward hooks) on the steps where `capture` is true, with
 * `retainGrad()` so that after backward `outputs[i].grad` is the gradient flowing into layer i.
 */
export class ActivationRecorder {
  capture = false;
  readonly outputs: (Tensor | null)[];
  private readonly handles: { remove(): void }[];

  constructor(layers: readonly Module[]) {
    this.outputs = layers.map(() => null);
    this.handles = layers.map((layer, i) =>
      layer.registerForwardHook((_m, _inputs, out) => {
        if (!this.capture) return;
        out.retainGrad();
        this.outputs[i] = out;
      }),
    );
  }

  /** Removes the hooks. */
  remove(): void {
    for (const h of this.handles) h.remove();
  }
}

/** The lecture's summary of a tanh layer's output: mean, std, and the % of |t| > 0.97 (saturated). */
export function tanhStats(t: Tensor): { mean: number; std: number; saturated: number } {
  return noGrad(() => ({
    mean: t.mean().item(),
    std: t.std().item(),
    saturated: t.abs().gt(0.97).to('float32').mean().item() * 100,
  }));
}

/**
 * log10 of the update-to-data ratio std(lr * grad) / std(data) of a parameter: how big the step
 * SGD just took is relative to the values (the lecture's guide: about -3).
 */
export function updateRatio(p: Tensor, lr: number): number {
  if (p.grad === null) throw new Error('updateRatio: the parameter has no gradient yet');
  const grad = p.grad;
  return noGrad(() => grad.mul(lr).std().div(p.std()).log10().item());
}

/** A histogram of `t`'s values as torch.histogram(t, bins, density=True): bin centers and densities. */
export function histogram(t: Tensor, bins = 50): { centers: number[]; density: number[] } {
  const values = t.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(Math.floor((v - lo) / width), bins - 1)]!++;
  return {
    centers: counts.map((_, i) => lo + (i + 0.5) * width),
    density: counts.map((c) => c / (values.length * width)),
  };
}
