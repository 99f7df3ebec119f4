/**
 * bench/peers' PyTorch contender without PyTorch: the output check (compare), the timing of a
 * contender that measures itself in another process (interleave's `batch`), --quick's filter, the
 * PyTorch table's cells and ratios, and which Python is picked. The last test talks to
 * torch_worker.py and is skipped when no Python with torch 2.x is found.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { torchBound, torchTable } from '../../bench/peers/report.js';
import { compare, interleave, median, ms, ratio, wanted, type TimingOptions } from '../../bench/peers/timing.js';
import { pickTorchPython, torchCandidates, TorchWorker } from '../../bench/peers/torch.js';

const root = join(import.meta.dirname, '..', '..');

describe('bench/peers compare (the check before timing)', () => {
  it('passes at exactly atol + rtol * max|expected| and fails just above it', () => {
    const expected = [1, -4, 2];
    // bound = 0.25 + 0.125 * 4 = 0.75 (binary fractions: every difference here is exact)
    expect(compare('y', 'torch', [1, -4.75, 2], expected, 0.25, 0.125).ok).toBe(true);
    const over = compare('y', 'torch', [1, -4.75390625, 2], expected, 0.25, 0.125);
    expect(over.ok).toBe(false);
    expect(over.bound).toBe(0.75);
    expect(over.maxAbsDiff).toBe(0.75390625);
  });

  it('fails on a NaN anywhere and on a length mismatch', () => {
    expect(compare('y', 'torch', [0, NaN, 0], [0, 0, 0], 1).ok).toBe(false);
    expect(compare('y', 'torch', [0, 0], [0, 0, 0], 1).ok).toBe(false);
    expect(compare('y', 'torch', [0, 0, 0], [0, 0], 1).maxAbsDiff).toBe(Infinity);
  });
});

describe('bench/peers interleave with a batch contender', () => {
  const opts: TimingOptions = { rounds: 3, roundMs: 5, maxIters: 4, slowRounds: 1, stat: 'best' };

  it('takes the times the contender measured, one batch per round: the lowest round median', async () => {
    const rounds = [
      [5, 9, 7],
      [3, 4, 100],
      [6, 6, 6],
    ];
    const asked: [number, number][] = [];
    let turn = -1; // the first call is the untimed warm-up
    const t = await interleave(
      [
        {
          name: 'torch',
          fn: () => {
            throw new Error('fn must not be called when batch is given');
          },
          batch: (roundMs, maxIters) => {
            asked.push([roundMs, maxIters]);
            return Promise.resolve(turn < 0 ? [1] : rounds[turn]!).finally(() => turn++);
          },
        },
        { name: 'tg-wasm', fn: () => 0 },
      ],
      opts,
    );
    // warm-up (0 ms, 1 call), then one batch of roundMs / maxIters per round
    expect(asked).toEqual([
      [0, 1],
      [5, 4],
      [5, 4],
      [5, 4],
    ]);
    expect(t['torch']).toBe(Math.min(...rounds.map(median))); // medians 7, 4, 6
    expect(t['tg-wasm']).toBeGreaterThanOrEqual(0);
  });

  it("with stat 'median' takes the median of every call", async () => {
    let turn = -1;
    const batches = [[2], [10, 1, 3], [4, 4]];
    // (a warm-up slower than roundMs would get slowRounds = 1 round: 1 ms keeps all 3)
    const t = await interleave(
      [
        {
          name: 'torch',
          fn: () => 0,
          batch: () => Promise.resolve(turn < 0 ? [1] : batches[turn]!).finally(() => turn++),
        },
      ],
      { ...opts, stat: 'median' },
    );
    expect(t['torch']).toBe(median([2, 10, 1, 3, 4, 4])); // the warm-up is not counted
  });
});

describe('bench/peers --quick', () => {
  it('keeps typegrad, PyTorch and tfjs-wasm (forward and fwd+bwd) and drops the rest', () => {
    for (const name of ['tg-wasm', 'tg-js', 'torch', 'tfjs-wasm', 'torch fwd+bwd', 'tg-wasm fwd+bwd'])
      expect(wanted(name, true)).toBe(true);
    for (const name of ['tfjs-cpu', 'onnxruntime', 'naive', 'memcpy', 'slice', 'tfjs-cpu fwd+bwd'])
      expect(wanted(name, true)).toBe(false);
    expect(wanted('tfjs-cpu', false)).toBe(true);
  });
});

describe('bench/peers PyTorch table', () => {
  it('gives typegrad / PyTorch and tfjs-wasm / typegrad per row, "-" where a contender is missing', () => {
    const rows = torchTable([
      { workload: 'step', t: { 'tg-wasm': 3.2, torch: 0.8, 'tg-js': 12.5, 'tfjs-wasm': 16 }, target: 'step' },
      {
        workload: 'norm fwd+bwd',
        t: { 'tg-wasm fwd+bwd': 123.4, 'torch fwd+bwd': 246.8, 'tg-wasm': 1 },
        suffix: ' fwd+bwd',
      },
    ]);
    expect(rows[0]).toEqual({
      workload: 'step',
      typegrad: '3.20',
      PyTorch: '0.80',
      'tg / PyTorch': '4.00',
      'tfjs-wasm': '16.0',
      'tfjs-wasm / tg': '5.00',
      'tg-js': '12.5',
    });
    expect(rows[1]).toMatchObject({
      typegrad: '123',
      PyTorch: '247',
      'tg / PyTorch': '0.50',
      'tfjs-wasm': '-',
      'tfjs-wasm / tg': '-',
      'tg-js': '-',
    });
  });

  it('bounds training steps at 1.0x PyTorch and norm rows at 2.0x, nothing else', () => {
    expect(torchBound({ workload: 'a', t: {}, target: 'step' })).toBe(1);
    expect(torchBound({ workload: 'b', t: {}, target: 'norm' })).toBe(2);
    expect(torchBound({ workload: 'c', t: {} })).toBeNull();
  });

  it('formats times to three significant digits and ratios to two decimals', () => {
    expect([ms(0.01234), ms(1.234), ms(12.34), ms(1234.5)]).toEqual(['0.012', '1.23', '12.3', '1235']);
    expect([ratio(0.5), ratio(12.345), ratio(NaN), ratio(Infinity)]).toEqual(['0.50', '12.3', '-', '-']);
  });
});

describe('bench/peers: which Python runs PyTorch', () => {
  it('tries .venv-torch, then $TYPEGRAD_TORCH_PYTHON, then python3', () => {
    const all = torchCandidates('/repo', { TYPEGRAD_TORCH_PYTHON: '/opt/py' }, () => true);
    expect(all.map((c) => c.python)).toEqual(['/repo/.venv-torch/bin/python', '/opt/py', 'python3']);
    expect(torchCandidates('/repo', {}, () => false).map((c) => c.from)).toEqual(['PATH']);
  });

  it('picks the first with torch 2.x and says why the others were passed over', () => {
    const candidates = torchCandidates('/repo', { TYPEGRAD_TORCH_PYTHON: '/opt/py' }, () => true);
    const versions: Record<string, string | null> = {
      '/repo/.venv-torch/bin/python': null,
      '/opt/py': '1.13.1',
      python3: '2.5.0+cpu',
    };
    const picked = pickTorchPython(candidates, (p) => versions[p]!);
    expect(picked.chosen).toEqual({ python: 'python3', from: 'PATH', version: '2.5.0+cpu' });
    expect(picked.tried).toEqual([
      '/repo/.venv-torch/bin/python (.venv-torch): no torch',
      '/opt/py (TYPEGRAD_TORCH_PYTHON): torch 1.13.1, not 2.x',
    ]);
    expect(pickTorchPython(candidates.slice(0, 2), (p) => versions[p]!).chosen).toBeNull();
  });
});

describe('bench/peers torch_worker.py protocol', () => {
  it('builds a workload from typegrad files, returns its output and times batches', async (ctx) => {
    const worker = await TorchWorker.start(root);
    if (typeof worker === 'string') return ctx.skip(worker); // no Python with torch 2.x here
    try {
      expect(worker.description).toMatch(/^PyTorch 2\..*set_num_threads\(1\): 1 intra-op/);
      const a = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2, 3]
      const b = Float32Array.from([1, 0, 0, 1, 1, 1]); // [3, 2]
      const out = await worker.setup('mm', { type: 'matmul', a: worker.put(a, [2, 3]), b: worker.put(b, [3, 2]) });
      expect([...out['C']!]).toEqual([4, 5, 10, 11]);
      const times = await worker.contender('mm').batch!(0, 3);
      expect(times.length).toBe(1); // roundMs 0: one call
      const more = await worker.contender('mm').batch!(1000, 3);
      expect(more.length).toBe(3); // maxIters first
      for (const t of [...times, ...more]) expect(t).toBeGreaterThan(0);
      await expect(worker.setup('bad', { type: 'norm', kind: 'nope', shape: [1, 1] })).rejects.toThrow(
        /torch_worker: ValueError: norm: unknown kind 'nope'/,
      );
    } finally {
      await worker.close();
    }
  });
});
