/**
 * A thin layer over tinybench: run named tasks, read median latencies, print an aligned table.
 */
import { Bench } from 'tinybench';

export interface Row {
  [column: string]: string | number;
}

/** Runs each task with tinybench and returns its median latency in milliseconds. */
export async function medians(tasks: Record<string, () => void>, timeMs = 400): Promise<Record<string, number>> {
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out: Record<string, number> = {};
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`bench: task ${task.name} ended ${r.state}`);
    out[task.name] = r.latency.p50;
  }
  return out;
}

/** Prints rows as a Markdown table (so it can be pasted into BENCHMARKS.md). */
export function printTable(rows: Row[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number): string => (typeof v === 'number' ? v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]!).length)));
  const line = (vals: string[]): string => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]!))));
}

/** A description of this machine for the record. */
export function machine(): string {
  return `Node ${process.version}, ${process.platform}/${process.arch}`;
}
