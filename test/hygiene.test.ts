/**
 * Source hygiene that the type-checker cannot see: `src/` must run in browsers, so no Node-only
 * API may appear there except in the Node file helpers (src/io/node.ts, the `typegrad/node` entry),
 * and nothing may import upward (src/tensor <- src/autograd <- src/layers).
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

/** Code with comments and string contents blanked, so prose like "process" does not match. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const NODE_ONLY = [
  /from\s+['"](node:|fs|path|os|url|child_process|worker_threads|crypto)['"/]/,
  /\brequire\s*\(/,
  /\bprocess\./,
  /\bBuffer\./,
  /\b__dirname\b/,
];

describe('source hygiene', () => {
  const all = files(SRC).map((p) => ({ rel: relative(SRC, p).replaceAll('\\', '/'), text: code(readFileSync(p, 'utf8')) }));

  it('finds the sources', () => {
    expect(all.length).toBeGreaterThan(10);
  });

  it('uses no Node-only API outside the typegrad/node entry', () => {
    const offenders = all
      .filter((f) => f.rel !== NODE_ENTRY)
      .flatMap((f) => NODE_ONLY.filter((re) => re.test(f.text)).map((re) => `${f.rel}: ${re}`));
    expect(offenders).toEqual([]);
  });

  it('never imports upward: tensor <- autograd <- layers', () => {
    const rank: Record<string, number> = { tensor: 0, autograd: 1, layers: 2 };
    const offenders: string[] = [];
    for (const f of all) {
      const room = f.rel.split('/')[0]!;
      if (!(room in rank)) continue;
      for (const m of f.text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
        const target = join(f.rel, '..', m[1]!).replaceAll('\\', '/').split('/')[0]!;
        if (target in rank && rank[target]! > rank[room]!) offenders.push(`${f.rel} imports ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
