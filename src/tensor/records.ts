/**
 * User-keyed records (state dicts, safetensors headers and metadata) and how error messages show
 * untrusted values. Records keyed by names from outside are prototype-free (`Object.create(null)`):
 * in a `{}` the key `"__proto__"` would set the prototype instead of an entry, and `"constructor"`
 * or `"toString"` would seem present through `in`.
 */

/** A new prototype-free record: every string is an ordinary key, `"__proto__"` included. */
export function emptyRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** Whether `v` is a plain object: made by `{}`, JSON.parse or `Object.create(null)`, not a Map or class. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A string in double quotes, cut to 80 characters, so that names in messages stay short. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);
}

/**
 * A short description of any value for an error message: the one formatter of src/tensor/check.ts
 * (`describeValue`), under the name the record and safetensors code uses. It never recurses: arrays
 * show at most 8 entries, nested values by type, strings and class names cut short.
 * @example
 * describe([1, 2]);     // '[1, 2] (array)'
 * describe(new Map());  // 'a Map'
 * describe(NaN);        // 'NaN'
 */
export { describeValue as describe } from './check.js';
