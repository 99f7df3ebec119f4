/**
 * Stochastic gradient descent with optional momentum, torch.optim.SGD's update exactly.
 *
 * For each parameter theta with gradient g, step t (torch's `_single_tensor_sgd`):
 *   g   <- -g                              if maximize
 *   g   <- g + weightDecay * theta         if weightDecay != 0
 *   b_t <- g                               if momentum != 0, first step (no dampening)
 *   b_t <- momentum * b_{t-1} + (1 - dampening) * g     if momentum != 0, later steps
 *   g   <- g + momentum * b_t   if nesterov,   else   g <- b_t       (if momentum != 0)
 *   theta <- theta - lr * g
 * Sources: the algorithm box of torch.optim.SGD and `_single_tensor_sgd` in torch/optim/sgd.py
 * (PyTorch 2.x, which negates the gradient for `maximize` before weight decay).
 * The momentum buffer b has the parameter's dtype, as in torch; every intermediate is float64.
 */
import { floatData } from '../autograd/dtypeCheck.js';
import { describeValue } from '../tensor/check.js';
import { emptyLike, type Tensor } from '../autograd/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { kernels } from '../kernels/registry.js';
import { checkBoolean, checkNonNegative, Optimizer, type ParamState, type Params } from './optimizer.js';
import type { StateSchema } from './optimizer.js';

/**
 * The options of every SGD parameter group.
 * @example
 * const groups = [{ params: backbone.parameters(), lr: 0.01 }, { params: head.parameters() }];
 * new optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
 */
export interface SGDGroupOptions {
  /** Learning rate. */
  lr: number;
  /** Momentum factor (default 0: plain SGD). */
  momentum: number;
  /** Dampening of the gradient's share in the momentum buffer (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Ascend the objective instead of descending it (default false). */
  maximize: boolean;
}

/**
 * What `new SGD(params, options)` takes: `lr`, and the rest optional.
 * @example
 * new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 */
export type SGDOptions = Pick<SGDGroupOptions, 'lr'> & Partial<SGDGroupOptions>;

/**
 * Stochastic gradient descent, optionally with momentum, dampening, Nesterov momentum, weight
 * decay and maximization: `theta <- theta - lr * g` with g as in the module comment.
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class SGD extends Optimizer<SGDGroupOptions> {
  constructor(params: Params<SGDGroupOptions>, options: SGDOptions) {
    if (options === null || typeof options !== 'object') {
      throw new Error(`SGD: options must be an object with at least lr, got ${describeValue(options)}`);
    }
    const defaults: SGDGroupOptions = {
      lr: options.lr,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
    };
    for (const key of Object.keys(defaults) as (keyof SGDGroupOptions)[]) {
      if (options[key] !== undefined) (defaults as unknown as Record<string, unknown>)[key] = options[key];
    }
    super('SGD', params, defaults, options);
  }

  protected readonly stateSchema: StateSchema = { fields: { momentum_buffer: 'buffer' }, required: [] };

  protected validate(o: SGDGroupOptions, where: string): void {
    checkNonNegative(o.lr, 'lr', where);
    checkNonNegative(o.momentum, 'momentum', where);
    checkNonNegative(o.weightDecay, 'weightDecay', where);
    if (typeof o.dampening !== 'number' || !Number.isFinite(o.dampening)) {
      throw new Error(`${where}: dampening must be a finite number, got ${describeValue(o.dampening)}`);
    }
    checkBoolean(o.nesterov, 'nesterov', where);
    checkBoolean(o.maximize, 'maximize', where);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(
        `${where}: nesterov requires momentum > 0 and dampening = 0, got momentum ${o.momentum} and ` +
          `dampening ${o.dampening}`,
      );
    }
  }

  protected update(param: Tensor, grad: FloatArray, state: ParamState, o: SGDGroupOptions): void {
    let buffer: FloatArray | null = null;
    let first = false;
    if (o.momentum !== 0) {
      first = state['momentum_buffer'] === undefined;
      if (first) state['momentum_buffer'] = emptyLike(param.shape, param.dtype);
      buffer = floatData(state['momentum_buffer'] as Tensor, 'SGD.step', 'momentum_buffer');
    }
    // one fused pass in place (src/tensor/kernels/optim.ts, the formula above)
    kernels().sgdUpdate(floatData(param, 'SGD.step', 'param'), grad, buffer, {
      lr: o.lr,
      momentum: o.momentum,
      oneMinusDampening: 1 - o.dampening,
      weightDecay: o.weightDecay,
      nesterov: o.nesterov,
      maximize: o.maximize,
      first,
    });
  }
}
