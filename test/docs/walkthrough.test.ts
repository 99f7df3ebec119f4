/**
 * The LayerNorm walk-through of docs/guide/3-normalization.md ("One LayerNorm call, from the module
 * to the kernel and back"), as a test of the path it describes: under setBackend('reference') one
 * nn.LayerNorm forward is one call of the reference forward kernel, with LayerNorm's plan (one
 * statistic per row, the weight advancing along it), and its backward is one call of the reference
 * backward kernel in the 'centered' mode; x.grad, weight.grad and bias.grad are what the reference
 * functions give when called directly on the same data. Under setBackend('js') the same call goes to
 * the fused TypeScript kernels instead.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getBackend, manualSeed, nn, randn, setBackend } from '../../src/index.js';
import { jsKernels, referenceKernels } from '../../src/kernels/registry.js';
import { elementIndex, normBackwardReference, normForwardReference } from '../../src/tensor/kernels/normReference.js';

describe('one LayerNorm call, module to kernel and back', () => {
  let previous = '';
  beforeEach(() => {
    previous = getBackend();
  });
  afterEach(() => {
    setBackend(previous);
    vi.restoreAllMocks();
  });

  it('runs the reference kernels once each way under setBackend("reference")', () => {
    setBackend('reference');
    const forward = vi.spyOn(referenceKernels, 'normForward');
    const backward = vi.spyOn(referenceKernels, 'normBackward');
    manualSeed(4);
    const ln = new nn.LayerNorm(6);
    ln.weight!.data.set([0.5, 1, 1.5, 2, 2.5, 3]);
    const x = randn([3, 6], { requiresGrad: true });
    const dy = randn([3, 6]);
    const y = ln.forward(x);
    expect(forward).toHaveBeenCalledTimes(1);
    const plan = forward.mock.calls[0]![1];
    expect([plan.statSize, plan.count, plan.inner, plan.innerStat, plan.innerParam]).toEqual([3, 6, 6, 0, 1]);
    expect(forward.mock.calls[0]![2]).toBe(true); // centered
    expect(backward).not.toHaveBeenCalled();

    y.backward(dy);
    expect(backward).toHaveBeenCalledTimes(1);
    expect(backward.mock.calls[0]![6]).toBe('centered');

    // The same numbers as the reference functions called directly.
    const index = elementIndex(plan);
    const [mean, variance, rstd] = [0, 1, 2].map(() => new Float64Array(3)) as [
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    const yRef = new Float32Array(18);
    const [xd, wd, bd] = [x.data, ln.weight!.data, ln.bias!.data] as Float32Array[];
    normForwardReference(xd!, index, true, 1e-5, wd!, bd!, yRef, mean, variance, rstd);
    const dxRef = new Float32Array(18);
    const [dw, db] = [new Float64Array(6), new Float64Array(6)];
    normBackwardReference(xd!, dy.data as Float32Array, index, mean, rstd, wd!, 'centered', dxRef, dw, db);
    expect(Array.from(y.data)).toEqual(Array.from(yRef));
    expect(Array.from(x.grad!.data)).toEqual(Array.from(dxRef));
    expect(Array.from(ln.weight!.grad!.data)).toEqual(Array.from(Float32Array.from(dw)));
    expect(Array.from(ln.bias!.grad!.data)).toEqual(Array.from(Float32Array.from(db)));
  });

  it('goes to the fused TypeScript kernels under setBackend("js"), and not to the reference', () => {
    setBackend('js');
    const forward = vi.spyOn(jsKernels, 'normForward');
    const backward = vi.spyOn(jsKernels, 'normBackward');
    const reference = vi.spyOn(referenceKernels, 'normForward');
    const ln = new nn.LayerNorm(6);
    const x = randn([3, 6], { requiresGrad: true });
    ln.forward(x).sum().backward();
    expect([forward.mock.calls.length, backward.mock.calls.length, reference.mock.calls.length]).toEqual([1, 1, 0]);
  });
});
