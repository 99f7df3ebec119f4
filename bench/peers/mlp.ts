/**
 * One training step of the demo's MLP with BatchNorm (examples/demo.ts, the net of the BatchNorm
 * paper's MNIST experiment) on a batch of 60 MNIST-sized inputs, in typegrad and PyTorch:
 *
 *   3 x (Linear 784|100 -> 100 without bias, BatchNorm1d(100), Sigmoid), Linear 100 -> 10,
 *   cross-entropy (mean over the batch), SGD lr 0.1 momentum 0.9 (the "SGD momentum";
 *   the demo itself runs plain SGD, lr 0.5)
 *
 * typegrad: nn.Sequential in training mode, F.crossEntropy, optim.SGD (zeroGrad, backward, step).
 * PyTorch: the same nn.Sequential from typegrad's initial weights (torch_worker.py). No tfjs row:
 * the table has none.
 */
import { nn } from '../../src/index.js';
import type { Peers } from './peers.js';
import type { Contender } from './timing.js';
import {
  sgdClassifierStep,
  timeSteps,
  typegradStep,
  type StepResult,
  type StepTolerance,
  type TorchStepSpec,
} from './trainStep.js';

const BATCH = 60;
const HIDDEN = 100;
const LR = 0.1;
const MOMENTUM = 0.9;

/**
 * The loss and gradients are sums of float32 products in both engines, in different orders:
 * 1e-5 absolute on the loss (about 2.3); gradients within 1e-5 + 1e-3 of their largest value
 * (BatchNorm centres the hidden activations, so its gradients cancel); parameters after the step
 * differ by lr x the gradient difference.
 */
const TOL: StepTolerance = { loss: 1e-5, gradAtol: 1e-5, gradRtol: 1e-3, paramAtol: 1e-5, paramRtol: 1e-4 };

function makeNet(): nn.Sequential {
  const net = new nn.Sequential();
  let inFeatures = 784;
  for (let i = 0; i < 3; i++) {
    net.append(new nn.Linear(inFeatures, HIDDEN, { bias: false }));
    net.append(new nn.BatchNorm1d(HIDDEN));
    net.append(new nn.Sigmoid());
    inFeatures = HIDDEN;
  }
  net.append(new nn.Linear(HIDDEN, 10));
  return net;
}

/** typegrad's step with its batch (random inputs in [0, 1), labels 0..9). */
export function mlpStep(seed: number): ReturnType<typeof sgdClassifierStep> {
  return sgdClassifierStep(makeNet, [BATCH, 784], seed, { lr: LR, momentum: MOMENTUM });
}

export async function runMlp(peers: Peers, seed: number): Promise<StepResult> {
  const { x, labels, ...parts } = mlpStep(seed);
  const tg = typegradStep(parts);
  const contenders: Contender[] = [
    { name: 'tg-wasm', fn: tg.run('wasm') },
    { name: 'tg-js', fn: tg.run('js') },
  ];
  const spec: TorchStepSpec = {
    model: 'mlp',
    config: { inFeatures: 784, hidden: HIDDEN, hiddenLayers: 3, classes: 10 },
    x: { data: x.data as Float32Array, shape: [BATCH, 784] },
    labels,
    optimizer: { name: 'SGD', lr: LR, momentum: MOMENTUM },
  };
  return timeSteps(peers.torch, 'mlp', spec, tg, TOL, contenders, []);
}
