/**
 * PyTorch's default parameter initialisation for Linear and Conv2d (`reset_parameters`):
 * weight ~ kaiming_uniform_(a = sqrt(5)), bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 *
 * kaiming_uniform_ draws from U(-bound, bound) with bound = gain * sqrt(3 / fanIn) and
 * gain = sqrt(2 / (1 + a^2)); with a = sqrt(5) the gain is sqrt(1/3), so bound = 1/sqrt(fanIn):
 * weight and bias share the same bound. fanIn = inFeatures for Linear and
 * (inChannels / groups) * kH * kW for Conv2d.
 */
import { Tensor } from '../autograd/tensor.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { sizeOf } from '../tensor/shape.js';
import { markParameter } from './parameter.js';

/** The bound 1/sqrt(fanIn) of torch's default weight and bias initialisation (0 when fanIn is 0). */
export function defaultInitBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/**
 * A new float32 `nn.Parameter` (requiresGrad) of `shape` with values from U(-bound, bound), drawn from
 * the seeded default generator (or `generator`).
 * @example uniformParameter([10, 784], defaultInitBound(784))
 */
export function uniformParameter(shape: readonly number[], bound: number, generator: Generator = defaultGenerator): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = (2 * generator.uniform() - 1) * bound;
  return markParameter(new Tensor(data, shape, true));
}
