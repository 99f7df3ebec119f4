/**
 * Console helpers for the examples: a progress bar redrawn in place on one terminal line, a
 * plain-text table, and command-line flags.
 */

/** Redraws `[#####.....] label` on the current line (plain lines when stdout is not a terminal). */
export class ProgressBar {
  private lastPlain = -1;

  constructor(
    private readonly total: number,
    private readonly width = 30,
  ) {}

  /** Shows progress `done` of `total` with a message after the bar. */
  update(done: number, message = ''): void {
    const frac = this.total === 0 ? 1 : Math.min(done / this.total, 1);
    const filled = Math.round(frac * this.width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}% ${message}`;
    if (process.stdout.isTTY) {
      process.stdout.write(
        `\r${line.slice(0, (process.stdout.columns ?? 120) - 1).padEnd(Math.min(line.length + 10, (process.stdout.columns ?? 120) - 1))}`,
      );
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastPlain) {
        this.lastPlain = decile;
        console.log(line);
      }
    }
  }

  /** Ends the bar's line. */
  done(): void {
    if (process.stdout.isTTY) process.stdout.write('\n');
  }
}

/** A table with a header row, columns padded to their widest cell (numbers right-aligned). */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: string[], numeric: boolean): string =>
    r.map((cell, c) => (numeric && c > 0 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [
    line(header, false),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map((r) => line(r, true)),
  ].join('\n');
}

/** `--name value` as a number (or the default); `--name` alone as a boolean flag. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v))
    throw new Error(`--${name} must be followed by a number, got ${process.argv[i + 1] ?? 'nothing'}`);
  return v;
}

/** Whether `--name` was given. */
export function booleanFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** Seconds with one decimal. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
