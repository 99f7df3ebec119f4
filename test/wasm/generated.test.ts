/**
 * src/wasm/module.generated.ts (the wasm modules, base64, inline so that the package needs no file
 * to fetch) is what scripts/build-wasm.ts assembles from the .wat sources today: a .wat edit
 * without `npm run build:wasm` fails here.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generatedPath, generateModuleSource } from '../../scripts/build-wasm.js';

it('src/wasm/module.generated.ts is current with the .wat sources', async () => {
  const committed = readFileSync(generatedPath, 'utf8');
  expect(committed === (await generateModuleSource()), 'run `npm run build:wasm` and commit the result').toBe(true);
});
