/**
 * Generic tests over the normalization case table (norm.reference.ts), like PyTorch's
 * test_modules.py over common_modules: every configuration, in train and in eval mode, gets
 *   - gradcheck of its functional form (input, weight and bias; running statistics as constants),
 *   - property tests: the fused forward and backward of the module agree with the composite
 *     reference over random shapes and data,
 *   - its state-dict keys (PyTorch's, exactly) and initial values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, Tensor } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import {
  FLOAT32_TOL,
  leaf64,
  NORM_CASES,
  normalData,
  randomizeState,
  type Geometry,
  type Instance,
  type NormCase,
} from './norm.reference.js';

/** Random draws per configuration and mode (x 78 cases); shapes are small, so this stays fast. */
const PROPERTY_RUNS = 100;

/** `weight` and `bias` of an instance (those it has) as the extra inputs of its functional form. */
function paramInputs(inst: Instance): Tensor[] {
  return [inst.weight, inst.bias].filter((t): t is Tensor => t !== null);
}

/** Calls the functional form with weight and bias taken from `params` in `paramInputs` order. */
function callFunctional(inst: Instance, x: Tensor, params: Tensor[]): Tensor {
  const weight = inst.weight ? params[0]! : null;
  const bias = inst.bias ? params[inst.weight ? 1 : 0]! : null;
  return inst.functional(x, weight, bias);
}

/** Module forward and backward (fused, float32) vs the composite reference (float64 autograd). */
function checkFusedAgainstComposite(c: NormCase, g: Geometry, seed: number, scale: number, offset: number): void {
  const gen = new Generator(seed);
  const inst = c.layer.build(g, c.mode);
  randomizeState(inst, gen);
  const x = new Tensor(normalData(g.shape, gen, scale, offset), g.shape, true);
  const dy = new Tensor(normalData(g.shape, gen), g.shape);

  const [x64, weight64, bias64] = [x, inst.weight, inst.bias].map(leaf64);
  const expected = inst.reference(x64!, weight64, bias64);
  expected.backward(new Tensor(Float64Array.from(dy.data), dy.shape));

  const y = inst.module.forward(x);
  y.backward(dy);
  const label = `${c.name} shape [${g.shape}]${g.numGroups ? ` G=${g.numGroups}` : ''}`;
  expectClose(y, expected, FLOAT32_TOL, `${label} y`);
  expectClose(x.grad!, x64!.grad!, FLOAT32_TOL, `${label} x.grad`);
  if (inst.weight) expectClose(inst.weight.grad!, weight64!.grad!, FLOAT32_TOL, `${label} weight.grad`);
  if (inst.bias) expectClose(inst.bias.grad!, bias64!.grad!, FLOAT32_TOL, `${label} bias.grad`);

  // The functional form the gradcheck differentiates is the module's computation, bit for bit.
  const direct = inst.functional(x.detach(), inst.weight?.detach() ?? null, inst.bias?.detach() ?? null);
  expectClose(direct, y, { rtol: 0, atol: 0 }, `${label} functional form vs module`); // same kernel, same inputs
}

const INIT: Record<string, number> = { weight: 1, bias: 0, running_mean: 0, running_var: 1, num_batches_tracked: 0 };

describe.each(NORM_CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
  it('gradcheck of the functional form: input, weight, bias (float64)', () => {
    const gen = new Generator(7);
    const g = c.layer.small;
    const inst = c.layer.build(g, c.mode);
    randomizeState(inst, gen);
    const x = new Tensor(normalData(g.shape, gen), g.shape, true);
    // gradcheck's defaults (torch's: atol 1e-5, rtol 1e-3) against float64 central differences
    // with step 1e-6, whose own error is about 1e-10 for these smooth functions.
    expect(gradcheck((xi, ...params) => callFunctional(inst, xi, params), [x, ...paramInputs(inst)])).toBe(true);
  });

  it('fused forward and backward match the composite reference (property, random shapes and data)', () => {
    fc.assert(
      fc.property(
        c.layer.geometry(c.mode),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.05, max: 20, noNaN: true }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        (g, seed, scale, offset) => checkFusedAgainstComposite(c, g, seed, scale, offset),
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it(`stateDict keys are PyTorch's: [${c.keys.join(', ')}], with PyTorch's initial values`, () => {
    const inst = c.layer.build(c.layer.small, c.mode);
    const sd = inst.module.stateDict();
    expect(Object.keys(sd)).toEqual(c.keys);
    for (const [key, t] of Object.entries(sd)) {
      expect(t.shape, key).toEqual(key === 'num_batches_tracked' ? [] : inst.paramShape);
      expect([...new Set(t.data)], key).toEqual([INIT[key]]);
    }
    // Parameters are the learnable keys and require grad; buffers are the rest and do not.
    const paramKeys = c.keys.filter((k) => k === 'weight' || k === 'bias');
    expect(inst.module.namedParameters().map(([k]) => k)).toEqual(paramKeys);
    expect(inst.module.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(inst.module.buffers().length).toBe(c.keys.length - paramKeys.length);
    expect(inst.module.buffers().some((b) => b.requiresGrad)).toBe(false);
  });
});
