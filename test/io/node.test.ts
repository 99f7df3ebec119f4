import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { loadSafetensorsFile, readSafetensorsFile, saveSafetensorsFile } from '../../src/io/node.js';

describe('typegrad/node safetensors file helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typegrad-safetensors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a file that reads back with the same tensors and metadata', () => {
    const path = join(dir, 'model.safetensors');
    saveSafetensorsFile(
      path,
      {
        w: tensor([
          [1, 2],
          [3, 4],
        ]),
        'bn.num_batches_tracked': tensor(5),
      },
      { format: 'pt' },
    );
    const { tensors, metadata } = readSafetensorsFile(path);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors['w']!.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(loadSafetensorsFile(path)['bn.num_batches_tracked']!.item()).toBe(5);
    // The first 8 bytes on disk are the little-endian header length.
    const raw = readFileSync(path);
    expect(Number(raw.readBigUInt64LE(0)) % 8).toBe(0);
  });

  it('reports a truncated file with the format error', () => {
    const path = join(dir, 'short.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(() => loadSafetensorsFile(path)).toThrow(/truncated: it has 3 bytes, expected at least 8/);
  });
});
