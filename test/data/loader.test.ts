import { describe, expect, it } from 'vitest';
import { arange, DataLoader, Generator, manualSeed, tensor, type Tensor } from '../../src/index.js';

/** Inputs [n, 2] whose row i is [i, 100 + i], and targets [n] equal to i: ids that travel together. */
function data(n: number): [Tensor, Tensor] {
  const x = tensor(Array.from({ length: n }, (_, i) => [i, 100 + i]));
  return [x, arange(n)];
}

/** The sample ids of one pass, batch by batch, checking that inputs and targets stay paired. */
function pass(loader: DataLoader<[Tensor, Tensor]>): number[][] {
  const out: number[][] = [];
  for (const [x, y] of loader) {
    const ids = Array.from(y.data);
    expect(x.toArray()).toEqual(ids.map((i) => [i, 100 + i]));
    out.push(ids);
  }
  return out;
}

describe('DataLoader', () => {
  it('yields batches of batchSize with a smaller last one, in order without shuffle', () => {
    const loader = new DataLoader(data(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const shapes: number[][][] = [];
    for (const [x, y] of loader) shapes.push([[...x.shape], [...y.shape]]);
    expect(shapes).toEqual([
      [[4, 2], [4]],
      [[4, 2], [4]],
      [[2, 2], [2]],
    ]);
    expect(pass(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('dropLast leaves out the incomplete batch', () => {
    const loader = new DataLoader(data(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(pass(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(new DataLoader(data(3), { batchSize: 4, dropLast: true }).length).toBe(0);
    expect(pass(new DataLoader(data(3), { batchSize: 4 }))).toEqual([[0, 1, 2]]);
  });

  it('batchSize defaults to 1 and the batch keeps the trailing shape and the dtype', () => {
    const images = tensor(
      Array.from({ length: 24 }, (_, i) => i),
      [3, 2, 2, 2],
      { dtype: 'float64' },
    );
    const loader = new DataLoader([images]);
    expect(loader.length).toBe(3);
    const batches = [...loader].map(([b]) => b);
    expect(batches.map((b) => b.shape)).toEqual([
      [1, 2, 2, 2],
      [1, 2, 2, 2],
      [1, 2, 2, 2],
    ]);
    expect(batches[2]!.dtype).toBe('float64');
    expect(Array.from(batches[2]!.data)).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
  });

  it('shuffle visits every sample exactly once per pass, in a new order each pass', () => {
    const loader = new DataLoader(data(23), { batchSize: 5, shuffle: true, generator: new Generator(1) });
    const first = pass(loader);
    const second = pass(loader);
    for (const epoch of [first, second]) {
      expect(epoch.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
      expect(epoch.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    }
    expect(first.flat()).not.toEqual(second.flat());
  });

  it('the order is Fisher-Yates with generator.int, so the same seed gives the same order', () => {
    const ids = pass(new DataLoader(data(8), { batchSize: 8, shuffle: true, generator: new Generator(42) }))[0]!;
    const g = new Generator(42);
    const expected = [0, 1, 2, 3, 4, 5, 6, 7];
    for (let i = 7; i > 0; i--) {
      const j = g.int(i + 1);
      [expected[i], expected[j]] = [expected[j]!, expected[i]!];
    }
    expect(ids).toEqual(expected);
    expect(pass(new DataLoader(data(8), { batchSize: 3, shuffle: true, generator: new Generator(42) })).flat()).toEqual(
      expected,
    );
  });

  it('without a generator it shuffles with the default one that manualSeed resets', () => {
    const loader = new DataLoader(data(12), { batchSize: 4, shuffle: true });
    manualSeed(7);
    const a = pass(loader);
    manualSeed(7);
    expect(pass(loader)).toEqual(a);
  });

  it('every permutation of 3 samples is about equally likely (no Fisher-Yates off-by-one bias)', () => {
    const loader = new DataLoader(data(3), { batchSize: 3, shuffle: true, generator: new Generator(3) });
    const counts = new Map<string, number>();
    for (let e = 0; e < 6000; e++) {
      const key = pass(loader)[0]!.join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Each count is Binomial(6000, 1/6): mean 1000, sd 29; 150 is five standard deviations.
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('copies batches and leaves its tensors untouched', () => {
    const [x, y] = data(4);
    const loader = new DataLoader([x, y], { batchSize: 2, shuffle: true, generator: new Generator(0) });
    for (const [bx] of loader) bx.data.fill(-1);
    expect(x.toArray()).toEqual([
      [0, 100],
      [1, 101],
      [2, 102],
      [3, 103],
    ]);
  });

  it('rejects bad arguments, naming them', () => {
    const [x, y] = data(4);
    expect(() => new DataLoader([] as Tensor[])).toThrow(
      'DataLoader: tensors must be a non-empty array of Tensors, got [] (array)',
    );
    expect(() => new DataLoader([x, [1, 2] as unknown as Tensor])).toThrow(
      'DataLoader: tensors[1] must be a Tensor, got [1, 2] (array)',
    );
    expect(() => new DataLoader([tensor(3)])).toThrow(
      'DataLoader: tensors[0] must have a first (sample) dimension, got shape []',
    );
    expect(() => new DataLoader([x, arange(5)])).toThrow(
      'DataLoader: every tensor must have the same first dimension; tensors[0] has 4 samples (shape [4, 2]), tensors[1] has 5 (shape [5])',
    );
    expect(() => new DataLoader([x, y], { batchSize: 0 })).toThrow(
      'DataLoader: batchSize must be a positive integer, got 0',
    );
    expect(() => new DataLoader([x, y], { batchSize: 1.5 })).toThrow(
      'DataLoader: batchSize must be a positive integer, got 1.5',
    );
    expect(() => new DataLoader([x, y], { generator: {} as Generator })).toThrow(
      'DataLoader: generator must be a Generator, got an object',
    );
  });
});
