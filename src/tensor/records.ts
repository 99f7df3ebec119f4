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
 * A short description of any value for an error message. It never recurses: an array shows its
 * elements only when they are at most 8 primitives, so a hostile input cannot make it deep or long.
 * @example
 * describe([1, 2]);     // 'an array [1, 2]'
 * describe(new Map());  // 'a Map'
 * describe(NaN);        // 'number NaN'
 */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) {
    if (v.length <= 8 && v.every((x) => x === null || typeof x !== 'object')) {
      return `an array [${v.map((x) => (typeof x === 'string' ? quote(x) : String(x))).join(', ')}]`;
    }
    return `an array of ${v.length} elements`;
  }
  if (typeof v === 'string') return `string ${quote(v)}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') {
    if (v instanceof Map) return 'a Map';
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `${typeof v} ${String(v)}`;
}
