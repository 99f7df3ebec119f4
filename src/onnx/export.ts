/**
 * `exportOnnx`: a Module as an ONNX model, captured the way torch.onnx.export's tracer does it: the
 * forward runs once on example inputs, in eval mode and under noGrad, and every op that runs is
 * recorded as ONNX nodes; what the run did not depend on (Python/TypeScript control flow, loop
 * counts, shapes read with `x.shape`) is fixed by the trace.
 *
 * How ops are seen. Three hooks, all installed only while the export runs and removed after:
 *   1. Layers with an ONNX form (Linear, Conv, pools, norms, activations, Embedding, Dropout, ...)
 *      are lowered whole: each module's `forward` is wrapped on the instance, and a layer that
 *      `lower.ts` knows runs its own forward untraced and adds its nodes (a LayerNorm becomes one
 *      LayerNormalization, not the dozen ops of its kernel). Other modules (Sequential, user
 *      modules) are traced through; their names make the module path of error messages.
 *   2. Tensor methods (add, matmul, reshape, transpose, ...) are wrapped on Tensor.prototype: the
 *      wrapper has the call's arguments, which the ONNX attributes need (axes, a target shape).
 *   3. Functions that are not methods (softmax, cat, linear, ...) are seen through `record`, the
 *      one function every op calls (src/autograd/record.ts's `opObserver`); the few whose ONNX form
 *      needs an argument that the inputs do not carry pass it to `record` (softmax's axis, the
 *      single-op functional forms of src/autograd/ops/: leakyRelu's slope, elu's alpha, softplus's
 *      beta and threshold, the pools' window, embedding's indices).
 *   4. The functional forms that are compositions of ops (F.conv2d, F.conv1d, F.batchNorm,
 *      F.instanceNorm, F.groupNorm, F.layerNorm, F.rmsNorm) wrap their body in `observed(name,
 *      args, run)` (record.ts's `callObserver`), so that, called directly in a forward, they lower
 *      whole like their modules (one Conv, one LayerNormalization) from the call's arguments.
 *      F.dropout is observed too: identity when it does nothing, an error when it would drop (its
 *      random mask would be baked in). An ES module namespace cannot be patched, hence a hook in the
 *      form rather than a wrapper around `functional`; modules call the forms' `...As` twins (or
 *      run inside their own lowering), so a layer is never lowered twice.
 * Module-level lowering keeps the graph close to what the model says and makes the norms exportable
 * as their operators; method wrapping covers the glue code users write between layers; the `record`
 * hook sees everything else, so an op with no lowering is never silently baked in as a constant: it
 * becomes an error naming the op and the module path, raised when an output depends on it.
 *
 * Dynamic axes. Sizes are concrete while tracing. When `dynamicAxes` names axes, the forward runs a
 * second time on the example inputs grown by one along those axes; a size that differs between the
 * runs is symbolic (named after the input axis it equals, else left unnamed), a Reshape target copies
 * it (0) or infers it (-1), and a constant made in forward whose shape differs (a mask sized from
 * `x.shape`) is an error, since the file would hold only one of them.
 */
import { Tensor } from '../autograd/tensor.js';
import { noGrad } from '../autograd/gradMode.js';
import { callObserver, opObserver } from '../autograd/record.js';
import type { Module } from '../layers/module.js';
import { describeValue } from '../tensor/check.js';
import { fmtShape } from '../tensor/shape.js';
import { callLowerings, moduleLowering, recordLowerings, tensorLowerings } from './lower.js';
import { modelProto, type Initializer, type Node, type ValueInfo } from './proto.js';
import { Trace, valueInfo, type Lazy, type Sizes } from './trace.js';

/** The newest opset onnxruntime-node 1.30 loads (27 is refused), and the newest exportOnnx writes. */
export const DEFAULT_OPSET = 26;
/** The oldest opset exportOnnx writes (Split's sizes and ReduceSum's axes are inputs from 13). */
export const MIN_OPSET = 13;

/**
 * Options of `exportOnnx`, torch.onnx.export's names in camelCase.
 * @example exportOnnx(model, [x], { inputNames: ['images'], dynamicAxes: { images: { 0: 'batch' } } })
 */
export interface ExportOnnxOptions {
  /** The default-domain opset (default 26, onnxruntime-node 1.30's newest); 13 to 26. */
  opsetVersion?: number;
  /** Names of the graph inputs (default 'input', or 'input_0', 'input_1', ... for several). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default 'output', or 'output_0', ...). */
  outputNames?: readonly string[];
  /**
   * Symbolic axes per input or output name: `{ input: { 0: 'batch' } }`, or a list of axes
   * (`{ input: [0] }`, named `<name>_dim<axis>`).
   */
  dynamicAxes?: Readonly<Record<string, Readonly<Record<number, string>> | readonly number[]>>;
  /** ModelProto.doc_string. */
  docString?: string;
}

/** Tensor methods that are not ops (or only read): never traced. */
const NOT_TRACED = new Set([
  'constructor',
  'stride',
  'storageOffset',
  'isContiguous',
  'item',
  'toArray',
  'toString',
  'backward',
  'retainGrad',
  'registerHook',
  'requiresGrad_',
]);

/** The tensors in an op's result: a Tensor, an array of them, or an object of them (values/indices). */
function tensorsIn(v: unknown): Tensor[] {
  if (v instanceof Tensor) return [v];
  if (Array.isArray(v)) return v.flatMap(tensorsIn);
  if (v !== null && typeof v === 'object') return Object.values(v).filter((t): t is Tensor => t instanceof Tensor);
  return [];
}

interface Run {
  trace: Trace;
  outputs: Tensor[];
}

/** One traced run of `model.call(...inputs)`. */
function traceRun(
  model: Module,
  inputs: readonly Tensor[],
  names: readonly string[],
  stateNames: Map<Tensor, string>,
  opset: number,
): Run {
  const tr = new Trace(stateNames, opset);
  inputs.forEach((t, i) => tr.input(t, names[i]!));
  // An op is traced when an input depends on the graph inputs; one on parameters and constants alone
  // (a weight transposed in forward, MultiheadAttention's slices of its in-projection) runs untraced
  // and its result becomes a constant initializer, as torch.onnx.export's constant folding does.
  const known = (t: unknown): boolean => t instanceof Tensor && tr.isTraced(t);
  const undo: (() => void)[] = [];
  try {
    // Tensor methods
    const proto = Tensor.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(Tensor.prototype)) {
      const desc = Object.getOwnPropertyDescriptor(Tensor.prototype, name)!;
      if (NOT_TRACED.has(name) || typeof desc.value !== 'function') continue;
      const original = desc.value as (...a: unknown[]) => unknown;
      proto[name] = function (this: Tensor, ...args: unknown[]): unknown {
        if (tr.depth > 0) return original.apply(this, args);
        tr.depth++;
        try {
          const out = original.apply(this, args);
          const ins = [this, ...args.flatMap(tensorsIn)];
          if (!ins.some(known)) return out;
          const lower = tensorLowerings[name];
          if (lower !== undefined && out !== null && typeof out === 'object') lower(tr, this, args, out);
          else tr.unsupported(`Tensor.${name}`, ins, tensorsIn(out));
          return out;
        } finally {
          tr.depth--;
        }
      };
      undo.push(() => (proto[name] = original));
    }
    // Modules
    for (const [path, m] of model.namedModules()) {
      const own = Object.getOwnPropertyDescriptor(m, 'forward');
      const original = m.forward;
      const lower = moduleLowering(m);
      m.forward = (...args: unknown[]): unknown => {
        tr.path.push(path);
        try {
          if (lower === null || tr.depth > 0 || !args.flatMap(tensorsIn).some(known)) return original.apply(m, args);
          tr.depth++;
          try {
            const out = original.apply(m, args);
            lower(tr, m, args, out, path);
            return out;
          } finally {
            tr.depth--;
          }
        } finally {
          tr.path.pop();
        }
      };
      undo.push(() => {
        if (own === undefined) delete (m as { forward?: unknown }).forward;
        else Object.defineProperty(m, 'forward', own);
      });
    }
    // Functions, through record
    opObserver.current = (out, name, ins, attrs) => {
      if (tr.depth > 0 || ![...ins, ...tensorsIn(attrs ?? {})].some(known)) return;
      const lower = recordLowerings[name];
      tr.depth++;
      try {
        if (lower !== undefined) lower(tr, ins, out, attrs ?? {});
        else tr.unsupported(`op '${name}'`, ins, [out]);
      } finally {
        tr.depth--;
      }
    };
    undo.push(() => (opObserver.current = null));
    // Functional forms that are compositions (conv2d, the norms), called directly: lowered whole
    callObserver.current = (name, args, run) => {
      const lower = callLowerings[name];
      if (lower === undefined || tr.depth > 0 || !args.flatMap(tensorsIn).some(known)) return run();
      tr.depth++;
      try {
        const out = run();
        lower(tr, args, out);
        return out;
      } finally {
        tr.depth--;
      }
    };
    undo.push(() => (callObserver.current = null));
    const result = noGrad(() => (model.call as (...a: Tensor[]) => unknown)(...inputs));
    const outputs = tensorsIn(result);
    if (outputs.length === 0)
      throw new Error(`exportOnnx: the model's forward returned no Tensor, got ${describeValue(result)}`);
    return { trace: tr, outputs };
  } finally {
    for (const u of undo.reverse()) u();
  }
}

/** `t` grown by one along each of `axes`, the new slice a copy of index 0. */
function grow(t: Tensor, axes: readonly number[]): Tensor {
  const shape = t.shape.map((s, a) => (axes.includes(a) ? s + 1 : s));
  const src = t.contiguous().data;
  const out = new (src.constructor as new (n: number) => typeof src)(shape.reduce((p, q) => p * q, 1));
  const strides = t.shape.map((_, a) => t.shape.slice(a + 1).reduce((p, q) => p * q, 1));
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let from = 0;
    for (let a = 0; a < shape.length; a++) from += (idx[a]! < t.shape[a]! ? idx[a]! : 0) * strides[a]!;
    out[i] = src[from]!;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return new Tensor(out, shape);
}

function checkNames(v: unknown, n: number, what: string, dflt: string): string[] {
  if (v === undefined) return n === 1 ? [dflt] : Array.from({ length: n }, (_, i) => `${dflt}_${i}`);
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
    throw new Error(`exportOnnx: ${what} must be an array of non-empty strings, got ${describeValue(v)}`);
  }
  if (new Set(v).size !== v.length) throw new Error(`exportOnnx: ${what} must be distinct, got ${JSON.stringify(v)}`);
  return [...(v as string[])];
}

/**
 * Exports `model` as an ONNX model (the bytes of a .onnx file), traced on `exampleInputs` in eval
 * mode like torch.onnx.export: parameters and buffers are initializers named by their state-dict
 * keys, every value has its type and (static, or named symbolic) shape. Control flow in forward is
 * fixed by the trace. The model's train/eval modes are restored afterwards.
 * @example
 * const bytes = exportOnnx(model, [randn([1, 1, 28, 28])], {
 *   inputNames: ['images'],
 *   outputNames: ['logits'],
 *   dynamicAxes: { images: { 0: 'batch' }, logits: { 0: 'batch' } },
 * });
 * const session = await ort.InferenceSession.create(bytes); // onnxruntime-node or -web
 */
export function exportOnnx(model: Module, exampleInputs: readonly Tensor[], opts: ExportOnnxOptions = {}): Uint8Array {
  if (model === null || typeof model !== 'object' || typeof (model as Module).namedModules !== 'function') {
    throw new Error(`exportOnnx: model must be a Module, got ${describeValue(model)}`);
  }
  if (
    !Array.isArray(exampleInputs) ||
    exampleInputs.length === 0 ||
    exampleInputs.some((t) => !(t instanceof Tensor))
  ) {
    throw new Error(
      `exportOnnx: exampleInputs must be a non-empty array of Tensors, got ${describeValue(exampleInputs)}`,
    );
  }
  if (opts === null || typeof opts !== 'object')
    throw new Error(`exportOnnx: opts must be an object, got ${describeValue(opts)}`);
  const opset = opts.opsetVersion ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > DEFAULT_OPSET) {
    throw new Error(
      `exportOnnx: opsetVersion must be an integer from ${MIN_OPSET} to ${DEFAULT_OPSET}, got ${describeValue(opset)}`,
    );
  }
  const inputNames = checkNames(opts.inputNames, exampleInputs.length, 'inputNames', 'input');
  if (inputNames.length !== exampleInputs.length) {
    throw new Error(`exportOnnx: inputNames has ${inputNames.length} names for ${exampleInputs.length} inputs`);
  }
  // dynamic axes: name -> axis -> symbol
  const dynamic = new Map<string, Map<number, string>>();
  for (const [name, axes] of Object.entries(opts.dynamicAxes ?? {})) {
    const m = new Map<number, string>();
    if (Array.isArray(axes)) for (const a of axes as number[]) m.set(a, `${name}_dim${a}`);
    else for (const [a, s] of Object.entries(axes as Record<number, string>)) m.set(Number(a), s);
    for (const [a, s] of m) {
      if (!Number.isInteger(a) || a < 0 || typeof s !== 'string' || s === '') {
        throw new Error(
          `exportOnnx: dynamicAxes['${name}'] must map axes (integers >= 0) to names, got ${describeValue(axes)}`,
        );
      }
    }
    dynamic.set(name, m);
  }
  const growAxes = inputNames.map((n, i) => {
    const axes = [...(dynamic.get(n)?.keys() ?? [])];
    for (const a of axes) {
      if (a >= exampleInputs[i]!.ndim) {
        throw new Error(
          `exportOnnx: dynamicAxes['${n}'] names axis ${a}, but the input has shape ` +
            fmtShape(exampleInputs[i]!.shape),
        );
      }
    }
    return axes;
  });

  const stateNames = new Map<Tensor, string>();
  for (const [k, t] of [...model.namedParameters(), ...model.namedBuffers()])
    if (!stateNames.has(t)) stateNames.set(t, k);
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let first: Run;
  let second: Run | null = null;
  try {
    first = traceRun(model, exampleInputs, inputNames, stateNames, opset);
    if (growAxes.some((a) => a.length > 0)) {
      const grown = exampleInputs.map((t, i) => (growAxes[i]!.length > 0 ? grow(t, growAxes[i]!) : t));
      second = traceRun(model, grown, inputNames, stateNames, opset);
    }
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
  const outputNames = checkNames(opts.outputNames, first.outputs.length, 'outputNames', 'output');
  if (outputNames.length !== first.outputs.length) {
    throw new Error(`exportOnnx: outputNames has ${outputNames.length} names for ${first.outputs.length} outputs`);
  }
  for (const name of dynamic.keys()) {
    if (!inputNames.includes(name) && !outputNames.includes(name)) {
      throw new Error(
        `exportOnnx: dynamicAxes names '${name}', which is no input or output (inputs ` +
          `${JSON.stringify(inputNames)}, outputs ${JSON.stringify(outputNames)})`,
      );
    }
  }
  return finish(first, second, inputNames, outputNames, exampleInputs, dynamic, opset, opts.docString);
}

function finish(
  run: Run,
  second: Run | null,
  inputNames: readonly string[],
  outputNames: readonly string[],
  inputs: readonly Tensor[],
  dynamic: Map<string, Map<number, string>>,
  opset: number,
  docString: string | undefined,
): Uint8Array {
  const tr = run.trace;
  const tr2 = second?.trace ?? tr;
  if (tr2.nodes.length !== tr.nodes.length || tr2.nodes.some((n, i) => n.opType !== tr.nodes[i]!.opType)) {
    throw new Error(
      'exportOnnx: the traced ops differ when a dynamic axis changes size (control flow on a size); fix those axes',
    );
  }
  // Symbols: (size in run 1, size in run 2) of each dynamic input axis.
  const symbols: [number, number, string][] = [];
  inputNames.forEach((n, i) => {
    for (const [a, s] of dynamic.get(n) ?? []) symbols.push([inputs[i]!.shape[a]!, inputs[i]!.shape[a]! + 1, s]);
  });
  const sizes: Sizes = {
    first: (id) => tr.shapes.get(id) ?? [],
    second: (id) => tr2.shapes.get(id) ?? tr.shapes.get(id) ?? [],
    dims: (id) => sizes.first(id).map((d, i) => (d === sizes.second(id)[i] ? d : null)),
  };
  const named = (id: string): (number | string | null)[] | undefined => {
    if (!tr.shapes.has(id)) return undefined;
    const [a, b] = [sizes.first(id), sizes.second(id)];
    return a.map((d, i) => (d === b[i] ? d : (symbols.find(([s1, s2]) => s1 === d && s2 === b[i])?.[2] ?? null)));
  };

  // Graph outputs: the producing value renamed to the output's name, or an Identity onto it.
  const outIds = run.outputs.map((t) => tr.val(t));
  const rename = new Map<string, string>();
  const produced = new Set(tr.nodes.flatMap((n) => n.outputs));
  const extra: { opType: string; inputs: string[]; outputs: string[] }[] = [];
  outIds.forEach((id, i) => {
    const name = outputNames[i]!;
    if (produced.has(id) && !rename.has(id)) rename.set(id, name);
    else extra.push({ opType: 'Identity', inputs: [id], outputs: [name] });
  });
  // Liveness, from the outputs back.
  const needed = new Set<string>(outIds);
  const live = new Array<boolean>(tr.nodes.length).fill(false);
  for (let i = tr.nodes.length - 1; i >= 0; i--) {
    const n = tr.nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    if (n.error !== undefined) throw new Error(n.error);
    live[i] = true;
    for (const x of n.inputs) if (typeof x === 'string' && x !== '') needed.add(x);
  }
  // Constants whose shape moved with a dynamic axis cannot be one initializer.
  for (const [name, init] of tr.initializers) {
    const other = tr2.initializers.get(name);
    if (needed.has(name) && other !== undefined && `${other.dims}` !== `${init.dims}`) {
      throw new Error(
        `exportOnnx: constant '${name}' ${fmtShape(init.dims)} made in forward changes shape with a dynamic axis ` +
          `(${fmtShape(other.dims)}); build it from the input with traced ops or fix the axis`,
      );
    }
  }
  const r = (id: string): string => rename.get(id) ?? id;
  const lazies: Initializer[] = [];
  const nodes: Node[] = [];
  tr.nodes.forEach((n, i) => {
    if (!live[i]) return;
    const ins = n.inputs.map((x, k) => {
      if (typeof x === 'string') return r(x);
      const init = (x as Lazy).lazy(sizes);
      const name = `${r(n.outputs[0]!)}_${k}`;
      lazies.push({ ...init, name });
      return name;
    });
    const name = `${n.path === '' ? '' : `/${n.path.replaceAll('.', '/')}`}/${n.opType}_${i}`;
    nodes.push({ opType: n.opType, inputs: ins, outputs: n.outputs.map(r), attributes: n.attributes, name });
  });
  extra.forEach((n, i) => nodes.push({ ...n, name: `/Identity_out${i}` }));

  const graphInputs = inputNames.map((n, i) => valueInfo(n, inputs[i]!.dtype, dimsWith(named(n)!, dynamic.get(n))));
  const graphOutputs = outIds.map((id, i) =>
    valueInfo(outputNames[i]!, tr.dtypes.get(id), dimsWith(named(id) ?? [], dynamic.get(outputNames[i]!))),
  );
  const initializers = [...tr.initializers.values()].filter((t) => needed.has(t.name)).concat(lazies);
  const isGraphValue = new Set([...inputNames, ...outputNames, ...initializers.map((t) => t.name)]);
  const info: ValueInfo[] = [];
  for (const n of nodes) {
    for (const o of n.outputs) {
      if (isGraphValue.has(o) || !tr.shapes.has(o)) continue;
      info.push(valueInfo(o, tr.dtypes.get(o), named(o)));
    }
  }
  const graph = {
    nodes,
    inputs: graphInputs,
    outputs: graphOutputs,
    initializers,
    valueInfo: info,
    opset,
    name: 'main_graph',
    producer: 'typegrad',
  };
  return modelProto(docString === undefined ? graph : { ...graph, docString });
}

/** `dims` with the user's names on the axes they marked dynamic. */
function dimsWith(
  dims: readonly (number | string | null)[],
  marked: Map<number, string> | undefined,
): (number | string | null)[] {
  return dims.map((d, a) => marked?.get(a) ?? d);
}
