/**
 * Turning storage back into nested arrays and into readable text.
 */
import type { TensorData } from './dtype.js';
import type { Shape } from './shape.js';

/**
 * A number (a boolean for a bool tensor), or arrays of arrays of them: what `toArray()` returns.
 * @example
 * const rows = tensor([[1, 2], [3, 4]]).toArray() as number[][];
 * const mask = tensor([1, 2]).gt(1).toArray() as boolean[]; // [false, true]
 */
export type NestedArray = number | boolean | NestedArray[];

/** The elements of a contiguous tensor as nested arrays (one value for a 0-d tensor); bools as booleans. */
export function toNested(data: TensorData, shape: Shape): NestedArray {
  const bool = data instanceof Uint8Array;
  const at = (i: number): number | boolean => (bool ? data[i] !== 0 : data[i]!);
  if (shape.length === 0) return at(0);
  let offset = 0;
  const build = (axis: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[axis]!; i++) {
      if (axis === shape.length - 1) out.push(at(offset++));
      else out.push(build(axis + 1));
    }
    return out;
  };
  return build(0);
}

// torch's default print options (torch/_tensor_str.py, PRINT_OPTS)
const PRECISION = 4;
const THRESHOLD = 1000; // more elements than this are summarized with '...'
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

/**
 * Python's `format(v, '.{p}f')` (mode 'f') or `'.{p}e'` (mode 'e'): JS's toFixed/toExponential
 * round an exact tie away from zero, Python to even (`0.03125` -> '0.0312'), and Python writes at
 * least two exponent digits ('1.0000e-05').
 */
export function pyFormat(v: number, p: number, mode: 'f' | 'e'): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const a = Math.abs(v);
  let out = mode === 'f' ? a.toFixed(p) : a.toExponential(p);
  // A tie shows as digit 5 then zeros in a longer exact expansion; then round half to even.
  const long = mode === 'f' ? a.toFixed(p + 20) : a.toExponential(p + 20);
  const [longMantissa, longExp] = long.split('e') as [string, string | undefined];
  const extra = longMantissa.slice(longMantissa.length - 20);
  if (extra === '5' + '0'.repeat(19)) {
    const truncated = longMantissa.slice(0, longMantissa.length - 20).replace(/\.$/, '');
    const lastDigit = Number(truncated[truncated.length - 1]);
    if (lastDigit % 2 === 0) out = longExp === undefined ? truncated : `${truncated}e${longExp}`;
  }
  if (mode === 'e') out = out.replace(/e([+-])(\d)$/, 'e$10$2');
  return sign + out;
}

/** How every element of one tensor is written: torch's `_Formatter`, built from the shown values. */
class Formatter {
  readonly floating: boolean;
  intMode = true;
  sciMode = false;
  width = 1;

  constructor(values: ArrayLike<number>, kind: 'float' | 'int' | 'bool') {
    this.floating = kind === 'float';
    if (!this.floating) {
      for (let i = 0; i < values.length; i++) {
        const text = kind === 'bool' ? (values[i] !== 0 ? 'true' : 'false') : String(values[i]);
        this.width = Math.max(this.width, text.length);
      }
      return;
    }
    let min = Infinity;
    let max = 0;
    const shown: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || v === 0) continue;
      shown.push(v);
      min = Math.min(min, Math.abs(v));
      max = Math.max(max, Math.abs(v));
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    if (shown.length === 0) return;
    this.sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
    for (const v of shown) {
      this.width = Math.max(this.width, this.text(v).length);
    }
  }

  private text(v: number): string {
    if (!this.floating) return String(v);
    if (this.sciMode) return pyFormat(v, PRECISION, 'e');
    if (this.intMode) return pyFormat(v, 0, 'f') + (Number.isFinite(v) ? '.' : '');
    return pyFormat(v, PRECISION, 'f');
  }

  /** The element right-aligned to the common width. */
  format(v: number, bool: boolean): string {
    const t = bool ? (v !== 0 ? 'true' : 'false') : this.text(v);
    return t.padStart(this.width);
  }
}

/**
 * The text of a tensor like torch's `repr` (torch/_tensor_str.py): one width for all elements,
 * integers without decimals, '1.' for integral floats, scientific notation when the non-zero
 * magnitudes span more than 1000x (or pass 1e8 or 1e-4), rows wrapped at 80 columns, and above 1000
 * elements only the first and last 3 of every axis with '...'. Suffixes: `dtype=` for float64 and
 * int32, `size=` for an empty tensor that is not 1-D, `gradFn=<MulBackward>` or `requiresGrad=true`.
 * Spelling differs from torch's where TypeScript's does: true/false for True/False, `dtype=int32`
 * for `dtype=torch.int32`, `size=[2, 0]` for `size=(2, 0)`, camelCase suffix names, no trailing
 * digit in the backward's name.
 */
export function formatTensor(data: TensorData, shape: Shape, requiresGrad: boolean, gradFn: string | null): string {
  const bool = data instanceof Uint8Array;
  const kind = bool ? 'bool' : data instanceof Int32Array ? 'int' : 'float';
  const prefix = 'tensor(';
  const indent = prefix.length;
  const summarize = data.length > THRESHOLD;
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; s *= shape[i]!, i--) strides[i] = s;

  /** The indices shown along an axis: all, or the first and last EDGE_ITEMS with null for '...'. */
  const shownIndices = (n: number): (number | null)[] => {
    if (!(summarize && n > 2 * EDGE_ITEMS)) return Array.from({ length: n }, (_, i) => i);
    return [0, 1, 2, null, n - 3, n - 2, n - 1];
  };
  // The formatter sees only the shown elements (torch's get_summarized_data).
  const shown: number[] = [];
  const collect = (axis: number, offset: number): void => {
    if (axis === shape.length) {
      shown.push(data[offset]!);
      return;
    }
    for (const i of shownIndices(shape[axis]!)) if (i !== null) collect(axis + 1, offset + i * strides[axis]!);
  };
  if (data.length > 0) collect(0, 0);
  const formatter = new Formatter(shown, kind);

  const vector = (offset: number, n: number, ind: number): string => {
    const items = shownIndices(n).map((i) => (i === null ? ' ...' : formatter.format(data[offset + i]!, bool)));
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - ind) / (formatter.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return '[' + lines.join(',\n' + ' '.repeat(ind + 1)) + ']';
  };
  const render = (axis: number, offset: number, ind: number): string => {
    const dims = shape.length - axis;
    if (dims === 0) return formatter.format(data[offset]!, bool);
    if (dims === 1) return vector(offset, shape[axis]!, ind);
    const slices = shownIndices(shape[axis]!).map((i) =>
      i === null ? '...' : render(axis + 1, offset + i * strides[axis]!, ind + 1),
    );
    return '[' + slices.join(',' + '\n'.repeat(dims - 1) + ' '.repeat(ind + 1)) + ']';
  };

  const suffixes: string[] = [];
  let body: string;
  if (data.length === 0) {
    body = '[]';
    if (shape.length !== 1) suffixes.push(`size=[${shape.join(', ')}]`);
    if (!(data instanceof Float32Array)) suffixes.push(`dtype=${dtypeName(data)}`);
  } else {
    body = render(0, 0, indent);
    if (data instanceof Float64Array || data instanceof Int32Array) suffixes.push(`dtype=${dtypeName(data)}`);
  }
  if (gradFn !== null) suffixes.push(`gradFn=<${gradFn.charAt(0).toUpperCase()}${gradFn.slice(1)}Backward>`);
  else if (requiresGrad) suffixes.push('requiresGrad=true');

  // torch's _add_suffixes: a suffix that would pass the line width goes on its own line.
  let out = prefix + body;
  let lastLine = out.length - out.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLine + suffix.length + 2 > LINE_WIDTH) {
      out += ',\n' + ' '.repeat(indent) + suffix;
      lastLine = indent + suffix.length;
    } else {
      out += ', ' + suffix;
      lastLine += suffix.length + 2;
    }
  }
  return out + ')';
}

function dtypeName(data: TensorData): string {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  return 'float32';
}
