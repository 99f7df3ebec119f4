/**
 * dtype conversion (src/autograd/ops/cast.ts): values, identity when already in the dtype, and the
 * gradient converted back to the input's dtype.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { expectGradcheck, randomTensor } from './fixtures.js';

describe('to', () => {
  it('converts float32 to float64 exactly and float64 to float32 by rounding', () => {
    const x = tensor([0.1, 1 / 3]);
    const d = x.to('float64');
    expect(d.dtype).toBe('float64');
    expect(Array.from(d.data)).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
    const back = tensor([0.1], undefined, { dtype: 'float64' }).to('float32');
    expect([back.dtype, back.data[0]]).toEqual(['float32', Math.fround(0.1)]);
  });

  it('returns the tensor itself when it already has the dtype', () => {
    const x = tensor([1]);
    expect(x.to('float32')).toBe(x);
  });

  it('passes the gradient back in the input dtype', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true, dtype: 'float64' });
    x.to('float32').mul(3).sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(Array.from(x.grad!.data)).toEqual([3, 3]);
    // gradcheck runs in float64, where to('float64') is the identity
    expectGradcheck((t) => t!.to('float64').mul(t!), [randomTensor([3], 71)]);
  });

  it('rejects an unknown dtype, naming it', () => {
    expect(() => tensor([1]).to('int8' as never)).toThrow(
      /to: dtype must be one of 'bool', 'int32', 'float32', 'float64', got "int8" \(string\)/,
    );
  });
});
