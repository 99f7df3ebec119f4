/**
 * safetensors integer and bool dtypes against files PyTorch wrote (test/fixtures/safetensorsDtypes.py):
 * I64/I32/I16/I8/U8 load as int32, BOOL as bool, I64 outside int32 throws naming the tensor and
 * element; int32 tensors are written as I64 and bool as BOOL, byte for byte what torch writes.
 */
import { describe, expect, it } from 'vitest';
import { loadSafetensors, nn, readSafetensors, saveSafetensors, tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixtures/load.js';

const fx = loadFixture('safetensorsDtypes');
const bytesOf = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));

describe('loading what torch wrote', () => {
  const { tensors, metadata } = readSafetensors(bytesOf(fx['file'] as string));
  const expected = fx['tensors'] as Record<string, FixtureTensor>;
  const dtypes: Record<string, string> = {
    i64: 'int32',
    i32: 'int32',
    i16: 'int32',
    i8: 'int32',
    u8: 'int32',
    mask: 'bool',
    f32: 'float32',
    counter: 'int32',
  };

  it.each(Object.keys(dtypes))('%s', (name) => {
    const t = tensors[name]!;
    expect(t.dtype).toBe(dtypes[name]);
    expect([...t.shape]).toEqual(expected[name]!.shape);
    expect(Array.from(t.data)).toEqual(Array.from(expected[name]!.data)); // exact: integers, 0/1, float32
  });
  it('keeps the metadata', () => {
    expect(metadata['format']).toBe('pt');
  });
  it('an I64 outside int32 throws, naming the tensor, the element and the value', () => {
    expect(() => loadSafetensors(bytesOf(fx['tooBig'] as string))).toThrow(
      'loadSafetensors: tensor "idx" (I64) has element 1 = 2147483648, outside int32\'s range [-2^31, 2^31 - 1]',
    );
  });
});

describe('writing for torch', () => {
  it("re-saving the loaded int64/bool/float32 tensors reproduces torch's bytes exactly", () => {
    const torchBytes = bytesOf(fx['sameBytes'] as string);
    const loaded = loadSafetensors(torchBytes);
    expect(loaded['i64']!.dtype).toBe('int32');
    expect(Array.from(saveSafetensors(loaded))).toEqual(Array.from(torchBytes));
  });
  it('int32 is written as I64 and bool as BOOL, and both round-trip', () => {
    const sd = { idx: tensor([3, -1, 2147483647], undefined, { dtype: 'int32' }), mask: tensor([[true, false]]) };
    const bytes = saveSafetensors(sd);
    const header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))),
    );
    expect(header['idx'].dtype).toBe('I64');
    expect(header['mask'].dtype).toBe('BOOL');
    const back = loadSafetensors(bytes);
    expect(back['idx']!.dtype).toBe('int32');
    expect(back['idx']!.toArray()).toEqual([3, -1, 2147483647]);
    expect(back['mask']!.toArray()).toEqual([[true, false]]);
  });
  it("a BatchNorm state dict saves num_batches_tracked as I64 (torch's dtype) and loads its I64 back", () => {
    const bnDtypes = fx['bnDtypes'] as Record<string, string>;
    expect(bnDtypes['num_batches_tracked']).toBe('int64');
    const bn = new nn.BatchNorm1d(2);
    bn.forward(
      tensor([
        [1, 2],
        [3, 5],
      ]),
    );
    const bytes = saveSafetensors(bn.stateDict());
    const loaded = loadSafetensors(bytes);
    expect(loaded['num_batches_tracked']!.dtype).toBe('int32');
    const other = new nn.BatchNorm1d(2);
    other.loadStateDict(loaded);
    expect(other.numBatchesTracked!.item()).toBe(1);
    expect(Array.from(other.runningMean!.data)).toEqual(Array.from(bn.runningMean!.data));
  });
});
