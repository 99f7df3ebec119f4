/**
 * Argument checks shared by every public entry point, and the one formatter their messages use.
 *
 * Messages read `where: argName must be <expected>, got <describeValue(value)>`: a string prints
 * quoted with its type (`"0.1" (string)`), NaN and the infinities as NaN / Infinity, long arrays and
 * shapes abbreviated, so that a bad 1e6-entry argument cannot produce a megabyte of message.
 * The Tensor checks (`checkTensor`, `checkOptionalTensor`) live in src/autograd/check.ts.
 */

/** Arrays and shapes in messages show at most this many entries (the first and the last few). */
const MAX_LISTED = 8;
const MAX_STRING = 40;

/** `[1, 2, 3]`; past 8 entries `[1, 2, 3, 4, ..., 9, 10] (10 entries)`. */
export function fmtList(values: ArrayLike<unknown>, item: (v: unknown) => string = String): string {
  const n = values.length;
  const parts: string[] = [];
  if (n <= MAX_LISTED) {
    for (let i = 0; i < n; i++) parts.push(item(values[i]));
    return `[${parts.join(', ')}]`;
  }
  for (let i = 0; i < MAX_LISTED - 2; i++) parts.push(item(values[i]));
  parts.push('...', item(values[n - 2]), item(values[n - 1]));
  return `[${parts.join(', ')}] (${n} entries)`;
}

/** A short description of an element of a listed array: numbers as they are, other values by type. */
function describeItem(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > MAX_STRING ? v.slice(0, MAX_STRING) + '...' : v);
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? (className(v) ?? 'object') : typeof v;
}

/** 'an' before a vowel: `an Int8Array`, `a Map`. */
function article(word: string): string {
  return /^[AEIOaeio]/.test(word) ? 'an' : 'a'; // 'a Uint8Array': U sounds like 'you'
}

/**
 * The class name of an object, read from its prototype (never from an own `constructor` key, which
 * a JSON-made object may hold with any value); null for plain objects.
 */
function className(v: object): string | null {
  const proto = Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null;
  const name = proto === null || proto === Object.prototype ? null : proto.constructor?.name;
  return typeof name === 'string' && name !== '' ? name.slice(0, MAX_STRING) : null;
}

/** A Tensor's shape, duck-typed (the tensor room cannot import the class); null for anything else. */
function tensorShape(v: object, name: string | null): readonly number[] | null {
  if (name !== 'Tensor') return null;
  const shape = (v as { shape?: unknown }).shape;
  return Array.isArray(shape) ? (shape as number[]) : null;
}

/**
 * The value as error messages show it: `1.5`, `NaN`, `-Infinity`, `"0.1" (string)`, `true (boolean)`,
 * `undefined`, `null`, `[0, 0, 0] (array)`, `a Float32Array of length 3`, `a Tensor of shape [2, 3]`.
 * @example
 * describeValue('0.1'); // '"0.1" (string)'
 * describeValue(NaN);   // 'NaN'
 */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return String(v);
    case 'string':
      return `${describeItem(v)} (string)`;
    case 'boolean':
      return `${v} (boolean)`;
    case 'bigint':
      return `${v}n (bigint)`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return `${fmtList(v, describeItem)} (array)`;
  const name = className(v as object);
  if (ArrayBuffer.isView(v)) {
    const view = name ?? 'ArrayBufferView';
    return `${article(view)} ${view} of length ${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength}`;
  }
  const shape = tensorShape(v as object, name);
  if (shape !== null) return `a Tensor of shape ${fmtList(shape)}`;
  return name !== null ? `${article(name)} ${name}` : 'an object';
}

/** Throws unless `value` is true or false; returns it. */
export function checkBoolean(value: unknown, where: string, argName: string): boolean {
  if (typeof value !== 'boolean') {
    throw new Error(`${where}: ${argName} must be true or false, got ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is an integer (a number without fraction) at least `min`; returns it. */
export function checkInteger(value: unknown, where: string, argName: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const named: Record<number, string> = {
      [-Infinity]: 'an integer',
      0: 'a non-negative integer',
      1: 'a positive integer',
    };
    const what = named[min] ?? `an integer >= ${min}`;
    throw new Error(`${where}: ${argName} must be ${what}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Throws unless an options argument is an object (or left out); returns it, `{}` when left out.
 * A default parameter covers only `undefined`, so `null` would otherwise fail inside as a TypeError.
 */
export function checkOptions<T extends object>(opts: T | undefined, where: string): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new Error(`${where}: options must be an object, got ${describeValue(opts)}`);
  }
  return opts;
}
