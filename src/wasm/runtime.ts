/**
 * The WebAssembly runtime of the wasm backend: decodes the modules embedded in
 * `module.generated.ts`, instantiates them synchronously on first use over one shared memory, and
 * lays out each kernel call's buffers in that memory (the arena).
 *
 * ## Memory
 * One `WebAssembly.Memory`, imported by both modules as `env.memory`:
 *   bytes [0, 256)        the kernels' scratch (norm_reduce.wat [0, 96), norm_elementwise.wat
 *                         [96, 128), matmul.wat [128, 160), elementwise.wat [160, 192): splatted
 *                         per-run values, a partial row; optim.wat and conv.wat use none)
 *   bytes [256, top)      this call's buffers, laid out by `Arena.alloc`, 16-byte aligned
 * Every call starts again at 256 (`Arena.reset`), copies its inputs in, runs, and copies its
 * outputs out, so nothing needs freeing. The memory grows to the largest call seen and is reused
 * after that; a call too large to grow for (wasm32: 4 GiB) is left to the TypeScript kernels.
 *
 * Only ECMAScript and `WebAssembly` are used: no Node API, no fetch.
 */
import {
  attentionWasmBase64,
  elementwiseWasmBase64,
  linearWasmBase64,
  matmulWasmBase64,
  normElementwiseWasmBase64,
  normReduceWasmBase64,
  optimWasmBase64,
  convWasmBase64,
} from './module.generated.js';

/** The subset of the `WebAssembly` namespace used here (typed locally: ES2022 lib has none). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

/** Exports of norm_reduce.wat and norm_elementwise.wat (addresses are byte offsets into the memory). */
export interface NormExports {
  reduce_sum(x: number, inner: number, nRuns: number, runStat: number, innerStat: number, out: number): void;
  moments(
    x: number,
    inner: number,
    nRuns: number,
    runStat: number,
    innerStat: number,
    statSize: number,
    count: number,
    centered: number,
    mean: number,
    m2: number,
  ): void;
  normalize(
    x: number,
    y: number,
    inner: number,
    nRuns: number,
    runStat: number,
    runParam: number,
    innerStat: number,
    innerParam: number,
    hi: number,
    lo: number,
    rstd: number,
    weight: number,
    bias: number,
  ): void;
  backward_reduce(
    x: number,
    dy: number,
    inner: number,
    nRuns: number,
    runStat: number,
    runParam: number,
    innerStat: number,
    innerParam: number,
    mean: number,
    rstd: number,
    weight: number,
    sumDxhat: number,
    sumDxhatXhat: number,
    dweight: number,
    dbias: number,
    flags: number,
  ): void;
  backward_input(
    x: number,
    dy: number,
    dx: number,
    inner: number,
    nRuns: number,
    runStat: number,
    runParam: number,
    innerStat: number,
    innerParam: number,
    hi: number,
    lo: number,
    rstd: number,
    k1: number,
    k2: number,
    weight: number,
    useXhat: number,
  ): void;
}

/** Exports of matmul.wat. */
export interface MatmulExports {
  pack_b(b: number, k: number, m: number, bp: number): void;
  gemm(a: number, bp: number, c: number, n: number, k: number, m: number): void;
  pack_bt(b: number, k: number, m: number, bp: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
}

/** Exports of optim.wat: the optimizers' fused updates (flags and scalars as optim.wat describes). */
export interface OptimExports {
  sgd(
    theta: number,
    grad: number,
    buf: number,
    n: number,
    lr: number,
    momentum: number,
    oneMinusDampening: number,
    weightDecay: number,
    flags: number,
  ): void;
  adam(
    theta: number,
    grad: number,
    m: number,
    v: number,
    vmax: number,
    n: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    eps: number,
    decay: number,
    l2: number,
    stepSize: number,
    bias2Sqrt: number,
    flags: number,
  ): void;
}

/** Exports of conv.wat: the sliding-window kernels (parameters as that file's header lists them). */
export interface ConvExports {
  im2col(x: number, cols: number, ...window: WindowArgs): void;
  col2im(dcols: number, dx: number, ...window: WindowArgs): void;
  max_pool2d(
    ...args: [
      ...PoolHead,
      ...[sH: number, sW: number, padTop: number, padLeft: number, dH: number, dW: number],
      ...[outH: number, outW: number, rowTaps: number, colTaps: number],
    ]
  ): void;
  max_pool2d_2x2(...args: [...PoolHead, outH: number, outW: number]): void;
  max_pool2d_backward(dy: number, argmax: number, count: number, dx: number, dxCount: number): void;
  avg_pool2d(...args: AvgPoolArgs): void;
  avg_pool2d_backward(...args: AvgPoolArgs): void;
  add_bias(y: number, bias: number, images: number, channels: number, inner: number): void;
  channel_sums(dy: number, sums: number, images: number, channels: number, inner: number): void;
  add_f64(sums: number, src: number, count: number): void;
  dot_nt(a: number, b: number, c: number, n: number, k: number, m: number): void;
}

/** The first parameters of max_pool2d and max_pool2d_2x2 (conv.wat). */
type PoolHead = [x: number, y: number, argmax: number, planes: number, h: number, w: number];

/** im2col's and col2im's geometry parameters (conv.wat). */
type WindowArgs = [
  c: number,
  h: number,
  w: number,
  kH: number,
  kW: number,
  sH: number,
  sW: number,
  outH: number,
  outW: number,
  taps: number,
];

/** avg_pool2d's and avg_pool2d_backward's parameters (conv.wat). */
type AvgPoolArgs = [
  input: number,
  output: number,
  planes: number,
  h: number,
  w: number,
  outSize: number,
  bounds: number,
  divisor: number,
];

/** Exports of linear.wat: Linear's bias rows and bias-gradient sums. */
export interface LinearExports {
  add_rows(y: number, b: number, rows: number, cols: number): void;
  sum_rows(g: number, rows: number, cols: number, acc: number): void;
}

/** Exports of attention.wat: one batch matrix's attention products (see that file's header). */
export interface AttentionExports {
  scores(
    a: number,
    aRow: number,
    c: number,
    cRow: number,
    out: number,
    L: number,
    S: number,
    E: number,
    alpha: number,
    causal: number,
    fill: number,
  ): void;
  weighted(
    w: number,
    m: number,
    mRow: number,
    out: number,
    outRow: number,
    L: number,
    S: number,
    F: number,
    alpha: number,
    causal: number,
    transposed: number,
  ): void;
}

const PAGE_BYTES = 65536;
/** The most a wasm32 memory can hold (65536 pages): 32-bit addresses. */
const WASM32_MAX_BYTES = 65536 * PAGE_BYTES;
/** Bytes reserved at address 0 for the kernels' scratch (see the .wat files' headers). */
const SCRATCH_BYTES = 256;

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes standard base64 (no Node `Buffer`, no DOM `atob`). */
export function decodeBase64(text: string): Uint8Array {
  const lookup = new Uint8Array(128);
  for (let i = 0; i < BASE64.length; i++) lookup[BASE64.charCodeAt(i)] = i;
  let end = text.length;
  while (end > 0 && text[end - 1] === '=') end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  for (let i = 0; i < end; i += 4) {
    const bits =
      (lookup[text.charCodeAt(i)]! << 18) |
      (lookup[text.charCodeAt(i + 1)]! << 12) |
      ((i + 2 < end ? lookup[text.charCodeAt(i + 2)]! : 0) << 6) |
      (i + 3 < end ? lookup[text.charCodeAt(i + 3)]! : 0);
    out[o++] = bits >>> 16;
    if (o < out.length) out[o++] = (bits >>> 8) & 255;
    if (o < out.length) out[o++] = bits & 255;
  }
  return out;
}

const moduleBytes = [
  normReduceWasmBase64,
  normElementwiseWasmBase64,
  matmulWasmBase64,
  elementwiseWasmBase64,
  optimWasmBase64,
  convWasmBase64,
  linearWasmBase64,
  attentionWasmBase64,
].map(decodeBase64);

/**
 * True when this engine can run the kernels: WebAssembly with SIMD. The probe is the kernels'
 * own modules, so it checks exactly the instructions they use.
 */
export const wasmSimdSupported: boolean =
  wasmApi !== undefined && moduleBytes.every((bytes) => wasmApi.validate(bytes));

/** Buffer layout of one kernel call in the shared memory. */
export class Arena {
  private top = SCRATCH_BYTES;

  constructor(private readonly memory: WasmMemory) {}

  /** Starts a call's layout: every earlier allocation is dead. */
  reset(): void {
    this.top = SCRATCH_BYTES;
  }

  /** Reserves `bytes` (16-byte aligned) and returns its address. Views need `commit()` first. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = at + Math.ceil(bytes / 16) * 16; // plain arithmetic: int32 bit ops wrap past 2 GiB
    return at;
  }

  /** Grows the memory to hold the layout. False when it cannot (the caller falls back). */
  commit(): boolean {
    const have = this.memory.buffer.byteLength;
    if (this.top <= have) return true;
    if (this.top > WASM32_MAX_BYTES) return false;
    try {
      this.memory.grow(Math.ceil((this.top - have) / PAGE_BYTES));
      return true;
    } catch {
      return false;
    }
  }

  /** Bytes the memory holds now (its high-water mark). */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }

  f64(at: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, length);
  }

  i32(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }
}

/** The instantiated modules and their arena. */
export interface WasmRuntime {
  readonly norm: NormExports;
  readonly matmul: MatmulExports;
  /** elementwise.wat's exports by name (`unary_<op>`, `binary_<op>`; see that file's header). */
  readonly elementwise: Readonly<Record<string, ((...args: number[]) => void) | undefined>>;
  readonly optim: OptimExports;
  readonly linear: LinearExports;
  readonly attention: AttentionExports;
  readonly arena: Arena;
  readonly conv: ConvExports;
}

let runtime: WasmRuntime | null = null;

/** The runtime, instantiated on first use (synchronously: the modules are a few KiB). */
export function wasmRuntime(): WasmRuntime {
  if (runtime === null) {
    if (wasmApi === undefined || !wasmSimdSupported) {
      throw new Error("wasm backend: this JavaScript engine has no WebAssembly SIMD; use setBackend('js')");
    }
    const api = wasmApi;
    const memory = new api.Memory({ initial: 1 });
    const [reduce, normElementwise, matmul, elementwise, optim, conv, linear, attention] = moduleBytes.map(
      (bytes) => new api.Instance(new api.Module(bytes), { env: { memory } }).exports,
    );
    runtime = {
      norm: { ...reduce, ...normElementwise } as NormExports,
      matmul: matmul as MatmulExports,
      elementwise: elementwise as WasmRuntime['elementwise'],
      optim: optim as OptimExports,
      linear: linear as LinearExports,
      attention: attention as AttentionExports,
      arena: new Arena(memory),
      conv: conv as ConvExports,
    };
  }
  return runtime;
}
