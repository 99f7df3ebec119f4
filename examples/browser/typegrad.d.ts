/**
 * Types of `./typegrad.js`, the ES module build.ts bundles from src/index.ts next to the page:
 * exactly the package's public API.
 */
export * from '../../src/index.js';
