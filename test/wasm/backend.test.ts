/**
 * The wasm backend's plumbing: the committed generated module matches its .wat sources, the
 * base64 decoder, backend selection (default, setBackend, getBackend), what is handed to the
 * TypeScript kernels (float64 data, small calls, statistics beyond float32), and the arena's
 * memory staying bounded over many calls.
 */
import { describe, expect, it } from 'vitest';
import { generateModuleSource } from '../../scripts/build-wasm.js';
import { getBackend, setBackend } from '../../src/index.js';
import { createWasmKernels, kernels, wasmKernels, wasmSimdSupported } from '../../src/kernels/registry.js';
import * as ref from '../../src/tensor/kernels/axisReduce.js';
import { batchedMatmul } from '../../src/tensor/kernels/matmul.js';
import { Arena, decodeBase64, wasmRuntime } from '../../src/wasm/runtime.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalF32 } from './support.js';

describe('the generated module', () => {
  it('is what the .wat sources assemble to (run `npm run build:wasm` after editing them)', async () => {
    const committed = readFileSync(join(import.meta.dirname, '../../src/wasm/module.generated.ts'), 'utf8');
    expect(committed).toBe(await generateModuleSource());
  });

  it('decodes base64 like Node does, for every length mod 3', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 255);
      expect(decodeBase64(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
    }
  });

  it('validates and instantiates in Node 20 (WebAssembly SIMD)', () => {
    expect(wasmSimdSupported).toBe(true);
    expect(typeof wasmRuntime().norm.moments).toBe('function');
    expect(typeof wasmRuntime().matmul.gemm).toBe('function');
  });
});

describe('backend selection', () => {
  it('defaults to wasm (unless TYPEGRAD_BACKEND chose otherwise for this run)', () => {
    expect(getBackend()).toBe(process.env['TYPEGRAD_BACKEND'] || 'wasm');
  });

  it('switches with setBackend and reports it with getBackend', () => {
    const before = getBackend();
    try {
      setBackend('js');
      expect(getBackend()).toBe('js');
      expect(kernels().name).toBe('js');
      setBackend('wasm');
      expect(getBackend()).toBe('wasm');
      expect(kernels()).toBe(wasmKernels);
    } finally {
      setBackend(before);
    }
  });

  it('names the choices when the backend is unknown', () => {
    expect(() => setBackend('gpu')).toThrow(
      "setBackend: backend must be one of 'js', 'reference', 'wasm', got \"gpu\" (string)",
    );
  });
});

describe('calls the wasm backend hands to the TypeScript kernels', () => {
  const plan = ref.planAxes([6, 50], [1], [1]);

  it('float64 data (gradcheck) runs the reference, bit for bit', () => {
    const x = Float64Array.from(normalF32(plan.size, 1, 3, 2));
    const mean = [new Float64Array(6), new Float64Array(6)];
    const m2 = [new Float64Array(6), new Float64Array(6)];
    ref.moments(x, plan, mean[0]!, m2[0]!);
    createWasmKernels({ minSize: 0 }).moments(x, plan, mean[1]!, m2[1]!);
    expect(mean[1]).toEqual(mean[0]);
    expect(m2[1]).toEqual(m2[0]);

    const a = Float64Array.from(normalF32(5 * 7, 2));
    const b = Float64Array.from(normalF32(7 * 3, 3));
    const c = [new Float64Array(15), new Float64Array(15)];
    batchedMatmul(a, [5, 7], b, [7, 3], [], c[0]!);
    createWasmKernels({ minMacs: 0 }).batchedMatmul(a, [5, 7], b, [7, 3], [], c[1]!);
    expect(c[1]).toEqual(c[0]);
  });

  it('calls below the size threshold run the reference, bit for bit', () => {
    const x = normalF32(plan.size, 4);
    const sums = [new Float64Array(6), new Float64Array(6)];
    ref.reduceSum(x, plan, sums[0]!);
    createWasmKernels({ minSize: plan.size + 1 }).reduceSum(x, plan, sums[1]!);
    expect(sums[1]).toEqual(sums[0]);
  });

  it('statistics that do not fit float32 (rstd 1e39) run the reference', () => {
    const x = normalF32(plan.size, 5);
    const mean = new Float64Array(6).fill(0.5);
    const rstd = new Float64Array(6).fill(1e39);
    const y = [new Float32Array(plan.size), new Float32Array(plan.size)];
    ref.normalizeAffine(x, plan, mean, rstd, null, null, y[0]!);
    createWasmKernels({ minSize: 0 }).normalizeAffine(x, plan, mean, rstd, null, null, y[1]!);
    expect(y[1]).toEqual(y[0]);
  });
});

describe('the wasm arena', () => {
  it('reuses its memory: many calls of mixed kernels and sizes do not grow it past the largest', () => {
    const k = createWasmKernels({ minSize: 0, minMacs: 0 });
    const shapes = [
      [8, 64, 33],
      [3, 5, 7],
      [2, 100, 101],
      [16, 9],
    ];
    const run = (): void => {
      for (const shape of shapes) {
        const p = ref.planAxes(shape, [shape.length - 1], [shape.length - 1]);
        const x = normalF32(p.size, shape[0]!);
        const mean = new Float64Array(p.statSize);
        const m2 = new Float64Array(p.statSize);
        k.moments(x, p, mean, m2);
        const rstd = m2.map((v) => 1 / Math.sqrt(v / p.count + 1e-5));
        k.normalizeAffine(x, p, mean, rstd, null, null, new Float32Array(p.size));
        k.normBackwardInput(x, x, p, mean, rstd, null, mean, m2, new Float32Array(p.size));
      }
      k.batchedMatmul(normalF32(64 * 64, 9), [64, 64], normalF32(64 * 64, 10), [64, 64], [], new Float32Array(64 * 64));
    };
    run();
    const capacity = wasmRuntime().arena.capacity;
    for (let i = 0; i < 50; i++) run();
    expect(wasmRuntime().arena.capacity).toBe(capacity);
  });

  it('lays out buffers past 2 GiB at their true addresses, and declines a layout past 4 GiB', () => {
    // Pooling copies all of x in, and conv2d one image's columns: a call's layout can pass 2^31
    // bytes (where int32 bit arithmetic wraps) or wasm32's 4 GiB (then the TypeScript kernel runs).
    // A stand-in memory that grows without allocating shows the layout the arena asks for.
    let bytes = 65536;
    const memory = {
      get buffer() {
        return { byteLength: bytes } as ArrayBuffer;
      },
      grow: (pages: number) => ((bytes += pages * 65536), bytes / 65536 - pages),
    };
    const arena = new Arena(memory as ConstructorParameters<typeof Arena>[0]);
    arena.reset();
    const x = arena.alloc(2 ** 31 + 4);
    const y = arena.alloc(64);
    expect(y).toBe(x + 2 ** 31 + 16);
    expect(arena.commit()).toBe(true);
    expect(bytes).toBeGreaterThanOrEqual(y + 64);
    arena.reset();
    arena.alloc(2 ** 32);
    arena.alloc(16);
    expect(arena.commit()).toBe(false);
  });
});
