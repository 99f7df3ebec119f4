/**
 * The one-node ONNX graphs timed in onnxruntime-node. Weights and biases are initializers
 * (constants of the model, as exported layers have them); x (and both matmul operands) are inputs.
 *
 * | op (version)             | model opset | notes                                                  |
 * | ------------------------ | ----------- | ------------------------------------------------------ |
 * | BatchNormalization (15)  | 15          | training_mode = 1: batch statistics (ORT CPU runs it)  |
 * | LayerNormalization (17)  | 17          | axis = first normalized axis                           |
 * | GroupNormalization (21)  | 21          | scale and bias per channel (opset 18 had them per group) |
 * | InstanceNormalization (6)| 17          | scale and bias per channel                             |
 * | RMSNormalization (23)    | 23          | axis = -1                                              |
 * | MatMul (13)              | 17          | both operands are inputs (typegrad and tfjs take both per call) |
 */
import { modelProto, type Graph, type Node } from './onnx.js';
import { ORT_SESSION_OPTIONS, type Ort, type OrtSession, type OrtTensor } from './peers.js';

/** A session with its feeds: `run()` computes output `Y` for the stored inputs. */
export interface OrtRunner {
  run(): Promise<Float32Array>;
}

export async function ortRunner(
  ort: Ort,
  graph: Graph,
  feeds: Record<string, { data: Float32Array; dims: readonly number[] }>,
): Promise<OrtRunner> {
  const session: OrtSession = await ort.InferenceSession.create(modelProto(graph), ORT_SESSION_OPTIONS);
  const tensors: Record<string, OrtTensor> = {};
  for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', f.data, f.dims);
  return { run: async () => (await session.run(tensors))['Y']!.data };
}

function oneNode(
  opset: number,
  node: Node,
  shape: readonly number[],
  params: Record<string, Float32Array>,
  outShape = shape,
): Graph {
  return {
    opset,
    nodes: [node],
    inputs: [{ name: 'X', dims: shape }],
    outputs: [{ name: 'Y', dims: outShape }],
    initializers: Object.entries(params).map(([name, float32]) => ({ name, dims: [float32.length], float32 })),
  };
}

/** BatchNormalization in training mode on [N, C, ...]: statistics over every axis but C. */
export function batchNormGraph(shape: readonly number[], weight: Float32Array, bias: Float32Array, eps: number): Graph {
  const c = shape[1]!;
  const node: Node = {
    opType: 'BatchNormalization',
    inputs: ['X', 'scale', 'B', 'input_mean', 'input_var'],
    outputs: ['Y', 'running_mean', 'running_var'],
    attributes: { epsilon: { float: eps }, momentum: { float: 0.9 }, training_mode: { int: 1 } },
  };
  return oneNode(15, node, shape, {
    scale: weight,
    B: bias,
    input_mean: new Float32Array(c),
    input_var: new Float32Array(c).fill(1),
  });
}

/** LayerNormalization over the trailing `normalizedRank` axes (weight and bias of that shape, flattened). */
export function layerNormGraph(
  shape: readonly number[],
  normalizedRank: number,
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
): Graph {
  const node: Node = {
    opType: 'LayerNormalization',
    inputs: ['X', 'scale', 'B'],
    outputs: ['Y'],
    attributes: { axis: { int: -normalizedRank }, epsilon: { float: eps } },
  };
  return oneNode(17, node, shape, { scale: weight, B: bias });
}

export function groupNormGraph(
  shape: readonly number[],
  numGroups: number,
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
): Graph {
  const node: Node = {
    opType: 'GroupNormalization',
    inputs: ['X', 'scale', 'B'],
    outputs: ['Y'],
    attributes: { num_groups: { int: numGroups }, epsilon: { float: eps } },
  };
  return oneNode(21, node, shape, { scale: weight, B: bias });
}

export function instanceNormGraph(
  shape: readonly number[],
  weight: Float32Array,
  bias: Float32Array,
  eps: number,
): Graph {
  const node: Node = {
    opType: 'InstanceNormalization',
    inputs: ['X', 'scale', 'B'],
    outputs: ['Y'],
    attributes: { epsilon: { float: eps } },
  };
  return oneNode(17, node, shape, { scale: weight, B: bias });
}

export function rmsNormGraph(shape: readonly number[], weight: Float32Array, eps: number): Graph {
  const node: Node = {
    opType: 'RMSNormalization',
    inputs: ['X', 'scale'],
    outputs: ['Y'],
    attributes: { axis: { int: -1 }, epsilon: { float: eps } },
  };
  return oneNode(23, node, shape, { scale: weight });
}

/** Y = A B with A [n, k] and B [k, m], both inputs. */
export function matmulGraph(n: number, k: number, m: number): Graph {
  return {
    opset: 17,
    nodes: [{ opType: 'MatMul', inputs: ['A', 'B'], outputs: ['Y'] }],
    inputs: [
      { name: 'A', dims: [n, k] },
      { name: 'B', dims: [k, m] },
    ],
    outputs: [{ name: 'Y', dims: [n, m] }],
  };
}

/** Runs a 2 x 3 by 3 x 2 MatMul: throws when the native binding does not load or run. */
export async function probeOrt(ort: Ort): Promise<void> {
  const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const b = Float32Array.from([1, 0, 0, 1, 1, 1]);
  const r = await ortRunner(ort, matmulGraph(2, 3, 2), { A: { data: a, dims: [2, 3] }, B: { data: b, dims: [3, 2] } });
  const y = Array.from(await r.run());
  if (y.join() !== '4,5,10,11')
    throw new Error(`bench:peers: onnxruntime-node probe gave [${y}], expected [4,5,10,11]`);
}
