/**
 * PyTorch as a contender in bench:peers: finds a Python with torch 2.x, starts torch_worker.py in
 * a second process and talks to it one JSON line at a time (the protocol is in torch_worker.py).
 *
 * Which Python: `.venv-torch/bin/python` at the repository root, then $TYPEGRAD_TORCH_PYTHON, then
 * `python3`; the first whose `import torch` gives a 2.x version. None: the bench prints a note and
 * runs without PyTorch. Tensors travel as raw float32 files in a temporary folder (typegrad's
 * weights and inputs there, the worker's first outputs back), never through the timed calls.
 *
 * Timing: a PyTorch contender is a `batch` contender of timing.ts: in its turn of a round the
 * worker runs the workload for about roundMs and returns each call's time, measured in Python
 * with time.perf_counter around the call alone (no pipe, no JSON in it). Rounds alternate between
 * the Node contenders and the Python process like any other contenders.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Contender } from './timing.js';

/** A float32 tensor in a file the worker reads (or wrote). */
export interface FileRef {
  file: string;
  shape: number[];
}

/** A Python candidate and where it came from, in the order they are tried. */
export interface Candidate {
  python: string;
  from: string;
}

/** The candidates: the repository's .venv-torch, $TYPEGRAD_TORCH_PYTHON, python3. */
export function torchCandidates(root: string, env: NodeJS.ProcessEnv, exists = existsSync): Candidate[] {
  const list: Candidate[] = [];
  const venv = join(root, '.venv-torch', 'bin', 'python');
  if (exists(venv)) list.push({ python: venv, from: '.venv-torch' });
  const fromEnv = env['TYPEGRAD_TORCH_PYTHON'];
  if (fromEnv) list.push({ python: fromEnv, from: 'TYPEGRAD_TORCH_PYTHON' });
  list.push({ python: 'python3', from: 'PATH' });
  return list;
}

/**
 * The first candidate whose torch version (from `probe`: the version string, or null when
 * `import torch` fails) is 2.x, or null with what each candidate gave.
 */
export function pickTorchPython(
  candidates: readonly Candidate[],
  probe: (python: string) => string | null,
): { chosen: Candidate & { version: string }; tried: string[] } | { chosen: null; tried: string[] } {
  const tried: string[] = [];
  for (const c of candidates) {
    const version = probe(c.python);
    if (version !== null && /^2\./.test(version)) return { chosen: { ...c, version }, tried };
    tried.push(`${c.python} (${c.from}): ${version === null ? 'no torch' : `torch ${version}, not 2.x`}`);
  }
  return { chosen: null, tried };
}

/** `python -c 'import torch; print(torch.__version__)'`, or null when that fails. */
function probeTorch(python: string): string | null {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

interface Pending {
  resolve: (reply: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/** A running torch_worker.py. */
export class TorchWorker {
  /** What runs, for the printed header (set from the worker's hello). */
  description = '';
  private nextId = 1;
  private nextFile = 0;
  private readonly pending = new Map<number, Pending>();
  private exited: string | null = null;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
  ) {
    this.listen();
  }

  /** Starts the worker, or returns the note saying why PyTorch is skipped. */
  static async start(root: string): Promise<TorchWorker | string> {
    const picked = pickTorchPython(torchCandidates(root, process.env), probeTorch);
    if (!picked.chosen) return `no Python with torch 2.x found, PyTorch skipped (tried ${picked.tried.join('; ')})`;
    const { python, from } = picked.chosen;
    const dir = mkdtempSync(join(tmpdir(), 'typegrad-bench-torch-'));
    const child = spawn(python, [join(import.meta.dirname, 'torch_worker.py')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // One thread for every library torch may call into, before it loads.
      env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    });
    child.stderr.on('data', (d: Buffer) => process.stderr.write(`torch_worker: ${d}`));
    const worker = new TorchWorker(child, dir);
    let hello: Record<string, unknown>;
    try {
      hello = await worker.request({ cmd: 'hello', dir });
    } catch (e) {
      await worker.close();
      return `${python} (${from}) has torch ${picked.chosen.version} but torch_worker.py failed: ${String(e)}`;
    }
    worker.description =
      `PyTorch ${String(hello['torch'])} (${python}, from ${from}; Python ${String(hello['python'])}), ` +
      `torch.set_num_threads(1): ${String(hello['threads'])} intra-op, ${String(hello['interopThreads'])} ` +
      `inter-op thread, CPU capability ${String(hello['capability'])}, ` +
      'in a second process (bench/peers/torch_worker.py)';
    return worker;
  }

  private listen(): void {
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as Record<string, unknown>;
      const p = this.pending.get(reply['id'] as number);
      if (!p) return;
      this.pending.delete(reply['id'] as number);
      if (typeof reply['error'] === 'string') p.reject(new Error(`torch_worker: ${reply['error']}`));
      else p.resolve(reply);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `torch_worker exited (${signal ?? `code ${code}`})`;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
    });
  }

  /** Sends one request and waits for its reply (rejects on the worker's error or exit). */
  request(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  /** Writes a float32 array for the worker to read. */
  put(data: ArrayLike<number>, shape: readonly number[]): FileRef {
    const file = join(this.dir, `in${this.nextFile++}.f32`);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    writeFileSync(file, new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength));
    return { file, shape: [...shape] };
  }

  /** Builds a workload in the worker and runs it once: that call's outputs, by name. */
  async setup(key: string, workload: Record<string, unknown>): Promise<Record<string, Float32Array>> {
    const reply = await this.request({ cmd: 'setup', key, workload });
    const outputs: Record<string, Float32Array> = {};
    for (const [name, ref] of Object.entries(reply['outputs'] as Record<string, FileRef>)) {
      const bytes = readFileSync(ref.file);
      outputs[name] = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    }
    return outputs;
  }

  /** A contender timing `key` in the worker (rounds of timing.ts, times measured in Python). */
  contender(key: string, name = 'torch'): Contender {
    const batch = async (roundMs: number, maxIters: number): Promise<number[]> =>
      (await this.request({ cmd: 'time', key, roundMs, maxIters }))['times'] as number[];
    return { name, fn: () => batch(0, 1), batch };
  }

  drop(key: string): Promise<unknown> {
    return this.request({ cmd: 'drop', key });
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.stdin.end(JSON.stringify({ cmd: 'quit', id: 0 }) + '\n');
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
