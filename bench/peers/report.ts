/**
 * The PyTorch table of bench:peers (issue 14's workloads): one row per workload with typegrad's
 * time ('wasm' backend; "tg"), PyTorch's, their ratio, tfjs-wasm's where that workload has a tfjs
 * contender, and typegrad on the 'js' backend ("tg-js"). Printed
 * as a markdown table (harness.ts's printTable) so that it pastes into BENCHMARKS.md as it is.
 */
import type { Row } from '../harness.js';
import { ms, ratio } from './timing.js';

/** One workload's times by contender name; `suffix` picks e.g. the ' fwd+bwd' entries. */
export interface TorchRow {
  workload: string;
  t: Record<string, number>;
  suffix?: string;
  /** Whether the targets bound this row: 'step' (<= 1.0x PyTorch), 'norm' (<= 2.0x). */
  target?: 'step' | 'norm';
}

const cell = (v: number | undefined): string => (v === undefined ? '-' : ms(v));

/** The table's rows: times in ms, ratios with two decimals, '-' where a contender was not timed. */
export function torchTable(rows: readonly TorchRow[]): Row[] {
  return rows.map(({ workload, t, suffix = '' }): Row => {
    const [tg, js, torch, tfjs] = ['tg-wasm', 'tg-js', 'torch', 'tfjs-wasm'].map((name) => t[name + suffix]);
    return {
      workload,
      typegrad: cell(tg),
      PyTorch: cell(torch),
      'tg / PyTorch': ratio((tg ?? NaN) / (torch ?? NaN)),
      'tfjs-wasm': cell(tfjs),
      'tfjs-wasm / tg': ratio((tfjs ?? NaN) / (tg ?? NaN)),
      'tg-js': cell(js),
    };
  });
}

/** Issue 14's bound on a row's typegrad / PyTorch ratio, or null when no target names the row. */
export function torchBound(row: TorchRow): number | null {
  return row.target === 'step' ? 1 : row.target === 'norm' ? 2 : null;
}
