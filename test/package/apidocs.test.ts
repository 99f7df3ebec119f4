/**
 * The API reference: `npm run docs` (typedoc.json: entry src/index.ts, warnings are errors, every
 * export documented, nothing referenced but unexported) must build without a single warning, and
 * every public function, class, interface, type alias and constant carries an `@example`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TYPEDOC = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');

/** typedoc's JSON reflection, the fields read here. */
interface Reflection {
  name: string;
  kind: number;
  comment?: { blockTags?: { tag: string }[] };
  signatures?: Reflection[];
  sources?: { fileName: string }[];
  children?: Reflection[];
}

// typedoc's ReflectionKind values.
const KIND = { Project: 1, Variable: 32, Function: 64, Class: 128, Interface: 256, TypeAlias: 2097152 } as const;
const NEEDS_EXAMPLE = new Set<number>([KIND.Variable, KIND.Function, KIND.Class, KIND.Interface, KIND.TypeAlias]);

const work = mkdtempSync(join(tmpdir(), 'typegrad-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// `npm run docs` into a temporary folder, plus the JSON model. Warnings are reported but do not
// abort here (typedoc.json makes them errors), so both tests below see the whole picture.
// Source locations are switched on (without git) only so that the JSON says where each export lives.
const args = [
  '--out',
  join(work, 'html'),
  '--json',
  join(work, 'api.json'),
  '--treatWarningsAsErrors',
  'false',
  '--treatValidationWarningsAsErrors',
  'false',
  '--disableSources',
  'false',
  '--disableGit',
  '--sourceLinkTemplate',
  'https://example.invalid/{path}#L{line}',
];
const typedoc = spawnSync(process.execPath, [TYPEDOC, ...args], { cwd: ROOT, encoding: 'utf8' });
const output = `${typedoc.stdout}${typedoc.stderr}`;
const status = typedoc.status;
// eslint-disable-next-line no-control-regex
const plain = output.replace(/\u001b\[[0-9;]*m/g, '');

describe('API reference (typedoc)', () => {
  it('npm run docs builds with no warnings and no errors', () => {
    const problems = plain.split('\n').filter((l) => /\[(warning|error)\]/.test(l));
    expect(problems, plain).toEqual([]);
    expect(status, plain).toBe(0);
  });

  it('every public function, class, interface, type and constant has an @example', () => {
    const api = JSON.parse(readFileSync(join(work, 'api.json'), 'utf8')) as Reflection;
    const missing: string[] = [];
    let checked = 0;
    const visit = (r: Reflection, path: string): void => {
      const name = path ? `${path}.${r.name}` : r.name;
      const file = (r.sources ?? r.signatures?.[0]?.sources ?? [])[0]?.fileName ?? '';
      if (NEEDS_EXAMPLE.has(r.kind)) {
        checked++;
        const tags = [
          ...(r.comment?.blockTags ?? []),
          ...(r.signatures?.flatMap((s) => s.comment?.blockTags ?? []) ?? []),
        ];
        if (!tags.some((t) => t.tag === '@example')) missing.push(`${name} (${file})`);
      }
      // Namespaces (nn, functional) hold the layers; classes hold no further top-level exports.
      if (r.kind !== KIND.Class && r.kind !== KIND.Interface)
        for (const c of r.children ?? []) visit(c, r.kind === KIND.Project ? '' : name);
    };
    visit(api, '');
    // Not vacuous: Tensor, the creation functions, Module, every layer, optimizer and their options.
    expect(checked).toBeGreaterThan(80);
    expect(missing).toEqual([]);
  });
});
