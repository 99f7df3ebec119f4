/**
 * The optimizers' per-parameter updates as kernels: one fused pass over a parameter, its gradient
 * and its state buffers, in place, nothing allocated. src/optim/sgd.ts and adam.ts hold the
 * bookkeeping and call these through `kernels()`; these loops are the reference that the
 * WebAssembly fast path (src/wasm/optim.wat) reproduces bit for bit (test/tensor/optimKernels.test.ts).
 *
 * Every intermediate is a float64 JS number; only the stores round (to the arrays' dtype). A value
 * read back after its store (the momentum buffer, the moments) is the rounded one, as in torch,
 * where each buffer is a float32 tensor between the in-place ops of `_single_tensor_sgd` / `_adam`.
 */
import type { FloatArray } from '../dtype.js';

/**
 * SGD's scalars for one parameter. `oneMinusDampening` is `1 - dampening`; `first` marks the
 * step that creates the momentum buffer (b = g, no dampening).
 */
export interface SgdScalars {
  readonly lr: number;
  readonly momentum: number;
  readonly oneMinusDampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;
  readonly first: boolean;
}

/**
 * torch.optim.SGD's update of one parameter, in place (src/optim/sgd.ts has the formula):
 *   g <- (maximize ? -grad : grad) + weightDecay theta;  b <- first ? g : momentum b + (1 - dampening) g
 *   theta <- theta - lr (nesterov ? g + momentum b : b)       (without momentum: theta - lr g)
 * `buffer` is null when momentum is 0. theta, grad and buffer have the same length and dtype.
 */
export function sgdUpdate(theta: FloatArray, grad: FloatArray, buffer: FloatArray | null, s: SgdScalars): void {
  const { lr, momentum, oneMinusDampening, weightDecay, nesterov, maximize, first } = s;
  for (let i = 0; i < theta.length; i++) {
    let g = maximize ? -grad[i]! : grad[i]!;
    if (weightDecay !== 0) g += weightDecay * theta[i]!;
    if (buffer !== null) {
      buffer[i] = first ? g : momentum * buffer[i]! + oneMinusDampening * g;
      g = nesterov ? g + momentum * buffer[i]! : buffer[i]!;
    }
    theta[i] = theta[i]! - lr * g;
  }
}

/**
 * Adam's scalars for one parameter at step t (src/optim/adam.ts): `decay` multiplies theta first
 * (AdamW: 1 - lr weightDecay, Adam: 1), `l2` adds l2 theta to the gradient (Adam: weightDecay,
 * AdamW: 0), `stepSize` = lr / (1 - beta1^t), `bias2Sqrt` = sqrt(1 - beta2^t); the `oneMinus`
 * values are 1 - beta1 and 1 - beta2, computed once.
 */
export interface AdamScalars {
  readonly beta1: number;
  readonly oneMinusBeta1: number;
  readonly beta2: number;
  readonly oneMinusBeta2: number;
  readonly eps: number;
  readonly decay: number;
  readonly l2: number;
  readonly stepSize: number;
  readonly bias2Sqrt: number;
  readonly maximize: boolean;
}

/**
 * torch.optim.Adam's / AdamW's update of one parameter, in place:
 *   x <- decay theta;  g <- (maximize ? -grad : grad) + l2 x
 *   m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;  vmax <- max(vmax, v) (amsgrad)
 *   theta <- x - stepSize m / (sqrt(amsgrad ? vmax : v) / bias2Sqrt + eps)
 * `vmax` is null without amsgrad. All arrays have the same length and dtype.
 */
export function adamUpdate(
  theta: FloatArray,
  grad: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray | null,
  s: AdamScalars,
): void {
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, decay, l2, stepSize, bias2Sqrt, maximize } = s;
  for (let i = 0; i < theta.length; i++) {
    let g = maximize ? -grad[i]! : grad[i]!;
    const x = theta[i]! * decay;
    g += l2 * x;
    m[i] = beta1 * m[i]! + oneMinusBeta1 * g;
    v[i] = beta2 * v[i]! + oneMinusBeta2 * g * g;
    let second = v[i]!;
    if (vmax !== null) {
      vmax[i] = Math.max(vmax[i]!, second);
      second = vmax[i]!;
    }
    theta[i] = x - (stepSize * m[i]!) / (Math.sqrt(second) / bias2Sqrt + eps);
  }
}
