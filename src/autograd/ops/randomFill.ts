/**
 * In-place random fills (`x.normal_()`, `x.uniform_()`): samples from a generator are written into
 * the tensor's storage through its strides (so views see them) and the storage's version is bumped
 * (./inplace.ts, ../saved.ts). Not differentiable; like torch, refused on a tensor that requires
 * grad (or a view of one) while grad mode is on (fill parameters inside `noGrad`, as nn.init does),
 * and on an expanded view, whose elements share memory.
 */
import { isGradEnabled } from '../gradMode.js';
import { defaultGenerator, type Generator } from '../../tensor/random.js';
import { fillNormal, fillUniform } from '../../tensor/kernels/sampling.js';
import { allocate } from '../../tensor/dtype.js';
import { floatData } from '../dtypeCheck.js';
import { bumpVersion } from '../saved.js';
import type { Tensor } from '../tensor.js';
import { writeStrided } from './inplace.js';

/**
 * Options of the in-place random fills.
 * @example
 * x.normal_(0, 0.02, { generator: new Generator(1) });
 */
export interface FillOptions {
  /** Draw from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

/** Throws unless x is floating (torch: "expects floating point") and may be written now. */
function checkWritable(x: Tensor, where: string): void {
  floatData(x, where, 'self');
  if (x.shape.some((d, i) => d > 1 && x.stride(i) === 0)) {
    throw new Error(`${where}: cannot fill an expanded view in place (its elements share memory); clone() it first`);
  }
  if (isGradEnabled() && (x.requiresGrad || x.base?.requiresGrad === true)) {
    throw new Error(
      `${where}: cannot fill a tensor that requires grad in place while grad mode is on ` +
        `(${x.base !== null ? 'a view' : x.isLeaf ? 'a leaf' : `made by '${x.gradFn!.name}'`}); ` +
        'wrap it in noGrad(() => ...)',
    );
  }
}

function checkNumber(value: unknown, where: string, name: string): number {
  if (typeof value !== 'number') throw new Error(`${where}: ${name} must be a number, got ${typeof value}`);
  return value;
}

/** Fills x with samples of N(mean, std^2) in place and returns it (torch's Tensor.normal_). */
export function normalFill(x: Tensor, mean: number, std: number, opts: FillOptions = {}): Tensor {
  checkNumber(mean, 'normal_', 'mean');
  if (!(checkNumber(std, 'normal_', 'std') >= 0)) throw new Error(`normal_: std must be >= 0, got ${std}`);
  checkWritable(x, 'normal_');
  const values = allocate(x.dtype, x.size);
  fillNormal(opts.generator ?? defaultGenerator, mean, std, values);
  return commitFill(x, values);
}

/** Fills x with samples of U[from, to) in place and returns it (torch's Tensor.uniform_). */
export function uniformFill(x: Tensor, from: number, to: number, opts: FillOptions = {}): Tensor {
  checkNumber(from, 'uniform_', 'from');
  checkNumber(to, 'uniform_', 'to');
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new Error(`uniform_: from and to must be finite, got from=${from}, to=${to}`);
  }
  if (from > to) throw new Error(`uniform_: expected from <= to, got from=${from} > to=${to}`);
  checkWritable(x, 'uniform_');
  const values = allocate(x.dtype, x.size);
  fillUniform(opts.generator ?? defaultGenerator, from, to, values);
  return commitFill(x, values);
}

/** Writes the samples through x's strides and bumps its storage's version. */
function commitFill(x: Tensor, values: ReturnType<typeof allocate>): Tensor {
  writeStrided(x, values);
  bumpVersion(x);
  return x;
}
