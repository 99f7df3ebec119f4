/**
 * Kernel dispatch: the hot kernels that ops call through `kernels()`, so that a faster
 * implementation (WebAssembly SIMD) can stand in for the TypeScript kernels. The norm kernels'
 * readable reference, which every backend is tested against (test/tensor/normLayouts.test.ts),
 * is src/tensor/kernels/normReference.ts.
 *
 * Backends: `'js'` (the fast TypeScript kernels), `'wasm'` (src/wasm: WebAssembly SIMD, registered
 * when the engine validates its modules) and `'reference'` (src/tensor/kernels/normReference.ts:
 * one plain loop per formula, slow, for reading and stepping through in a debugger). The default
 * is `'wasm'` where available, else `'js'`.
 */
import { describeValue } from './check.js';
import { wasmKernels, wasmSimdSupported } from '../wasm/backend.js';
import { moments, normalizeAffine, normBackwardInput, normBackwardReduce, reduceSum } from './kernels/axisReduce.js';
import { batchedMatmul, matmulNT, matmulTN } from './kernels/matmul.js';
import { normBackward, normForward } from './kernels/normFused.js';
import { referenceKernels } from './kernels/referenceKernels.js';

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
};

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
