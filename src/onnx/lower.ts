/**
 * The ONNX forms of typegrad's ops (Tensor methods, the functional ops the tracer sees through
 * `record`) and layers (lowered whole, as one unit, by module kind). Each lowering gets the trace,
 * the call's arguments and the result the op computed, and adds nodes whose outputs are the result.
 *
 * Norms lower to their ONNX operator where the opset has it (LayerNormalization >= 17,
 * GroupNormalization >= 21, RMSNormalization >= 23; BatchNormalization and InstanceNormalization
 * always) and otherwise to a decomposition into ReduceMean, Sub, Mul, Add, Sqrt and Div, which is
 * the formula of the layer (biased variance, eps inside the square root).
 */
import { Tensor } from '../autograd/tensor.js';
import type { Slice } from '../autograd/ops/at.js';
import type { SortOptions, TopkOptions } from '../autograd/ops/sortSelect.js';
import { fmtShape } from '../tensor/shape.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import type { Module } from '../layers/module.js';
import { Linear } from '../layers/linear.js';
import { Conv2d } from '../layers/conv.js';
import { Conv1d } from '../layers/conv1d.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from '../layers/pooling.js';
import type { AvgPool2dOptions, AvgPoolWindow, MaxPool2dOptions, PoolWindow } from '../autograd/ops/pool.js';
import type { Conv1dOptions, Conv2dOptions } from '../layers/functional/conv.js';
import type {
  BatchNormOptions,
  GroupNormOptions,
  InstanceNormOptions,
  LayerNormOptions,
  RMSNormOptions,
} from '../layers/functional/norm.js';
import { ELU, GELU, LeakyReLU, LogSoftmax, Softmax, Softplus, SiLU } from '../layers/activation.js';
import { Dropout } from '../layers/dropout.js';
import { Flatten, Identity } from '../layers/container.js';
import { Embedding } from '../layers/embedding.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from '../layers/norm/batchnorm.js';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from '../layers/norm/instancenorm.js';
import { GroupNorm } from '../layers/norm/groupnorm.js';
import { LayerNorm, RMSNorm } from '../layers/norm/layernorm.js';
import { ONNX_TYPE, type Lazy, type Sizes, type Trace } from './trace.js';

/** Largest int64 (an open end for Slice). */
const INT64_MAX = Number.MAX_SAFE_INTEGER;

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

function higher(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** `t`'s value as `dtype` (a Cast when it differs). */
function as(tr: Trace, t: Tensor | number, dtype: DType): string {
  if (typeof t === 'number') return tr.scalar(t, dtype);
  const id = tr.val(t);
  return t.dtype === dtype ? id : tr.op('Cast', [id], { to: { int: ONNX_TYPE[dtype] } });
}

/** Reduction over `axes` (all when undefined): ReduceSum takes axes as an input from opset 13, the others from 18. */
function reduce(
  tr: Trace,
  op: string,
  x: string,
  rank: number,
  axes: readonly number[] | undefined,
  keep: boolean,
  out?: Tensor,
): string {
  const all = axes === undefined ? Array.from({ length: rank }, (_, i) => i) : axes.map((a) => norm(a, rank));
  const keepdims = { int: keep ? 1 : 0 };
  if (op === 'ReduceSum' || tr.opset >= 18) return tr.op(op, [x, tr.ints(all)], { keepdims }, out);
  return tr.op(op, [x], { keepdims, axes: { ints: all } }, out);
}

const axesArg = (a: unknown): number[] | undefined =>
  a === undefined || a === null ? undefined : typeof a === 'number' ? [a] : [...(a as number[])];

/**
 * A Reshape target for `out`: run 1's sizes, 0 where an input size is copied along a dynamic axis,
 * -1 for one other dynamic size.
 */
function reshapeTarget(inId: string, outId: string): Lazy {
  return {
    lazy: (s: Sizes) => {
      const dims = s.dims(outId);
      const inDims = s.dims(inId);
      const first = s.first(outId);
      const inFirst = s.first(inId);
      let inferred = false;
      const target = dims.map((d, i) => {
        if (d !== null) return d;
        if (
          i < inDims.length &&
          inDims[i] === null &&
          inFirst[i] === first[i] &&
          s.second(inId)[i] === s.second(outId)[i]
        ) {
          return 0;
        }
        if (inferred) throw new Error('exportOnnx: a reshape mixes two dynamic sizes; only one may be inferred');
        inferred = true;
        return -1;
      });
      return { name: '', dims: [target.length], int64: target };
    },
  };
}

function reshape(tr: Trace, x: Tensor, out: Tensor): void {
  const inId = tr.val(x);
  const outId = tr.fresh(out);
  tr.nodes.push({
    opType: 'Reshape',
    inputs: [inId, reshapeTarget(inId, outId)],
    outputs: [outId],
    attributes: {},
    path: tr.where(),
  });
}

const UNARY: Record<string, string> = {
  neg: 'Neg',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  abs: 'Abs',
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  sin: 'Sin',
  cos: 'Cos',
  floor: 'Floor',
  ceil: 'Ceil',
  round: 'Round',
  reciprocal: 'Reciprocal',
  sign: 'Sign',
  logicalNot: 'Not',
  isnan: 'IsNaN',
};
const BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow' };
const COMPARE: Record<string, string> = {
  eq: 'Equal',
  lt: 'Less',
  le: 'LessOrEqual',
  gt: 'Greater',
  ge: 'GreaterOrEqual',
  logicalAnd: 'And',
  logicalOr: 'Or',
  logicalXor: 'Xor',
};
const REDUCE: Record<string, string> = {
  sum: 'ReduceSum',
  mean: 'ReduceMean',
  amax: 'ReduceMax',
  amin: 'ReduceMin',
  max: 'ReduceMax',
  min: 'ReduceMin',
  logsumexp: 'ReduceLogSumExp',
};

/** GELU: the Gelu operator from opset 20, else x * 0.5 * (1 + erf(x / sqrt 2)) (or the tanh form). */
function gelu(tr: Trace, x: Tensor, out: Tensor, approximate: 'none' | 'tanh'): void {
  const id = tr.val(x);
  if (tr.opset >= 20) {
    tr.op('Gelu', [id], approximate === 'tanh' ? { approximate: { string: 'tanh' } } : {}, out);
    return;
  }
  const c = (v: number): string => tr.scalar(v, x.dtype);
  let inner: string;
  if (approximate === 'none') inner = tr.op('Erf', [tr.op('Mul', [id, c(Math.SQRT1_2)])]);
  else {
    const cube = tr.op('Mul', [tr.op('Mul', [id, id]), id]);
    inner = tr.op('Tanh', [
      tr.op('Mul', [tr.op('Add', [id, tr.op('Mul', [cube, c(0.044715)])]), c(Math.sqrt(2 / Math.PI))]),
    ]);
  }
  tr.op('Mul', [tr.op('Mul', [id, c(0.5)]), tr.op('Add', [inner, c(1)])], {}, out);
}

/** Lowerings of Tensor methods: `(trace, self, args, result)`. */
export const tensorLowerings: Record<string, (tr: Trace, self: Tensor, args: unknown[], out: unknown) => void> = {};

for (const [method, op] of Object.entries(UNARY)) {
  tensorLowerings[method] = (tr, self, _args, out) => void tr.op(op, [tr.val(self)], {}, out as Tensor);
}
for (const [method, op] of Object.entries(BINARY)) {
  tensorLowerings[method] = (tr, self, [other], out) => {
    const o = out as Tensor;
    tr.op(op, [as(tr, self, o.dtype), as(tr, other as Tensor | number, o.dtype)], {}, o);
  };
}
// In place: the tensor keeps its identity and now holds the node's output (other views of it do not).
for (const [method, op] of Object.entries(BINARY)) {
  if (op === 'Pow') continue;
  tensorLowerings[`${method}_`] = (tr, self, [other]) => {
    tr.op(op, [tr.val(self), as(tr, other as Tensor | number, self.dtype)], {}, self);
  };
}
for (const method of ['clamp', 'maskedFill']) {
  tensorLowerings[`${method}_`] = (tr, self, args) => tensorLowerings[method]!(tr, self, args, self);
}
for (const [method, op] of Object.entries(COMPARE)) {
  tensorLowerings[method] = (tr, self, [other], out) => {
    const t = typeof other === 'number' ? self.dtype : higher(self.dtype, (other as Tensor).dtype);
    tr.op(op, [as(tr, self, t), as(tr, other as Tensor | number, t)], {}, out as Tensor);
  };
}
tensorLowerings['ne'] = (tr, self, [other], out) => {
  const t = typeof other === 'number' ? self.dtype : higher(self.dtype, (other as Tensor).dtype);
  tr.op('Not', [tr.op('Equal', [as(tr, self, t), as(tr, other as Tensor | number, t)])], {}, out as Tensor);
};
for (const [method, op] of Object.entries(REDUCE)) {
  tensorLowerings[method] = (tr, self, [axes, keepDim], out) => {
    if (!(out as object as Tensor).shape)
      throw new Error(`exportOnnx: Tensor.${method}(dim) with indices has no ONNX lowering`);
    const o = out as Tensor;
    reduce(tr, op, tr.val(self), self.ndim, axesArg(axes), keepDim === true, o);
  };
}
tensorLowerings['gelu'] = (tr, self, _a, out) => gelu(tr, self, out as Tensor, 'none');
tensorLowerings['square'] = (tr, self, _a, out) => void tr.op('Mul', [tr.val(self), tr.val(self)], {}, out as Tensor);
tensorLowerings['rsqrt'] = (tr, self, _a, out) =>
  void tr.op('Reciprocal', [tr.op('Sqrt', [tr.val(self)])], {}, out as Tensor);
tensorLowerings['log1p'] = (tr, self, _a, out) =>
  void tr.op('Log', [tr.op('Add', [tr.val(self), tr.scalar(1, self.dtype)])], {}, out as Tensor);
tensorLowerings['expm1'] = (tr, self, _a, out) =>
  void tr.op('Sub', [tr.op('Exp', [tr.val(self)]), tr.scalar(1, self.dtype)], {}, out as Tensor);
for (const [m, base] of [
  ['log2', 2],
  ['log10', 10],
] as const) {
  tensorLowerings[m] = (tr, self, _a, out) =>
    void tr.op('Div', [tr.op('Log', [tr.val(self)]), tr.scalar(Math.log(base), self.dtype)], {}, out as Tensor);
}
tensorLowerings['isinf'] = (tr, self, _a, out) => void tr.op('IsInf', [tr.val(self)], {}, out as Tensor);
tensorLowerings['isfinite'] = (tr, self, _a, out) => {
  const bad = tr.op('Or', [tr.op('IsInf', [tr.val(self)]), tr.op('IsNaN', [tr.val(self)])]);
  tr.op('Not', [bad], {}, out as Tensor);
};
tensorLowerings['prod'] = (tr, self, [dim, keepDim], out) =>
  void reduce(tr, 'ReduceProd', tr.val(self), self.ndim, axesArg(dim), keepDim === true, out as Tensor);
tensorLowerings['flip'] = (tr, self, [dims], out) => {
  const axes = (typeof dims === 'number' ? [dims] : [...(dims as number[])]).map((a) => norm(a, self.ndim));
  const ends = axes.map(() => -INT64_MAX);
  const steps = axes.map(() => -1);
  tr.op(
    'Slice',
    [tr.val(self), tr.ints(axes.map(() => -1)), tr.ints(ends), tr.ints(axes), tr.ints(steps)],
    {},
    out as Tensor,
  );
};
tensorLowerings['repeat'] = (tr, self, sizes, out) => {
  const reps = sizes as number[];
  // torch's repeat with more sizes than dims first adds leading axes of size 1
  const lead = Array.from({ length: reps.length - self.ndim }, (_, i) => i);
  const x = lead.length > 0 ? tr.op('Unsqueeze', [tr.val(self), tr.ints(lead)]) : tr.val(self);
  tr.op('Tile', [x, tr.ints(reps)], {}, out as Tensor);
};
tensorLowerings['matmul'] = (tr, self, [other], out) =>
  void tr.op('MatMul', [tr.val(self), tr.val(other as Tensor)], {}, out as Tensor);
for (const m of ['reshape', 'view', 'flatten', 'unsqueeze', 'squeeze']) {
  tensorLowerings[m] = (tr, self, _a, out) => reshape(tr, self, out as Tensor);
}
for (const m of ['contiguous', 'clone', 'detach']) {
  tensorLowerings[m] = (tr, self, _a, out) => void tr.values.set(out as Tensor, tr.val(self));
}
tensorLowerings['permute'] = (tr, self, [axes], out) =>
  void tr.op(
    'Transpose',
    [tr.val(self)],
    { perm: { ints: (axes as number[]).map((a) => norm(a, self.ndim)) } },
    out as Tensor,
  );
tensorLowerings['transpose'] = (tr, self, [a, b], out) => {
  const perm = Array.from({ length: self.ndim }, (_, i) => i);
  const [i, j] = [norm(a as number, self.ndim), norm(b as number, self.ndim)];
  [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  tr.op('Transpose', [tr.val(self)], { perm: { ints: perm } }, out as Tensor);
};
tensorLowerings['expand'] = (tr, self, _a, out) => {
  const o = out as Tensor;
  const outId = tr.fresh(o);
  const shape: Lazy = { lazy: (s) => ({ name: '', dims: [o.ndim], int64: s.dims(outId).map((d) => d ?? 1) }) };
  tr.nodes.push({
    opType: 'Expand',
    inputs: [tr.val(self), shape],
    outputs: [outId],
    attributes: {},
    path: tr.where(),
  });
};
tensorLowerings['select'] = (tr, self, [dim, i], out) => {
  const d = norm(dim as number, self.ndim);
  const idx = (i as number) < 0 ? (i as number) + self.shape[d]! : (i as number);
  tr.op('Gather', [tr.val(self), tr.constant({ dims: [], int64: [idx] })], { axis: { int: d } }, out as Tensor);
};
/** Slice along `dim` from `start` with `step`, as many elements as `out` has; open-ended on a dynamic axis. */
function slice(tr: Trace, self: Tensor, dim: number, start: number, step: number, out: Tensor): void {
  const d = norm(dim, self.ndim);
  const s0 = start < 0 ? Math.max(start + self.shape[d]!, 0) : Math.min(start, self.shape[d]!);
  const n = out.shape[d]!;
  const inId = tr.val(self);
  const outId = tr.fresh(out);
  const ends: Lazy = {
    lazy: (s) => ({
      name: '',
      dims: [1],
      int64: [s.dims(inId)[d] === null ? INT64_MAX : n === 0 ? s0 : s0 + (n - 1) * step + 1],
    }),
  };
  const inputs = [inId, tr.ints([s0]), ends, tr.ints([d]), tr.ints([step])];
  tr.nodes.push({ opType: 'Slice', inputs, outputs: [outId], attributes: {}, path: tr.where() });
}
tensorLowerings['narrow'] = (tr, self, [dim, start], out) =>
  slice(tr, self, dim as number, start as number, 1, out as Tensor);
tensorLowerings['slice'] = (tr, self, [dim, start, , step], out) =>
  slice(
    tr,
    self,
    dim as number,
    (start as number | null | undefined) ?? 0,
    (step as number | undefined) ?? 1,
    out as Tensor,
  );
function split(tr: Trace, self: Tensor, dim: number, outs: Tensor[]): void {
  const d = norm(dim, self.ndim);
  tr.node('Split', [tr.val(self), tr.ints(outs.map((t) => t.shape[d]!))], outs, { axis: { int: d } });
}
tensorLowerings['split'] = (tr, self, [, dim], out) =>
  split(tr, self, (dim as number | undefined) ?? 0, out as Tensor[]);
tensorLowerings['chunk'] = (tr, self, [, dim], out) =>
  split(tr, self, (dim as number | undefined) ?? 0, out as Tensor[]);
tensorLowerings['maskedFill'] = (tr, self, [mask, value], out) => {
  const o = out as Tensor;
  tr.op(
    'Where',
    [as(tr, mask as Tensor, 'bool'), as(tr, value as Tensor | number, o.dtype), as(tr, self, o.dtype)],
    {},
    o,
  );
};
tensorLowerings['clamp'] = (tr, self, [min, max], out) => {
  const o = out as Tensor;
  const bound = (b: unknown): string => (b === undefined || b === null ? '' : as(tr, b as Tensor | number, o.dtype));
  tr.op('Clip', [as(tr, self, o.dtype), bound(min), bound(max)], {}, o);
};
for (const [m, upper] of [
  ['tril', 0],
  ['triu', 1],
] as const) {
  tensorLowerings[m] = (tr, self, [k], out) =>
    void tr.op(
      'Trilu',
      [tr.val(self), tr.constant({ dims: [], int64: [(k as number | undefined) ?? 0] })],
      { upper: { int: upper } },
      out as Tensor,
    );
}
// A Cast with the result's shape on record (a graph output needs it), or the same value for the same dtype.
tensorLowerings['to'] = (tr, self, [dtype], out) => {
  if (self.dtype === dtype) tr.values.set(out as Tensor, tr.val(self));
  else tr.op('Cast', [tr.val(self)], { to: { int: ONNX_TYPE[dtype as DType] } }, out as Tensor);
};
tensorLowerings['indexSelect'] = (tr, self, [dim, index], out) =>
  void tr.op(
    'Gather',
    [tr.val(self), tr.val(index as Tensor)],
    { axis: { int: norm(dim as number, self.ndim) } },
    out as Tensor,
  );
tensorLowerings['gather'] = (tr, self, [dim, index], out) =>
  void tr.op(
    'GatherElements',
    [tr.val(self), tr.val(index as Tensor)],
    { axis: { int: norm(dim as number, self.ndim) } },
    out as Tensor,
  );
tensorLowerings['cumsum'] = (tr, self, [dim], out) =>
  void tr.op(
    'CumSum',
    [tr.val(self), tr.constant({ dims: [], int64: [norm(dim as number, self.ndim)] })],
    {},
    out as Tensor,
  );
for (const [m, op] of [
  ['argmax', 'ArgMax'],
  ['argmin', 'ArgMin'],
] as const) {
  tensorLowerings[m] = (tr, self, [dim, keepDim], out) => {
    const o = out as Tensor;
    if (dim === undefined || dim === null) {
      const flat = tr.op('Reshape', [tr.val(self), tr.ints([-1])]);
      tr.op(
        'Cast',
        [tr.op(op, [flat], { axis: { int: 0 }, keepdims: { int: 0 } })],
        { to: { int: ONNX_TYPE[o.dtype] } },
        o,
      );
      return;
    }
    const attrs = { axis: { int: norm(dim as number, self.ndim) }, keepdims: { int: keepDim === true ? 1 : 0 } };
    tr.op('Cast', [tr.op(op, [tr.val(self)], attrs)], { to: { int: ONNX_TYPE[o.dtype] } }, o);
  };
}
/** var and std: mean, squared deviations summed, divided by count - correction (the two-pass formula). */
function variance(tr: Trace, self: Tensor, axes: unknown, opts: unknown, out: Tensor, sqrt: boolean): void {
  const o = (opts ?? {}) as { correction?: number; keepDim?: boolean };
  const ax = axesArg(axes) ?? Array.from({ length: self.ndim }, (_, i) => i);
  const count = ax.reduce((p, a) => p * self.shape[norm(a, self.ndim)]!, 1);
  const x = tr.val(self);
  const d = tr.op('Sub', [x, reduce(tr, 'ReduceMean', x, self.ndim, ax, true)]);
  const ss = reduce(tr, 'ReduceSum', tr.op('Mul', [d, d]), self.ndim, ax, o.keepDim === true);
  const v = tr.op(
    'Div',
    [ss, tr.scalar(Math.max(count - (o.correction ?? 1), 0), self.dtype)],
    {},
    sqrt ? undefined : out,
  );
  if (sqrt) tr.op('Sqrt', [v], {}, out);
}
tensorLowerings['var'] = (tr, self, [axes, opts], out) => variance(tr, self, axes, opts, out as Tensor, false);
tensorLowerings['std'] = (tr, self, [axes, opts], out) => variance(tr, self, axes, opts, out as Tensor, true);

/** Lowerings of ops the tracer sees through `record` (functions, not methods), by their record name. */
export const recordLowerings: Record<
  string,
  (tr: Trace, inputs: readonly Tensor[], out: Tensor, attrs: Record<string, unknown>) => void
> = {
  softmax: (tr, [x], out, a) => void tr.op('Softmax', [tr.val(x!)], { axis: { int: a['axis'] as number } }, out),
  logSoftmax: (tr, [x], out, a) => void tr.op('LogSoftmax', [tr.val(x!)], { axis: { int: a['axis'] as number } }, out),
  cat: (tr, inputs, out, a) =>
    void tr.op(
      'Concat',
      inputs.filter((t) => t.size > 0 || inputs.length === 1).map((t) => as(tr, t, out.dtype)),
      { axis: { int: a['dim'] as number } },
      out,
    ),
  linear: (tr, [x, w, b], out) => linearNode(tr, x!, w!, b ?? null, out),
  // The single-op functional forms (src/autograd/ops/), which pass the arguments their ONNX form needs.
  leakyRelu: (tr, [x], out, a) =>
    void tr.op('LeakyRelu', [tr.val(x!)], { alpha: { float: a['negativeSlope'] as number } }, out),
  elu: (tr, [x], out, a) => void tr.op('Elu', [tr.val(x!)], { alpha: { float: a['alpha'] as number } }, out),
  silu: (tr, [x], out) => void tr.op('Mul', [tr.val(x!), tr.op('Sigmoid', [tr.val(x!)])], {}, out),
  softplus: (tr, [x], out, a) =>
    softplusNode(tr, x!, (a['beta'] as number) ?? 1, (a['threshold'] as number) ?? 20, out),
  maxPool2d: (tr, [x], out, a) => {
    const w = a['window'] as PoolWindow;
    maxPoolNode(tr, x!, w.k, { stride: w.s, padding: w.p, dilation: w.d, ceilMode: w.ceilMode }, out);
  },
  avgPool2d: (tr, [x], out, a) => {
    const w = a['window'] as AvgPoolWindow;
    const { countIncludePad, divisorOverride } = w;
    const opts = { stride: w.s, padding: w.p, ceilMode: w.ceilMode, countIncludePad, divisorOverride };
    avgPoolNode(tr, x!, w.k, opts, out, `avgPool2d (in '${tr.where() || '<root>'}')`);
  },
  adaptiveAvgPool2d: (tr, [x], out) =>
    adaptiveAvgPoolNode(tr, x!, out, `adaptiveAvgPool2d (in '${tr.where() || '<root>'}')`),
  embedding: (tr, [w], out, a) =>
    void tr.op('Gather', [tr.val(w!), tr.val(a['indices'] as Tensor)], { axis: { int: 0 } }, out),
};

/** Functional forms that are compositions of ops, lowered whole when called directly: `(trace, args, result)`. */
export const callLowerings: Record<string, (tr: Trace, args: readonly unknown[], out: Tensor) => void> = {
  // Identity when it does nothing (training: false, or p = 0); a mask drawn while tracing would be baked in.
  dropout: (tr, [x, p], out) => {
    if (out !== x) {
      throw new Error(
        `exportOnnx: dropout (in '${tr.where() || '<root>'}') with training: true, p = ${p as number}: ` +
          `pass training: false (or this.training) to export it`,
      );
    }
  },
  conv2d: (tr, [x, w, b, o], out) => {
    const opts = (o ?? {}) as Conv2dOptions;
    const p = opts.padding ?? 0;
    const padding = typeof p === 'string' ? p : ints(p, 2, 0);
    const g = {
      stride: ints(opts.stride, 2, 1),
      dilation: ints(opts.dilation, 2, 1),
      padding,
      groups: opts.groups ?? 1,
    };
    convNode(tr, x as Tensor, w as Tensor, (b as Tensor | null | undefined) ?? null, g, out);
  },
  conv1d: (tr, [x, w, b, o], out) => {
    const opts = (o ?? {}) as Conv1dOptions;
    const p = opts.padding ?? 0;
    const padding = typeof p === 'string' ? p : [p];
    const g = { stride: [opts.stride ?? 1], dilation: [opts.dilation ?? 1], padding, groups: opts.groups ?? 1 };
    convNode(tr, x as Tensor, w as Tensor, (b as Tensor | null | undefined) ?? null, g, out);
  },
  batchNorm: (tr, [x, runningMean, runningVar, o], out) => {
    const opts = (o ?? {}) as BatchNormOptions;
    const where = tr.where();
    if (opts.training === true) throw batchStatsError('batchNorm', where, 'training: true');
    if (runningMean === null || runningVar === null) throw batchStatsError('batchNorm', where, 'no running statistics');
    const p = { weight: opts.weight ?? null, bias: opts.bias ?? null, eps: opts.eps ?? 1e-5 };
    batchNormNode(tr, x as Tensor, { ...p, runningMean: runningMean as Tensor, runningVar: runningVar as Tensor }, out);
  },
  instanceNorm: (tr, [x, o], out) => {
    const opts = (o ?? {}) as InstanceNormOptions;
    if (opts.useInputStats === false) {
      throw batchStatsError('instanceNorm', tr.where(), 'instance norm with running statistics is not exported');
    }
    instanceNormNode(
      tr,
      x as Tensor,
      { weight: opts.weight ?? null, bias: opts.bias ?? null, eps: opts.eps ?? 1e-5 },
      false,
      out,
    );
  },
  groupNorm: (tr, [x, numGroups, o], out) => {
    const opts = (o ?? {}) as GroupNormOptions;
    const p = {
      numGroups: numGroups as number,
      weight: opts.weight ?? null,
      bias: opts.bias ?? null,
      eps: opts.eps ?? 1e-5,
    };
    groupNormNode(tr, x as Tensor, p, out);
  },
  layerNorm: (tr, [x, shape, o], out) => {
    const opts = (o ?? {}) as LayerNormOptions;
    const sh = typeof shape === 'number' ? [shape] : [...(shape as number[])];
    layerNormNode(
      tr,
      x as Tensor,
      { shape: sh, weight: opts.weight ?? null, bias: opts.bias ?? null, eps: opts.eps ?? 1e-5 },
      out,
    );
  },
  rmsNorm: (tr, [x, shape, o], out) => {
    const opts = (o ?? {}) as RMSNormOptions;
    const sh = typeof shape === 'number' ? [shape] : [...(shape as number[])];
    rmsNormNode(tr, x as Tensor, { shape: sh, weight: opts.weight ?? null, eps: opts.eps }, out);
  },
};

/** y = x W^T + b: Gemm for a 2-D input, else MatMul with the transposed weight and Add. */
function linearNode(tr: Trace, x: Tensor, w: Tensor, b: Tensor | null, out: Tensor): void {
  if (x.ndim === 2 && w.ndim === 2) {
    tr.op('Gemm', b === null ? [tr.val(x), tr.val(w)] : [tr.val(x), tr.val(w), tr.val(b)], { transB: { int: 1 } }, out);
    return;
  }
  const wt = w.ndim === 2 ? tr.op('Transpose', [tr.val(w)], { perm: { ints: [1, 0] } }) : tr.val(w);
  if (b === null) tr.op('MatMul', [tr.val(x), wt], {}, out);
  else tr.op('Add', [tr.op('MatMul', [tr.val(x), wt]), tr.val(b)], {}, out);
}

/** Per-channel [C] vector as [C, 1, ..., 1] for broadcasting against (N, C, *) of `rank`. */
function channelwise(tr: Trace, v: string, rank: number): string {
  return tr.op('Unsqueeze', [v, tr.ints(Array.from({ length: rank - 2 }, (_, i) => i + 1))]);
}

/** (x - mean) / sqrt(var + eps) over `axes` (biased variance), the decomposition every norm shares. */
function standardize(tr: Trace, x: string, rank: number, axes: readonly number[], eps: number, dtype: DType): string {
  const d = tr.op('Sub', [x, reduce(tr, 'ReduceMean', x, rank, axes, true)]);
  const v = reduce(tr, 'ReduceMean', tr.op('Mul', [d, d]), rank, axes, true);
  return tr.op('Div', [d, tr.op('Sqrt', [tr.op('Add', [v, tr.scalar(eps, dtype)])])]);
}

/** `y * w + b` with optional w, b (null skips), the last node producing `out`. */
function affine(tr: Trace, y: string, w: string | null, b: string | null, out: Tensor): void {
  if (w === null && b === null) {
    tr.op('Identity', [y], {}, out);
    return;
  }
  const scaled = w === null ? y : tr.op('Mul', [y, w], {}, b === null ? out : undefined);
  if (b !== null) tr.op('Add', [scaled, b], {}, out);
}

const ones = (tr: Trace, n: number): string => tr.constant({ dims: [n], float32: new Float32Array(n).fill(1) });
const zeros = (tr: Trace, n: number): string => tr.constant({ dims: [n], float32: new Float32Array(n) });

function pads2(
  padding: readonly [number, number] | 'same' | 'valid',
  k: readonly number[],
  d: readonly number[],
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const total = k.map((ki, i) => d[i]! * (ki - 1));
    const before = total.map((t) => Math.floor(t / 2));
    return [...before, ...total.map((t, i) => t - before[i]!)];
  }
  return [padding[0], padding[1], padding[0], padding[1]];
}

type ModuleLowering = (tr: Trace, m: Module, args: unknown[], out: unknown, path: string) => void;

/** Errors for layers whose eval forward uses batch statistics (not a function of one example). */
function batchStatsError(what: string, path: string, why: string): Error {
  return new Error(
    `exportOnnx: ${what} at '${path || '<root>'}' would normalize with batch statistics (${why}); ` +
      `only running statistics export (eval mode with trackRunningStats)`,
  );
}

/** BatchNormalization with running statistics, over (N, C, *) (which includes BatchNorm1d's (N, C)). */
function batchNormNode(
  tr: Trace,
  x: Tensor,
  p: { weight: Tensor | null; bias: Tensor | null; runningMean: Tensor; runningVar: Tensor; eps: number },
  out: Tensor,
): void {
  const C = x.shape[1]!;
  const w = p.weight === null ? ones(tr, C) : tr.val(p.weight);
  const b = p.bias === null ? zeros(tr, C) : tr.val(p.bias);
  const inputs = [tr.val(x), w, b, tr.val(p.runningMean), tr.val(p.runningVar)];
  tr.op('BatchNormalization', inputs, { epsilon: { float: p.eps } }, out);
}

const lowerBatchNorm: ModuleLowering = (tr, m, [x], out, path) => {
  const bn = m as BatchNorm1d;
  if (bn.training) throw batchStatsError(m.constructor.name, path, 'training mode');
  if (bn.runningMean === null || bn.runningVar === null)
    throw batchStatsError(m.constructor.name, path, 'trackRunningStats: false');
  const { weight, bias, runningMean, runningVar, eps } = bn;
  batchNormNode(tr, x as Tensor, { weight, bias, runningMean, runningVar, eps }, out as Tensor);
};

/** InstanceNormalization of (N, C, *) with its own statistics; `unbatched`: x is (C, *). */
function instanceNormNode(
  tr: Trace,
  xt: Tensor,
  p: { weight: Tensor | null; bias: Tensor | null; eps: number },
  unbatched: boolean,
  o: Tensor,
): void {
  const C = xt.shape[unbatched ? 0 : 1]!;
  let input = tr.val(xt);
  if (unbatched) input = tr.op('Unsqueeze', [input, tr.ints([0])]);
  const w = p.weight === null ? ones(tr, C) : tr.val(p.weight);
  const b = p.bias === null ? zeros(tr, C) : tr.val(p.bias);
  const y = tr.op('InstanceNormalization', [input, w, b], { epsilon: { float: p.eps } }, unbatched ? undefined : o);
  if (unbatched) tr.op('Squeeze', [y, tr.ints([0])], {}, o);
}

const lowerInstanceNorm: ModuleLowering = (tr, m, [x], out, path) => {
  const inorm = m as InstanceNorm1d;
  const xt = x as Tensor;
  const useInput = inorm.training || !inorm.trackRunningStats;
  if (!useInput)
    throw batchStatsError(m.constructor.name, path, 'instance norm with running statistics is not exported');
  const batchedRank = m instanceof InstanceNorm1d ? 3 : m instanceof InstanceNorm2d ? 4 : 5;
  const { weight, bias, eps } = inorm;
  instanceNormNode(tr, xt, { weight, bias, eps }, xt.ndim === batchedRank - 1, out as Tensor);
};

/** GroupNormalization from opset 21, else the decomposition over [N, G, C/G * prod(*)]. */
function groupNormNode(
  tr: Trace,
  xt: Tensor,
  p: { numGroups: number; weight: Tensor | null; bias: Tensor | null; eps: number },
  o: Tensor,
): void {
  const C = xt.shape[1]!;
  const input = tr.val(xt);
  if (tr.opset >= 21) {
    const w = p.weight === null ? ones(tr, C) : tr.val(p.weight);
    const b = p.bias === null ? zeros(tr, C) : tr.val(p.bias);
    tr.op('GroupNormalization', [input, w, b], { epsilon: { float: p.eps }, num_groups: { int: p.numGroups } }, o);
    return;
  }
  // [N, C, *] -> [N, G, C/G * prod(*)], standardized over the last axis, back to x's shape.
  const grouped = tr.op('Reshape', [input, tr.ints([0, p.numGroups, -1])]);
  const y = standardize(tr, grouped, 3, [2], p.eps, xt.dtype);
  const back = tr.op('Reshape', [y, tr.op('Shape', [input])]);
  const w = p.weight === null ? null : channelwise(tr, tr.val(p.weight), xt.ndim);
  const b = p.bias === null ? null : channelwise(tr, tr.val(p.bias), xt.ndim);
  affine(tr, back, w, b, o);
}

const lowerGroupNorm: ModuleLowering = (tr, m, [x], out) => {
  const { numGroups, weight, bias, eps } = m as GroupNorm;
  groupNormNode(tr, x as Tensor, { numGroups, weight, bias, eps }, out as Tensor);
};

/** The norm's weight, or ones of `shape` for a norm without one (the ONNX operators need a scale). */
function scaleOrOnes(tr: Trace, weight: Tensor | null, shape: readonly number[]): string {
  if (weight !== null) return tr.val(weight);
  return tr.constant({ dims: [...shape], float32: new Float32Array(shape.reduce((p, q) => p * q, 1)).fill(1) });
}

/** LayerNormalization from opset 17, else the decomposition, over the trailing `shape`. */
function layerNormNode(
  tr: Trace,
  xt: Tensor,
  p: { shape: readonly number[]; weight: Tensor | null; bias: Tensor | null; eps: number },
  o: Tensor,
): void {
  const k = p.shape.length;
  const input = tr.val(xt);
  if (tr.opset >= 17) {
    const w = scaleOrOnes(tr, p.weight, p.shape);
    const inputs = p.bias === null ? [input, w] : [input, w, tr.val(p.bias)];
    tr.op('LayerNormalization', inputs, { axis: { int: -k }, epsilon: { float: p.eps } }, o);
    return;
  }
  const axes = Array.from({ length: k }, (_, i) => xt.ndim - k + i);
  const y = standardize(tr, input, xt.ndim, axes, p.eps, xt.dtype);
  affine(tr, y, p.weight === null ? null : tr.val(p.weight), p.bias === null ? null : tr.val(p.bias), o);
}

const lowerLayerNorm: ModuleLowering = (tr, m, [x], out) => {
  const ln = m as LayerNorm;
  layerNormNode(
    tr,
    x as Tensor,
    { shape: ln.normalizedShape, weight: ln.weight, bias: ln.bias, eps: ln.eps },
    out as Tensor,
  );
};

/** torch's default eps for RMSNorm: float32's machine epsilon. */
const FLOAT32_EPS = 2 ** -23;

/** RMSNormalization from opset 23, else x / sqrt(mean(x^2) + eps) * weight. */
function rmsNormNode(
  tr: Trace,
  xt: Tensor,
  p: { shape: readonly number[]; weight: Tensor | null; eps: number | null | undefined },
  o: Tensor,
): void {
  const k = p.shape.length;
  const eps = p.eps ?? (xt.dtype === 'float64' ? 2 ** -52 : FLOAT32_EPS);
  const input = tr.val(xt);
  if (tr.opset >= 23) {
    tr.op(
      'RMSNormalization',
      [input, scaleOrOnes(tr, p.weight, p.shape)],
      { axis: { int: -k }, epsilon: { float: eps } },
      o,
    );
    return;
  }
  const axes = Array.from({ length: k }, (_, i) => xt.ndim - k + i);
  const ms = reduce(tr, 'ReduceMean', tr.op('Mul', [input, input]), xt.ndim, axes, true);
  const y = tr.op('Div', [input, tr.op('Sqrt', [tr.op('Add', [ms, tr.scalar(eps, xt.dtype)])])]);
  affine(tr, y, p.weight === null ? null : tr.val(p.weight), null, o);
}

const lowerRMSNorm: ModuleLowering = (tr, m, [x], out) => {
  const rn = m as RMSNorm;
  rmsNormNode(tr, x as Tensor, { shape: rn.normalizedShape, weight: rn.weight, eps: rn.eps }, out as Tensor);
};

/** Conv's geometry, per spatial axis (one for conv1d, two for conv2d). */
interface ConvGeometry {
  stride: readonly number[];
  padding: readonly number[] | 'same' | 'valid';
  dilation: readonly number[];
  groups: number;
}

/** Conv over (N, C, *) or unbatched (C, *); the kernel size is the weight's trailing sizes. */
function convNode(tr: Trace, xt: Tensor, weight: Tensor, bias: Tensor | null, g: ConvGeometry, o: Tensor): void {
  const one = weight.ndim === 3;
  const k = weight.shape.slice(2);
  const [s, d, p] = [g.stride, g.dilation, g.padding];
  const pads = one
    ? pads2(typeof p === 'string' ? p : [p[0]!, p[0]!], [k[0]!, 1], [d[0]!, 1]).filter((_, i) => i % 2 === 0)
    : pads2(typeof p === 'string' ? p : [p[0]!, p[1]!], k, d);
  const unbatched = xt.ndim === k.length + 1;
  let input = tr.val(xt);
  if (unbatched) input = tr.op('Unsqueeze', [input, tr.ints([0])]);
  const inputs = [input, tr.val(weight)];
  if (bias !== null) inputs.push(tr.val(bias));
  const attrs = {
    kernel_shape: { ints: k },
    strides: { ints: [...s] },
    dilations: { ints: [...d] },
    pads: { ints: pads },
    group: { int: g.groups },
  };
  const y = tr.op('Conv', inputs, attrs, unbatched ? undefined : o);
  if (unbatched) tr.op('Squeeze', [y, tr.ints([0])], {}, o);
}

/** An int or a list of them as a list of `n` (functional conv and pool options). */
const ints = (v: unknown, n: number, dflt: number): number[] =>
  v === undefined || v === null
    ? new Array<number>(n).fill(dflt)
    : typeof v === 'number'
      ? new Array<number>(n).fill(v)
      : [...(v as number[])];

const lowerConv: ModuleLowering = (tr, m, [x], out) => {
  const c = m as Conv2d | Conv1d;
  const n = c instanceof Conv1d ? 1 : 2;
  const p = c.padding as number | readonly number[] | 'same' | 'valid';
  const padding = typeof p === 'string' ? p : ints(p, n, 0);
  const geometry = { stride: ints(c.stride, n, 1), dilation: ints(c.dilation, n, 1), padding, groups: c.groups };
  convNode(tr, x as Tensor, c.weight, c.bias, geometry, out as Tensor);
};

function poolAttrs(
  k: readonly [number, number],
  opts: { stride?: unknown; padding?: unknown; ceilMode?: boolean },
): Record<string, { ints: number[] } | { int: number }> {
  const pair = (v: unknown, dflt: readonly number[]): number[] =>
    v === undefined || v === null ? [...dflt] : typeof v === 'number' ? [v, v] : [...(v as number[])];
  const s = pair(opts.stride, k);
  const p = pair(opts.padding, [0, 0]);
  return {
    kernel_shape: { ints: [...k] },
    strides: { ints: s },
    pads: { ints: [...p, ...p] },
    ceil_mode: { int: opts.ceilMode ? 1 : 0 },
  };
}

function unbatchedPool(
  tr: Trace,
  xt: Tensor,
  o: Tensor,
  op: string,
  attrs: Record<string, { ints: number[] } | { int: number }>,
): void {
  const unbatched = xt.ndim === 3;
  let input = tr.val(xt);
  if (unbatched) input = tr.op('Unsqueeze', [input, tr.ints([0])]);
  const y = tr.op(op, [input], attrs, unbatched ? undefined : o);
  if (unbatched) tr.op('Squeeze', [y, tr.ints([0])], {}, o);
}

function maxPoolNode(tr: Trace, x: Tensor, k: readonly [number, number], opts: MaxPool2dOptions, o: Tensor): void {
  const attrs = poolAttrs(k, opts);
  attrs['dilations'] = { ints: ints(opts.dilation, 2, 1) };
  unbatchedPool(tr, x, o, 'MaxPool', attrs);
}

const lowerMaxPool: ModuleLowering = (tr, m, [x], out) => {
  const mp = m as MaxPool2d;
  maxPoolNode(tr, x as Tensor, mp.kernelSize, mp.options, out as Tensor);
};

function avgPoolNode(
  tr: Trace,
  x: Tensor,
  k: readonly [number, number],
  opts: AvgPool2dOptions,
  o: Tensor,
  what: string,
): void {
  if (opts.divisorOverride !== undefined && opts.divisorOverride !== null) {
    throw new Error(`exportOnnx: ${what}: divisorOverride has no ONNX lowering`);
  }
  const attrs = poolAttrs(k, opts);
  attrs['count_include_pad'] = { int: (opts.countIncludePad ?? true) ? 1 : 0 };
  unbatchedPool(tr, x, o, 'AveragePool', attrs);
}

const lowerAvgPool: ModuleLowering = (tr, m, [x], out, path) => {
  const ap = m as AvgPool2d;
  avgPoolNode(tr, x as Tensor, ap.kernelSize, ap.options, out as Tensor, `AvgPool2d at '${path || '<root>'}'`);
};

function adaptiveAvgPoolNode(tr: Trace, xt: Tensor, o: Tensor, what: string): void {
  const [H, W] = xt.shape.slice(-2) as [number, number];
  const [Ho, Wo] = o.shape.slice(-2) as [number, number];
  if (Ho === 1 && Wo === 1) return unbatchedPool(tr, xt, o, 'GlobalAveragePool', {});
  if (H % Ho !== 0 || W % Wo !== 0) {
    throw new Error(
      `exportOnnx: ${what}: output ${Ho}x${Wo} does not divide input ${H}x${W}; ` + `only uniform windows export`,
    );
  }
  const k: [number, number] = [H / Ho, W / Wo];
  unbatchedPool(tr, xt, o, 'AveragePool', poolAttrs(k, {}));
}

const lowerAdaptiveAvgPool: ModuleLowering = (tr, _m, [x], out, path) =>
  adaptiveAvgPoolNode(tr, x as Tensor, out as Tensor, `AdaptiveAvgPool2d at '${path || '<root>'}'`);

const lowerEmbedding: ModuleLowering = (tr, m, [idx], out) => {
  const e = m as Embedding;
  tr.op('Gather', [tr.val(e.weight), tr.val(idx as Tensor)], { axis: { int: 0 } }, out as Tensor);
};

/** The ONNX form of a layer, or null when the layer is traced through (containers, user modules). */
export function moduleLowering(m: Module): ModuleLowering | null {
  if (m instanceof Linear)
    return (tr, l, [x], out) => linearNode(tr, x as Tensor, (l as Linear).weight, (l as Linear).bias, out as Tensor);
  if (m instanceof Conv2d || m instanceof Conv1d) return lowerConv;
  if (m instanceof MaxPool2d) return lowerMaxPool;
  if (m instanceof AvgPool2d) return lowerAvgPool;
  if (m instanceof AdaptiveAvgPool2d) return lowerAdaptiveAvgPool;
  if (m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof BatchNorm3d) return lowerBatchNorm;
  if (m instanceof InstanceNorm1d || m instanceof InstanceNorm2d || m instanceof InstanceNorm3d)
    return lowerInstanceNorm;
  if (m instanceof GroupNorm) return lowerGroupNorm;
  if (m instanceof LayerNorm) return lowerLayerNorm;
  if (m instanceof RMSNorm) return lowerRMSNorm;
  if (m instanceof Embedding) return lowerEmbedding;
  if (m instanceof Dropout || m instanceof Identity)
    return (tr, _m, [x], out) => void tr.values.set(out as Tensor, tr.val(x as Tensor));
  if (m instanceof Flatten) return (tr, _m, [x], out) => reshape(tr, x as Tensor, out as Tensor);
  if (m instanceof GELU) return (tr, g, [x], out) => gelu(tr, x as Tensor, out as Tensor, (g as GELU).approximate);
  if (m instanceof Softmax || m instanceof LogSoftmax) {
    return (tr, s, [x], out) =>
      void tr.op(
        s instanceof Softmax ? 'Softmax' : 'LogSoftmax',
        [tr.val(x as Tensor)],
        { axis: { int: (s as Softmax).dim } },
        out as Tensor,
      );
  }
  if (m instanceof LeakyReLU) {
    return (tr, l, [x], out) =>
      void tr.op(
        'LeakyRelu',
        [tr.val(x as Tensor)],
        { alpha: { float: (l as LeakyReLU).negativeSlope } },
        out as Tensor,
      );
  }
  if (m instanceof ELU)
    return (tr, l, [x], out) =>
      void tr.op('Elu', [tr.val(x as Tensor)], { alpha: { float: (l as ELU).alpha } }, out as Tensor);
  if (m instanceof SiLU) {
    return (tr, _m, [x], out) =>
      void tr.op('Mul', [tr.val(x as Tensor), tr.op('Sigmoid', [tr.val(x as Tensor)])], {}, out as Tensor);
  }
  if (m instanceof Softplus) return lowerSoftplus;
  return null;
}

/**
 * torch's Softplus: log(1 + e^(beta x)) / beta, and x itself where beta x > threshold. ONNX's Softplus
 * is log(1 + e^x); the threshold branch is a Where.
 */
function softplusNode(tr: Trace, xt: Tensor, beta: number, threshold: number, out: Tensor): void {
  const id = tr.val(xt);
  const bx = beta === 1 ? id : tr.op('Mul', [id, tr.scalar(beta, xt.dtype)]);
  const soft =
    beta === 1 ? tr.op('Softplus', [bx]) : tr.op('Div', [tr.op('Softplus', [bx]), tr.scalar(beta, xt.dtype)]);
  tr.op('Where', [tr.op('Greater', [bx, tr.scalar(threshold, xt.dtype)]), id, soft], {}, out);
}

const lowerSoftplus: ModuleLowering = (tr, m, [x], out) =>
  softplusNode(tr, x as Tensor, (m as Softplus).beta, (m as Softplus).threshold, out as Tensor);

// Methods that select, reorder and scatter ----------------------------------------------------

/**
 * roll: per (shift, axis), the last `shift` elements moved to the front, a Slice pair and a Concat,
 * written with negative bounds (`x[-k:]`, `x[:-k]`) so that it holds for any size of a dynamic
 * axis; a shift as long as the axis is reduced modulo the traced size, which only a fixed axis allows.
 */
tensorLowerings['roll'] = (tr, self, [shifts, dims], out) => {
  const flat = dims === undefined || dims === null;
  const s = typeof shifts === 'number' ? [shifts] : [...(shifts as number[])];
  const axes = flat
    ? [0]
    : (typeof dims === 'number' ? [dims] : [...(dims as number[])]).map((a) => norm(a, self.ndim));
  const inId = tr.val(self);
  let x = flat ? tr.op('Reshape', [inId, tr.ints([-1])]) : inId;
  axes.forEach((a, i) => {
    const n = flat ? self.size : self.shape[a]!;
    const shift = s[i]!;
    if (shift === 0 || n === 0) return;
    const k = Math.abs(shift) < n ? shift : ((shift % n) + n) % n;
    const guard: Lazy = {
      lazy: (sz) => {
        const moves = flat ? sz.dims(inId).includes(null) : sz.dims(inId)[a] === null;
        if (moves && Math.abs(shift) >= n) {
          throw new Error(`exportOnnx: Tensor.roll by ${shift} along a dynamic axis of traced size ${n}; fix the axis`);
        }
        return { name: '', dims: [1], int64: [-k] };
      },
    };
    const part = (start: string | Lazy, end: string | Lazy): string =>
      tr.op('Slice', [x, start, end, tr.ints([a]), tr.ints([1])]);
    // k > 0: [x[-k:], x[:-k]]; k < 0: [x[-k:], x[:-k]] with -k > 0 (the first |k| moved to the back)
    const front = part(guard, tr.ints([INT64_MAX]));
    const back = part(tr.ints([0]), guard);
    x = tr.op('Concat', [front, back], { axis: { int: a } });
  });
  if (flat) tr.op('Reshape', [x, tr.op('Shape', [inId])], {}, out as Tensor);
  else tr.op('Identity', [x], {}, out as Tensor);
};
/** unbind: a Split into pieces of 1, each squeezed. */
tensorLowerings['unbind'] = (tr, self, [dim], out) => {
  const d = norm((dim as number | undefined) ?? 0, self.ndim);
  const outs = out as Tensor[];
  const pieces = tr.node('Split', [tr.val(self), tr.ints(outs.map(() => 1))], outs.length, { axis: { int: d } });
  outs.forEach((t, i) => tr.op('Squeeze', [pieces[i]!, tr.ints([d])], {}, t));
};
/** `{ values, indices }`: values by `valuesOp`, int64 indices cast to the result's int32. */
function valuesIndicesOf(out: unknown): { values: Tensor; indices: Tensor } {
  return out as { values: Tensor; indices: Tensor };
}
function castIndices(tr: Trace, idx: string, indices: Tensor): void {
  tr.op('Cast', [idx], { to: { int: ONNX_TYPE[indices.dtype] } }, indices);
}
/** topk and sort: TopK (equal values in index order since opset 11, as torch's stable order). */
function topkNode(tr: Trace, self: Tensor, k: number, dim: number, largest: boolean, out: unknown): void {
  const { values, indices } = valuesIndicesOf(out);
  const attrs = { axis: { int: norm(dim, self.ndim) }, largest: { int: largest ? 1 : 0 }, sorted: { int: 1 } };
  const outs = tr.node('TopK', [tr.val(self), tr.ints([k])], 2, attrs);
  tr.op('Identity', [outs[0]!], {}, values);
  castIndices(tr, outs[1]!, indices);
}
tensorLowerings['topk'] = (tr, self, [k, dim, opts], out) =>
  topkNode(tr, self, k as number, (dim as number | undefined) ?? -1, (opts as TopkOptions)?.largest ?? true, out);
tensorLowerings['sort'] = (tr, self, [dim, opts], out) => {
  const d = norm((dim as number | undefined) ?? -1, self.ndim);
  topkNode(tr, self, self.shape[d]!, d, (opts as SortOptions)?.descending ?? false, out);
};
/** max(dim) / min(dim) with indices: ReduceMax/Min and ArgMax/Min (the first among ties). */
for (const [m, op, arg] of [
  ['max', 'ReduceMax', 'ArgMax'],
  ['min', 'ReduceMin', 'ArgMin'],
] as const) {
  const whole = tensorLowerings[m];
  tensorLowerings[m] = (tr, self, args, out) => {
    if (out instanceof Tensor || typeof args[0] !== 'number') return whole?.(tr, self, args, out);
    const [dim, keepDim] = args as [number, boolean | undefined];
    const { values, indices } = valuesIndicesOf(out);
    reduce(tr, op, tr.val(self), self.ndim, [dim], keepDim === true, values);
    const attrs = { axis: { int: norm(dim, self.ndim) }, keepdims: { int: keepDim === true ? 1 : 0 } };
    castIndices(tr, tr.op(arg, [tr.val(self)], attrs), indices);
  };
}
/** any / all: non-zero as bool (NaN counts), as int32 for ReduceMax / ReduceMin, back to bool. */
for (const [m, op] of [
  ['any', 'ReduceMax'],
  ['all', 'ReduceMin'],
] as const) {
  tensorLowerings[m] = (tr, self, [axes, keepDim], out) => {
    const nz = tr.op('Cast', [as(tr, self, 'bool')], { to: { int: ONNX_TYPE.int32 } });
    const r = reduce(tr, op, nz, self.ndim, axesArg(axes), keepDim === true);
    tr.op('Cast', [r], { to: { int: ONNX_TYPE.bool } }, out as Tensor);
  };
}
/** norm: ReduceL2 / ReduceL1, max or min of |x| for +-Infinity, the non-zero count for 0, else (sum |x|^p)^(1/p). */
tensorLowerings['norm'] = (tr, self, [p, dim, keepDim], out) => {
  const o = out as Tensor;
  const pv = (p as number | undefined) ?? 2;
  const [x, axes, keep] = [as(tr, self, o.dtype), axesArg(dim), keepDim === true];
  if (pv === 2 || pv === 1) return void reduce(tr, pv === 2 ? 'ReduceL2' : 'ReduceL1', x, self.ndim, axes, keep, o);
  const abs = tr.op('Abs', [x]);
  if (pv === Infinity || pv === -Infinity)
    return void reduce(tr, pv > 0 ? 'ReduceMax' : 'ReduceMin', abs, self.ndim, axes, keep, o);
  if (pv === 0) {
    const nz = tr.op('Cast', [tr.op('Cast', [x], { to: { int: ONNX_TYPE.bool } })], {
      to: { int: ONNX_TYPE[o.dtype] },
    });
    return void reduce(tr, 'ReduceSum', nz, self.ndim, axes, keep, o);
  }
  const sum = reduce(tr, 'ReduceSum', tr.op('Pow', [abs, tr.scalar(pv, o.dtype)]), self.ndim, axes, keep);
  tr.op('Pow', [sum, tr.scalar(1 / pv, o.dtype)], {}, o);
};
/** ScatterElements with reduction 'add' (opset 16). */
function scatterAddNode(tr: Trace, self: Tensor, dim: number, index: string, src: string, out: Tensor): void {
  if (tr.opset < 16) {
    throw new Error(
      `exportOnnx: Tensor.scatterAdd/indexAdd need ScatterElements' reduction (opset >= 16), got opset ${tr.opset}`,
    );
  }
  const attrs = { axis: { int: norm(dim, self.ndim) }, reduction: { string: 'add' } };
  tr.op('ScatterElements', [as(tr, self, out.dtype), index, src], attrs, out);
}
tensorLowerings['scatterAdd'] = (tr, self, [dim, index, src], out) => {
  const o = out as Tensor;
  scatterAddNode(tr, self, dim as number, tr.val(index as Tensor), as(tr, src as Tensor, o.dtype), o);
};
/** indexAdd: the 1-d index reshaped along `dim` and expanded to the source's shape, then a scatterAdd. */
tensorLowerings['indexAdd'] = (tr, self, [dim, index, source, opts], out) => {
  const o = out as Tensor;
  const src = source as Tensor;
  const d = norm(dim as number, self.ndim);
  const alpha = (opts as { alpha?: number } | undefined)?.alpha ?? 1;
  let s = as(tr, src, o.dtype);
  if (alpha !== 1) s = tr.op('Mul', [s, tr.scalar(alpha, o.dtype)]);
  const along = src.shape.map((_, a) => (a === d ? -1 : 1));
  const idx = tr.op('Reshape', [tr.val(index as Tensor), tr.ints(src.ndim === 0 ? [] : along)]);
  scatterAddNode(tr, self, d, tr.op('Expand', [idx, tr.op('Shape', [s])]), s, o);
};
/**
 * at: numbers (Gather of a scalar, the axis goes away), null, slices (Slice, Python's clamping is
 * ONNX's), and one int32 tensor index (Gather, its shape in place of the axis). Other mixes (bool
 * masks, several tensor indices) have no lowering; the shape the nodes give is checked against the
 * result's.
 */
tensorLowerings['at'] = (tr, self, indices, out) => {
  const o = out as Tensor;
  const tensors = indices.filter((e) => e instanceof Tensor) as Tensor[];
  if (tensors.length > 1 || tensors.some((t) => t.dtype === 'bool')) {
    return tr.unsupported('Tensor.at with a bool mask or several tensor indices', [self, ...tensors], [o]);
  }
  let x = tr.val(self);
  const shape = [...self.shape];
  let axis = 0;
  for (const e of indices) {
    if (e === null) axis++;
    else if (typeof e === 'number') {
      x = tr.op('Gather', [x, tr.constant({ dims: [], int64: [e] })], { axis: { int: axis } });
      shape.splice(axis, 1);
    } else if (e instanceof Tensor) {
      x = tr.op('Gather', [x, tr.val(e)], { axis: { int: axis } });
      shape.splice(axis, 1, ...e.shape);
      axis += e.ndim;
    } else {
      const sl = e as Slice;
      const step = sl.step ?? 1;
      const start = sl.start ?? 0;
      const end = sl.end ?? INT64_MAX;
      x = tr.op('Slice', [x, tr.ints([start]), tr.ints([end]), tr.ints([axis]), tr.ints([step])]);
      const n = shape[axis]!;
      const clampTo = (v: number): number => (v < 0 ? Math.max(v + n, 0) : Math.min(v, n));
      shape[axis] = Math.max(0, Math.ceil((clampTo(sl.end ?? n) - clampTo(start)) / step));
      axis++;
    }
  }
  if (`${shape}` !== `${o.shape}`) {
    return tr.unsupported(`Tensor.at (this mix of indices: result ${fmtShape(o.shape)})`, [self, ...tensors], [o]);
  }
  tr.op('Identity', [x], {}, o);
};
