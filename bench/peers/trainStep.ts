/**
 * A training step in typegrad and the same step in PyTorch (torch_worker.py's "train" workload),
 * shared by the MLP, CNN and GPT rows: PyTorch starts from typegrad's initial parameters, and
 * after the first step its loss, every gradient and every updated parameter are checked against
 * typegrad's before anything is timed.
 */
import { functional as F, manualSeed, nn, optim, rand, setBackend, type Module, type Tensor } from '../../src/index.js';
import { compare, interleave, type Check, type Contender } from './timing.js';
import type { TorchWorker } from './torch.js';

/** Bounds of the checks: |diff| <= atol + rtol * max |typegrad's value|, per output. */
export interface StepTolerance {
  loss: number;
  gradAtol: number;
  gradRtol: number;
  paramAtol: number;
  paramRtol: number;
}

/** typegrad's step on a backend, and what its first call left: the reference of the checks. */
export interface TypegradStep {
  initial: { name: string; data: Float32Array; shape: number[] }[];
  run: (backend: string) => () => Tensor;
  loss: number;
  grads: Map<string, Float32Array>;
  after: Map<string, Float32Array>;
}

/** A typegrad training step's parts (also what `npm run profile:step` profiles). */
export interface StepParts {
  model: Module;
  opt: { zeroGrad(): void; step(): void };
  /** The forward: the loss of the batch. */
  lossOf: () => Tensor;
  /** clipGradNorm_'s maxNorm, when the step clips. */
  clip?: number;
}

/** The step: loss = lossOf(); zeroGrad; backward; clipGradNorm_ when `clip` is given; step. */
export function stepOf({ model, opt, lossOf, clip }: StepParts): () => Tensor {
  const params = model.parameters();
  return () => {
    const loss = lossOf();
    opt.zeroGrad();
    loss.backward();
    if (clip !== undefined) nn.utils.clipGradNorm_(params, clip);
    opt.step();
    return loss;
  };
}

/**
 * A classifier's step on one batch: `model` (seeded by `seed`, made inside so that its init draws
 * from it), inputs uniform in [0, 1) of `inputShape`, labels (7i + seed) mod 10,
 * cross-entropy, SGD with momentum.
 */
export function sgdClassifierStep(
  makeModel: () => Module,
  inputShape: number[],
  seed: number,
  sgd: { lr: number; momentum: number },
): StepParts & { x: Tensor; labels: number[] } {
  manualSeed(seed);
  const model = makeModel().train();
  const x = rand(inputShape);
  const labels = Array.from({ length: inputShape[0]! }, (_, i) => (i * 7 + seed) % 10);
  const opt = new optim.SGD(model.parameters(), sgd);
  return { model, opt, lossOf: () => F.crossEntropy(model.forward(x) as Tensor, labels), x, labels };
}

/**
 * Captures the model's parameters, runs the step once on the default backend ('wasm') and keeps
 * its loss, gradients and updated parameters.
 */
export function typegradStep(parts: StepParts): TypegradStep {
  const named = parts.model.namedParameters();
  const initial = named.map(([name, p]) => ({ name, data: (p.data as Float32Array).slice(), shape: [...p.shape] }));
  const step = stepOf(parts);
  const run = (backend: string) => (): Tensor => {
    setBackend(backend);
    return step();
  };
  const loss = run('wasm')().item();
  const grads = new Map(named.map(([name, p]) => [name, (p.grad!.data as Float32Array).slice()]));
  const after = new Map(named.map(([name, p]) => [name, (p.data as Float32Array).slice()]));
  return { initial, run, loss, grads, after };
}

/** What the worker needs besides the parameters: model, config, inputs, optimizer, clipping. */
export interface TorchStepSpec {
  model: 'mlp' | 'cnn' | 'gpt';
  config: Record<string, unknown>;
  /** A float32 input, or token ids (sent inline) with the input's shape. */
  x: { data: Float32Array; shape: number[] } | { tokens: number[]; shape: number[] };
  labels: number[];
  optimizer: Record<string, unknown>;
  clip?: number;
  /** typegrad parameter name -> torch's, where they differ. */
  names?: Record<string, string>;
}

/** Sets the step up in PyTorch, checks its first step against `ref`: the checks and the contender. */
async function torchStep(
  torch: TorchWorker,
  key: string,
  spec: TorchStepSpec,
  ref: TypegradStep,
  tol: StepTolerance,
): Promise<{ checks: Check[]; contender: Contender }> {
  const { x, ...rest } = spec;
  const out = await torch.setup(key, {
    ...rest,
    type: 'train',
    names: spec.names ?? {},
    params: Object.fromEntries(ref.initial.map((p) => [p.name, torch.put(p.data, p.shape)])),
    ...('tokens' in x ? { tokens: x.tokens, x: { shape: x.shape } } : { x: torch.put(x.data, x.shape) }),
  });
  const checks = [compare('loss', 'torch', out['loss']!, [ref.loss], tol.loss)];
  for (const [name, g] of ref.grads)
    checks.push(compare(`d ${name}`, 'torch', out[`d ${name}`]!, g, tol.gradAtol, tol.gradRtol));
  for (const [name, p] of ref.after)
    checks.push(compare(`${name} after`, 'torch', out[`after ${name}`]!, p, tol.paramAtol, tol.paramRtol));
  return { checks, contender: torch.contender(key) };
}

/** Times of a training step by contender, the output checks, the contenders left out. */
export interface StepResult {
  t: Record<string, number>;
  checks: Check[];
  failed: string[];
}

/**
 * Adds PyTorch's step `key` (when there is a worker; its checks join `checks`), leaves out every
 * contender whose checks failed, and times the rest interleaved.
 */
export async function timeSteps(
  torch: TorchWorker | null,
  key: string,
  spec: TorchStepSpec,
  ref: TypegradStep,
  tol: StepTolerance,
  contenders: Contender[],
  checks: Check[],
): Promise<StepResult> {
  if (torch) {
    const added = await torchStep(torch, key, spec, ref, tol);
    checks.push(...added.checks);
    contenders.push(added.contender);
  }
  const failed = [...new Set(checks.filter((c) => !c.ok).map((c) => c.contender))];
  const t = await interleave(contenders.filter((c) => !failed.includes(c.name)));
  await torch?.drop(key);
  setBackend('wasm');
  return { t, checks, failed };
}
