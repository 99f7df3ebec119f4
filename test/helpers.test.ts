/** The shared closeness check itself: it must fail on a mismatch and treat NaN and infinities exactly. */
import { describe, expect, it } from 'vitest';
import { expectClose, expectWithin } from './helpers.js';

describe('expectClose / expectWithin', () => {
  it('passes within atol + rtol * |expected| and names the worst element otherwise', () => {
    expect(() => expectClose([1, 2], [1 + 5e-7, 2])).not.toThrow();
    expect(() => expectClose([1, 2, 3], [1, 2.1, 3.5], {}, 'case')).toThrow(
      /case: 2 of 3 elements differ .*worst at flat index 2: actual 3, expected 3.5/,
    );
  });

  it('matches NaN with NaN and an infinity with the same infinity only', () => {
    expect(() => expectClose([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity])).not.toThrow();
    expect(() => expectClose([Infinity], [-Infinity])).toThrow(/1 of 1 elements differ/);
    expect(() => expectClose([NaN], [0])).toThrow(/elements differ/);
    expect(() => expectWithin([1], [1e9], () => 1, 'inf bound')).toThrow(/out of bound/);
  });
});
