/**
 * The published package, as a user gets it: build a clean copy of the repository, `npm pack` it,
 * install the tarball offline into an empty project (typegrad has no runtime dependencies), then
 *   - import it from a plain Node ESM .mjs file and train a step, and
 *   - type-check a TypeScript file against the published `.d.ts` with tsc (strict, NodeNext).
 * Also checks that the tarball holds only dist/, README.md, LICENSE and package.json.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_ENV = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

interface PackEntry {
  path: string;
}

/** The files `npm pack --dry-run` would put in the tarball, from `dir`. */
function packedFiles(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    env: NPM_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [result] = JSON.parse(out) as [{ files: PackEntry[] }];
  return result.files.map((f) => f.path).sort();
}

/** Only dist/, the README, the LICENSE and package.json itself may be published. */
function unexpectedFiles(files: readonly string[]): string[] {
  return files.filter((f) => !(f.startsWith('dist/') || f === 'README.md' || f === 'LICENSE' || f === 'package.json'));
}

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: NPM_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}\n${err.stderr ?? err.message}`, {
      cause: e,
    });
  }
}

let work: string;
let pkg: string;
let consumer: string;
let tarball: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'typegrad-pack-'));
  // A clean copy of what the build reads, so no stale file in the working tree's dist/ is packed.
  pkg = join(work, 'pkg');
  mkdirSync(pkg);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', '.gitignore']) {
    copyFileSync(join(ROOT, f), join(pkg, f));
  }
  cpSync(join(ROOT, 'src'), join(pkg, 'src'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir'); // the build's type packages; never packed
  run(process.execPath, [TSC, '-p', 'tsconfig.build.json'], pkg); // what `npm run build` runs
  tarball = join(
    work,
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], pkg).trim().split('\n').pop()!,
  );

  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', '--no-package-lock', tarball], consumer);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  it('the tarball holds only dist/ (with .js and .d.ts), README.md, LICENSE and package.json', () => {
    const files = packedFiles(pkg);
    expect(unexpectedFiles(files)).toEqual([]);
    for (const f of ['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.d.ts'])
      expect(files).toContain(f);
    expect(existsSync(tarball)).toBe(true);
  });

  it("the repository's own npm pack lists nothing outside dist/, README.md and LICENSE", () => {
    expect(unexpectedFiles(packedFiles(ROOT))).toEqual([]);
  });

  it('installs with no runtime dependencies', () => {
    const installed = readdirSync(join(consumer, 'node_modules')).filter((d) => !d.startsWith('.'));
    expect(installed).toEqual(['typegrad']);
  });

  it('imports from a plain Node ESM file and trains', () => {
    writeFileSync(
      join(consumer, 'main.mjs'),
      `import { tensor, randn, manualSeed, nn, functional, optim, gradcheck, Tensor } from 'typegrad';
import { saveSafetensorsFile, loadSafetensorsFile } from 'typegrad/node';
manualSeed(0);
const x = randn([4, 3], { requiresGrad: true });
const ln = new nn.LayerNorm(3);
const loss = ln.forward(x).mul(tensor([1, 2, 3])).sum();
loss.backward();
const opt = new optim.SGD(ln.parameters(), { lr: 0.1 });
opt.step();
console.log(JSON.stringify({
  isTensor: x.grad instanceof Tensor,
  gradShape: x.grad.shape,
  stateKeys: Object.keys(ln.stateDict()),
  weightMoved: ln.weight.data[2] !== 1,
  rowMean: Math.abs(functional.layerNorm(x, [3]).mean(-1).data[0]) < 1e-6,
  gradcheck: gradcheck((a) => ln.forward(a).sum(), [x]),
  nodeEntry: (saveSafetensorsFile('ln.safetensors', ln.stateDict()), loadSafetensorsFile('ln.safetensors').weight.data[2] === ln.weight.data[2]),
}));
`,
    );
    const out = JSON.parse(run(process.execPath, ['main.mjs'], consumer)) as Record<string, unknown>;
    expect(out).toEqual({
      isTensor: true,
      gradShape: [4, 3],
      stateKeys: ['weight', 'bias'],
      weightMoved: true,
      rowMean: true,
      gradcheck: true,
      nodeEntry: true,
    });
  });

  it('type-checks a TypeScript consumer against the published .d.ts (tsc, strict, NodeNext)', () => {
    writeFileSync(
      join(consumer, 'main.ts'),
      `import { tensor, nn, functional as F, type Tensor, type Module } from 'typegrad';
import { loadSafetensorsFile } from 'typegrad/node';
const loaded: Record<string, Tensor> = loadSafetensorsFile('ln.safetensors');
const x: Tensor = tensor([[1, 2, 3]]);
const layer: Module = new nn.BatchNorm1d(3);
const y: Tensor = F.groupNorm(x.reshape([1, 3, 1]), 3, { eps: 1e-5 });
const shape: readonly number[] = y.shape;
// The types are real: a wrong argument is an error (if the .d.ts were missing, everything would be
// 'any' and this directive would itself be reported as unused).
// @ts-expect-error numGroups must be a number
F.groupNorm(x, '3');
export { layer, shape, loaded };
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          types: [],
          skipLibCheck: false,
        },
        // typegrad/node's declarations reference Node's types; the consumer has none installed, so lend the repo's.
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        files: ['main.ts'],
      }),
    );
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], consumer);
    // tsc resolved the package's own declarations, not something else.
    expect(existsSync(join(consumer, 'node_modules', 'typegrad', 'dist', 'index.d.ts'))).toBe(true);
  });
});
