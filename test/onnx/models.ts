/**
 * The models the ONNX export tests run in onnxruntime-node and that ONNX's checker sees
 * (test/fixtures/onnx/*.onnx, written by `npx tsx test/onnx/writeModels.ts`, checked by
 * test/fixtures/onnx_check.py). Weights, running statistics and inputs come from a fixed formula,
 * not the random generator, so the exported bytes do not change with how layers initialise.
 */
import { cat, functional as F, nn, Tensor, tensor } from '../../src/index.js';
import type { ExportOnnxOptions } from '../../src/onnx/export.js';
import { digitCnn as cnn } from '../../examples/cnnModel.js';

/** One export case: a model, its example inputs, the export options, inputs of another batch size. */
export interface OnnxCase {
  name: string;
  model: nn.Module;
  inputs: Tensor[];
  opts: ExportOnnxOptions;
  /** Inputs with a different batch size, run through the file when the batch axis is dynamic. */
  otherInputs?: Tensor[];
}

/** Deterministic values in [-1, 1) from a seed: a sine of a scrambled index. */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 0.999);
}

export function input(shape: number[], seed = 1): Tensor {
  return new Tensor(
    values(
      shape.reduce((p, q) => p * q, 1),
      seed,
    ),
    shape,
  );
}

/** Every parameter and buffer from the formula; running variances positive, counters left alone. */
export function fill(model: nn.Module): nn.Module {
  let seed = 100;
  for (const [key, t] of [...model.namedParameters(), ...model.namedBuffers()]) {
    if (t.dtype !== 'float32') continue;
    const v = values(t.size, seed++);
    if (key.endsWith('running_var')) for (let i = 0; i < v.length; i++) v[i] = 0.5 + Math.abs(v[i]!);
    else if (key.endsWith('weight')) for (let i = 0; i < v.length; i++) v[i] = v[i]! * 0.5;
    t.data.set(v);
  }
  return model.eval();
}

const batchAxis = (inputs: string[], outputs: string[]): ExportOnnxOptions['dynamicAxes'] =>
  Object.fromEntries([...inputs, ...outputs].map((n) => [n, { 0: 'batch' }]));

/** A model that exports with a dynamic batch axis, run at batch 2 and 5. */
function batched(name: string, model: nn.Module, shape: number[], opts: ExportOnnxOptions = {}): OnnxCase {
  return {
    name,
    model: fill(model),
    inputs: [input([2, ...shape])],
    opts: { dynamicAxes: batchAxis(['input'], ['output']), ...opts },
    otherInputs: [input([5, ...shape], 7)],
  };
}

/** A pre-norm transformer block: causal self-attention (one fused qkv Linear, SDPA) and a GELU MLP. */
export class Block extends nn.Module {
  ln1 = new nn.LayerNorm(16);
  qkv = new nn.Linear(16, 48);
  proj = new nn.Linear(16, 16);
  ln2 = new nn.LayerNorm(16);
  fc = new nn.Linear(16, 64);
  gelu = new nn.GELU();
  out = new nn.Linear(64, 16);
  drop = new nn.Dropout(0.1);

  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    const [q, k, v] = this.qkv
      .call(this.ln1.call(x))
      .split(C, 2)
      .map((t) => t.view([B, T, 4, C / 4]).transpose(1, 2));
    const y = F.scaledDotProductAttention(q!, k!, v!, { isCausal: true });
    x = x.add(this.drop.call(this.proj.call(y.transpose(1, 2).contiguous().view([B, T, C]))));
    return x.add(this.out.call(this.gelu.call(this.fc.call(this.ln2.call(x)))));
  }
}

/** Glue code between layers: Tensor methods and functions, each lowered on its own. */
export class Glue extends nn.Module {
  fc = new nn.Linear(6, 6);
  forward(x: Tensor): Tensor[] {
    const h = this.fc.call(x); // [B, 6]
    const [a, b] = h.chunk(2, 1); // [B, 3] each
    const c = cat([a!.pow(2).sub(b!.abs().sqrt()), a!.div(b!.exp().add(1)).neg()], 1); // [B, 6]
    const r = c.reshape([-1, 2, 3]).permute([0, 2, 1]).unsqueeze(1).squeeze(1); // [B, 3, 2]
    const stats = [r.sum(1), r.mean([1, 2], true).squeeze(2), r.var(1), r.std(2, { correction: 0 }), r.amax(1)];
    const m = r.maskedFill(r.gt(0.1), -1).clamp(-0.5, 0.8).square().rsqrt().reciprocal(); // [B, 3, 2]
    const s = F.softmax(m.flatten(1), -1)
      .log1p()
      .mul(F.logSoftmax(h, 1).narrow(1, 1, 3).select(1, 2).unsqueeze(1));
    const t = h
      .slice(1, 1, null, 2)
      .tril()
      .add(h.slice(1, 0, 3).triu(1))
      .expand([2, -1, -1])
      .cumsum(2)
      .transpose(0, 1);
    const g = h
      .gather(1, h.argmax(1, true))
      .add(h.indexSelect(1, tensor(Int32Array.of(4, 0))))
      .max(); // []
    const mixed = h.to('float64').tanh().sin().to('float32').sigmoid().relu().gelu().floor().ceil();
    const cmp = h.ge(0).logicalAnd(h.lt(0.5)).logicalOr(h.eq(h.round())).logicalNot().to('float32');
    const more = h
      .expm1()
      .add(h.abs().log2())
      .sub(h.abs().log10())
      .mul(h.isfinite().logicalAnd(h.isinf().logicalNot()));
    const shaped = h.flip([0, 1]).repeat(1, 2, 1).prod(2);
    return [...stats, s, t.contiguous().view([-1, 6]), g, mixed.add(cmp), h.sign().clone().detach(), more, shaped];
  }
}

/**
 * The functional forms called directly in forward, each lowered like its module: conv2d/conv1d,
 * the pools, the five norms (batchNorm with running statistics), the activations, dropout (off),
 * linear. The layers only hold the parameters.
 */
export class Functional extends nn.Module {
  conv = new nn.Conv2d(4, 6, 3);
  bn = new nn.BatchNorm2d(6);
  gn = new nn.GroupNorm(2, 6);
  conv1 = new nn.Conv1d(6, 4, 3, { groups: 2 });
  ln = new nn.LayerNorm(4);
  rms = new nn.RMSNorm([4]);
  fc = new nn.Linear(4, 3);

  forward(x: Tensor): Tensor[] {
    let h = F.conv2d(x, this.conv.weight, this.conv.bias, { padding: 1 }); // [B, 6, 8, 8]
    const bn = this.bn;
    h = F.batchNorm(h, bn.runningMean, bn.runningVar, { weight: bn.weight, bias: bn.bias, eps: 1e-3 });
    h = F.maxPool2d(F.leakyRelu(h, 0.1), 2); // [B, 6, 4, 4]
    h = F.elu(F.groupNorm(h, 2, { weight: this.gn.weight, bias: this.gn.bias }), 0.5);
    h = F.softplus(F.instanceNorm(F.avgPool2d(h, 2, { padding: 1, countIncludePad: false })), 2, 1); // [B, 6, 3, 3]
    const pooled = F.adaptiveAvgPool2d(h, 1).flatten(1); // [B, 6]
    const geometry = { padding: 'same', dilation: 2, groups: 2 } as const;
    const seq = F.conv1d(h.flatten(2), this.conv1.weight, this.conv1.bias, geometry); // [B, 4, 9]
    let t = F.layerNorm(seq.transpose(1, 2), 4, { weight: this.ln.weight, bias: this.ln.bias }); // [B, 9, 4]
    t = F.silu(F.rmsNorm(t, [4], { weight: this.rms.weight, eps: 1e-5 }));
    t = F.gelu(F.dropout(t, 0.5, { training: false }), { approximate: 'tanh' });
    return [pooled, F.linear(t, this.fc.weight, this.fc.bias)];
  }
}

/** F.embedding on the graph input. */
export class FunctionalEmbedding extends nn.Module {
  emb = new nn.Embedding(10, 4);
  forward(idx: Tensor): Tensor {
    return F.embedding(idx, this.emb.weight).mul(2);
  }
}

/**
 * Methods that select, sort, reduce and scatter: roll, at, unbind, topk, sort, max/min(dim), any/all,
 * norm, scatterAdd, indexAdd.
 */
export class Methods extends nn.Module {
  fc = new nn.Linear(6, 8);
  forward(x: Tensor): Tensor[] {
    const h = this.fc.call(x); // [B, 8]
    const rolled = h
      .roll(3, 1)
      .add(h.roll([-2, 9], [1, 1]))
      .add(h.roll(1, 0))
      .add(h.unsqueeze(2).roll(5).squeeze(2));
    const idx = tensor(Int32Array.of(1, 7, -1, 0), [2, 2]);
    const picked = [
      h.at(null, 2), // [B]
      h.at(null, { start: 1, end: -1, step: 2 }), // [B, 3]
      h.at(null, idx), // [B, 2, 2]
      h.at({ start: 1 }, { step: 3 }), // [B - 1, 3]
    ];
    const [u0, u1] = h.view([-1, 2, 4]).unbind(1);
    const top = h.topk(3, 1);
    const bottom = h.topk(2, -1, { largest: false });
    const asc = h.sort();
    const desc = h.round().sort(1, { descending: true }); // ties: stable order
    const mx = h.round().max(1, true);
    const mn = h.min(1);
    const flags = [h.gt(0.2).any(1), h.gt(-0.5).all(1, true), h.any(), h.sub(h).all()].map((t) => t.to('float32'));
    const norms = [h.norm(), h.norm(1, 1), h.norm(Infinity, 1, true), h.norm(-Infinity, 1), h.norm(0, 1), h.norm(3, 1)];
    const into = h.narrow(1, 2, 6).gt(0).to('int32').mul(3); // [B, 6], positions 0 or 3 from the data
    const scattered = h.narrow(1, 0, 4).scatterAdd(1, into, h.narrow(1, 2, 6));
    const added = h
      .view([-1, 4, 2])
      .indexAdd(1, tensor(Int32Array.of(2, 0, 2)), h.view([-1, 4, 2]).narrow(1, 1, 3), { alpha: 0.5 });
    return [
      rolled,
      ...picked,
      u0!.add(u1!),
      top.values,
      top.indices.to('float32'),
      bottom.values.add(bottom.indices.to('float32')),
      asc.values.add(asc.indices.to('float32')),
      desc.values.add(desc.indices.to('float32')),
      mx.values.add(mx.indices.to('float32')),
      mn.values.add(mn.indices.to('float32')),
      ...flags,
      ...norms,
      scattered,
      added,
    ];
  }
}

/** A user module whose forward calls an op with no ONNX lowering (a bool mask: the shape depends on the data). */
export class Unlowered extends nn.Module {
  fc = new nn.Linear(4, 4);
  forward(x: Tensor): Tensor {
    const h = this.fc.call(x);
    return h.at(h.gt(0));
  }
}

/** Each layer alone, the example models, and each norm at its native opset and below it. */
export function onnxCases(): OnnxCase[] {
  const twoOut = batchAxis(['input'], ['output_0', 'output_1']);
  const cases: OnnxCase[] = [
    batched('linear', new nn.Linear(6, 3), [6]),
    batched('linear_3d', new nn.Linear(6, 3, { bias: false }), [4, 6]),
    batched('conv1d', new nn.Conv1d(4, 6, 3, { stride: 2, padding: 2, dilation: 2, groups: 2 }), [4, 11]),
    batched('conv2d', new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, dilation: 2, groups: 2 }), [4, 9, 10]),
    batched('conv2d_same', new nn.Conv2d(2, 3, [3, 4], { padding: 'same' }), [2, 7, 7]),
    batched('maxpool2d', new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), [3, 9, 9]),
    batched('avgpool2d', new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }), [3, 7, 7]),
    batched('adaptive_avgpool2d', new nn.AdaptiveAvgPool2d(1), [3, 6, 6]),
    batched('adaptive_avgpool2d_2x3', new nn.AdaptiveAvgPool2d([2, 3]), [3, 6, 6]),
    batched('relu', new nn.ReLU(), [5]),
    batched('sigmoid', new nn.Sigmoid(), [5]),
    batched('tanh', new nn.Tanh(), [5]),
    batched('gelu', new nn.GELU(), [5]),
    batched('gelu_opset19', new nn.GELU(), [5], { opsetVersion: 19 }),
    batched('gelu_tanh', new nn.GELU({ approximate: 'tanh' }), [5]),
    batched('gelu_tanh_opset19', new nn.GELU({ approximate: 'tanh' }), [5], { opsetVersion: 19 }),
    batched('softmax', new nn.Softmax(1), [5]),
    batched('logsoftmax', new nn.LogSoftmax(-1), [3, 5]),
    batched('leakyrelu', new nn.LeakyReLU(0.2), [5]),
    batched('elu', new nn.ELU(0.7), [5]),
    batched('softplus', new nn.Softplus(2, 1), [5]),
    batched('silu', new nn.SiLU(), [5]),
    batched('dropout', new nn.Dropout(0.5), [5]),
    batched('identity_flatten', new nn.Sequential(new nn.Identity(), new nn.Flatten()), [2, 3]),
    {
      name: 'embedding',
      model: fill(new nn.Embedding(10, 4)),
      inputs: [tensor(Int32Array.of(1, 5, 0, 9, 3, 3), [2, 3])],
      opts: { dynamicAxes: batchAxis(['input'], ['output']) },
      otherInputs: [tensor(Int32Array.of(2, 2, 7), [1, 3])],
    },
    batched('batchnorm1d', new nn.BatchNorm1d(3), [3]),
    batched('batchnorm2d', new nn.BatchNorm2d(3, { affine: false }), [3, 4, 4]),
    batched('batchnorm3d', new nn.BatchNorm3d(2), [2, 3, 2, 2]),
    batched('instancenorm1d', new nn.InstanceNorm1d(3), [3, 5]),
    batched('instancenorm2d', new nn.InstanceNorm2d(3, { affine: true }), [3, 4, 4]),
    batched('instancenorm3d', new nn.InstanceNorm3d(2, { affine: true }), [2, 3, 2, 2]),
    batched('layernorm_opset17', new nn.LayerNorm([3, 4]), [3, 4], { opsetVersion: 17 }),
    batched('layernorm_opset16', new nn.LayerNorm([3, 4]), [3, 4], { opsetVersion: 16 }),
    batched('groupnorm_opset21', new nn.GroupNorm(2, 4), [4, 3, 3], { opsetVersion: 21 }),
    batched('groupnorm_opset20', new nn.GroupNorm(2, 4), [4, 3, 3], { opsetVersion: 20 }),
    batched('rmsnorm_opset23', new nn.RMSNorm(6, { eps: 1e-5 }), [6], { opsetVersion: 23 }),
    batched('rmsnorm_opset22', new nn.RMSNorm(6), [6], { opsetVersion: 22 }),
    batched('cnn', cnn(), [1, 28, 28], { opsetVersion: 13 }),
    batched('cnn_opset26', cnn(), [1, 28, 28]),
    batched(
      'mlp_batchnorm',
      new nn.Sequential(new nn.Linear(8, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 4)),
      [8],
    ),
    batched('functional', new Functional(), [4, 8, 8], { dynamicAxes: twoOut }),
    batched('functional_opset16', new Functional(), [4, 8, 8], { opsetVersion: 16, dynamicAxes: twoOut }),
    {
      name: 'functional_embedding',
      model: fill(new FunctionalEmbedding()),
      inputs: [tensor(Int32Array.of(1, 5, 0, 9, 3, 3), [2, 3])],
      opts: { dynamicAxes: batchAxis(['input'], ['output']) },
      otherInputs: [tensor(Int32Array.of(2, 2, 7), [1, 3])],
    },
    batched('transformer_block', new Block(), [5, 16]),
    batched('transformer_block_opset16', new Block(), [5, 16], { opsetVersion: 16 }),
  ];
  cases.push({
    name: 'methods',
    model: fill(new Methods()),
    inputs: [input([3, 6])],
    opts: { dynamicAxes: { input: { 0: 'batch' } } },
    otherInputs: [input([5, 6], 4)],
  });
  cases.push({
    name: 'glue_ops',
    model: fill(new Glue()),
    inputs: [input([2, 6])],
    opts: { dynamicAxes: { input: { 0: 'batch' } } },
    otherInputs: [input([4, 6], 5)],
  });
  const mha = fill(new nn.MultiheadAttention(8, 2, { batchFirst: true })) as nn.MultiheadAttention;
  cases.push({
    name: 'multihead_attention',
    model: new MhaSelf(mha),
    inputs: [input([2, 3, 8])],
    opts: { dynamicAxes: batchAxis(['input'], ['output']) },
    otherInputs: [input([4, 3, 8], 3)],
  });
  return cases;
}

/** Self-attention through nn.MultiheadAttention, returning the output only. */
class MhaSelf extends nn.Module {
  constructor(readonly mha: nn.MultiheadAttention) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.mha.call(x, x, x, { needWeights: false }).output;
  }
}
