/**
 * exportOnnx against onnxruntime-node (an independent ONNX implementation) and ONNX's own checker.
 *
 * Every case of models.ts (each layer alone, the examples' CNN, an MLP with BatchNorm, a transformer
 * block, MultiheadAttention; each norm at its native opset and at the opset below, where it is a
 * decomposition) is exported, run in onnxruntime at the example's batch size and at another one
 * (the batch axis is dynamic), and compared with typegrad's eval forward. Tolerance: |ort - tg| <=
 * 1e-5 (|tg| + max |tg|), 1e-5 relative to the element and to the output's largest magnitude: both
 * compute in float32 in different orders (ORT's own reductions, GEMM blocking), and an output that is
 * a sum of larger terms (a residual stream) carries the rounding of those terms, so near-zero
 * elements are only as exact as the scale they were computed at. Observed: at most 2e-6 absolute.
 *
 * The checker: test/fixtures/onnx_check.py ran onnx.checker.check_model(full_check=True) over
 * test/fixtures/onnx/*.onnx and wrote onnx_check.json; this test requires a passing verdict for each
 * case, that the committed file is byte for byte what the exporter writes now, and reads the
 * file's initializer names and input/output shapes from the JSON (parsed by onnx, not by us).
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exportOnnx, functional as F, nn, noGrad, Tensor, tensor } from '../../src/index.js';
import { saveOnnxFile } from '../../src/io/node.js';
import { digitCnn as cnn } from '../../examples/cnnModel.js';
import { Block, fill, input, onnxCases, Unlowered, type OnnxCase } from './models.js';

const require = createRequire(import.meta.url);

interface OrtTensor {
  dims: readonly number[];
  data: Float32Array | Int32Array;
}
interface Ort {
  Tensor: new (type: string, data: Float32Array | Int32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: {
    create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> }>;
  };
}
const ort = require('onnxruntime-node') as Ort;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

interface Verdict {
  ok: boolean;
  error: string | null;
  opset: number;
  initializers: string[];
  inputs: { name: string; elem_type: number; dims: (number | string | null)[] }[];
  outputs: { name: string; elem_type: number; dims: (number | string | null)[] }[];
}
const checked = (
  JSON.parse(readFileSync(join(FIXTURES, 'onnx_check.json'), 'utf8')) as { models: Record<string, Verdict> }
).models;

async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, OrtTensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, OrtTensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    const data = t.contiguous().data;
    ortFeeds[k] = new ort.Tensor(t.dtype === 'int32' ? 'int32' : 'float32', data as Float32Array | Int32Array, t.shape);
  }
  return session.run(ortFeeds);
}

function expectClose(got: OrtTensor, want: Tensor, what: string): void {
  expect([...got.dims], `${what}: shape`).toEqual(want.shape);
  const w = want.contiguous().data;
  let scale = 0;
  for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]!));
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const excess = Math.abs(got.data[i]! - w[i]!) - 1e-5 * (Math.abs(w[i]!) + scale);
    worst = Math.max(worst, excess);
  }
  expect(worst, `${what}: worst excess over 1e-5 (|x| + max |x|)`).toBeLessThanOrEqual(0);
}

const cases = onnxCases();

describe('exportOnnx: onnxruntime-node runs every case like typegrad', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c: OnnxCase) => {
    const bytes = exportOnnx(c.model, c.inputs, c.opts);
    for (const inputs of [c.inputs, c.otherInputs ?? []]) {
      if (inputs.length === 0) continue;
      const got = await runOrt(bytes, { input: inputs[0]! });
      const result = noGrad(() => c.model.call(...inputs) as Tensor | Tensor[]);
      const wants = Array.isArray(result) ? result : [result];
      wants.forEach((want, i) => {
        const name = wants.length === 1 ? 'output' : `output_${i}`;
        expectClose(got[name]!, want, `${c.name}, ${name} at batch ${inputs[0]!.shape[0]}`);
      });
    }
  });

  it('the other batch sizes differ from the examples (the dynamic axis is exercised)', () => {
    for (const c of cases) expect(c.otherInputs![0]!.shape[0], c.name).not.toBe(c.inputs[0]!.shape[0]);
  });
});

describe("exportOnnx: ONNX's checker (test/fixtures/onnx_check.py)", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s passes check_model(full_check=True)', (name, c: OnnxCase) => {
    const v = checked[name];
    expect(v, `${name} is missing from onnx_check.json: run test/onnx/writeModels.ts and onnx_check.py`).toBeDefined();
    expect(v!.error).toBeNull();
    expect(v!.ok).toBe(true);
    const committed = new Uint8Array(readFileSync(join(FIXTURES, 'onnx', `${name}.onnx`)));
    expect(Buffer.from(exportOnnx(c.model, c.inputs, c.opts)).equals(committed), `${name}.onnx is stale`).toBe(true);
    // parameters and buffers are initializers named by their state-dict keys
    const keys = Object.keys(c.model.stateDict()).filter((k) => !k.endsWith('num_batches_tracked'));
    const named = v!.initializers.filter((n) => keys.includes(n));
    if (name !== 'multihead_attention') expect(named.sort(), name).toEqual(keys.sort());
    // the batch axis is symbolic in the file, the others static
    expect(v!.inputs[0]!.dims[0]).toBe('batch');
    expect(v!.inputs[0]!.dims.slice(1)).toEqual(c.inputs[0]!.shape.slice(1));
    if (c.opts.dynamicAxes?.['output'] !== undefined) expect(v!.outputs[0]!.dims[0]).toBe('batch');
    expect(v!.opset).toBe(c.opts.opsetVersion ?? 26);
  });

  it('MultiheadAttention: the in-projection slices are folded into constants, out_proj keeps its keys', () => {
    const v = checked['multihead_attention']!;
    expect(v.initializers).toContain('mha.out_proj.weight');
    expect(v.initializers).toContain('mha.out_proj.bias');
  });
});

describe('exportOnnx: layer coverage', () => {
  it('every layer class of nn (but losses and containers without forward) is exported by some case', () => {
    const skip = new Set(['Module', 'ModuleList', 'ModuleDict', 'Parameter']);
    const layers = Object.entries(nn).filter(
      ([k, v]) => typeof v === 'function' && v.prototype instanceof nn.Module && !k.endsWith('Loss') && !skip.has(k),
    ) as [string, abstract new (...a: never[]) => nn.Module][];
    const used = cases.flatMap((c) => c.model.modules());
    const missing = layers.filter(([, cls]) => !used.some((m) => m instanceof cls)).map(([k]) => k);
    expect(missing).toEqual([]);
  });
});

describe('exportOnnx: options and behaviour', () => {
  it('without dynamicAxes the shapes are static, and onnxruntime refuses another batch size', async () => {
    const model = fill(new nn.Linear(3, 2));
    const bytes = exportOnnx(model, [input([2, 3])]);
    const ok = await runOrt(bytes, { input: input([2, 3]) });
    expect(ok['output']!.dims).toEqual([2, 2]);
    await expect(runOrt(bytes, { input: input([4, 3]) })).rejects.toThrow(/dimension|shape/i);
  });

  it('names inputs and outputs, several of each, and writes the docString', async () => {
    class TwoInTwoOut extends nn.Module {
      fc = new nn.Linear(3, 2);
      forward(a: Tensor, b: Tensor): Tensor[] {
        const y = this.fc.call(a.add(b));
        return [y, y.sigmoid()];
      }
    }
    const model = fill(new TwoInTwoOut());
    const [a, b] = [input([2, 3], 1), input([2, 3], 2)];
    const bytes = exportOnnx(model, [a, b], {
      inputNames: ['a', 'b'],
      outputNames: ['y', 'p'],
      docString: 'two heads',
    });
    const got = await runOrt(bytes, { a, b });
    const [y, p] = noGrad(() => model.forward(a, b));
    expectClose(got['y']!, y!, 'y');
    expectClose(got['p']!, p!, 'p');
    expect(Buffer.from(bytes).includes('two heads')).toBe(true);
  });

  it('an output that is an input or a parameter goes through an Identity', async () => {
    class Passthrough extends nn.Module {
      w = new nn.Linear(1, 1);
      forward(x: Tensor): Tensor[] {
        return [x, x.relu()];
      }
    }
    const x = input([2, 3]);
    const got = await runOrt(exportOnnx(new Passthrough(), [x]), { input: x });
    expectClose(got['output_0']!, x, 'output_0');
    expectClose(
      got['output_1']!,
      noGrad(() => x.relu()),
      'output_1',
    );
  });

  it('in-place ops on traced values (add_, mul_, clamp_, maskedFill_) give the tensor a new value', async () => {
    class InPlace extends nn.Module {
      fc = new nn.Linear(4, 4);
      forward(x: Tensor): Tensor {
        const y = this.fc.call(x);
        y.mul_(3).add_(x).sub_(0.5).div_(2);
        y.clamp_(-0.6, null);
        return y.maskedFill_(y.gt(0.4), 0.4);
      }
    }
    const model = fill(new InPlace());
    const x = input([3, 4]);
    const got = await runOrt(exportOnnx(model, [x]), { input: x });
    expectClose(
      got['output']!,
      noGrad(() => model.call(x)),
      'in place',
    );
  });

  it('restores train/eval modes, exports in eval mode, and does not change the parameters', () => {
    const model = new nn.Sequential(new nn.Linear(4, 4), new nn.BatchNorm1d(4), new nn.Dropout(0.5));
    model.train();
    const before = model.stateDict();
    const copies = Object.fromEntries(Object.entries(before).map(([k, t]) => [k, Array.from(t.data)]));
    exportOnnx(model, [input([3, 4])]);
    expect(model.modules().every((m) => m.training)).toBe(true);
    for (const [k, t] of Object.entries(model.stateDict())) expect(Array.from(t.data), k).toEqual(copies[k]);
    // the Tensor methods and module forwards are the originals again
    expect(Object.prototype.hasOwnProperty.call(model.modules()[1], 'forward')).toBe(false);
    expect(Tensor.prototype.add.toString()).not.toContain('tr.depth');
  });

  it('the causal transformer block also runs at a sequence length other than the traced one only when fixed', () => {
    // the causal mask is a constant sized from x.shape: a dynamic sequence axis cannot be exported
    const block = fill(new Block());
    expect(() => exportOnnx(block, [input([2, 5, 16])], { dynamicAxes: { input: { 0: 'batch', 1: 'seq' } } })).toThrow(
      /constant 'const_\d+' \[5, 5\] made in forward changes shape with a dynamic axis \(\[6, 6\]\)/,
    );
  });

  it('opset 13 (the oldest) still exports the examples CNN, which onnxruntime runs', async () => {
    const model = fill(cnn());
    const x = input([3, 1, 28, 28]);
    const got = await runOrt(exportOnnx(model, [x], { opsetVersion: 13 }), { input: x });
    expectClose(
      got['output']!,
      noGrad(() => model.call(x)),
      'cnn opset 13',
    );
  });
});

describe('exportOnnx: errors', () => {
  it('an op with no lowering names the op and the module path', () => {
    class Outer extends nn.Module {
      inner = new Unlowered();
      forward(x: Tensor): Tensor {
        return this.inner.call(x);
      }
    }
    expect(() => exportOnnx(fill(new Outer()), [input([2, 4])])).toThrow(
      "exportOnnx: Tensor.at with a bool mask or several tensor indices (in module 'inner') has no ONNX lowering",
    );
  });

  it('F.dropout that would drop (training: true) is refused; training: false exports as identity', () => {
    class Drops extends nn.Module {
      constructor(readonly training_: boolean) {
        super();
      }
      forward(x: Tensor): Tensor {
        return F.dropout(x.mul(2), 0.25, { training: this.training_ });
      }
    }
    expect(() => exportOnnx(new Drops(true), [input([2, 3])])).toThrow(
      "exportOnnx: dropout (in '<root>') with training: true, p = 0.25: pass training: false (or this.training)",
    );
    expect(exportOnnx(new Drops(false), [input([2, 3])]).length).toBeGreaterThan(0);
  });

  it('roll by a whole turn along a dynamic axis, and scatterAdd below opset 16, are refused', () => {
    class Roll extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.roll(2, 0);
      }
    }
    const x = input([2, 3]);
    expect(exportOnnx(new Roll(), [x]).length).toBeGreaterThan(0); // fixed axis: reduced modulo 2
    expect(() => exportOnnx(new Roll(), [x], { dynamicAxes: { input: [0] } })).toThrow(
      'exportOnnx: Tensor.roll by 2 along a dynamic axis of traced size 2; fix the axis',
    );
    class Scatter extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.scatterAdd(1, tensor(Int32Array.of(0, 0, 1, 1, 2, 2), [2, 3]), x);
      }
    }
    expect(() => exportOnnx(new Scatter(), [x], { opsetVersion: 15 })).toThrow(
      "exportOnnx: Tensor.scatterAdd/indexAdd need ScatterElements' reduction (opset >= 16), got opset 15",
    );
  });

  it('an op with no lowering whose result is unused does not fail the export', () => {
    class Unused extends nn.Module {
      forward(x: Tensor): Tensor {
        x.at(x.gt(0));
        return x.relu();
      }
    }
    expect(exportOnnx(new Unused(), [input([2, 4])]).length).toBeGreaterThan(0);
  });

  it('BatchNorm with batch statistics is refused (training mode, or no running statistics)', () => {
    const noStats = new nn.Sequential(new nn.Linear(3, 3), new nn.BatchNorm1d(3, { trackRunningStats: false }));
    expect(() => exportOnnx(noStats, [input([2, 3])])).toThrow(
      "exportOnnx: BatchNorm1d at '1' would normalize with batch statistics (trackRunningStats: false)",
    );
    class TrainsItsNorm extends nn.Module {
      bn = new nn.BatchNorm1d(3);
      forward(x: Tensor): Tensor {
        this.bn.train();
        return this.bn.call(x);
      }
    }
    expect(() => exportOnnx(new TrainsItsNorm(), [input([2, 3])])).toThrow(
      "exportOnnx: BatchNorm1d at 'bn' would normalize with batch statistics (training mode)",
    );
    class FunctionalBatchNorm extends nn.Module {
      bn = new nn.BatchNorm1d(3);
      forward(x: Tensor): Tensor {
        return F.batchNorm(x.mul(2), this.bn.runningMean, this.bn.runningVar, { training: true });
      }
    }
    expect(() => exportOnnx(new FunctionalBatchNorm(), [input([2, 3])])).toThrow(
      "exportOnnx: batchNorm at '<root>' would normalize with batch statistics (training: true)",
    );
  });

  it('bad arguments', () => {
    const m = new nn.Linear(3, 2);
    const x = input([2, 3]);
    expect(() => exportOnnx({} as nn.Module, [x])).toThrow('exportOnnx: model must be a Module, got an object');
    expect(() => exportOnnx(m, [])).toThrow('exportOnnx: exampleInputs must be a non-empty array of Tensors');
    expect(() => exportOnnx(m, [x], { opsetVersion: 12 })).toThrow(
      'exportOnnx: opsetVersion must be an integer from 13 to 26, got 12',
    );
    expect(() => exportOnnx(m, [x], { opsetVersion: 27 })).toThrow('from 13 to 26, got 27');
    expect(() => exportOnnx(m, [x], { inputNames: ['a', 'b'] })).toThrow(
      'exportOnnx: inputNames has 2 names for 1 inputs',
    );
    expect(() => exportOnnx(m, [x], { outputNames: ['y', 'y'] })).toThrow('exportOnnx: outputNames must be distinct');
    expect(() => exportOnnx(m, [x], { dynamicAxes: { images: [0] } })).toThrow(
      "exportOnnx: dynamicAxes names 'images', which is no input or output",
    );
    expect(() => exportOnnx(m, [x], { dynamicAxes: { input: [2] } })).toThrow(
      "exportOnnx: dynamicAxes['input'] names axis 2, but the input has shape [2, 3]",
    );
  });

  it('a forward that returns no tensor', () => {
    class NoTensor extends nn.Module {
      forward(): number {
        return 1;
      }
    }
    expect(() => exportOnnx(new NoTensor(), [tensor([1])])).toThrow(
      "exportOnnx: the model's forward returned no Tensor, got 1",
    );
  });
});

describe('saveOnnxFile (typegrad/node)', () => {
  it('writes the same bytes as exportOnnx', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-onnx-'));
    try {
      const model = fill(new nn.Linear(3, 2));
      const x = input([2, 3]);
      const path = join(dir, 'linear.onnx');
      saveOnnxFile(path, model, [x], { dynamicAxes: { input: [0] } });
      expect(
        Buffer.from(readFileSync(path)).equals(Buffer.from(exportOnnx(model, [x], { dynamicAxes: { input: [0] } }))),
      ).toBe(true);
      expect(() => saveOnnxFile('', model, [x])).toThrow('saveOnnxFile: path must be a non-empty string');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
