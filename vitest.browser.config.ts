import { defineConfig } from 'vitest/config';

/**
 * The slow end-to-end suite, `npm run test:browser`: the browser example in headless Chromium
 * (test/browser) and the packed npm tarball installed and imported (test/package). Kept out of
 * `npm test`, which stays fast and browser-free.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts', 'test/package/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Chromium, esbuild, tsc and npm each want the machine's cores; one file at a time.
    fileParallelism: false,
  },
});
