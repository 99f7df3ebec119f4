/**
 * Interleaved timing and output checks for bench:peers.
 *
 * `interleave` runs every contender of a group in round-robin: in each round each contender runs
 * for about `roundMs` (at least one call, at most `maxIters`), the order rotating from round to
 * round. Every call is timed on its own with performance.now(), and each round gives each
 * contender the median of its calls in that round. A contender's time is its lowest round median
 * (BENCH_PEERS_STAT=median: the median of all its calls instead). On a shared 2-core machine the
 * other jobs come and go; the lowest round median is each contender's time in its quietest
 * window, while the median of all calls mixes in however busy the machine was (the kernels bench
 * takes the lowest of 3 medians for the same reason).
 *
 * Before each batch a full garbage collection runs, untimed, so that one contender's garbage (12
 * MB arrays from typegrad, the naive loop or slice) is not collected in another's window. A
 * contender's own collections stay in its time. A contender whose single call takes longer than
 * `roundMs` (tfjs-cpu) gets only `slowRounds` rounds. `setup` (switching the tfjs backend) also
 * runs before each batch, untimed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Contender {
  name: string;
  fn: () => unknown;
  setup?: () => unknown;
  /**
   * A contender in another process (PyTorch, torch.ts): runs its own batch of calls for about
   * `roundMs` (at least one, at most `maxIters`) and returns each call's time in ms, measured
   * there. When given, a round calls it instead of timing `fn` here.
   */
  batch?: (roundMs: number, maxIters: number) => Promise<number[]>;
}

export interface TimingOptions {
  rounds: number;
  roundMs: number;
  maxIters: number;
  slowRounds: number;
  /** 'best': lowest round median (default); 'median': median of all calls. */
  stat: 'best' | 'median';
}

/**
 * `npm run bench:peers -- --quick` (or BENCH_PEERS_QUICK=1): the rows of the PyTorch table only,
 * with typegrad (both backends), PyTorch and tfjs-wasm, 3 rounds each (about 3 minutes on 2 cores).
 */
export const QUICK = process.argv.includes('--quick') || process.env['BENCH_PEERS_QUICK'] === '1';
const QUICK_CONTENDERS = new Set(['tg-wasm', 'tg-js', 'torch', 'tfjs-wasm']);

/** Whether a contender runs in this mode ('X fwd+bwd' goes with 'X'). */
export function wanted(name: string, quick = QUICK): boolean {
  return !quick || QUICK_CONTENDERS.has(name.replace(/ fwd\+bwd$/, ''));
}

/** 8 rounds of 100 ms, 3 with --quick (BENCH_PEERS_ROUNDS overrides the count, e.g. 1 for a quick look). */
export const DEFAULT_TIMING: TimingOptions = {
  rounds: Number(process.env['BENCH_PEERS_ROUNDS'] ?? (QUICK ? 3 : 8)),
  roundMs: 100,
  maxIters: 200,
  slowRounds: 3,
  stat: process.env['BENCH_PEERS_STAT'] === 'median' ? 'median' : 'best',
};

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function call(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  const r = fn();
  if (r instanceof Promise) await r;
  return performance.now() - t0;
}

/** One turn of a contender: each call's time in ms, about `roundMs` of calls (1 to `maxIters`). */
async function runBatch(c: Contender, roundMs: number, maxIters: number): Promise<number[]> {
  if (c.batch) return c.batch(roundMs, maxIters);
  const times: number[] = [];
  const start = performance.now();
  do times.push(await call(c.fn));
  while (times.length < maxIters && performance.now() - start < roundMs);
  return times;
}

/**
 * Milliseconds per contender name (contenders have been called once already: the check); with
 * --quick only the `wanted` ones run.
 */
export async function interleave(
  contenders: readonly Contender[],
  opts: TimingOptions = DEFAULT_TIMING,
): Promise<Record<string, number>> {
  contenders = contenders.filter((c) => wanted(c.name));
  const calls = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const roundMedians = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const rounds = new Map<string, number>();
  for (const c of contenders) {
    await c.setup?.();
    const first = (await runBatch(c, 0, 1))[0]!; // warm-up, untimed
    rounds.set(c.name, first > opts.roundMs ? opts.slowRounds : opts.rounds);
  }
  for (let r = 0; r < opts.rounds; r++) {
    for (let j = 0; j < contenders.length; j++) {
      const c = contenders[(j + r) % contenders.length]!;
      if (r >= rounds.get(c.name)!) continue;
      await c.setup?.();
      collectGarbage();
      const batch = await runBatch(c, opts.roundMs, opts.maxIters);
      calls.get(c.name)!.push(...batch);
      roundMedians.get(c.name)!.push(median(batch));
    }
  }
  const result: Record<string, number> = {};
  for (const c of contenders)
    result[c.name] = opts.stat === 'median' ? median(calls.get(c.name)!) : Math.min(...roundMedians.get(c.name)!);
  return result;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The result of comparing one contender's output with typegrad's. */
export interface Check {
  what: string;
  contender: string;
  maxAbsDiff: number;
  bound: number;
  ok: boolean;
}

/**
 * Compares `actual` with `expected` elementwise: ok when max |a - e| <= atol + rtol * max |e|
 * (the rtol term scales the bound for outputs such as weight gradients, which are sums over
 * thousands of elements). A length mismatch or a NaN fails.
 */
export function compare(
  what: string,
  contender: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol = 0,
): Check {
  let diff = actual.length === expected.length ? 0 : Infinity;
  let scale = 0;
  for (let i = 0; i < expected.length && i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    diff = d > diff || Number.isNaN(d) ? d : diff;
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  const bound = atol + rtol * scale;
  return { what, contender, maxAbsDiff: diff, bound, ok: diff <= bound };
}

/** Milliseconds with three significant digits (at least two decimals below 10). */
export function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

/** A ratio with two decimals, or three significant digits above 10. */
export function ratio(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return v >= 10 ? v.toPrecision(3) : v.toFixed(2);
}
