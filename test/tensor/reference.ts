/**
 * Plain float64 references for the foundation tests, written from the definitions with nothing
 * but index arithmetic on `number[]`: no typegrad code is called here, so a bug in a kernel cannot
 * hide in its own reference.
 *
 * Conventions: shapes are row-major; `unravel`/`ravel` convert between a flat index and a
 * multi-index; broadcasting aligns shapes at the trailing axis (NumPy rules).
 */

export type RefShape = readonly number[];

/** A dense float64 array with its shape. */
export interface RefArray {
  data: number[];
  shape: number[];
}

/** Number of elements of a shape (1 for `[]`). */
export function numel(shape: RefShape): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** The multi-index of flat position `flat` in a row-major `shape`. */
export function unravel(flat: number, shape: RefShape): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/** The flat position of multi-index `idx` in a row-major `shape`. */
export function ravel(idx: readonly number[], shape: RefShape): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + idx[i]!;
  return flat;
}

/** mulberry32: a tiny seeded generator for test inputs, independent of typegrad's. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ValueOptions {
  /** Lower bound of |v| (default 0): keeps values away from kinks and poles. */
  minAbs?: number;
  /** Upper bound of |v| (default 1). */
  maxAbs?: number;
  /** Only positive values (default false). */
  positive?: boolean;
}

/** `n` seeded values with `minAbs <= |v| <= maxAbs`, rounded to float32 so both sides see the same inputs. */
export function randomValues(n: number, seed: number, opts: ValueOptions = {}): number[] {
  const { minAbs = 0, maxAbs = 1, positive = false } = opts;
  const next = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const mag = minAbs + (maxAbs - minAbs) * next();
    const sign = positive || next() < 0.5 ? 1 : -1;
    out.push(Math.fround(sign * mag));
  }
  return out;
}

// -------------------------------------------------------------------------------------------
// Broadcasting
// -------------------------------------------------------------------------------------------

/** The NumPy broadcast of two shapes, or null when they are incompatible. */
export function broadcastShape(a: RefShape, b: RefShape): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The flat index into an operand of shape `from` read at multi-index `outIdx` of the broadcast shape. */
export function broadcastSource(outIdx: readonly number[], from: RefShape): number {
  const lead = outIdx.length - from.length;
  return ravel(
    from.map((d, i) => (d === 1 ? 0 : outIdx[i + lead]!)),
    from,
  );
}

/** `f(a, b)` elementwise with broadcasting. */
export function refBinary(
  f: (x: number, y: number) => number,
  a: readonly number[],
  aShape: RefShape,
  b: readonly number[],
  bShape: RefShape,
): RefArray {
  const shape = broadcastShape(aShape, bShape);
  if (shape === null) throw new Error(`reference: [${aShape}] and [${bShape}] do not broadcast`);
  const data: number[] = [];
  for (let i = 0; i < numel(shape); i++) {
    const idx = unravel(i, shape);
    data.push(f(a[broadcastSource(idx, aShape)]!, b[broadcastSource(idx, bShape)]!));
  }
  return { data, shape };
}

/**
 * The gradient of an operand of shape `inShape` that was broadcast to `outShape`:
 * `grad[j] = sum over output positions i that read j of local(i)`.
 */
export function refSumToShape(local: (outFlat: number) => number, outShape: RefShape, inShape: RefShape): number[] {
  const grad = new Array<number>(numel(inShape)).fill(0);
  for (let i = 0; i < numel(outShape); i++) grad[broadcastSource(unravel(i, outShape), inShape)]! += local(i);
  return grad;
}

// -------------------------------------------------------------------------------------------
// Reductions
// -------------------------------------------------------------------------------------------

/** Non-negative, sorted axes (undefined = all). */
export function normAxes(axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return list.map((a) => (a < 0 ? a + ndim : a)).sort((p, q) => p - q);
}

/** The shape a reduction over `axes` produces. */
export function reducedShape(shape: RefShape, axes: readonly number[], keepDim: boolean): number[] {
  return keepDim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** For every element, the row-major index of its group among the kept axes. */
export function groupIndex(flat: number, shape: RefShape, axes: readonly number[]): number {
  const idx = unravel(flat, shape);
  const kept = shape.filter((_, i) => !axes.includes(i));
  return ravel(
    idx.filter((_, i) => !axes.includes(i)),
    kept,
  );
}

/** The elements of each group (groups ordered row-major over the kept axes). */
export function groups(x: readonly number[], shape: RefShape, axes: readonly number[]): number[][] {
  const count = numel(shape.filter((_, i) => !axes.includes(i)));
  const out: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < x.length; i++) out[groupIndex(i, shape, axes)]!.push(x[i]!);
  return out;
}

export type Reducer = (values: readonly number[]) => number;

export const refSum: Reducer = (v) => v.reduce((s, x) => s + x, 0);
export const refMean: Reducer = (v) => refSum(v) / v.length;
export const refMax: Reducer = (v) => v.reduce((m, x) => (x > m ? x : m), -Infinity);
/** Two-pass variance with `correction` subtracted from the count (NaN/Infinity when n <= correction, like torch). */
export function refVar(correction: number): Reducer {
  return (v) => {
    const m = refMean(v);
    const m2 = v.reduce((s, x) => s + (x - m) * (x - m), 0);
    return m2 / Math.max(0, v.length - correction);
  };
}

/** `reducer` over `axes` of x. */
export function refReduce(
  x: readonly number[],
  shape: RefShape,
  axes: number | readonly number[] | undefined,
  keepDim: boolean,
  reducer: Reducer,
): RefArray {
  const norm = normAxes(axes, shape.length);
  return { data: groups(x, shape, norm).map(reducer), shape: reducedShape(shape, norm, keepDim) };
}

// -------------------------------------------------------------------------------------------
// Shape and linear algebra
// -------------------------------------------------------------------------------------------

/** Output axis i is input axis perm[i]. */
export function refPermute(x: readonly number[], shape: RefShape, perm: readonly number[]): RefArray {
  const outShape = perm.map((p) => shape[p]!);
  const data: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const outIdx = unravel(i, outShape);
    const inIdx = new Array<number>(shape.length);
    perm.forEach((p, k) => (inIdx[p] = outIdx[k]!));
    data.push(x[ravel(inIdx, shape)]!);
  }
  return { data, shape: outShape };
}

/** torch.matmul: 1-D operands become a row (left) or a column (right), batch dims broadcast. */
export function refMatmul(a: readonly number[], aShape: RefShape, b: readonly number[], bShape: RefShape): RefArray {
  const a2 = aShape.length === 1 ? [1, aShape[0]!] : [...aShape];
  const b2 = bShape.length === 1 ? [bShape[0]!, 1] : [...bShape];
  const [n, k] = a2.slice(-2) as [number, number];
  const m = b2[b2.length - 1]!;
  const batch = broadcastShape(a2.slice(0, -2), b2.slice(0, -2));
  if (batch === null) throw new Error('reference: batch dims do not broadcast');
  const data: number[] = [];
  for (let t = 0; t < numel(batch); t++) {
    const bIdx = unravel(t, batch);
    const aOff = broadcastSource(bIdx, a2.slice(0, -2)) * n * k;
    const bOff = broadcastSource(bIdx, b2.slice(0, -2)) * k * m;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aOff + i * k + p]! * b[bOff + p * m + j]!;
        data.push(s);
      }
    }
  }
  const shape = [...batch];
  if (aShape.length > 1) shape.push(n);
  if (bShape.length > 1) shape.push(m);
  return { data, shape };
}
