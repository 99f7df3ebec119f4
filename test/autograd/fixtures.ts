/**
 * Small helpers shared by the autograd tests: seeded input tensors, a gradcheck assertion, and a
 * guard that inputs come out of an op unchanged.
 */
import { expect } from 'vitest';
import { gradcheck, tensor, type GradcheckOptions, type Tensor } from '../../src/index.js';
import type { DType } from '../../src/tensor/dtype.js';
import { numel, randomValues, type ValueOptions } from '../tensor/reference.js';

export interface RandomTensorOptions extends ValueOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}

/** A tensor of `shape` with seeded values (see `randomValues`); requiresGrad defaults to true. */
export function randomTensor(shape: readonly number[], seed: number, opts: RandomTensorOptions = {}): Tensor {
  const { requiresGrad = true, dtype = 'float32', ...values } = opts;
  return tensor(randomValues(numel(shape), seed, values), shape, { requiresGrad, dtype });
}

/**
 * Asserts that gradcheck passes (it throws with the worst mismatch named when it does not).
 * Tolerances are tighter than gradcheck's defaults (torch's rtol 1e-3, atol 1e-5): in float64 with
 * eps 1e-6 the central difference is good to ~1e-8 (O(eps^2) truncation, ~1e-16 * |f| / eps
 * rounding), so rtol 1e-5 still passes correct rules while a 1e-4 relative error in one is caught.
 */
export function expectGradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts?: GradcheckOptions): void {
  expect(gradcheck(fn, inputs, { rtol: 1e-5, atol: 1e-6, ...opts })).toBe(true);
}

/** Runs `fn` and asserts that the data of `inputs` is bit-for-bit what it was before. */
export function expectInputsUnchanged(inputs: readonly Tensor[], fn: () => void): void {
  const before = inputs.map((t) => Array.from(t.data));
  const shapes = inputs.map((t) => [...t.shape]);
  fn();
  inputs.forEach((t, k) => {
    expect(Array.from(t.data), `input ${k} data`).toEqual(before[k]);
    expect([...t.shape], `input ${k} shape`).toEqual(shapes[k]);
  });
}

/** The float32 rounding of every element: what a float32 kernel stores for a float64 result. */
export function toFloat32(values: readonly number[]): number[] {
  return values.map(Math.fround);
}
