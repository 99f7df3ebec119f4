/**
 * Sequential and Flatten (src/layers/container.ts): order of application, torch's state-dict keys,
 * indexing and iteration, train/eval propagation, and loading a state dict back.
 */
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, zeros } from '../../src/index.js';
import { expectClose } from '../helpers.js';
import { randomTensor } from '../autograd/fixtures.js';

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(8, 3));
}

describe('Sequential', () => {
  it('has torch state-dict keys: index.name, skipping modules without state', () => {
    expect(Object.keys(mlp().stateDict())).toEqual(['0.weight', '0.bias', '3.weight', '3.bias']);
    const nested = new nn.Sequential(new nn.Sequential(new nn.Linear(2, 2)), new nn.BatchNorm1d(2));
    expect(Object.keys(nested.stateDict())).toEqual([
      '0.0.weight',
      '0.0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
  });

  it('applies its modules in order', () => {
    const seq = mlp().eval();
    const x = randomTensor([5, 4], 1, { requiresGrad: false });
    let y = x;
    for (const m of seq) y = m.forward(y);
    // exact: the same ops on the same values
    expectClose(seq.forward(x), y, { rtol: 0, atol: 0 });
  });

  it('is indexable and iterable', () => {
    const seq = mlp();
    expect(seq.length).toBe(4);
    expect(seq.at(0)).toBeInstanceOf(nn.Linear);
    expect(seq.at(-1)).toBe(seq.get(3));
    expect([...seq].map((m) => m.constructor.name)).toEqual(['Linear', 'ReLU', 'Dropout', 'Linear']);
    expect(() => seq.at(4)).toThrow('Sequential: index must be an integer in [-4, 3], got 4');
    expect(() => new nn.Sequential({} as nn.Module)).toThrow(
      'Sequential: every element must be a Module, got an object at index 0',
    );
  });

  it('propagates train() and eval() to its children', () => {
    const seq = mlp();
    seq.eval();
    expect([...seq].every((m) => !m.training)).toBe(true);
    seq.train();
    expect([...seq].every((m) => m.training)).toBe(true);
  });

  it('round-trips its state dict into a fresh model', () => {
    manualSeed(1);
    const a = mlp();
    manualSeed(2);
    const b = mlp();
    b.loadStateDict(a.stateDict());
    const x = randomTensor([2, 4], 3, { requiresGrad: false });
    // exact: identical weights
    expectClose(b.eval().forward(x), a.eval().forward(x), { rtol: 0, atol: 0 });
  });
});

describe('Flatten', () => {
  it('merges startDim..endDim (defaults 1 and -1, like torch)', () => {
    expect(new nn.Flatten().forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0, 1).forward(zeros([2, 3, 4])).shape).toEqual([6, 4]);
    expect(new nn.Flatten(1, 2).forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 12, 5]);
    expect(() => new nn.Flatten(0.5)).toThrow('Flatten: startDim and endDim must be integers, got 0.5 and -1');
  });
});
