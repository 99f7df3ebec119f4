/**
 * The optimizer kernels of the wasm backend (src/wasm/optim.wat through src/kernels/registry.ts)
 * against the TypeScript reference loops (src/tensor/kernels/optim.ts): equal bit for bit, since
 * optim.wat does the reference's float64 operations in the same order on float32 storage. Sizes
 * cover one element, odd tails (the pairs past n), the chunk boundary (16 Ki elements) and
 * several chunks; values include NaN, +-Inf, -0, subnormals and large magnitudes; every switch
 * (maximize, weight decay, momentum, first step, nesterov, amsgrad, AdamW's decay) is combined.
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels, jsKernels } from '../../src/kernels/registry.js';
import type { AdamScalars, SgdScalars } from '../../src/tensor/kernels/optim.js';

const wasm = createWasmKernels({ minSize: 0 });
const SIZES = [1, 2, 3, 7, 255, 16384, 16385, 40001];

/** Deterministic float32 values of all magnitudes, with the special values sprinkled in. */
function values(n: number, seed: number, positive = false): Float32Array {
  const out = new Float32Array(n);
  const special = [NaN, Infinity, -Infinity, -0, 1e-40, 3e38];
  for (let i = 0; i < n; i++) {
    const x = Math.sin(seed * 7.1 + i * 1.3) * 10 ** ((((i * 37 + seed) % 9) - 4) / 2);
    out[i] = i % 97 === 5 ? special[(i + seed) % special.length]! : x;
    if (positive) out[i] = Math.abs(out[i]!);
  }
  return out;
}

/** Equal as float32 bit patterns, NaN to NaN (the wasm engine may produce another NaN payload). */
function expectSame(actual: Float32Array, expected: Float32Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${what}[${i}]: wasm ${actual[i]}, reference ${expected[i]}`);
    }
  }
}

describe('wasm sgdUpdate equals the TypeScript loop bit for bit', () => {
  const switches = Array.from({ length: 32 }, (_, bits) => bits).filter(
    (bits) => !(bits & 16) || bits & 4, // nesterov needs the momentum buffer
  );
  it.each(SIZES)('%i elements, every combination of the switches', (n) => {
    for (const bits of switches) {
      const s: SgdScalars = {
        lr: 0.1,
        momentum: 0.9,
        oneMinusDampening: 1 - 0.3,
        weightDecay: bits & 2 ? 0.01 : 0,
        nesterov: (bits & 16) !== 0,
        maximize: (bits & 1) !== 0,
        first: (bits & 8) !== 0,
      };
      const theta = values(n, bits);
      const grad = values(n, bits + 40);
      const buffer = bits & 4 ? values(n, bits + 80) : null;
      const [t1, b1] = [theta.slice(), buffer?.slice() ?? null];
      const [t2, b2] = [theta.slice(), buffer?.slice() ?? null];
      jsKernels.sgdUpdate(t1, grad, b1, s);
      wasm.sgdUpdate(t2, grad, b2, s);
      expectSame(t2, t1, `theta (switches ${bits})`);
      if (b1 !== null) expectSame(b2!, b1, `buffer (switches ${bits})`);
    }
  });

  it('float64 parameters stay on the TypeScript loop (same result as the reference)', () => {
    const theta = Float64Array.from(values(300, 1));
    const grad = Float64Array.from(values(300, 2));
    const s: SgdScalars = {
      lr: 0.5,
      momentum: 0,
      oneMinusDampening: 1,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      first: true,
    };
    const [t1, t2] = [theta.slice(), theta.slice()];
    jsKernels.sgdUpdate(t1, grad, null, s);
    wasm.sgdUpdate(t2, grad, null, s);
    expect(Array.from(t2)).toEqual(Array.from(t1));
  });
});

describe('wasm adamUpdate equals the TypeScript loop bit for bit', () => {
  it.each(SIZES)('%i elements: Adam and AdamW, with and without amsgrad and maximize', (n) => {
    for (let bits = 0; bits < 8; bits++) {
      const [lr, wd, b1, b2, t] = [1e-3, 0.1, 0.9, 0.999, 3];
      const decoupled = (bits & 4) !== 0;
      const s: AdamScalars = {
        beta1: b1,
        oneMinusBeta1: 1 - b1,
        beta2: b2,
        oneMinusBeta2: 1 - b2,
        eps: 1e-8,
        decay: decoupled ? 1 - lr * wd : 1,
        l2: decoupled ? 0 : wd,
        stepSize: lr / (1 - b1 ** t),
        bias2Sqrt: Math.sqrt(1 - b2 ** t),
        maximize: (bits & 1) !== 0,
      };
      const amsgrad = (bits & 2) !== 0;
      const arrays = [values(n, bits), values(n, bits + 1), values(n, bits + 2), values(n, bits + 3, true)];
      const vmax = amsgrad ? values(n, bits + 4, true) : null;
      const ref = [...arrays.map((a) => a.slice()), vmax?.slice() ?? null] as const;
      const got = [...arrays.map((a) => a.slice()), vmax?.slice() ?? null] as const;
      jsKernels.adamUpdate(ref[0]!, ref[1]!, ref[2]!, ref[3]!, ref[4], s);
      wasm.adamUpdate(got[0]!, got[1]!, got[2]!, got[3]!, got[4], s);
      ['theta', 'grad', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'].forEach((what, k) => {
        if (ref[k] !== null) expectSame(got[k]!, ref[k]!, `${what} (switches ${bits})`);
      });
    }
  });
});
