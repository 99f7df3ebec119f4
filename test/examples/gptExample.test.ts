/**
 * `npm run example:gpt` (examples/gpt.ts) runs end to end: a 20-step run of both norms in a child
 * process prints the loss table, the summary with timings and the samples, and writes the SVG plot
 * with one curve per norm and split. The full run's numbers are in the README.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'typegrad-gpt-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('trains both norms briefly, prints the tables and samples, and writes the plot', () => {
  const svgPath = join(dir, 'loss.svg');
  const stdout = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'examples/gpt.ts', '--iters', '20', '--out', svgPath],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env },
    },
  );
  expect(stdout).toMatch(/step\s+LayerNorm train\s+LayerNorm val\s+RMSNorm train\s+RMSNorm val/);
  const summary = stdout.slice(stdout.indexOf('summary'));
  const rows = [...summary.matchAll(/^(LayerNorm|RMSNorm)\s+(\d+)\s+([\d.]+)\s+([\d.]+)/gm)];
  expect(rows.map((r) => r[1])).toEqual(['LayerNorm', 'RMSNorm']);
  for (const r of rows) {
    expect(Number(r[2])).toBe(56832); // parameters, the tied matrix once
    expect(Number(r[4])).toBeLessThan(Math.log(27)); // 20 steps already beat uniform guessing (3.30)
  }
  expect(stdout).toMatch(/LayerNorm samples \(top-k 10[^)]*\): \S/);
  expect(stdout).toMatch(/RMSNorm samples \(top-k 10[^)]*\): \S/);
  expect(stdout).toMatch(/CPU time [\d.]+ s/);
  const svg = readFileSync(svgPath, 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.match(/<polyline/g)?.length).toBe(4);
}, 120_000);
