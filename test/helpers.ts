/**
 * Shared test helpers: one closeness check that reports the worst element, a float64 view of any
 * tensor, and the conformance-data loader.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../src/index.js';

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

type Numeric = Tensor | ArrayLike<number> | number;

function flat(v: Numeric): ArrayLike<number> {
  if (v instanceof Tensor) return v.data;
  if (typeof v === 'number') return [v];
  return v;
}

/**
 * Asserts |actual[i] - expected[i]| <= bound(i) for every i, where NaN matches only NaN and an
 * infinity only the same infinity. On failure the message gives the number of mismatches and the
 * worst element with its index, like torch.testing.assert_close. The one check every
 * closeness helper in the tests runs on.
 */
export function expectWithin(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  bound: (i: number) => number,
  label: string,
  boundText = 'per-element bound',
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length mismatch: actual ${actual.length} vs expected ${expected.length}`);
  }
  let mismatches = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const excess = !Number.isFinite(a) || !Number.isFinite(e) ? Infinity : Math.abs(a - e) - bound(i);
    if (!(excess <= 0)) {
      mismatches++;
      if (!(excess <= worstExcess)) {
        worstExcess = excess;
        worst = i;
      }
    }
  }
  if (mismatches > 0) {
    const a = actual[worst]!;
    const e = expected[worst]!;
    throw new Error(
      `${label}: ${mismatches} of ${actual.length} elements differ (out of bound: ${boundText}); worst at flat index ${worst}: ` +
        `actual ${a}, expected ${e}, abs diff ${Math.abs(a - e)}, rel diff ${Math.abs(a - e) / Math.abs(e)}, bound ${bound(worst)}`,
    );
  }
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| element by element (NaN matches NaN,
 * an infinity the same infinity), and equal shapes when both are tensors.
 */
export function expectClose(actual: Numeric, expected: Numeric, tol: Tolerance = {}, label = ''): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  if (actual instanceof Tensor && expected instanceof Tensor && actual.shape.join(',') !== expected.shape.join(',')) {
    throw new Error(`${label} shape mismatch: actual [${actual.shape}] vs expected [${expected.shape}]`);
  }
  const e = flat(expected);
  expectWithin(flat(actual), e, (i) => atol + rtol * Math.abs(e[i]!), label, `rtol ${rtol}, atol ${atol}`);
}

/** The conformance data, committed in `test/fixtures/conformance` (see its NOTICE.md). */
export const CONFORMANCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'conformance');

export interface ConformanceTensor {
  name: string;
  shape: number[];
  dtype: string;
  data: number[];
}

export interface ConformanceCase {
  file: string;
  source: string;
  op: string;
  opset: number;
  attributes: Record<string, number | string>;
  inputs: ConformanceTensor[];
  outputs: ConformanceTensor[];
}

/** Every case file under `conformance/<sub>`; throws if the folder is missing. */
export function loadConformance(sub: 'onnx' | 'pytorch'): ConformanceCase[] {
  const dir = join(CONFORMANCE_DIR, sub);
  if (!existsSync(dir)) throw new Error(`loadConformance: no conformance data at ${dir}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<ConformanceCase, 'file'>) }));
}

/** A float64 copy of a tensor's elements (for references written in plain JS). */
export function f64(t: Tensor): Float64Array {
  return Float64Array.from(t.data);
}
