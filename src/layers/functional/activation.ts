/**
 * `functional.relu`, `gelu`, `tanh`, `sigmoid` (torch.nn.functional's): the input is checked here,
 * once, then the Tensor method runs the op (src/autograd/ops/unary.ts). GELU's tanh approximation
 * is a composition of ops, written here. The other activations with arguments (leakyRelu, silu, elu,
 * softplus) are single ops in src/autograd/ops/activation.ts.
 */
import { checkTensor } from '../../autograd/check.js';
import type { Tensor } from '../../autograd/tensor.js';
import { checkOptions, describeValue } from '../../tensor/check.js';

/**
 * y = max(x, 0).
 * @example relu(tensor([-1, 2]))  // [0, 2]
 */
export function relu(x: Tensor): Tensor {
  return reluAs('relu', x);
}

/** `relu` under the name of its caller (nn.ReLU passes 'ReLU'). */
export function reluAs(where: string, x: Tensor): Tensor {
  checkTensor(x, where, 'input');
  return x.relu();
}

/**
 * y = tanh(x).
 * @example tanh(tensor([0]))  // [0]
 */
export function tanh(x: Tensor): Tensor {
  return tanhAs('tanh', x);
}

/** `tanh` under the name of its caller (nn.Tanh passes 'Tanh'). */
export function tanhAs(where: string, x: Tensor): Tensor {
  checkTensor(x, where, 'input');
  return x.tanh();
}

/**
 * y = 1 / (1 + e^-x).
 * @example sigmoid(tensor([0]))  // [0.5]
 */
export function sigmoid(x: Tensor): Tensor {
  return sigmoidAs('sigmoid', x);
}

/** `sigmoid` under the name of its caller (nn.Sigmoid passes 'Sigmoid'). */
export function sigmoidAs(where: string, x: Tensor): Tensor {
  checkTensor(x, where, 'input');
  return x.sigmoid();
}

/**
 * Options of `gelu`.
 * @example gelu(x, { approximate: 'tanh' })
 */
export interface GeluOptions {
  /** 'none' (default): exact x * Phi(x); 'tanh': torch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/** Throws unless `approximate` is 'none' or 'tanh'; returns it. */
export function checkApproximate(approximate: unknown, where: string): 'none' | 'tanh' {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`${where}: approximate must be 'none' or 'tanh', got ${describeValue(approximate)}`);
  }
  return approximate;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * y = x * Phi(x) (exact, torch's default), or with `approximate: 'tanh'`
 * y = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
 * @example gelu(tensor([1]))  // [0.8413]
 */
export function gelu(x: Tensor, opts: GeluOptions = {}): Tensor {
  return geluAs('gelu', x, opts);
}

/** `gelu` under the name of its caller (nn.GELU passes 'GELU'). */
export function geluAs(where: string, x: Tensor, opts: GeluOptions = {}): Tensor {
  opts = checkOptions(opts, where);
  const approximate = checkApproximate(opts.approximate ?? 'none', where);
  checkTensor(x, where, 'input');
  if (approximate === 'none') return x.gelu();
  const inner = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
  return x.mul(0.5).mul(inner.tanh().add(1));
}
