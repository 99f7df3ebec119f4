/**
 * Adam and AdamW, torch.optim.Adam's and torch.optim.AdamW's updates exactly.
 *
 * For each parameter theta with gradient g, at step t = 1, 2, ... (torch's `_single_tensor_adam`):
 *   g     <- -g                                       if maximize
 *   theta <- theta * (1 - lr * weightDecay)           AdamW (decoupled decay, before the step)
 *   g     <- g + weightDecay * theta                  Adam (L2 penalty in the gradient)
 *   m_t   <- beta1 * m_{t-1} + (1 - beta1) * g                         (exp_avg)
 *   v_t   <- beta2 * v_{t-1} + (1 - beta2) * g^2                       (exp_avg_sq)
 *   vmax_t <- max(vmax_{t-1}, v_t)                    if amsgrad       (max_exp_avg_sq)
 *   denom <- sqrt(amsgrad ? vmax_t : v_t) / sqrt(1 - beta2^t) + eps
 *   theta <- theta - (lr / (1 - beta1^t)) * m_t / denom
 * AMSGrad keeps the maximum of the raw v_t, not of the bias-corrected one, as torch's code does.
 * Sources: the algorithm boxes of torch.optim.Adam / AdamW and torch/optim/adam.py, adamw.py
 * (PyTorch 2.x). The moment buffers have the parameter's dtype, as in torch; every intermediate
 * is float64.
 */
import { describeValue } from '../tensor/check.js';
import { emptyLike, type Tensor } from '../autograd/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { kernels } from '../kernels/registry.js';
import { floatData } from '../autograd/dtypeCheck.js';
import { checkBoolean, checkNonNegative, Optimizer, type ParamState, type Params } from './optimizer.js';
import type { StateSchema } from './optimizer.js';

/**
 * The options of every Adam / AdamW parameter group.
 * @example
 * const opt = new optim.Adam(model.parameters(), { lr: 3e-4, betas: [0.9, 0.95], weightDecay: 0 });
 */
export interface AdamGroupOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay rate (default 1e-2). */
  weightDecay: number;
  /** Use the maximum of the second moments seen so far (AMSGrad, default false). */
  amsgrad: boolean;
  /** Ascend the objective instead of descending it (default false). */
  maximize: boolean;
}

/**
 * What `new Adam(params, options)` and `new AdamW(...)` take; every option is optional.
 * @example
 * new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01, amsgrad: true });
 */
export type AdamOptions = Partial<AdamGroupOptions>;

/** The update shared by Adam and AdamW; `decoupled` picks where weight decay goes. */
abstract class AdamBase extends Optimizer<AdamGroupOptions> {
  protected constructor(
    name: string,
    params: Params<AdamGroupOptions>,
    options: AdamOptions | undefined,
    weightDecay: number,
    private readonly decoupled: boolean,
  ) {
    const given = options === undefined ? {} : options;
    if (given === null || typeof given !== 'object') {
      throw new Error(`${name}: options must be an object, got ${describeValue(given)}`);
    }
    const defaults: AdamGroupOptions = {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay,
      amsgrad: false,
      maximize: false,
    };
    for (const key of Object.keys(defaults) as (keyof AdamGroupOptions)[]) {
      if (given[key] !== undefined) (defaults as unknown as Record<string, unknown>)[key] = given[key];
    }
    super(name, params, defaults, given);
  }

  /** max_exp_avg_sq may be absent: switching amsgrad on starts it at zero, as `update` does. */
  protected readonly stateSchema: StateSchema = {
    fields: { step: 'step', exp_avg: 'buffer', exp_avg_sq: 'nonNegativeBuffer', max_exp_avg_sq: 'nonNegativeBuffer' },
    required: ['step', 'exp_avg', 'exp_avg_sq'],
  };

  protected validate(o: AdamGroupOptions, where: string): void {
    checkNonNegative(o.lr, 'lr', where);
    checkNonNegative(o.eps, 'eps', where);
    checkNonNegative(o.weightDecay, 'weightDecay', where);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) {
      throw new Error(`${where}: betas must be a pair [beta1, beta2], got ${describeValue(o.betas)}`);
    }
    o.betas.forEach((beta, i) => {
      if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
        throw new Error(`${where}: betas[${i}] must be in [0, 1), got ${describeValue(beta)}`);
      }
    });
    checkBoolean(o.amsgrad, 'amsgrad', where);
    checkBoolean(o.maximize, 'maximize', where);
  }

  protected update(param: Tensor, grad: FloatArray, state: ParamState, o: AdamGroupOptions): void {
    const { lr, weightDecay, amsgrad } = o;
    const [beta1, beta2] = o.betas;
    if (state['step'] === undefined) {
      state['step'] = 0;
      state['exp_avg'] = emptyLike(param.shape, param.dtype);
      state['exp_avg_sq'] = emptyLike(param.shape, param.dtype);
    }
    if (amsgrad && state['max_exp_avg_sq'] === undefined) state['max_exp_avg_sq'] = emptyLike(param.shape, param.dtype);
    const t = (state['step'] as number) + 1;
    state['step'] = t;
    const buffer = (key: string): FloatArray => floatData(state[key] as Tensor, `${this.name}.step`, key);
    // one fused pass in place (src/tensor/kernels/optim.ts, the formula above)
    kernels().adamUpdate(
      floatData(param, `${this.name}.step`, 'param'),
      grad,
      buffer('exp_avg'),
      buffer('exp_avg_sq'),
      amsgrad ? buffer('max_exp_avg_sq') : null,
      {
        beta1,
        oneMinusBeta1: 1 - beta1,
        beta2,
        oneMinusBeta2: 1 - beta2,
        eps: o.eps,
        decay: this.decoupled ? 1 - lr * weightDecay : 1,
        l2: this.decoupled ? 0 : weightDecay,
        stepSize: lr / (1 - beta1 ** t),
        bias2Sqrt: Math.sqrt(1 - beta2 ** t),
        maximize: o.maximize,
      },
    );
  }
}

/**
 * Adam: moment estimates of the gradient with bias correction, weight decay as an L2 term in the
 * gradient; `theta <- theta - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)`.
 * @example const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  constructor(params: Params<AdamGroupOptions>, options?: AdamOptions) {
    super('Adam', params, options, 0, false);
  }
}

/**
 * AdamW: Adam with decoupled weight decay, `theta <- theta * (1 - lr * weightDecay)` before the
 * Adam step (default weightDecay 1e-2).
 * @example const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends AdamBase {
  constructor(params: Params<AdamGroupOptions>, options?: AdamOptions) {
    super('AdamW', params, options, 1e-2, true);
  }
}
