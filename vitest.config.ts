import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // TYPEGRAD_BACKEND=js|wasm selects the kernels for the whole run (see test/setup.ts).
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
  },
});
