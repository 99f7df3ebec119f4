/**
 * npm run profile:step -- mlp|cnn|gpt [--steps N] [--backend js|wasm] [--top N]
 *
 * Where a training step's time goes: runs the bench:peers training steps (bench/peers/mlp.ts,
 * cnn.ts, gpt.ts: the same model, batch and optimizer as the PyTorch table) under V8's sampling
 * CPU profiler, the one `node --cpu-prof` uses, started through node:inspector after a warm-up so
 * that compilation and the first calls stay out of it. Prints self time per step, grouped by where
 * the code lives: a source file of src/ (an op, a kernel, the optimizer, the autograd engine), a
 * WebAssembly function, the garbage collector; then the top functions. The raw profile goes to
 * out/profile-<model>.cpuprofile (open it in Chrome DevTools' Performance panel).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, setBackend } from '../src/index.js';
import { printTable, type Row } from './harness.js';
import { cnnStep } from './peers/cnn.js';
import { gptStep } from './peers/gpt.js';
import { mlpStep } from './peers/mlp.js';
import { stepOf, type StepParts } from './peers/trainStep.js';

const root = join(import.meta.dirname, '..');
const MODELS: Record<string, { parts: () => StepParts; steps: number }> = {
  mlp: { parts: () => mlpStep(400), steps: 1000 },
  cnn: { parts: () => cnnStep(300), steps: 200 },
  gpt: { parts: () => gptStep(500), steps: 100 },
};

type CallFrame = Profiler.ProfileNode['callFrame'];

/**
 * The exported function names of a WebAssembly binary by function index (V8 names a function
 * without a name section `wasm-function[index]`, the index counting imported functions too, as
 * export entries do). Reads the export section (id 7): count, then name, kind (0: function), index.
 */
export function wasmExportNames(bytes: Uint8Array): Map<number, string> {
  let at = 8; // magic and version
  const leb = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  const names = new Map<number, string>();
  while (at < bytes.length) {
    const id = bytes[at++]!;
    const size = leb();
    const end = at + size;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const len = leb();
        const name = new TextDecoder().decode(bytes.subarray(at, at + len));
        at += len;
        const kind = bytes[at++]!;
        const index = leb();
        if (kind === 0) names.set(index, name);
      }
    }
    at = end;
  }
  return names;
}

/**
 * The name of every function of every WebAssembly module loaded, by its profile name
 * ('wasm://wasm/<hash> wasm-function[4]'), read through the debugger after profiling (enabling it
 * earlier would make V8 run the wasm code in its debuggable tier).
 */
async function wasmNames(session: Session): Promise<Map<string, string>> {
  const scripts: { url: string; scriptId: string }[] = [];
  session.on('Debugger.scriptParsed', ({ params }) => {
    if (params.url.startsWith('wasm://')) scripts.push({ url: params.url, scriptId: params.scriptId });
  });
  await session.post('Debugger.enable');
  const names = new Map<string, string>();
  for (const { url, scriptId } of scripts) {
    // (a wasm script's source comes as `bytecode`, base64; Node's types lack the field)
    const { bytecode } = (await session.post('Debugger.getScriptSource', { scriptId })) as { bytecode?: string };
    if (!bytecode) continue;
    for (const [index, name] of wasmExportNames(Buffer.from(bytecode, 'base64')))
      names.set(`${url} wasm-function[${index}]`, name);
  }
  await session.post('Debugger.disable');
  return names;
}

/** Where a sampled function lives: a file under src/ or bench/, 'wasm', 'node', or V8's own entries. */
export function groupOf(frame: CallFrame, rootDir = root): string {
  const { url, functionName } = frame;
  if (url === '') return functionName; // (garbage collector), (program), (idle), (root)
  if (url.startsWith('wasm://')) return 'wasm';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = relative(rootDir, path);
  if (rel.startsWith('node_modules') || rel.startsWith('..')) return 'other JavaScript';
  return rel;
}

/** Self time in ms of every profile node (the sum of the sampling intervals that landed on it). */
export function selfTimes(profile: Profiler.Profile): Map<number, number> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time between sample i-1 and sample i; it belongs to sample i-1's node.
  for (let i = 1; i < samples.length; i++)
    self.set(samples[i - 1]!, (self.get(samples[i - 1]!) ?? 0) + deltas[i]! / 1000);
  return self;
}

/** Self ms per key, largest first. */
export function aggregate(profile: Profiler.Profile, key: (node: Profiler.ProfileNode) => string): [string, number][] {
  const self = selfTimes(profile);
  const sums = new Map<string, number>();
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    if (t > 0) sums.set(key(node), (sums.get(key(node)) ?? 0) + t);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

/**
 * Self ms of each kernel (a function of src/kernels/, src/tensor/kernels/ or src/wasm/, or a WebAssembly
 * function) by the op that called it: of the nearest run of callers in src/autograd/ops/ or
 * src/optim/, the outermost (so `unary <- sigmoid (ops/unary.ts)`, not the shared
 * `unaryForward` sigmoid calls), largest first.
 */
export function kernelsByOp(
  profile: Profiler.Profile,
  name: (f: CallFrame) => string,
  rootDir = root,
): [string, number][] {
  const parent = new Map<number, Profiler.ProfileNode>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const isKernel = (g: string): boolean => g === 'wasm' || /^src\/(kernels|tensor\/kernels|wasm)\//.test(g);
  const isOp = (g: string): boolean => /^src\/(autograd\/ops|optim)\//.test(g);
  const sums = new Map<string, number>();
  for (const [id, t] of selfTimes(profile)) {
    const node = byId.get(id)!;
    if (!isKernel(groupOf(node.callFrame, rootDir))) continue;
    let op: Profiler.ProfileNode | undefined;
    for (let up = parent.get(id); up; up = parent.get(up.id)) {
      if (isOp(groupOf(up.callFrame, rootDir))) op = up;
      else if (op) break;
    }
    const f = op?.callFrame;
    const file = f ? groupOf(f, rootDir).replace(/^src\/autograd\//, '') : '';
    const caller = f ? `${f.functionName || '(anonymous)'} (${file})` : '?';
    const key = `${name(node.callFrame)} <- ${caller}`;
    sums.set(key, (sums.get(key) ?? 0) + t);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

/** A function's name and file; a wasm function's export name, or V8's when it has none. */
function functionKey(f: CallFrame, wasm: Map<string, string>): string {
  const group = groupOf(f);
  const name = f.functionName || '(anonymous)';
  if (f.url === '') return name;
  return group === 'wasm' ? `wasm ${wasm.get(`${f.url} ${name}`) ?? name}` : `${name} (${group})`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const model = args.find((a) => a in MODELS);
  if (!model) throw new Error(`profile:step: name a model: ${Object.keys(MODELS).join(', ')}; got ${args.join(' ')}`);
  if (flag('backend')) setBackend(flag('backend')!);
  const steps = Number(flag('steps') ?? MODELS[model]!.steps);
  const top = Number(flag('top') ?? 25);
  const step = stepOf(MODELS[model]!.parts());
  for (let i = 0; i < Math.max(10, steps / 10); i++) step(); // warm-up: JIT, first allocations

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 }); // microseconds
  await session.post('Profiler.start');
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const wall = performance.now() - t0;
  const { profile } = await session.post('Profiler.stop');
  const wasm = await wasmNames(session);
  session.disconnect();

  mkdirSync(join(root, 'out'), { recursive: true });
  const file = join(root, 'out', `profile-${model}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const sampled = aggregate(profile, () => 'all')[0]?.[1] ?? 0;
  const idle = aggregate(profile, (n) => n.callFrame.functionName).find(([k]) => k === '(idle)')?.[1] ?? 0;
  console.log(
    `profile:step ${model}, backend '${getBackend()}', ${steps} steps: ${(wall / steps).toFixed(2)} ms per step ` +
      `(profiled, 100 us sampling; ${((sampled - idle) / steps).toFixed(2)} ms sampled busy), ${file}\n`,
  );
  const table = (rows: [string, number][], what: string): Row[] =>
    rows
      .filter(([k]) => k !== '(idle)')
      .slice(0, top)
      .map(([k, t]) => ({ [what]: k, 'ms / step': (t / steps).toFixed(3), '%': ((100 * t) / sampled).toFixed(1) }));
  console.log('Self time by where the code lives (a file of src/ is an op, a kernel, the optimizer, autograd)\n');
  // A WebAssembly function is a kernel by itself: it gets its own row.
  const where = (f: CallFrame): string => (groupOf(f) === 'wasm' ? functionKey(f, wasm) : groupOf(f));
  const byWhere = aggregate(profile, (n) => where(n.callFrame));
  printTable(table(byWhere, 'where'));
  console.log(`\nTop ${top} functions by self time\n`);
  const byFunction = aggregate(profile, (n) => functionKey(n.callFrame, wasm));
  printTable(table(byFunction, 'function'));
  console.log(
    `\nTop ${top} kernels (src/kernels, src/tensor/kernels, src/wasm, WebAssembly) by the op that called them\n`,
  );
  const short = (f: CallFrame): string => functionKey(f, wasm).replace(/ \(src\/.*\)$/, '');
  printTable(table(kernelsByOp(profile, short), 'kernel <- op'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
