/**
 * Builds the browser example into a folder, and serves it.
 *
 *   npx tsx examples/browser/build.ts --serve [port]   build into a temporary folder, serve on 127.0.0.1
 *   npx tsx examples/browser/build.ts <outDir>         build only
 *
 * The folder gets three files: index.html, typegrad.js (the library as one ES module, bundled by
 * esbuild from src/index.ts for the browser platform: a Node-only import would fail the build)
 * and main.js (the page's code, which imports ./typegrad.js as it is; example code it shares with
 * Node imports src/index.js, which is mapped to ./typegrad.js too, and the @stdlib names lists of
 * examples/data come along as bundled JSON). test/browser uses the same two functions.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

/** Bundles typegrad.js and main.js and copies index.html into `outDir`. */
export async function buildBrowserExample(outDir: string): Promise<void> {
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'error',
  } as const;
  await build({ ...common, entryPoints: [join(ROOT, 'src', 'index.ts')], outfile: join(outDir, 'typegrad.js') });
  await build({
    ...common,
    entryPoints: [join(HERE, 'main.ts')],
    outfile: join(outDir, 'main.js'),
    // The page loads the library from the file next to it, as a plain ES module import.
    plugins: [
      {
        name: 'typegrad-external',
        setup: (b) => {
          b.onResolve({ filter: /^\.\/typegrad\.js$/ }, () => ({ path: './typegrad.js', external: true }));
          // Example code shared with Node (examples/makemore) imports the sources: the same library.
          b.onResolve({ filter: /\/src\/index\.js$/ }, () => ({ path: './typegrad.js', external: true }));
        },
      },
    ],
  });
  copyFileSync(join(HERE, 'index.html'), join(outDir, 'index.html'));
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

/** Serves the files of `dir` (flat, no subfolders) on 127.0.0.1; `port` 0 picks a free one. */
export function serveDirectory(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://localhost').pathname.slice(1) || 'index.html';
    if (!/^[\w.-]+$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(join(dir, name));
      res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actualPort = typeof address === 'object' && address !== null ? address.port : port;
      resolvePromise({ server, url: `http://127.0.0.1:${actualPort}/` });
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--serve') {
    const dir = mkdtempSync(join(tmpdir(), 'typegrad-browser-'));
    await buildBrowserExample(dir);
    const { url } = await serveDirectory(dir, Number(args[1] ?? 8080));
    console.log(`typegrad browser example: open ${url} (Ctrl-C to stop)`);
  } else if (args[0] !== undefined) {
    await buildBrowserExample(resolve(args[0]));
    console.log(`built into ${resolve(args[0])}`);
  } else {
    console.log('usage: npx tsx examples/browser/build.ts --serve [port] | <outDir>');
  }
}
