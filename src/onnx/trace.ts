/**
 * The trace that `exportOnnx` builds while the model's forward runs: ONNX nodes over named values,
 * in single-assignment form, with the concrete shape of every value this run gave it.
 *
 * Values: a graph input (`inputs`), a parameter or buffer (an initializer named by its state-dict
 * key), a constant (any other tensor the forward used that no traced op produced: a mask built in
 * forward, a scalar operand; copied into an initializer), or a node's output. The tracer keeps a
 * map from the Tensor objects of the run to the value that holds them, so an op that gives a tensor
 * a new value (an in-place op, softmax recorded after its own parts) simply remaps it.
 *
 * Some node inputs depend on which sizes are symbolic (a Reshape's target: 0 copies an input size,
 * -1 infers one); they are `Lazy` and resolved in `finish`, when the second run (with the dynamic
 * axes one longer) has told which sizes move with them.
 */
import type { Tensor } from '../autograd/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { DataType, type Attribute, type Initializer, type Node, type ValueInfo } from './proto.js';

/** A node input resolved when both runs are known: `dims(id)` gives a value's sizes, symbolic ones as null. */
export interface Lazy {
  lazy: (sizes: Sizes) => Initializer;
}

/** What `finish` knows about a value's sizes: run 1's, run 2's, and which of them are symbolic. */
export interface Sizes {
  first(id: string): readonly number[];
  second(id: string): readonly number[];
  /** run 1's sizes with null where the size moves with a dynamic axis. */
  dims(id: string): readonly (number | null)[];
}

/** A traced node: `error` marks an op with no lowering, thrown only if the output is used. */
export interface TraceNode {
  opType: string;
  inputs: (string | Lazy)[];
  outputs: string[];
  attributes: Record<string, Attribute>;
  /** The module path where the op ran, for error messages ('' for the root). */
  path: string;
  error?: string;
}

export const ONNX_TYPE: Record<DType, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

/** An initializer of `t`'s current values (copied). */
export function initializerOf(name: string, t: Tensor): Initializer {
  const d = t.contiguous().data;
  const dims = [...t.shape];
  if (t.dtype === 'float32') return { name, dims, float32: Float32Array.from(d as Float32Array) };
  if (t.dtype === 'float64') return { name, dims, float64: Float64Array.from(d as Float64Array) };
  if (t.dtype === 'int32') return { name, dims, int32: Int32Array.from(d as Int32Array) };
  return { name, dims, bool: Uint8Array.from(d as Uint8Array, (v) => (v ? 1 : 0)) };
}

export class Trace {
  readonly nodes: TraceNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  /** Concrete sizes and dtype of every value, from this run. */
  readonly shapes = new Map<string, readonly number[]>();
  readonly dtypes = new Map<string, DType>();
  /** The value each tensor of the run holds now. */
  readonly values = new Map<Tensor, string>();
  /** Parameters and buffers by tensor: their state-dict keys. */
  readonly stateNames: Map<Tensor, string>;
  /** Module path stack while forwards run. */
  readonly path: string[] = [];
  /** > 0 while a lowered op or module runs: the ops it is made of are not traced again. */
  depth = 0;
  private counter = 0;
  private constants = 0;
  /** Constants by the tensor they copy, so a tensor used twice is one initializer. */
  private readonly constantOf = new Map<Tensor, string>();

  constructor(
    stateNames: Map<Tensor, string>,
    readonly opset: number,
  ) {
    this.stateNames = stateNames;
  }

  where(): string {
    return this.path.filter((p) => p !== '').join('.');
  }

  /** A fresh value name for an output of dtype/shape (when known). */
  fresh(t?: Tensor, prefix = 'v'): string {
    const id = `${prefix}${this.counter++}`;
    if (t !== undefined) {
      this.shapes.set(id, [...t.shape]);
      this.dtypes.set(id, t.dtype);
      this.values.set(t, id);
    }
    return id;
  }

  /** Marks `t` as graph input `name`. */
  input(t: Tensor, name: string): void {
    this.values.set(t, name);
    this.shapes.set(name, [...t.shape]);
    this.dtypes.set(name, t.dtype);
  }

  /** The value that holds `t`: a traced value, a parameter or buffer, or a new constant. */
  val(t: Tensor): string {
    const known = this.values.get(t) ?? this.constantOf.get(t);
    if (known !== undefined) return known;
    const key = this.stateNames.get(t);
    const name = key ?? `const_${this.constants++}`;
    this.initializers.set(name, initializerOf(name, t));
    this.shapes.set(name, [...t.shape]);
    this.dtypes.set(name, t.dtype);
    if (key !== undefined) this.values.set(t, name);
    else this.constantOf.set(t, name);
    return name;
  }

  /** Whether `t` holds a value computed from the graph inputs (not a parameter or a constant). */
  isTraced(t: Tensor): boolean {
    return this.values.has(t) && !this.stateNames.has(t);
  }

  /** A constant initializer. */
  constant(init: Omit<Initializer, 'name'>): string {
    const name = `const_${this.constants++}`;
    this.initializers.set(name, { name, ...init });
    this.shapes.set(name, [...init.dims]);
    return name;
  }

  /** A scalar constant of `dtype`. */
  scalar(v: number, dtype: DType): string {
    if (dtype === 'float64') return this.constant({ dims: [], float64: Float64Array.of(v) });
    if (dtype === 'int32') return this.constant({ dims: [], int32: Int32Array.of(v) });
    if (dtype === 'bool') return this.constant({ dims: [], bool: Uint8Array.of(v ? 1 : 0) });
    return this.constant({ dims: [], float32: Float32Array.of(v) });
  }

  /** A 1-D int64 constant (axes, shapes, pads). */
  ints(values: readonly number[]): string {
    return this.constant({ dims: [values.length], int64: values });
  }

  /**
   * Adds node `opType`; `outs` are the tensors it produces (mapped to its outputs), or a count of
   * intermediate outputs with no tensor of their own. Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly (string | Lazy)[],
    outs: readonly Tensor[] | number = 1,
    attributes: Record<string, Attribute> = {},
  ): string[] {
    const outputs =
      typeof outs === 'number' ? Array.from({ length: outs }, () => this.fresh()) : outs.map((t) => this.fresh(t));
    this.nodes.push({ opType, inputs: [...inputs], outputs, attributes, path: this.where() });
    return outputs;
  }

  /** One-output form of `node`. */
  op(
    opType: string,
    inputs: readonly (string | Lazy)[],
    attributes: Record<string, Attribute> = {},
    out?: Tensor,
  ): string {
    return this.node(opType, inputs, out === undefined ? 1 : [out], attributes)[0]!;
  }

  /** Records an op with no lowering; exporting fails only if a graph output depends on it. */
  unsupported(what: string, inputs: readonly Tensor[], outs: readonly Tensor[]): void {
    const ins = inputs.filter((t) => this.values.has(t)).map((t) => this.values.get(t)!);
    const outputs = outs.map((t) => this.fresh(t));
    const where = this.where();
    this.nodes.push({
      opType: 'Unsupported',
      inputs: ins,
      outputs,
      attributes: {},
      path: where,
      error: `exportOnnx: ${what} (in module '${where === '' ? '<root>' : where}') has no ONNX lowering`,
    });
  }
}

/** Graph value info for a value: its element type and sizes, symbolic ones named. */
export function valueInfo(
  name: string,
  dtype: DType | undefined,
  dims: readonly (number | string | null)[] | undefined,
): ValueInfo {
  const info: ValueInfo = { name, elemType: ONNX_TYPE[dtype ?? 'float32'] };
  if (dims !== undefined) info.dims = dims;
  return info;
}

export type { Node };
