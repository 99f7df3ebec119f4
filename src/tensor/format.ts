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

const SUMMARY_THRESHOLD = 1000; // like torch's print options: elide the middle of big tensors
const EDGE_ITEMS = 3;

/** `tensor([[1.0000, 2.0000]], requiresGrad=true)`, eliding the middle of large tensors. */
export function formatTensor(data: TensorData, shape: Shape, requiresGrad: boolean, gradFn: string | null): string {
  const summarize = data.length > SUMMARY_THRESHOLD;
  const fmt = (v: number): string => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e8 || a < 1e-4) ? v.toExponential(4) : v.toFixed(4);
  };
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const render = (axis: number, offset: number, indent: string): string => {
    if (axis === shape.length) return fmt(data[offset]!);
    const n = shape[axis]!;
    const idx: (number | null)[] = [];
    if (summarize && n > 2 * EDGE_ITEMS) {
      for (let i = 0; i < EDGE_ITEMS; i++) idx.push(i);
      idx.push(null);
      for (let i = n - EDGE_ITEMS; i < n; i++) idx.push(i);
    } else {
      for (let i = 0; i < n; i++) idx.push(i);
    }
    const parts = idx.map((i) => (i === null ? '...' : render(axis + 1, offset + i * strides[axis]!, indent + ' ')));
    const sep = axis === shape.length - 1 ? ', ' : ',\n' + '\n'.repeat(Math.max(0, shape.length - axis - 2)) + indent + ' ';
    return `[${parts.join(sep)}]`;
  };
  // An empty tensor prints as `[]` whatever its rank; its shape follows as `size=[...]`, like torch.
  const body = data.length === 0 ? '[]' : render(0, 0, '       ');
  const extras = [];
  if (data.length === 0) extras.push(`size=[${shape.join(', ')}]`);
  if (data instanceof Float64Array) extras.push('dtype=float64');
  if (gradFn !== null) extras.push(`gradFn=${gradFn}`);
  else if (requiresGrad) extras.push('requiresGrad=true');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
