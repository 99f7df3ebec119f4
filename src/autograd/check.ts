/**
 * The Tensor argument checks every public entry point runs first, so that bad input fails with
 * `where: argName must be a Tensor, got <value>` instead of a TypeError from inside an op.
 * Value formatting and the non-Tensor checks are in src/tensor/check.ts.
 */
import { describeValue } from '../tensor/check.js';
import { fmtShape, sameShape } from '../tensor/shape.js';
import { Tensor } from './tensor.js';

/**
 * Throws unless `value` is a Tensor (and, with `shape`, has exactly that shape).
 * @example checkTensor(x, 'linear', 'input');
 */
export function checkTensor(
  value: unknown,
  where: string,
  argName: string,
  shape?: readonly number[],
): asserts value is Tensor {
  if (!(value instanceof Tensor)) {
    const expected = shape === undefined ? 'a Tensor' : `a Tensor of shape ${fmtShape(shape)}`;
    throw new Error(`${where}: ${argName} must be ${expected}, got ${describeValue(value)}`);
  }
  if (shape !== undefined && !sameShape(value.shape, shape)) {
    throw new Error(`${where}: ${argName} must have shape ${fmtShape(shape)}, got shape ${fmtShape(value.shape)}`);
  }
}

/** Like `checkTensor`, but `null` and `undefined` pass (an optional argument left out); returns the tensor or null. */
export function checkOptionalTensor(
  value: unknown,
  where: string,
  argName: string,
  shape?: readonly number[],
): Tensor | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof Tensor)) {
    const expected = shape === undefined ? 'a Tensor' : `a Tensor of shape ${fmtShape(shape)}`;
    throw new Error(`${where}: ${argName} must be ${expected} or null, got ${describeValue(value)}`);
  }
  checkTensor(value, where, argName, shape);
  return value;
}
