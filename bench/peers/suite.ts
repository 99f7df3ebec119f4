/**
 * The peer comparison of issue 5, in one process: every contender's output is checked against
 * typegrad's before it is timed (a contender that disagrees is reported and left out), contenders
 * are interleaved (timing.ts), and the tables print medians and the ratios the issue's targets
 * name. "tg" in a ratio is typegrad on its default backend, 'wasm'; "tg-js" is setBackend('js').
 *
 * PyTorch (torch.ts, in a second process at one thread) joins every section when a Python with
 * torch 2.x is found, and the PyTorch table at the end gathers issue 14's rows.
 *
 *   npm run bench:peers                         everything (about 5 minutes on 2 cores)
 *   npm run bench:peers -- --quick              the PyTorch table's rows and contenders, 3 rounds
 *   BENCH_PEERS_ONLY=matmul,cnn npm run bench:peers   some sections (norms, matmul, mlp, cnn, gpt, breakdown)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { printTable, type Row } from '../harness.js';
import { BREAKDOWN, runBreakdown } from './breakdown.js';
import { runCnn, type CnnResult } from './cnn.js';
import { MATMUL_SIZES, runMatmul, type MatmulResult } from './matmul.js';
import { NORM_CASES, runNormCase, type NormResult } from './norms.js';
import { runGpt } from './gpt.js';
import { runMlp } from './mlp.js';
import type { StepResult } from './trainStep.js';
import { loadPeers } from './peers.js';
import { torchBound, torchTable, type TorchRow } from './report.js';
import { DEFAULT_TIMING, ms, QUICK, ratio, type Check } from './timing.js';

const only = (process.env['BENCH_PEERS_ONLY'] ?? `norms,matmul,mlp,cnn,gpt${QUICK ? '' : ',breakdown'}`).split(',');
const started = performance.now();

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8' });
  } catch {
    return '?';
  }
}
const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
const dirty = git(['status', '--porcelain', '--', 'src'])
  .split('\n')
  .filter(Boolean)
  .map((l) => l.slice(3));
const commit = git(['log', '-1', '--format=%h %cI']).trim();
console.log(`bench:peers ${new Date().toISOString()}`);
console.log(
  `machine: ${availableParallelism()} cores (nproc), ${cpuModel}, Node ${process.version}, ${process.platform}/${process.arch}, load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log(
  `typegrad: commit ${commit}${dirty.length ? `, with uncommitted changes in ${dirty.join(', ')}` : ', clean src/'}`,
);
const peers = await loadPeers(import.meta.dirname);
for (const line of peers.description) console.log(`peer: ${line}`);
console.log(
  `times: ${DEFAULT_TIMING.stat === 'best' ? 'lowest round median' : 'median of all calls'} per contender, ` +
    `${DEFAULT_TIMING.rounds} interleaved rounds of ~${DEFAULT_TIMING.roundMs} ms (${DEFAULT_TIMING.slowRounds} for contenders slower than that), see bench/peers/timing.ts`,
);
if (QUICK)
  console.log('--quick: typegrad (wasm, js), PyTorch and tfjs-wasm only; the PyTorch table and its targets only');

const allChecks: { where: string; check: Check }[] = [];
const failures: string[] = [];
function record(where: string, checks: Check[], failed: string[]): void {
  for (const check of checks) allChecks.push({ where, check });
  for (const f of failed) failures.push(`${where}: ${f} disagrees with typegrad and was not timed`);
  if (failed.length > 0) process.exitCode = 1;
}
/**
 * Runs one section; an exception is reported as a failure of that section (and the exit code set)
 * rather than thrown: tfjs-backend-wasm's Emscripten glue rethrows uncaught errors from inside its
 * one-line minified source, which Node would print whole.
 */
async function guarded<R>(where: string, fn: () => Promise<R>): Promise<R | null> {
  try {
    return await fn();
  } catch (e) {
    failures.push(
      `${where}: threw ${e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 4).join(' / ') : String(e)}`,
    );
    process.exitCode = 1;
    return null;
  }
}
const cell = (t: Record<string, number>, name: string): string => (t[name] === undefined ? '-' : ms(t[name]!));
const gflops = (size: readonly number[], v: number | undefined): string =>
  v === undefined ? '-' : ((2 * size[0]! * size[1]! * size[2]!) / v / 1e6).toFixed(1);

const norms: NormResult[] = [];
if (only.includes('norms')) {
  for (const [i, c] of NORM_CASES.entries()) {
    if (QUICK && c.torchTable === false) continue;
    const r = await guarded(`${c.name} [${c.shape}]`, () => runNormCase(peers, c, 100 + i));
    if (!r) continue;
    norms.push(r);
    record(`${c.name} [${c.shape}]`, r.checks, r.failed);
    console.error(`  done ${c.name} [${c.shape}] (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}
const matmuls: MatmulResult[] = [];
if (only.includes('matmul')) {
  for (const size of MATMUL_SIZES) {
    const r = await guarded(`matmul ${size.join('x')}`, () => runMatmul(peers, size, 200));
    if (!r) continue;
    matmuls.push(r);
    record(`matmul ${size.join('x')}`, r.checks, r.failed);
  }
}
let mlp: StepResult | null = null;
if (only.includes('mlp')) {
  mlp = await guarded('MLP step', () => runMlp(peers, 400));
  if (mlp) record('MLP step', mlp.checks, mlp.failed);
}
let gpt: StepResult | null = null;
if (only.includes('gpt')) {
  gpt = await guarded('GPT step', () => runGpt(peers, 500));
  if (gpt) record('GPT step', gpt.checks, gpt.failed);
}
let cnn: CnnResult | null = null;
if (only.includes('cnn')) {
  cnn = await guarded('CNN step', () => runCnn(peers, 300));
  if (cnn) record('CNN step', cnn.checks, cnn.failed);
}

const breakdown: Row[] = [];
if (only.includes('breakdown')) {
  for (const part of BREAKDOWN) {
    for (const backend of ['wasm', 'js'] as const) {
      const t = await guarded(`breakdown ${part.name}`, () => runBreakdown(part, backend));
      if (!t) continue;
      const row: Row = { layer: `${part.name} [${part.shape.join(',')}]`, backend };
      for (const name of Object.keys(t)) row[name] = ms(t[name]!);
      // What the layer adds to the fused kernels it calls.
      row['forward - kernels'] = ms(t['forward']! - t['normForward']!);
      row['fwd+bwd - kernels'] = ms(t['fwd+bwd']! - t['normForward']! - t['normBackward']!);
      breakdown.push(row);
    }
  }
}

const targets: string[] = [];
const torchTargets: string[] = [];
/** One target line: `value` is the ratio the target bounds (NaN when a contender was not timed). */
function target(ok: (v: number) => boolean, value: number, what: string, list = targets): void {
  const verdict = Number.isNaN(value) ? 'n/a   ' : ok(value) ? 'met   ' : 'MISSED';
  list.push(`${verdict} ${what}: ${ratio(value)}x`);
}
/** a / b for two contenders' medians (NaN when either is missing). */
const per = (t: Record<string, number>, a: string, b: string): number => (t[a] ?? NaN) / (t[b] ?? NaN);
if (norms.length && !QUICK) {
  console.log('\nNorm forward, training-mode statistics: ms (weight and bias random; InstanceNorm2d affine)\n');
  printTable(
    norms.map(({ c, t }): Row => ({
      norm: c.name,
      shape: `[${c.shape.join(',')}]`,
      memcpy: cell(t, 'memcpy'),
      slice: cell(t, 'slice'),
      naive: cell(t, 'naive'),
      'tfjs-cpu': cell(t, 'tfjs-cpu'),
      'tfjs-wasm': cell(t, 'tfjs-wasm'),
      onnxruntime: cell(t, 'onnxruntime'),
      'tg-js': cell(t, 'tg-js'),
      tg: cell(t, 'tg-wasm'),
      'tg / ORT': ratio(per(t, 'tg-wasm', 'onnxruntime')),
      'tg / tfjs-wasm': ratio(per(t, 'tg-wasm', 'tfjs-wasm')),
      'tg x memcpy': ratio(per(t, 'tg-wasm', 'memcpy')),
      'tg x slice': ratio(per(t, 'tg-wasm', 'slice')),
      'naive / tg-js': ratio(per(t, 'naive', 'tg-js')),
    })),
  );
  console.log('\nNorm forward+backward (dx, dweight, dbias for a given dy): ms; ORT is not in it (inference only)\n');
  printTable(
    norms.map(({ c, t }): Row => ({
      norm: c.name,
      shape: `[${c.shape.join(',')}]`,
      'tg fwd': cell(t, 'tg-wasm'),
      'tg fwd+bwd': cell(t, 'tg-wasm fwd+bwd'),
      'fwd+bwd / fwd': ratio(per(t, 'tg-wasm fwd+bwd', 'tg-wasm')),
      'tg-js fwd+bwd': cell(t, 'tg-js fwd+bwd'),
      'tfjs-wasm fwd+bwd': cell(t, 'tfjs-wasm fwd+bwd'),
      'tfjs-cpu fwd+bwd': cell(t, 'tfjs-cpu fwd+bwd'),
      'tfjs-wasm / tg': ratio(per(t, 'tfjs-wasm fwd+bwd', 'tg-wasm fwd+bwd')),
    })),
  );
  for (const { c, t } of norms) {
    const at = `${c.name} [${c.shape}]`;
    target((v) => v <= 0.5, per(t, 'tg-wasm', 'onnxruntime'), `forward <= 0.5x onnxruntime, ${at}`);
    if (c.large)
      target(
        (v) => v <= 3,
        per(t, 'tg-wasm', 'memcpy'),
        `forward within 3x memcpy, ${at} (tg / slice ${ratio(per(t, 'tg-wasm', 'slice'))})`,
      );
    target((v) => v <= 2.5, per(t, 'tg-wasm fwd+bwd', 'tg-wasm'), `fwd+bwd <= 2.5x own forward, ${at}`);
    target((v) => v >= 4, per(t, 'tfjs-wasm fwd+bwd', 'tg-wasm fwd+bwd'), `fwd+bwd >= 4x faster than tfjs-wasm, ${at}`);
    target((v) => v >= 2, per(t, 'naive', 'tg-js'), `TS path >= 2x faster than naive, ${at}`);
  }
}
if (matmuls.length && !QUICK) {
  console.log('\nMatmul [n,k] x [k,m], float32: GFLOP/s (2nkm / time)\n');
  printTable(
    matmuls.map(({ size, t }): Row => ({
      'n x k x m': size.join(' x '),
      'tg ms': cell(t, 'tg-wasm'),
      tg: gflops(size, t['tg-wasm']),
      'tg-js': gflops(size, t['tg-js']),
      'tfjs-wasm': gflops(size, t['tfjs-wasm']),
      'tfjs-cpu': gflops(size, t['tfjs-cpu']),
      onnxruntime: gflops(size, t['onnxruntime']),
      'tg / tfjs-wasm': ratio(per(t, 'tfjs-wasm', 'tg-wasm')),
      'tg / ORT': ratio(per(t, 'onnxruntime', 'tg-wasm')),
    })),
  );
  for (const { size, t } of matmuls)
    target((v) => v >= 0.7, per(t, 'tfjs-wasm', 'tg-wasm'), `matmul >= 0.7x tfjs-wasm GFLOP/s, ${size.join('x')}`);
}
if (cnn && !QUICK) {
  const t = cnn.t;
  console.log('\nOne training step of the demo CNN (batch 32, 1x28x28): ms per step\n');
  printTable(
    ['tg-wasm', 'tg-js', 'tfjs-wasm', 'tfjs-cpu', 'torch'].map((name): Row => ({
      contender: name,
      'ms / step': cell(t, name),
      'x tg-wasm': ratio(per(t, name, 'tg-wasm')),
    })),
  );
  target((v) => v > 1, per(t, 'tfjs-wasm', 'tg-wasm'), 'CNN step faster than tfjs-wasm (tfjs-wasm / tg)');
}

const torchRows: TorchRow[] = [];
if (mlp) torchRows.push({ workload: 'MLP-BN step (batch 60)', t: mlp.t, target: 'step' });
if (cnn) torchRows.push({ workload: 'CNN-BN step (batch 32)', t: cnn.t, target: 'step' });
if (gpt) {
  const workload = 'GPT step (2 x 64, 16 x 32 tokens)';
  torchRows.push({ workload, t: gpt.t, target: 'step' });
}
for (const { c, t } of norms) {
  const at = `${c.name} [${c.shape.join(',')}]`;
  const target = c.torchTable === false ? undefined : 'norm';
  torchRows.push(
    { workload: `${at} forward`, t, target },
    { workload: `${at} fwd+bwd`, t, suffix: ' fwd+bwd', target },
  );
}
for (const { size, t } of matmuls) torchRows.push({ workload: `matmul ${size.join(' x ')}`, t });
if (peers.torch && torchRows.length) {
  console.log(
    '\nPyTorch (one thread, second process) vs typegrad (tg: wasm, tg-js: js), ms; ratios > 1: typegrad slower\n',
  );
  printTable(torchTable(torchRows));
  for (const row of torchRows) {
    const bound = torchBound(row);
    if (bound === null) continue;
    const suffix = row.suffix ?? '';
    const what = `<= ${bound}x PyTorch, ${row.workload}`;
    target((v) => v <= bound, per(row.t, `tg-wasm${suffix}`, `torch${suffix}`), what, torchTargets);
  }
  const faster = 'CNN step >= 4x faster than tfjs-wasm';
  if (cnn) target((v) => v >= 4, per(cnn.t, 'tfjs-wasm', 'tg-wasm'), faster, torchTargets);
  for (const { size, t } of matmuls) {
    const what = `matmul >= 1.0x tfjs-wasm GFLOP/s, ${size.join('x')}`;
    target((v) => v >= 1, per(t, 'tfjs-wasm', 'tg-wasm'), what, torchTargets);
  }
} else if (!peers.torch) console.log('\nPyTorch table: skipped (no Python with torch 2.x, see the peer lines above)');

if (breakdown.length) {
  console.log("\nWhere typegrad's time goes: its kernels with preallocated buffers vs the module, ms\n");
  printTable(breakdown);
}

console.log('\nOutput checks against typegrad (wasm) before timing: ok when max|diff| <= bound\n');
// --quick prints the failed checks only, and how many passed.
const shown = QUICK ? allChecks.filter(({ check }) => !check.ok) : allChecks;
if (QUICK)
  console.log(`${allChecks.length - shown.length} of ${allChecks.length} checks ok (all listed without --quick)\n`);
printTable(
  shown.map(({ where, check }): Row => ({
    case: where,
    contender: check.contender,
    output: check.what,
    'max |diff|': check.maxAbsDiff.toExponential(1),
    bound: check.bound.toExponential(1),
    ok: check.ok ? 'ok' : 'FAIL',
  })),
);
for (const f of failures) console.log(`FAILED: ${f}`);
if (!QUICK) {
  console.log('\nIssue 5 targets\n');
  for (const line of targets) console.log(`  ${line}`);
}
if (torchTargets.length) {
  console.log("\nIssue 14 targets (typegrad on 'wasm')\n");
  for (const line of torchTargets) console.log(`  ${line}`);
}
await peers.torch?.close();
console.log(
  `\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s, load average at the end ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
