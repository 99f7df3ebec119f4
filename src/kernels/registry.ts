/**
 * The kernel registry: the hot kernels that ops call through `kernels()`, and the backends that
 * provide them. It sits above the two kernel folders, which do not import each other:
 * src/tensor/kernels (the TypeScript kernels: plain references and fast TypeScript) and src/wasm
 * (the WebAssembly SIMD calls). Each backend is an object of kernels, all with the signature of
 * the TypeScript kernel of their name:
 *
 *   'js'         the fast TypeScript kernels (src/tensor/kernels)
 *   'reference'  'js' with the norms on one plain loop per formula (src/tensor/kernels/normReference.ts,
 *                ./reference.ts): slow, for reading and stepping through in a debugger
 *   'wasm'       each kernel through `fastPath` (./fastPath.ts): its wasm call for float32 data and
 *                big enough calls, the TypeScript kernel otherwise; registered where the engine
 *                validates the modules (WebAssembly SIMD)
 *
 * The default is 'wasm' where available, else 'js'. Orchestration shared by the backends lives in
 * the TypeScript kernel folder once (normCompose.ts: BatchNorm's composition and moment merging)
 * and in src/wasm once (the chunked streaming through the arena); this file only wires them.
 * Adding a kernel: docs/recipe.md.
 */
import { describeValue } from '../tensor/check.js';
import type { FloatArray } from '../tensor/dtype.js';
import { mergesRuns, runsPerStatistic } from '../tensor/kernels/axisPlan.js';
import {
  moments,
  normalizeAffine,
  normBackwardInput,
  normBackwardReduce,
  reduceSum,
} from '../tensor/kernels/axisReduce.js';
import { batchedMatmul, matmulNT, matmulTN } from '../tensor/kernels/matmul.js';
import {
  composeNormBackward,
  composeNormForward,
  momentsByRuns,
  type UnfusedNormKernels,
} from '../tensor/kernels/normCompose.js';
import { normBackward, normForward } from '../tensor/kernels/normFused.js';
import { binary, unary, type BinaryOp, type UnaryOp } from '../tensor/kernels/elementwise.js';
import { attentionBackward, attentionForward } from '../tensor/kernels/attention.js';
import { linearBackward, linearForward } from '../tensor/kernels/linear.js';
import { adamUpdate, sgdUpdate } from '../tensor/kernels/optim.js';
import { softmaxBackwardRows, softmaxRows } from '../tensor/kernels/softmax.js';
import { sizeOf } from '../tensor/shape.js';
import { conv2dBackward, conv2dForward } from '../tensor/kernels/conv.js';
import { avgPoolBackward, avgPoolForward, maxPool2dBackward, maxPool2dForward } from '../tensor/kernels/pool.js';
import { createWasmCalls } from '../wasm/backend.js';
import { createConvCalls } from '../wasm/conv.js';
import { wasmBinary, wasmSoftmaxBackwardRows, wasmSoftmaxRows, wasmUnary } from '../wasm/elementwise.js';
import { wasmAttentionBackward, wasmAttentionForward } from '../wasm/attention.js';
import { wasmLinearBackward, wasmLinearForward } from '../wasm/linear.js';
import { createOptimCalls } from '../wasm/optim.js';
import { wasmSimdSupported } from '../wasm/runtime.js';
import { fastPath, type Float32Args, type FastPathOptions } from './fastPath.js';
import { referenceNormKernels } from './reference.js';

export { wasmSimdSupported };

/** The kernels a backend provides. Each has the signature of the TypeScript kernel of its name. */
export interface Kernels {
  readonly name: string;
  readonly reduceSum: typeof reduceSum;
  readonly moments: typeof moments;
  readonly normalizeAffine: typeof normalizeAffine;
  readonly normBackwardReduce: typeof normBackwardReduce;
  readonly normBackwardInput: typeof normBackwardInput;
  /** Fused forward: statistics and y in one call (what the norm op uses). */
  readonly normForward: typeof normForward;
  /** Fused backward: the reductions and dx in one call (what the norm op uses). */
  readonly normBackward: typeof normBackward;
  readonly batchedMatmul: typeof batchedMatmul;
  /** out [n, m] = a [n, k] @ b [m, k]^T, b read transposed in place (Linear's forward). */
  readonly matmulNT: typeof matmulNT;
  /** out [n, m] = a [k, n]^T @ b [k, m], a read transposed in place (Linear's weight gradient). */
  readonly matmulTN: typeof matmulTN;
  /** `out[i] = op(x[i])` (src/tensor/kernels/elementwise.ts). */
  readonly unary: typeof unary;
  /** `out = op(a, b)` with broadcasting (src/tensor/kernels/elementwise.ts). */
  readonly binary: typeof binary;
  /** Softmax / log-softmax of each row of [rows, n] (src/tensor/kernels/softmax.ts). */
  readonly softmaxRows: typeof softmaxRows;
  /** Their backward, from the output and its gradient. */
  readonly softmaxBackwardRows: typeof softmaxBackwardRows;
  /** SGD's fused in-place update of one parameter (src/optim/sgd.ts). */
  readonly sgdUpdate: typeof sgdUpdate;
  /** Adam's / AdamW's fused in-place update of one parameter (src/optim/adam.ts). */
  readonly adamUpdate: typeof adamUpdate;
  /** conv2d forward, image by image through im2col and a product (src/tensor/kernels/conv.ts). */
  readonly conv2dForward: typeof conv2dForward;
  /** conv2d backward: dx, dweight, dbias (each optional) from dy. */
  readonly conv2dBackward: typeof conv2dBackward;
  /** Max pooling forward, with the argmax of every window (src/tensor/kernels/pool.ts). */
  readonly maxPool2dForward: typeof maxPool2dForward;
  /** Max pooling backward: dy routed to the argmax. */
  readonly maxPool2dBackward: typeof maxPool2dBackward;
  /** Average pooling (and adaptive) forward over a window table. */
  readonly avgPoolForward: typeof avgPoolForward;
  /** Average pooling backward. */
  readonly avgPoolBackward: typeof avgPoolBackward;
  /** Linear's forward, y = x W^T + b, as one call (src/tensor/kernels/linear.ts). */
  readonly linearForward: typeof linearForward;
  /** Linear's backward, dx = dy W, dW = dy^T x, db = column sums of dy, as one call. */
  readonly linearBackward: typeof linearBackward;
  /** Attention's forward, softmax(scale q k^T (+ causal mask)) v, q, k, v read through strides. */
  readonly attentionForward: typeof attentionForward;
  /** Its backward: dq, dk, dv from the output's gradient and the softmax weights. */
  readonly attentionBackward: typeof attentionBackward;
}

/** The fast TypeScript kernels (`'js'`). */
export const jsKernels: Kernels = {
  name: 'js',
  reduceSum,
  moments,
  normalizeAffine,
  normBackwardReduce,
  normBackwardInput,
  normForward,
  normBackward,
  batchedMatmul,
  matmulNT,
  matmulTN,
  unary,
  binary,
  softmaxRows,
  softmaxBackwardRows,
  sgdUpdate,
  adamUpdate,
  conv2dForward,
  conv2dBackward,
  maxPool2dForward,
  maxPool2dBackward,
  avgPoolForward,
  avgPoolBackward,
  linearForward,
  linearBackward,
  attentionForward,
  attentionBackward,
};

/** The `'reference'` kernels: `'js'` with the norms on their plain reference loops. */
export const referenceKernels: Kernels = { ...jsKernels, ...referenceNormKernels, name: 'reference' };

/** When the wasm kernels take over from the TypeScript ones (see ./fastPath.ts). */
export interface WasmKernelOptions {
  /** Kernels on fewer elements than this run in TypeScript. */
  readonly minSize?: number;
  /** Matmuls with fewer multiply-adds than this run in TypeScript. */
  readonly minMacs?: number;
}

/**
 * Defaults: below these the copies and the call cost more than the SIMD saves (measured: the
 * TypeScript and wasm kernels break even near 256 elements and near 512 multiply-adds).
 */
export const DEFAULT_MIN_SIZE = 256;
export const DEFAULT_MIN_MACS = 512;

/**
 * The elementwise ops that run in wasm for float32 data (elementwise.wat), each measured faster
 * than the TypeScript loop (bench/elementwise.bench.ts); the others stay in TypeScript.
 */
const WASM_UNARY: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['exp', 'sigmoid', 'tanh', 'relu', 'gelu', 'silu']);
const WASM_BINARY: ReadonlySet<BinaryOp> = new Set<BinaryOp>([
  'add',
  'sub',
  'mul',
  'div',
  'reluBackward',
  'sigmoidBackward',
  'tanhBackward',
  'geluBackward',
  'siluBackward',
]);

/**
 * The wasm backend: each kernel is `fastPath(name, typescriptKernel, wasmCall, when)`. `options`
 * set the sizes below which calls stay in TypeScript (tests lower them to reach the wasm code).
 */
export function createWasmKernels(options: WasmKernelOptions = {}): Kernels {
  const wasm = createWasmCalls();
  const minSize = options.minSize ?? DEFAULT_MIN_SIZE;
  const minMacs = options.minMacs ?? DEFAULT_MIN_MACS;
  const macs = (n: number, k: number, m: number): number => n * k * m;
  const gemm2d: FastPathOptions<Parameters<typeof matmulNT>> = {
    data: (a, b, out) => [a, b, out],
    size: (_a, _b, _o, n, k, m) => macs(n, k, m),
    minSize: minMacs,
  };

  const unfused: UnfusedNormKernels = {
    // BatchNorm: each run's moments in wasm, merged per statistic (normCompose.ts) as the TS kernel does.
    moments: fastPath(
      'moments',
      moments,
      (x, plan, mean, m2, centered = true) =>
        mergesRuns(plan, centered)
          ? (momentsByRuns(unfused, x, plan, mean, m2), true)
          : wasm.moments(x, plan, mean, m2, centered),
      { data: (x) => [x], size: (_x, plan) => plan.size, minSize },
    ),
    normalizeAffine: fastPath('normalizeAffine', normalizeAffine, wasm.normalizeAffine, {
      data: (x, _p, _m, _r, weight, bias, y) => [x, weight, bias, y],
      size: (_x, plan) => plan.size,
      minSize,
    }),
    normBackwardReduce: fastPath('normBackwardReduce', normBackwardReduce, wasm.normBackwardReduce, {
      data: (x, dy, _p, _m, _r, weight) => [x, dy, weight],
      size: (_x, _dy, plan) => plan.size,
      minSize,
    }),
    normBackwardInput: fastPath('normBackwardInput', normBackwardInput, wasm.normBackwardInput, {
      data: (x, dy, _p, _m, _r, weight, _s1, _s2, dx) => [x, dy, weight, dx],
      size: (_x, _dy, plan) => plan.size,
      minSize,
    }),
  };

  return {
    name: 'wasm',
    reduceSum: fastPath('reduceSum', reduceSum, wasm.reduceSum, {
      data: (x) => [x],
      size: (_x, plan) => plan.size,
      minSize,
    }),
    ...unfused,
    // The fused calls take consecutive runs per statistic; BatchNorm's layout composes the unfused ones.
    normForward: fastPath(
      'normForward',
      normForward,
      (x, plan, centered, eps, weight, bias, y, mean, variance, rstd) =>
        runsPerStatistic(plan) === 0
          ? wasm.normForwardResident(x, plan, centered, eps, weight, bias, y, mean, variance, rstd) ||
            (composeNormForward(unfused, x, plan, centered, eps, weight, bias, y, mean, variance, rstd), true)
          : wasm.normForward(x, plan, centered, eps, weight, bias, y, mean, variance, rstd),
      { data: (x, _p, _c, _e, weight, bias, y) => [x, weight, bias, y], size: (_x, plan) => plan.size, minSize },
    ),
    normBackward: fastPath(
      'normBackward',
      normBackward,
      (x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias) =>
        runsPerStatistic(plan) === 0
          ? wasm.normBackwardResident(x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias) ||
            (composeNormBackward(unfused, x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias), true)
          : wasm.normBackward(x, dy, plan, mean, rstd, weight, stats, dx, dweight, dbias),
      { data: (x, dy, _p, _m, _r, weight, _s, dx) => [x, dy, weight, dx], size: (_x, _dy, plan) => plan.size, minSize },
    ),
    batchedMatmul: fastPath('batchedMatmul', batchedMatmul, wasm.batchedMatmul, {
      data: (a, _as, b, _bs, _ob, out) => [a, b, out],
      size: (_a, aShape, _b, bShape, outBatch) =>
        sizeOf(outBatch) * macs(aShape[aShape.length - 2]!, aShape[aShape.length - 1]!, bShape[bShape.length - 1]!),
      minSize: minMacs,
    }),
    matmulNT: fastPath('matmulNT', matmulNT, wasm.matmulNT, gemm2d),
    matmulTN: fastPath('matmulTN', matmulTN, wasm.matmulTN, gemm2d),
    unary: fastPath('unary', unary, (op, x, out, _param?: number) => WASM_UNARY.has(op) && wasmUnary(op, x, out), {
      data: (_op, x, out) => [x, out],
      size: (_op, x) => x.length,
      minSize,
    }),
    binary: fastPath(
      'binary',
      binary,
      (op, a, aShape, b, bShape, outShape, out) =>
        WASM_BINARY.has(op) && wasmBinary(op, a, aShape, b, bShape, outShape, out),
      {
        data: (_op, a, _as, b, _bs, _os, out) => [a, b, out],
        size: (_op, _a, _as, _b, _bs, _os, out) => out.length,
        minSize,
      },
    ),
    softmaxRows: fastPath('softmaxRows', softmaxRows, wasmSoftmaxRows, {
      data: (x, _r, _n, _log, out) => [x, out],
      size: (x) => x.length,
      minSize,
    }),
    softmaxBackwardRows: fastPath('softmaxBackwardRows', softmaxBackwardRows, wasmSoftmaxBackwardRows, {
      data: (y, dy, _r, _n, _log, dx) => [y, dy, dx],
      size: (y) => y.length,
      minSize,
    }),
    ...optimizerKernels(minSize),
    linearForward: fastPath('linearForward', linearForward, wasmLinearForward, {
      data: (x, w, b, y) => [x, w, b, y],
      size: (_x, _w, _b, _y, n, k, m) => macs(n, k, m),
      minSize: minMacs,
    }),
    linearBackward: fastPath('linearBackward', linearBackward, wasmLinearBackward, {
      data: (dy, x, w, dx, dW, db) => [dy, x, w, dx, dW, db],
      size: (_dy, _x, _w, _dx, _dW, _db, n, k, m) => macs(n, k, m),
      minSize: minMacs,
    }),
    attentionForward: fastPath('attentionForward', attentionForward, wasmAttentionForward, {
      data: (q, k, v, _z, p, o) => [q.data, k.data, v.data, p, o.data],
      size: (_q, _k, _v, z) => z.count * macs(z.L, z.S, Math.max(z.E, z.Ev)),
      minSize: minMacs,
    }),
    attentionBackward: fastPath('attentionBackward', attentionBackward, wasmAttentionBackward, {
      data: (q, k, v, _z, p, dO, dq, dk, dv) => [
        ...[q, k, v, dO].map((m) => m.data),
        p,
        ...[dq, dk, dv].map((m) => m?.data ?? null),
      ],
      size: (_q, _k, _v, z) => z.count * macs(z.L, z.S, Math.max(z.E, z.Ev)),
      minSize: minMacs,
    }),
    ...windowKernels(minSize),
  };
}

/** The sliding-window kernels of the wasm backend: conv.wat (src/wasm/conv.ts). */
function windowKernels(
  minSize: number,
): Pick<
  Kernels,
  'conv2dForward' | 'conv2dBackward' | 'maxPool2dForward' | 'maxPool2dBackward' | 'avgPoolForward' | 'avgPoolBackward'
> {
  const calls = createConvCalls();
  // A pooling kernel's arguments start (input, window or argmax, output): both arrays float32.
  const pooling = <A extends [FloatArray, unknown, FloatArray, ...unknown[]]>(
    name: string,
    ts: (...args: A) => void,
    fast: (...args: Float32Args<NoInfer<A>>) => boolean,
  ): ((...args: A) => void) =>
    fastPath(name, ts, fast, {
      data: (...args) => [args[0], args[2]],
      size: (...args) => Math.max(args[0].length, args[2].length),
      minSize,
    });
  return {
    conv2dForward: fastPath('conv2dForward', conv2dForward, calls.conv2dForward, {
      data: (x, weight, bias, _g, _groups, y) => [x, weight, bias, y],
      size: (_x, _w, _b, _g, _groups, y) => y.length,
      minSize,
    }),
    conv2dBackward: fastPath('conv2dBackward', conv2dBackward, calls.conv2dBackward, {
      data: (x, weight, dy, _g, _groups, dx, dweight, dbias) => [x, weight, dy, dx, dweight, dbias],
      size: (_x, _w, dy) => dy.length,
      minSize,
    }),
    maxPool2dForward: pooling('maxPool2dForward', maxPool2dForward, calls.maxPool2dForward),
    maxPool2dBackward: pooling('maxPool2dBackward', maxPool2dBackward, calls.maxPool2dBackward),
    avgPoolForward: pooling('avgPoolForward', avgPoolForward, calls.avgPoolForward),
    avgPoolBackward: pooling('avgPoolBackward', avgPoolBackward, calls.avgPoolBackward),
  };
}

/** The optimizer updates of the wasm backend: optim.wat, bit-equal to the TypeScript loops. */
function optimizerKernels(minSize: number): Pick<Kernels, 'sgdUpdate' | 'adamUpdate'> {
  const optim = createOptimCalls();
  return {
    sgdUpdate: fastPath(
      'sgdUpdate',
      sgdUpdate,
      (theta, grad, buffer, s) =>
        optim.sgd(
          theta,
          grad,
          buffer,
          s.lr,
          s.momentum,
          s.oneMinusDampening,
          s.weightDecay,
          (s.maximize ? 1 : 0) |
            (s.weightDecay !== 0 ? 2 : 0) |
            (buffer !== null ? 4 : 0) |
            (s.first ? 8 : 0) |
            (s.nesterov ? 16 : 0),
        ),
      { data: (theta, grad, buffer) => [theta, grad, buffer], size: (theta) => theta.length, minSize },
    ),
    adamUpdate: fastPath(
      'adamUpdate',
      adamUpdate,
      (theta, grad, m, v, vmax, s) =>
        optim.adam(
          theta,
          grad,
          m,
          v,
          vmax,
          [s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.eps, s.decay, s.l2, s.stepSize, s.bias2Sqrt],
          (s.maximize ? 1 : 0) | (vmax !== null ? 2 : 0),
        ),
      { data: (theta, grad, m, v, vmax) => [theta, grad, m, v, vmax], size: (theta) => theta.length, minSize },
    ),
  };
}

/** The wasm backend as registered under `'wasm'`. */
export const wasmKernels: Kernels = createWasmKernels();

const backends = new Map<string, Kernels>([
  ['js', jsKernels],
  ['reference', referenceKernels],
]);
if (wasmSimdSupported) backends.set('wasm', wasmKernels);
let current: Kernels = backends.get('wasm') ?? jsKernels;

/** The kernels in use. */
export function kernels(): Kernels {
  return current;
}

/**
 * Switches the kernels every op uses: `'wasm'` (WebAssembly SIMD, the default where the engine
 * supports it), `'js'` (the fast TypeScript kernels; float64 data always runs on them under
 * `'wasm'`) or `'reference'` (the plain loops of src/tensor/kernels/normReference.ts for the
 * norms, `'js'` for the rest: slow, for reading and stepping through; docs/guide/3-normalization.md).
 * @example
 * setBackend('reference');   // plain loops, to step through a norm layer in a debugger
 * getBackend();              // 'reference'
 * setBackend('wasm');
 */
export function setBackend(name: string): void {
  const k = backends.get(name);
  if (k === undefined) {
    throw new Error(
      `setBackend: backend must be one of ${[...backends.keys()].map((n) => `'${n}'`).join(', ')}, ` +
        `got ${describeValue(name)}`,
    );
  }
  current = k;
}

/**
 * The name of the backend in use: `'wasm'`, `'js'` or `'reference'`.
 * @example
 * if (getBackend() === 'js') console.log('no WebAssembly SIMD here: using the TypeScript kernels');
 */
export function getBackend(): string {
  return current.name;
}
