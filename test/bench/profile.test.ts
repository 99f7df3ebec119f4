/**
 * bench/profile.ts (npm run profile:step): self time from a V8 CPU profile, grouping by source
 * file, and the names of WebAssembly functions read from a module's export section.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Profiler } from 'node:inspector';
import { describe, expect, it } from 'vitest';
import { aggregate, groupOf, kernelsByOp, selfTimes, wasmExportNames } from '../../bench/profile.js';
import * as generated from '../../src/wasm/module.generated.js';

const root = join(import.meta.dirname, '..', '..');
const frame = (functionName: string, url: string): Profiler.ProfileNode['callFrame'] => ({
  functionName,
  url,
  scriptId: '0',
  lineNumber: 0,
  columnNumber: 0,
});

describe('profile:step', () => {
  it('gives each sample the interval to the next one, summed per node and per group', () => {
    const sgd = pathToFileURL(join(root, 'src/optim/sgd.ts')).href;
    const profile: Profiler.Profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('update', sgd) },
        { id: 3, callFrame: frame('step', sgd) },
        { id: 4, callFrame: frame('(garbage collector)', '') },
      ],
      startTime: 0,
      endTime: 1000,
      samples: [2, 3, 2, 4, 2],
      timeDeltas: [0, 100, 200, 300, 400], // microseconds
    };
    // node 2: 100 + 300 us, node 3: 200 us, node 4: 400 us; the last sample has no interval
    expect(selfTimes(profile)).toEqual(
      new Map([
        [2, 0.4],
        [3, 0.2],
        [4, 0.4],
      ]),
    );
    expect(aggregate(profile, (n) => groupOf(n.callFrame, root))).toEqual([
      ['src/optim/sgd.ts', expect.closeTo(0.6, 12)],
      ['(garbage collector)', 0.4],
    ]);
  });

  it('groups by source file, WebAssembly, Node internals and V8 entries', () => {
    expect(groupOf(frame('f', pathToFileURL(join(root, 'src/a/b.ts')).href), root)).toBe('src/a/b.ts');
    expect(groupOf(frame('wasm-function[3]', 'wasm://wasm/0a1b2c3d'), root)).toBe('wasm');
    expect(groupOf(frame('emit', 'node:events'), root)).toBe('node internals');
    expect(groupOf(frame('(program)', ''), root)).toBe('(program)');
    expect(groupOf(frame('x', pathToFileURL('/elsewhere/x.js').href), root)).toBe('other JavaScript');
  });

  it('charges a kernel to the outermost op of the nearest run of op callers', () => {
    const url = (path: string): string => pathToFileURL(join(root, path)).href;
    const node = (id: number, name: string, path: string, children: number[]): Profiler.ProfileNode => ({
      id,
      callFrame: frame(name, path === '' ? '' : url(path)),
      children,
    });
    const profile: Profiler.Profile = {
      nodes: [
        node(1, '(root)', '', [2]),
        node(2, 'step', 'src/optim/sgd.ts', [3]), // an op run far up: not the nearest
        node(3, 'call', 'src/layers/module.ts', [4, 7]),
        node(4, 'sigmoid', 'src/autograd/ops/unary.ts', [5]),
        node(5, 'unaryForward', 'src/autograd/ops/unary.ts', [6]),
        node(6, 'unary', 'src/tensor/kernels/elementwise.ts', []),
        node(7, 'helper', 'bench/x.ts', [8]),
        node(8, 'unary', 'src/tensor/kernels/elementwise.ts', []),
      ],
      startTime: 0,
      endTime: 0,
      samples: [6, 6, 8, 3],
      timeDeltas: [0, 1000, 1000, 3000],
    };
    // node 6: 2 ms under sigmoid <- unaryForward; node 8: 3 ms, its nearest op run is step
    expect(kernelsByOp(profile, (f) => f.functionName, root)).toEqual([
      ['unary <- step (src/optim/sgd.ts)', 3],
      ['unary <- sigmoid (ops/unary.ts)', 2],
    ]);
  });

  it("reads the exported function names of typegrad's own wasm modules", () => {
    for (const [key, base64] of Object.entries(generated)) {
      if (!key.endsWith('WasmBase64')) continue;
      const bytes = Buffer.from(base64 as string, 'base64');
      const names = wasmExportNames(bytes);
      const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes))
        .filter((e) => e.kind === 'function')
        .map((e) => e.name);
      expect([...names.values()].sort(), key).toEqual(exported.sort());
    }
  });
});
