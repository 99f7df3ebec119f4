/**
 * Grad mode (src/autograd/gradMode.ts): noGrad records nothing, nests, and always restores the mode.
 */
import { describe, expect, it } from 'vitest';
import { isGradEnabled, noGrad, tensor } from '../../src/index.js';

describe('noGrad', () => {
  it('records no graph inside fn and returns its value', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = noGrad(() => x.mul(2).exp());
    expect([y.requiresGrad, y.gradFn]).toEqual([false, null]);
    expect(y.data[0]).toBeCloseTo(Math.exp(2), 5); // float32 storage: 7.39 to ~5e-7
    expect(noGrad(() => 42)).toBe(42);
  });

  it('turns recording off only inside fn', () => {
    expect(isGradEnabled()).toBe(true);
    noGrad(() => expect(isGradEnabled()).toBe(false));
    expect(isGradEnabled()).toBe(true);
    const x = tensor([1], undefined, { requiresGrad: true });
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('nests, restoring the enclosing mode', () => {
    noGrad(() => {
      noGrad(() => expect(isGradEnabled()).toBe(false));
      expect(isGradEnabled()).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
  });

  it('restores the mode even when fn throws, and rethrows', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    const x = tensor([1], undefined, { requiresGrad: true });
    expect(x.mul(2).gradFn?.name).toBe('mul');
  });
});
