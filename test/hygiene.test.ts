/**
 * Source hygiene that the type-checker cannot see: `src/` must run in browsers, so no Node-only
 * API may appear there except in the Node file helpers (src/io/node.ts, the `typegrad/node` entry),
 * and every folder of `src/` imports only from the folders it builds on (STYLE.md's rooms):
 *
 *   tensor  (shapes, storage, TS kernels)       imports nothing else
 *   wasm    (the WebAssembly SIMD calls)        tensor's shapes, dtypes and axis plans, never a kernel
 *   kernels (the backend registry)              tensor, wasm
 *   autograd (graph, backward, the ops)         kernels, tensor
 *   layers  (modules)                           autograd, tensor
 *   io      (safetensors, state files)          autograd, tensor
 *   optim   (optimizers)                        autograd, kernels, tensor, io (its state files)
 *   data    (datasets, loaders)                 autograd, tensor
 *   onnx    (ONNX export)                       autograd, tensor, layers (it lowers the layers)
 *   index.ts (the public entry)                 anything
 *
 * So the two kernel folders, src/tensor/kernels (TypeScript) and src/wasm (WebAssembly), never
 * import each other: the registry above both (src/kernels/registry.ts) wires them. One named
 * exception: src/io/node.ts, the `typegrad/node` entry, imports onnx (and the Module type) for
 * `saveOnnxFile`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const NODE_ENTRY = 'io/node.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The source with comments removed (`//` after a `:` is kept: URLs in strings). */
function uncommented(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** Code with string and template literals emptied too, so prose like "process" does not match. */
function code(text: string): string {
  return uncommented(text).replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

/** The module specifiers a source imports or re-exports (static and dynamic). */
function specifiers(text: string): string[] {
  const src = uncommented(text);
  return [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

const NODE_MODULES = /^(node:|(fs|path|os|url|child_process|worker_threads|crypto)(\/|$))/;
const NODE_ONLY = [/\brequire\s*\(/, /\bprocess\./, /\bBuffer\./, /\b__dirname\b/];

/** For each folder of src/, the folders it may import from (see the header). */
const ALLOWED: Record<string, readonly string[]> = {
  tensor: [],
  wasm: ['tensor'],
  kernels: ['tensor', 'wasm'],
  autograd: ['kernels', 'tensor'],
  layers: ['autograd', 'tensor'],
  optim: ['autograd', 'kernels', 'tensor', 'io'],
  io: ['autograd', 'tensor'],
  data: ['autograd', 'tensor'],
  onnx: ['autograd', 'tensor', 'layers'],
};
const EXCEPTIONS = new Set(['io/node.ts -> onnx', 'io/node.ts -> layers']);
/** What src/wasm may take from src/tensor: descriptions of data, no kernel. */
const WASM_FROM_TENSOR = new Set([
  'tensor/shape.ts',
  'tensor/dtype.ts',
  'tensor/kernels/axisPlan.ts',
  'tensor/window.ts',
  // The compositions shared by both backends (type-only imports of the kernels): the resident BatchNorm
  // call merges per-run moments with its mergeRunMoments, as the registry's composition does.
  'tensor/kernels/normCompose.ts',
]);

describe('source hygiene', () => {
  const all = files(SRC).map((p) => {
    const text = readFileSync(p, 'utf8');
    return { rel: relative(SRC, p).replaceAll('\\', '/'), code: code(text), imports: specifiers(text) };
  });

  it('finds the sources, and a rule for every folder of src/', () => {
    expect(all.length).toBeGreaterThan(10);
    const folders = new Set(all.filter((f) => f.rel.includes('/')).map((f) => f.rel.split('/')[0]!));
    expect([...folders].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('blanks comments and strings before looking for Node APIs', () => {
    expect(code("const a = 'process.env'; // process.exit\n/* Buffer. */ const b = `__dirname`;")).toBe(
      "const a = ''; \n const b = '';",
    );
    expect(specifiers("import { a } from './a.js';\nexport * from '../b.js';\nconst c = import('node:fs');")).toEqual([
      './a.js',
      '../b.js',
      'node:fs',
    ]);
  });

  it('uses no Node-only API outside the typegrad/node entry', () => {
    const offenders = all
      .filter((f) => f.rel !== NODE_ENTRY)
      .flatMap((f) => [
        ...f.imports.filter((m) => NODE_MODULES.test(m)).map((m) => `${f.rel}: imports ${m}`),
        ...NODE_ONLY.filter((re) => re.test(f.code)).map((re) => `${f.rel}: ${re}`),
      ]);
    expect(offenders).toEqual([]);
  });

  it('imports only from the folders each folder builds on', () => {
    const offenders: string[] = [];
    for (const f of all) {
      const room = f.rel.split('/')[0]!;
      const allowed = ALLOWED[room];
      if (allowed === undefined) continue; // index.ts: the public entry imports everything
      for (const m of f.imports.filter((s) => s.startsWith('.'))) {
        const target = join(f.rel, '..', m).replaceAll('\\', '/').split('/')[0]!;
        if (target === room || allowed.includes(target) || EXCEPTIONS.has(`${f.rel} -> ${target}`)) continue;
        offenders.push(`${f.rel} imports ${m} (${room} may import ${allowed.join(', ') || 'nothing else'})`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps the TypeScript kernels out of src/wasm (the registry wires the two)', () => {
    const offenders = all
      .filter((f) => f.rel.startsWith('wasm/'))
      .flatMap((f) =>
        f.imports
          .filter((s) => s.startsWith('.'))
          .map((m) => join(f.rel, '..', m).replaceAll('\\', '/').replace(/\.js$/, '.ts'))
          .filter((t) => t.startsWith('tensor/') && !WASM_FROM_TENSOR.has(t))
          .map((t) => `${f.rel} imports ${t}`),
      );
    expect(offenders).toEqual([]);
  });
});
