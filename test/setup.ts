/**
 * Vitest setup (vitest.config.ts `setupFiles`): TYPEGRAD_BACKEND=js|wasm picks the kernels the
 * whole suite runs on, so CI can run it once per backend. Unset: the library's default (wasm where
 * the engine has WebAssembly SIMD). Read here because src/ may not touch Node's `process`.
 */
import { getBackend, setBackend } from '../src/index.js';

const requested = process.env['TYPEGRAD_BACKEND'];
if (requested !== undefined && requested !== '') {
  setBackend(requested);
  if (getBackend() !== requested)
    throw new Error(`test setup: TYPEGRAD_BACKEND=${requested} but the backend is ${getBackend()}`);
}
