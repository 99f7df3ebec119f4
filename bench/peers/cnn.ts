/**
 * One training step of the demo's CNN (examples/cnn.ts, the BatchNorm2d variant) on a batch of 32
 * MNIST-sized inputs, in typegrad and in tfjs-core built identically:
 *
 *   conv 3x3 1->8 (pad 1), BatchNorm2d(8), ReLU, maxpool 2     [N, 8, 14, 14]
 *   conv 3x3 8->16 (pad 1), BatchNorm2d(16), ReLU, maxpool 2   [N, 16, 7, 7]
 *   flatten, linear 784 -> 10, cross-entropy (mean over the batch), SGD lr 0.05 momentum 0.9
 *
 * typegrad: nn.Sequential of nn modules in training mode, F.crossEntropy, optim.SGD
 * (zeroGrad, backward, step). tfjs: NHWC (its native layout), tf.fused.conv2d with bias,
 * tf.moments + tf.batchNorm, tf.relu, tf.maxPool, tf.matMul + bias,
 * tf.losses.softmaxCrossEntropy on one-hot labels, tf.variableGrads, then the same momentum update
 * by hand (v = 0.9 v + g; p -= lr v, torch's rule). tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter kernel (tf.grads through tf.conv2d throws there), so the convolution is
 * `convWithFilterGrad` below on both tfjs backends: the same fused conv2d forward, the filter
 * gradient as one matMul (on tfjs-cpu this is also 2x faster than its own Conv2DBackpropFilter).
 * tfjs starts from typegrad's initial weights (conv filters OIHW -> HWIO; the linear weight's rows
 * permuted from (c, h, w) to (h, w, c) order), and the loss and every gradient of the first step
 * are checked against typegrad's. The tfjs step does not update BatchNorm running statistics
 * (typegrad's does): that only favours tfjs. PyTorch (torch_worker.py) runs the same nn.Sequential
 * from typegrad's initial weights, with torch.optim.SGD; its first step's loss, gradients and
 * updated parameters are checked too (trainStep.ts).
 */
import { digitCnn } from '../../examples/cnnModel.js';
import type { Peers, Tf, TfTensor, TfVariable } from './peers.js';
import { compare, QUICK, type Check, type Contender } from './timing.js';
import {
  sgdClassifierStep,
  timeSteps,
  typegradStep,
  type StepResult,
  type StepTolerance,
  type TorchStepSpec,
} from './trainStep.js';

const BATCH = 32;
const LR = 0.05;
const MOMENTUM = 0.9;
const EPS = 1e-5;
/**
 * Checks of the first step: the loss within 1e-4; each gradient within 1e-4 + rtol x its largest
 * |value|. The tfjs graph is one function for both backends, so tfjs-cpu, which sums in float64
 * JS numbers, checks the construction tightly (rtol 1e-3; it agrees with typegrad to 5e-7).
 * tfjs-wasm gets rtol 5e-2: the first block's gradients are sums over N*H*W = 25088 positions
 * with heavy cancellation (BatchNorm centres dz) that tfjs-wasm accumulates in float32 (its Sum
 * kernel, XNNPACK's matMul), measured 4.6e-4 on the BatchNorm bias gradient of max 0.02 and 1e-3
 * on the conv weight gradient of max 0.13, while the later layers agree to 1e-6.
 */
const GRAD_ATOL = 1e-4;
const GRAD_RTOL = { cpu: 1e-3, wasm: 5e-2 };
/**
 * PyTorch (torch_worker.py, the same nn.Sequential from typegrad's initial weights): TORCH_TOL.
 */
const TORCH_TOL: StepTolerance = { loss: 1e-4, gradAtol: 1e-4, gradRtol: 1e-3, paramAtol: 1e-5, paramRtol: 1e-4 };

export type CnnResult = StepResult;

/** typegrad's parameter (by its state-dict name) in tfjs's layout, and that layout's shape. */
function toTfLayout(name: string, p: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (name.endsWith('weight') && shape.length === 4) {
    const [o, i, kh, kw] = shape as [number, number, number, number];
    const out = new Float32Array(p.length);
    for (let a = 0; a < o; a++)
      for (let b = 0; b < i; b++)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = p[((a * i + b) * kh + y) * kw + x]!;
    return { data: out, shape: [kh, kw, i, o] };
  }
  if (name === '9.weight') {
    const [outF, c, hw] = [shape[0]!, 16, 49];
    const out = new Float32Array(p.length);
    for (let j = 0; j < outF; j++)
      for (let ch = 0; ch < c; ch++)
        for (let s = 0; s < hw; s++) out[(s * c + ch) * outF + j] = p[j * c * hw + ch * hw + s]!;
    return { data: out, shape: [c * hw, outF] };
  }
  return { data: p, shape: [...shape] };
}

/**
 * 3x3 convolution, stride 1, padding 'same', with bias, differentiable on a backend without a
 * Conv2DBackpropFilter kernel: forward is tf.fused.conv2d (XNNPACK on wasm); dx is
 * conv2dTranspose(dy, w) (the Conv2DBackpropInput kernel, as tfjs's own conv2d gradient);
 * dw = im2col(x)^T dy as one matMul, im2col being the 9 shifted [N, H, W, Cin] views of the
 * zero-padded x concatenated along channels (order kh, kw, cin: w's [3, 3, Cin, Cout] layout);
 * db = the sum of dy over N, H, W.
 */
function convWithFilterGrad(tf: Tf): (x: TfTensor, w: TfTensor, b: TfTensor) => TfTensor {
  return tf.customGrad((x, w, b, save) => {
    save([x, w]);
    return {
      value: tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same' }),
      gradFunc: (dy, [xs, ws]) => {
        const [n, h, wd, cin] = xs!.shape as [number, number, number, number];
        const cout = dy.shape[3]!;
        const padded = tf.pad(xs!, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]);
        const taps: TfTensor[] = [];
        for (let kh = 0; kh < 3; kh++)
          for (let kw = 0; kw < 3; kw++) taps.push(tf.slice(padded, [0, kh, kw, 0], [n, h, wd, cin]));
        const cols = tf.reshape(tf.concat(taps, 3), [n * h * wd, 9 * cin]);
        const dw = tf.reshape(tf.matMul(cols, tf.reshape(dy, [n * h * wd, cout]), true, false), [3, 3, cin, cout]);
        return [tf.conv2dTranspose(dy, ws!, xs!.shape, 1, 'same'), dw, tf.sum(dy, [0, 1, 2])];
      },
    };
  });
}

/** typegrad's step with its batch (random inputs in [0, 1), labels 0..9). */
export function cnnStep(seed: number): ReturnType<typeof sgdClassifierStep> {
  return sgdClassifierStep(() => digitCnn(), [BATCH, 1, 28, 28], seed, { lr: LR, momentum: MOMENTUM });
}

export async function runCnn(peers: Peers, seed: number): Promise<CnnResult> {
  const { tf } = peers;
  const { x, labels, ...parts } = cnnStep(seed);
  const named = parts.model.namedParameters();
  const init = named.map(([name, p]) => toTfLayout(name, (p.data as Float32Array).slice(), p.shape));
  // First step on the default backend: its loss and gradients are the reference.
  const tg = typegradStep(parts);
  const refLoss = tg.loss;
  const refGrads = named.map(([name, p]) => toTfLayout(name, tg.grads.get(name)!, p.shape).data);
  const checks: Check[] = [];

  const tfVars: TfTensor[] = [];
  const tfContender = async (backend: 'wasm' | 'cpu'): Promise<Contender> => {
    await tf.setBackend(backend);
    const vars: TfVariable[] = init.map((p, i) =>
      tf.variable(tf.tensor(p.data, p.shape), true, `${backend}_${named[i]![0]}`),
    );
    const velocity = init.map((p) => tf.variable(tf.tensor(new Float32Array(p.data.length), p.shape), false));
    const tx = tf.tensor(x.data as Float32Array, [BATCH, 28, 28, 1]);
    const onehot = tf.oneHot(tf.tensor(Int32Array.from(labels), [BATCH], 'int32'), 10);
    tfVars.push(...vars, ...velocity, tx, onehot);
    const [c1w, c1b, g1, b1, c2w, c2b, g2, b2, fw, fb] = vars as [
      TfVariable,
      TfVariable,
      TfVariable,
      TfVariable,
      TfVariable,
      TfVariable,
      TfVariable,
      TfVariable,
      TfVariable,
      TfVariable,
    ];
    const conv = convWithFilterGrad(tf);
    const block = (h: TfTensor, w: TfTensor, b: TfTensor, gamma: TfTensor, beta: TfTensor): TfTensor => {
      const z = conv(h, w, b);
      const { mean, variance } = tf.moments(z, [0, 1, 2]);
      return tf.maxPool(tf.relu(tf.batchNorm(z, mean, variance, beta, gamma, EPS)), 2, 2, 'valid');
    };
    const lossFn = (): TfTensor => {
      const h = block(block(tx, c1w, c1b, g1, b1), c2w, c2b, g2, b2);
      const logits = tf.add(tf.matMul(tf.reshape(h, [BATCH, 16 * 7 * 7]), fw), fb);
      return tf.losses.softmaxCrossEntropy(onehot, logits);
    };
    const step = (): { loss: TfTensor; grads: TfTensor[] } => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      const g = vars.map((_, i) => grads[`${backend}_${named[i]![0]}`]!);
      vars.forEach((v, i) => {
        velocity[i]!.assign(tf.add(tf.mul(velocity[i]!, MOMENTUM), g[i]!));
        v.assign(tf.sub(v, tf.mul(velocity[i]!, LR)));
      });
      return { loss: value, grads: g };
    };
    const first = step();
    const name = `tfjs-${backend}`;
    checks.push(compare('loss', name, first.loss.dataSync(), [refLoss], 1e-4));
    first.grads.forEach((g, i) =>
      checks.push(compare(`d ${named[i]![0]}`, name, g.dataSync(), refGrads[i]!, GRAD_ATOL, GRAD_RTOL[backend])),
    );
    tf.dispose([first.loss, ...first.grads]);
    return { name, setup: () => tf.setBackend(backend), fn: () => tf.tidy(() => step().loss).dispose() };
  };
  const contenders: Contender[] = [
    { name: 'tg-wasm', fn: tg.run('wasm') },
    { name: 'tg-js', fn: tg.run('js') },
    await tfContender('wasm'),
  ];
  if (!QUICK) contenders.push(await tfContender('cpu'));
  const spec: TorchStepSpec = {
    model: 'cnn',
    config: {},
    x: { data: x.data as Float32Array, shape: [BATCH, 1, 28, 28] },
    labels,
    optimizer: { name: 'SGD', lr: LR, momentum: MOMENTUM },
  };
  return timeSteps(peers.torch, 'cnn', spec, tg, TORCH_TOL, contenders, checks).finally(() => tf.dispose(tfVars));
}
