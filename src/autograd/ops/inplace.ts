/**
 * In-place operations (torch's trailing underscore): they write new values into the tensor's own
 * storage, through its strides, so every view sharing the storage sees them, and bump the
 * storage's version so that backward can tell when a saved tensor was overwritten (saved.ts).
 *
 * Each op computes its new values with the ordinary forward kernels into a fresh contiguous
 * array, then writes that array through the strides (so `x.add_(x.t())` reads x before writing).
 * The argument is broadcast to self's shape; self's shape never changes.
 *
 * Autograd, like torch:
 * - on a leaf that requires grad (or a view of one) with grad mode on: an Error; in `noGrad` it is
 *   allowed (that is how optimizers and init write parameters);
 * - on a non-leaf (or with an argument that requires grad): the tensor gets a new grad function,
 *   the in-place op's backward, whose edge leads to the grad function it had before (torch's
 *   "rebase"). Ops recorded earlier keep their edge to the old one (record.ts).
 *     add_: d/dself = g, d/dother = g          sub_: g, -g
 *     mul_: g * other, g * self_before         div_: g / other, -g * self_before / other^2
 *     fill_, zero_: 0 (and d/dvalue = sum g)   copy_: 0, d/dsrc = g (summed to src's shape)
 *     clamp_: g where min <= self_before <= max, else 0 (NaN: 0)
 *     maskedFill_: g where the mask is false, else 0 (and d/dvalue = sum of g where it is true)
 * - through a view of a tensor that requires grad (or with an argument that does): the base gets
 *   the new grad function `copySlices(op)` and the view becomes `asStrided` of it (torch's
 *   CopySlices; `commitThroughView` below, and viewGraph.ts for views made before the write).
 */
import { allocate, category, convertInto, isFloating, type DType, type TensorData } from '../../tensor/dtype.js';
import { stridedWrite } from '../../tensor/kernels/strided.js';
import { broadcastShapes, fmtShape, sameShape } from '../../tensor/shape.js';
import { isGradEnabled, noGrad } from '../gradMode.js';
import { moveRetained } from '../hooks.js';
import { record } from '../record.js';
import { bumpVersion, saveForBackward } from '../saved.js';
import { handOver } from '../handOver.js';
import { attachToBase, noteRewrite, placeIn } from '../viewGraph.js';
import { contiguousCopy } from './shape.js';
import { Tensor } from '../tensor.js';
import { asTensor, binaryForward, divisionDtype, zeroWhere } from './binary.js';
import { maskedFill, predicate } from './compare.js';

/**
 * Writes `values` (contiguous, product(dst.shape) elements) into dst's storage through its strides.
 * No checks, no version bump.
 */
export function writeStrided(dst: Tensor, values: TensorData): void {
  stridedWrite(values, dst.storage.array, dst.storageOffset(), dst.stride(), dst.shape);
}

/** Throws unless `self` may be written in place (with grad mode as it is now) by an op reading `args`. */
function checkWritable(self: Tensor, where: string, args: readonly Tensor[]): void {
  if (!(self instanceof Tensor)) throw new Error(`${where}: self must be a Tensor, got ${typeof self}`);
  if (self.shape.some((d, i) => d > 1 && self.stride(i) === 0)) {
    throw new Error(
      `${where}: unsupported operation: more than one element of the written-to tensor refers to a single memory ` +
        'location. Please clone() the tensor before performing the operation. (It is an expanded view: ' +
        `shape ${fmtShape(self.shape)}, strides ${fmtShape(self.stride())}.)`,
    );
  }
  if (!isGradEnabled()) return;
  if (self.isLeaf && self.requiresGrad) {
    throw new Error(`${where}: a leaf Variable that requires grad is being used in an in-place operation.`);
  }
  const base = self.base;
  if (base !== null && base.isLeaf && base.requiresGrad) {
    throw new Error(`${where}: a view of a leaf Variable that requires grad is being used in an in-place operation.`);
  }
  if (base !== null && base.requiresGrad && !self.requiresGrad) {
    throw new Error(
      `${where}: this view was created inside noGrad and is being modified in place with grad mode on; its base ` +
        'requires grad, and the write could not be tracked. Make the view with grad mode on, or write inside noGrad.',
    );
  }
  if (base !== null && !base.isContiguous() && (self.requiresGrad || args.some((t) => t.requiresGrad))) {
    throw new Error(
      `${where}: in-place writes into a view of a non-contiguous tensor (a view of a detached view) are not ` +
        'supported while grad mode is on; clone() it first, or do it inside noGrad.',
    );
  }
}

/** `arg` as an operand broadcast to self's shape, or torch's error when it does not broadcast to exactly that shape. */
function operand(self: Tensor, value: Tensor | number, where: string, argName: string): Tensor {
  const t = asTensor(value, self, where, argName);
  const shape = broadcastShapes(self.shape, t.shape, where);
  if (!sameShape(shape, self.shape)) {
    throw new Error(
      `${where}: output with shape ${fmtShape(self.shape)} doesn't match the broadcast shape ${fmtShape(shape)} ` +
        `(${argName} has shape ${fmtShape(t.shape)})`,
    );
  }
  return t;
}

/**
 * Writes `values` into self, bumps the version and, when the graph is recorded, gives self the
 * in-place op's grad function: inputs [self as it was, ...args].
 */
function commit(
  self: Tensor,
  name: string,
  args: readonly Tensor[],
  values: TensorData,
  backward: (g: Tensor) => readonly (Tensor | null)[],
): Tensor {
  const tracked = isGradEnabled() && (self.requiresGrad || args.some((t) => t.requiresGrad));
  if (tracked && self.base !== null) return commitThroughView(self, { name, args, values, backward });
  const oldFn = self.gradFn;
  const before = stand(self);
  writeStrided(self, values);
  bumpVersion(self);
  if (tracked) {
    record(self, name, [before, ...args], backward);
    if (oldFn !== null) moveRetained(oldFn, self.gradFn!);
  }
  return self;
}

/** A tensor standing for `t` before a write, in the graph: same shape and storage, t's grad function now. */
function stand(t: Tensor): Tensor {
  const before = new Tensor(t.storage.array, t.shape, t.requiresGrad, {
    base: t,
    strides: t.stride(),
    offset: t.storageOffset(),
    detached: true,
  });
  before.gradFn = t.gradFn;
  return before;
}

/** One in-place write: the op's name, its arguments, self's new values, and the op's backward. */
interface Write {
  name: string;
  args: readonly Tensor[];
  values: TensorData;
  backward: (g: Tensor) => readonly (Tensor | null)[];
}

/**
 * A recorded write into a view `self` of `base` (torch's CopySlices): the write changes base, so
 * base gets a new grad function `copySlices` with inputs [base as it was, ...args]:
 *   d/dbase_before = g outside the view's elements; inside them, the in-place op's gradient for
 *                    the view's old values (computed from g's values there)
 *   d/dargs        = the in-place op's gradients for its arguments, from g's values in the view
 * and self becomes a view of the new base (`asStrided`: its gradient scattered into zeros).
 */
function commitThroughView(self: Tensor, write: Write): Tensor {
  const { name, args, values, backward } = write;
  const base = self.base!;
  const before = stand(base);
  writeStrided(self, values);
  bumpVersion(self);
  record(base, `copySlices(${name})`, [before, ...args], (g) => {
    const res = contiguousCopy(g);
    const region = placeIn(self, res);
    const grads = backward(contiguousCopy(region));
    const gOld = grads[0];
    writeStrided(region, gOld ? noGrad(() => gOld.expand(self.shape)).data : allocate(g.dtype, self.size));
    return [handOver(res), ...grads.slice(1)];
  });
  noteRewrite(base);
  attachToBase(self);
  return self;
}

/**
 * self `op` other, checked to fit self's dtype like torch ("result type float32 can't be cast to
 * the desired output type int32": an in-place op cannot promote self).
 */
function arithmetic(self: Tensor, o: Tensor, op: 'add' | 'sub' | 'mul' | 'div', where: string): TensorData {
  const out =
    op === 'div' ? binaryForward('div', self, o, where, divisionDtype(self, o)) : binaryForward(op, self, o, where);
  checkCast(out.dtype, self.dtype, where);
  return out.data;
}

function checkCast(result: DType, target: DType, where: string): void {
  if (category(result) > category(target)) {
    throw new Error(`${where}: result type ${result} can't be cast to the desired output type ${target}`);
  }
}

/** `src` converted to self's dtype (bool: nonzero is true; int32 truncates), for copy_ and fill_. */
function converted(self: Tensor, src: TensorData, where: string): TensorData {
  const out = allocate(self.dtype, src.length);
  convertInto(src, out, where);
  return out;
}

/** Zeros of g's shape: the gradient of a value that was overwritten (torch passes zeros, not nothing). */
function zerosLike(g: Tensor): Tensor {
  return new Tensor(allocate(g.dtype, g.size), g.shape);
}

/** A copy of self's current values, when a backward will need them (else null). */
function keepValues(self: Tensor, needed: boolean): Tensor | null {
  return needed && isGradEnabled() ? new Tensor(self.data.slice(), self.shape) : null;
}

/** `self += other` in place. */
export function add_(self: Tensor, other: Tensor | number): Tensor {
  const o = operand(self, other, 'add_', 'other');
  checkWritable(self, 'add_', [o]);
  return commit(self, 'add_', [o], arithmetic(self, o, 'add', 'add_'), (g) => [g, g]);
}

/** `self -= other` in place. */
export function sub_(self: Tensor, other: Tensor | number): Tensor {
  const o = operand(self, other, 'sub_', 'other');
  checkWritable(self, 'sub_', [o]);
  return commit(self, 'sub_', [o], arithmetic(self, o, 'sub', 'sub_'), (g) => [g, o.requiresGrad ? g.neg() : null]);
}

/** `self *= other` in place. */
export function mul_(self: Tensor, other: Tensor | number): Tensor {
  const o = operand(self, other, 'mul_', 'other');
  checkWritable(self, 'mul_', [o]);
  const os = self.requiresGrad && isGradEnabled() ? saveForBackward(o) : null;
  const old = keepValues(self, o.requiresGrad);
  return commit(self, 'mul_', [o], arithmetic(self, o, 'mul', 'mul_'), (g) => [
    os ? g.mul(os()) : null,
    old ? g.mul(old) : null,
  ]);
}

/** `self /= other` in place. */
export function div_(self: Tensor, other: Tensor | number): Tensor {
  const o = operand(self, other, 'div_', 'other');
  checkWritable(self, 'div_', [o]);
  const os = isGradEnabled() ? saveForBackward(o) : null;
  const old = keepValues(self, o.requiresGrad);
  return commit(self, 'div_', [o], arithmetic(self, o, 'div', 'div_'), (g) => [
    g.div(os!()),
    old ? g.mul(old).div(os!().mul(os!())).neg() : null,
  ]);
}

/** Every element set to `value` (a number, a boolean or a 0-d tensor) in place. */
export function fill_(self: Tensor, value: Tensor | number | boolean, where = 'fill_'): Tensor {
  if (typeof value === 'boolean') value = value ? 1 : 0;
  if (value instanceof Tensor && value.ndim !== 0) {
    throw new Error(
      `${where}: fill_ only supports 0-dimension value tensor but got tensor with ${value.ndim} dimensions.`,
    );
  }
  const v = asTensor(value, self, where, 'value');
  checkWritable(self, where, [v]);
  const values = converted(self, new Float64Array(self.size).fill(v.data[0]!), `${where}: value`);
  return commit(self, where, [v], values, (g) => [zerosLike(g), v.requiresGrad ? g : null]);
}

/** Every element set to 0 in place. */
export function zero_(self: Tensor): Tensor {
  return fill_(self, 0, 'zero_');
}

/** src's values (broadcast to self's shape, converted to self's dtype) copied into self in place. */
export function copy_(self: Tensor, src: Tensor): Tensor {
  if (!(src instanceof Tensor)) throw new Error(`copy_: src must be a Tensor, got ${typeof src}`);
  const s = operand(self, src, 'copy_', 'src');
  checkWritable(self, 'copy_', [s]);
  const values = converted(self, noGrad(() => s.expand(self.shape)).data, 'copy_: src');
  return commit(self, 'copy_', [s], values, (g) => [zerosLike(g), s.requiresGrad ? g : null]);
}

/**
 * Clamps every element into [min, max] in place: `min(max(x, min), max)` (either bound may be
 * null; at least one must be given). NaN stays NaN; a NaN bound gives NaN; min > max gives max,
 * as in torch.
 */
export function clamp_(self: Tensor, min?: number | null, max?: number | null): Tensor {
  const where = 'clamp_';
  const lo = min ?? null;
  const hi = max ?? null;
  if (lo === null && hi === null) throw new Error(`${where}: at least one of 'min' or 'max' must not be null`);
  for (const [arg, v] of [
    ['min', lo],
    ['max', hi],
  ] as const) {
    if (v !== null && typeof v !== 'number') {
      throw new Error(`${where}: ${arg} must be a number or null, got ${typeof v}`);
    }
  }
  if (!isFloating(self.dtype)) {
    if (self.dtype === 'bool') {
      throw new Error(`${where}: result type int32 can't be cast to the desired output type bool`);
    }
    if ([lo, hi].some((v) => v !== null && !Number.isInteger(v))) checkCast('float32', self.dtype, where);
  }
  checkWritable(self, where, []);
  const x = self.data;
  const values = x.slice();
  let mask: Tensor | null = null;
  if (self.requiresGrad && isGradEnabled()) {
    // d/dx = 1 where min <= x <= max (comparisons with NaN are false: gradient 0), else 0
    const m = x.slice();
    for (let i = 0; i < m.length; i++) m[i] = (lo === null || x[i]! >= lo) && (hi === null || x[i]! <= hi) ? 1 : 0;
    mask = new Tensor(m, self.shape);
  }
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (lo !== null) v = Math.max(v, lo); // Math.max/min propagate NaN, like torch
    if (hi !== null) v = Math.min(v, hi);
    values[i] = v;
  }
  return commit(self, where, [], values, (g) => [g.mul(mask!)]);
}

/**
 * `value` written wherever the bool `mask` (broadcast to self's shape) is true, in place; value is
 * a number, a boolean or a 0-d tensor, converted to self's dtype (as `maskedFill`).
 */
export function maskedFill_(self: Tensor, mask: Tensor, value: number | boolean | Tensor): Tensor {
  const args = value instanceof Tensor ? [value] : [];
  checkWritable(self, 'maskedFill_', args);
  const values = noGrad(() => maskedFill(self, mask, value)).data;
  const ms = isGradEnabled() ? saveForBackward(mask) : null;
  return commit(self, 'maskedFill_', args, values, (g) => {
    const m = ms!();
    const valueNeedsGrad = value instanceof Tensor && value.requiresGrad;
    const dvalue = valueNeedsGrad ? zeroWhere(g, predicate('logicalNot', m)).sum() : null;
    return [zeroWhere(g, m), dvalue];
  });
}
