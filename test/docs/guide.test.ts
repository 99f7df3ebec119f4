/**
 * Every TypeScript sample in the guide (docs/guide/*.md) and the README runs here, so the docs
 * cannot rot. A block is a fenced ```ts (or ```typescript) code block:
 *   - `from 'typegrad'` is rewritten to the source entry src/index.ts (`typegrad/node` to
 *     src/io/node.ts), and relative imports are resolved from the Markdown file's folder;
 *   - the block is bundled with esbuild and run in a fresh `node` process, as a reader would run it;
 *   - if it has `// prints: <text>` comments, the process's stdout, line by line (trailing spaces
 *     ignored), must equal those texts in order;
 *   - ```ts no-run skips a block (for fragments that cannot run on their own);
 *   - ```ts excerpt <path> quotes source code: it is not run, but its lines must appear, in order
 *     and contiguously (leading/trailing spaces ignored), in that file, so a quote cannot go stale.
 *     A line `// ...` inside an excerpt marks elided code between two contiguous pieces.
 * One more test type-checks all blocks together with tsc, so a sample with a wrong type fails too.
 * With TYPEGRAD_BACKEND set, every sample runs on that backend.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GUIDE_DIR = join(ROOT, 'docs', 'guide');

/**
 * README sections whose ```ts blocks are signature listings, not programs. The README's "API" block
 * is the twin of the project's API contract, API.md (`tensor(values, shape?, ...)`, one line per name); it is not meant
 * to run, and the README is the lead's file, so it is skipped by section here instead of by tag.
 */
const README_SIGNATURE_SECTIONS = new Set(['API']);

interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above the block (without #). */
  section: string;
  code: string;
  /** Tagged `no-run`. */
  noRun: boolean;
  /** `excerpt <path>`: the source file this block quotes (relative to the root), else null. */
  excerptOf: string | null;
}

/** Every ```ts / ```typescript block of a Markdown text. */
function extractTsBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]!);
    if (heading) section = heading[1]!.trim();
    const fence = /^(\s{0,3})(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[i]!);
    if (!fence) continue;
    const marker = fence[2]!;
    const info = fence[3]!.trim().split(/\s+/);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(marker); i++) body.push(lines[i]!);
    if (info[0] === 'ts' || info[0] === 'typescript') {
      const e = info.indexOf('excerpt');
      const excerptOf = e >= 0 ? (info[e + 1] ?? '') : null;
      blocks.push({ file, line: start + 1, section, code: body.join('\n'), noRun: info.includes('no-run'), excerptOf });
    }
  }
  return blocks;
}

/** The texts of the block's `// prints: ...` comments, in order. */
function expectedOutput(code: string): string[] {
  const out: string[] = [];
  for (const line of code.split('\n')) {
    const m = /\/\/ prints:(.*)$/.exec(line);
    if (m) out.push(m[1]!.replace(/^ /, '').trimEnd());
  }
  return out;
}

/** Points `typegrad` imports at the sources and relative imports at absolute paths. */
function rewriteImports(code: string, markdownDir: string): string {
  return code.replace(
    /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\2/g,
    (whole, lead: string, q: string, spec: string) => {
      let target: string;
      if (spec === 'typegrad') target = join(ROOT, 'src', 'index.ts');
      else if (spec === 'typegrad/node') target = join(ROOT, 'src', 'io', 'node.ts');
      else if (spec.startsWith('./') || spec.startsWith('../')) target = resolve(markdownDir, spec);
      else return whole;
      return `${lead}${q}${target.split('\\').join('/')}${q}`;
    },
  );
}

/** Index of the first position >= from where `lines` (blank lines skipped) match `source`, or -1. */
function findRun(source: string[], lines: string[], from: number): number {
  for (let i = from; i < source.length; i++) {
    let j = 0;
    let k = i;
    while (j < lines.length && k < source.length) {
      if (source[k] === '') k++;
      else if (source[k] === lines[j]) {
        j++;
        k++;
      } else break;
    }
    if (j === lines.length) return i;
  }
  return -1;
}

/**
 * When the suite runs on a chosen backend (TYPEGRAD_BACKEND, see test/setup.ts), each sample's own
 * process runs on it too, so every printed number in the guide holds on every backend.
 */
function backendPrelude(): string {
  const backend = process.env['TYPEGRAD_BACKEND'];
  if (backend === undefined || backend === '') return '';
  const entry = join(ROOT, 'src', 'index.ts').split('\\').join('/');
  return `import { setBackend as __setBackend } from '${entry}';\n__setBackend(${JSON.stringify(backend)});\n`;
}

function markdownFiles(): string[] {
  const guide = existsSync(GUIDE_DIR)
    ? readdirSync(GUIDE_DIR)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => join(GUIDE_DIR, f))
    : [];
  return [...guide, join(ROOT, 'README.md')];
}

function collectBlocks(): CodeBlock[] {
  const all: CodeBlock[] = [];
  for (const path of markdownFiles()) {
    const file = relative(ROOT, path);
    for (const b of extractTsBlocks(readFileSync(path, 'utf8'), file)) {
      if (file === 'README.md' && README_SIGNATURE_SECTIONS.has(b.section)) continue;
      all.push(b);
    }
  }
  return all;
}

const blocks = collectBlocks();
const programs = blocks.filter((b) => b.excerptOf === null);
const runnable = programs.filter((b) => !b.noRun);
const excerpts = blocks.filter((b) => b.excerptOf !== null);
const work = mkdtempSync(join(tmpdir(), 'typegrad-guide-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function fileStem(b: CodeBlock): string {
  return `${b.file.replace(/[^A-Za-z0-9]+/g, '_')}_L${b.line}`;
}

describe('docs: every ```ts sample runs', () => {
  it('finds the guide chapters and their samples', () => {
    const files = new Set(blocks.map((b) => b.file));
    expect(files.has('README.md')).toBe(true);
    expect([...files].filter((f) => f.startsWith('docs/guide/')).length).toBeGreaterThanOrEqual(3);
    // no-run is for the odd fragment; the guide is meant to run.
    expect(blocks.filter((b) => b.noRun).length).toBeLessThanOrEqual(2);
  });

  it.each(runnable.map((b) => [`${b.file}:${b.line} (${b.section})`, b] as const))('%s', async (_name, b) => {
    const source = backendPrelude() + rewriteImports(b.code, dirname(join(ROOT, b.file)));
    const outfile = join(work, `${fileStem(b)}.mjs`);
    await build({
      stdin: { contents: source, loader: 'ts', resolveDir: ROOT, sourcefile: `${b.file}:${b.line}` },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, ['--enable-source-maps', outfile], {
        encoding: 'utf8',
        cwd: work,
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `${b.file}:${b.line} failed to run:\n${err.stderr || err.message}\nstdout:\n${err.stdout ?? ''}`,
        {
          cause: e,
        },
      );
    }
    const expected = expectedOutput(b.code);
    if (expected.length > 0) {
      const actual = stdout.split('\n').map((l) => l.trimEnd());
      while (actual.length > 0 && actual[actual.length - 1] === '') actual.pop();
      expect(actual, `${b.file}:${b.line}: stdout vs the block's // prints: comments`).toEqual(expected);
    }
  });

  it.each(excerpts.map((b) => [`${b.file}:${b.line} quotes ${b.excerptOf}`, b] as const))('%s', (_name, b) => {
    const path = join(ROOT, b.excerptOf!);
    expect(existsSync(path), `${b.file}:${b.line}: excerpt source ${b.excerptOf} must exist`).toBe(true);
    const source = readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim());
    const pieces = b.code.split(/^\s*\/\/ \.\.\.\s*$/m).map((p) =>
      p
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    );
    let from = 0;
    for (const piece of pieces) {
      const at = findRun(source, piece, from);
      expect(
        at,
        `${b.file}:${b.line}: this excerpt is no longer in ${b.excerptOf}:\n${piece.join('\n')}`,
      ).toBeGreaterThanOrEqual(0);
      from = at + piece.length;
    }
  });

  it('every sample type-checks (tsc, strict)', () => {
    const dir = join(work, 'typecheck');
    const files: string[] = [];
    execFileSync('mkdir', ['-p', dir]);
    for (const b of programs) {
      const f = join(dir, `${fileStem(b)}.ts`);
      writeFileSync(f, rewriteImports(b.code, dirname(join(ROOT, b.file))) + '\nexport {};\n');
      files.push(f);
    }
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2022', 'DOM'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { stdout?: string; message: string };
      throw new Error(`guide samples do not type-check:\n${err.stdout || err.message}`, { cause: e });
    }
  });
});
