import { describe, expect, it } from 'vitest';
import { CHARS, STOI, loadNames, splitNames } from '../../examples/data/names.js';

describe('examples/data/names', () => {
  it('loads the two stdlib lists as unique lowercase a-z names, sorted', () => {
    const names = loadNames();
    // 4,951 female + 3,898 male names; dropping non a-z names and the names in both lists leaves 8,403.
    expect(names.length).toBe(8403);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[a-z]+$/.test(n))).toBe(true);
    expect([...names].sort()).toEqual(names);
    expect(names).toContain('emma');
  });

  it('splits 80/10/10 deterministically, each name in exactly one part', () => {
    const names = loadNames();
    const a = splitNames(names);
    const b = splitNames(names);
    expect(a).toEqual(b);
    expect([a.train.length, a.val.length, a.test.length]).toEqual([6722, 840, 841]);
    expect([...a.train, ...a.val, ...a.test].sort()).toEqual(names);
    expect(splitNames(names, 7).train).not.toEqual(a.train);
  });

  it('maps the 27 characters to 0..26 with "." first', () => {
    expect(CHARS.length).toBe(27);
    expect(STOI['.']).toBe(0);
    expect(STOI.a).toBe(1);
    expect(STOI.z).toBe(26);
  });
});
