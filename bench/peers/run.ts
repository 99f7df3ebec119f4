/**
 * npm run bench:peers: typegrad against tfjs (cpu, wasm) and onnxruntime-node, see suite.ts.
 *
 * The peers are private dependencies of bench/peers/package.json, never of the root package: this
 * script installs them into bench/peers/node_modules when they are missing, with
 * `npm install --ignore-scripts` (onnxruntime-node's install script would download binaries; its
 * CPU binaries already ship in the npm package), and only then loads the suite.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const wanted = Object.keys(
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
    .dependencies,
);
const missing = wanted.filter((name) => !existsSync(join(dir, 'node_modules', name, 'package.json')));
if (missing.length > 0) {
  console.log(
    `bench:peers: installing ${missing.join(', ')} into bench/peers/node_modules (npm install --ignore-scripts)`,
  );
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', dir], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
}
await import('./suite.js');
