import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The slow end-to-end suite (headless Chromium, npm pack, typedoc) runs with `npm run test:browser`.
    exclude: [...configDefaults.exclude, 'test/browser/**', 'test/package/**'],
    // TYPEGRAD_BACKEND=js|wasm selects the kernels for the whole run (see test/setup.ts).
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
  },
});
