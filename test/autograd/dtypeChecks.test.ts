/**
 * dtypes at the boundaries: what `new Tensor` accepts as storage, what creation functions infer and
 * convert, who may require grad, which ops take int32/bool and which throw (naming the op, the
 * argument and the dtype), and the index-tensor check other ops use.
 */
import { describe, expect, it } from 'vitest';
import {
  arange,
  full,
  functional,
  gradcheck,
  nn,
  ones,
  onesLike,
  rand,
  randn,
  tensor,
  Tensor,
  zeros,
  zerosLike,
  fullLike,
} from '../../src/index.js';
import { checkIndexTensor } from '../../src/autograd/dtypeCheck.js';

describe('new Tensor validates its storage', () => {
  it('accepts exactly the four storage arrays and reads the dtype from them', () => {
    expect(new Tensor(new Float32Array(2), [2]).dtype).toBe('float32');
    expect(new Tensor(new Float64Array(2), [2]).dtype).toBe('float64');
    expect(new Tensor(new Int32Array(2), [2]).dtype).toBe('int32');
    expect(new Tensor(new Uint8Array(2), [2]).dtype).toBe('bool');
  });
  it.each([
    [[1, 2], '[1, 2] (array)'],
    [new Int8Array(2), 'an Int8Array of length 2'],
    [new Uint8ClampedArray(2), 'a Uint8ClampedArray of length 2'],
    [new Int16Array(2), 'an Int16Array of length 2'],
    [new BigInt64Array(2), 'a BigInt64Array of length 2'],
    [new DataView(new ArrayBuffer(8)), 'a DataView of length 8'],
    [null, 'null'],
    ['ab', '"ab" (string)'],
  ])('rejects %s, naming Tensor, the argument and what was given', (data, given) => {
    expect(() => new Tensor(data as never, [2])).toThrow(
      `Tensor: data must be a Float32Array, Float64Array, Int32Array or Uint8Array (bool), got ${given}`,
    );
  });
  it('rejects a subclass of an accepted array (it could override indexing)', () => {
    class Sneaky extends Float32Array {}
    expect(() => new Tensor(new Sneaky(2), [2])).toThrow(/Tensor: data must be .*, got a Sneaky of length 2/);
  });
  it('issue 10: an Int32Array is an int32 tensor and cannot become a trainable parameter', () => {
    const t = new Tensor(new Int32Array([1, 2]), [2]);
    expect(t.dtype).toBe('int32');
    expect(() => new Tensor(new Int32Array([1, 2]), [2], true)).toThrow(
      "Tensor: only tensors of floating dtype can require gradients, got dtype 'int32'",
    );
    expect(() => t.requiresGrad_()).toThrow(/only tensors of floating dtype can require gradients, got dtype 'int32'/);
    expect(() => (t.requiresGrad = true)).toThrow(/got dtype 'int32'/);
    t.requiresGrad = false; // always allowed
  });
});

describe('creation functions and { dtype }', () => {
  it('tensor() infers the dtype like torch.tensor', () => {
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor(new Uint8Array([0, 1])).dtype).toBe('bool');
    expect(tensor(new Uint8Array([0, 7])).toArray()).toEqual([false, true]); // nonzero -> true
    expect(tensor([[true, false]]).dtype).toBe('bool');
    expect(tensor(true).toArray()).toBe(true);
    expect(tensor([true, 2]).dtype).toBe('float32'); // mixed: numbers decide, true = 1
    expect(tensor([1, 2]).dtype).toBe('float32'); // JS has no integer type: floats by default
  });
  it('converts to int32 by truncating toward zero and rejects non-finite or out-of-range values', () => {
    expect(tensor([2.7, -2.7, 0.5], undefined, { dtype: 'int32' }).toArray()).toEqual([2, -2, 0]);
    expect(() => tensor([NaN], undefined, { dtype: 'int32' })).toThrow(
      'tensor: value NaN cannot be converted to int32 (must be finite and within [-2^31, 2^31 - 1])',
    );
    expect(() => tensor([2 ** 31], undefined, { dtype: 'int32' })).toThrow(
      /value 2147483648 cannot be converted to int32/,
    );
    expect(() => tensor([1, Infinity]).to('int32')).toThrow(/to: value Infinity cannot be converted to int32/);
  });
  it('zeros, ones, full, arange and the *Like functions take a dtype', () => {
    expect(zeros([2], { dtype: 'int32' }).data).toBeInstanceOf(Int32Array);
    expect(ones([2], { dtype: 'bool' }).toArray()).toEqual([true, true]);
    expect(full([2], 3.9, { dtype: 'int32' }).toArray()).toEqual([3, 3]);
    expect(full([2], true).dtype).toBe('bool');
    expect(arange(4).dtype).toBe('int32'); // integer arguments: torch gives int64
    expect(arange(0, 1, 0.5).dtype).toBe('float32');
    expect(arange(3, undefined, 1, { dtype: 'float64' }).toArray()).toEqual([0, 1, 2]);
    expect(zerosLike(arange(3)).dtype).toBe('int32');
    expect(onesLike(tensor([1.5]), { dtype: 'float64' }).dtype).toBe('float64');
    expect(fullLike(tensor([true, false]), 0).toArray()).toEqual([false, false]);
    expect(() => arange(2 ** 31, 2 ** 31 + 2)).toThrow(/arange: value 2147483648 cannot be converted to int32/);
    expect(() => arange(3, undefined, 1, { dtype: 'bool' })).toThrow(
      /arange: dtype must be one of 'float32', 'float64', 'int32', got "bool" \(string\)/,
    );
  });
  it('random and requiresGrad creation need a floating dtype', () => {
    expect(() => randn([2], { dtype: 'int32' })).toThrow(
      `randn: dtype must be one of 'float32', 'float64', got "int32" (string)`,
    );
    expect(() => rand([2], { dtype: 'bool' })).toThrow(
      `rand: dtype must be one of 'float32', 'float64', got "bool" (string)`,
    );
    expect(() => zeros([2], { dtype: 'int32', requiresGrad: true })).toThrow(
      "zeros: only tensors of floating dtype can require gradients, got dtype 'int32'",
    );
    expect(() => tensor([1], undefined, { dtype: 'bool', requiresGrad: true })).toThrow(
      /tensor: only tensors of floating dtype/,
    );
  });
});

describe('conversions', () => {
  it('to() among all four; float -> int32/bool is not differentiable, float -> float is', () => {
    const x = tensor([1.5, -0.5, 0], undefined, { requiresGrad: true });
    const i = x.to('int32');
    expect(i.toArray()).toEqual([1, 0, 0]);
    expect(i.requiresGrad).toBe(false);
    expect(x.to('bool').toArray()).toEqual([true, true, false]);
    expect(x.to('float64').requiresGrad).toBe(true);
    expect(tensor([true, false]).to('float32').toArray()).toEqual([1, 0]);
    expect(tensor([true, false]).to('int32').toArray()).toEqual([1, 0]);
    expect(i.to('bool').toArray()).toEqual([true, false, false]);
  });
  it('item() gives a number (0 or 1 for bool); toArray() gives booleans for bool', () => {
    expect(tensor([true]).item()).toBe(1);
    expect(tensor(false).toArray()).toBe(false);
    expect(arange(2).item.bind(arange(2))).toThrow(/item/);
  });
});

describe('int32 and bool through the other ops', () => {
  const i = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    undefined,
    { dtype: 'int32' },
  );
  it('shape ops keep the dtype', () => {
    expect(i.reshape([4]).dtype).toBe('int32');
    expect(i.transpose(0, 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(i.transpose(0, 1).dtype).toBe('int32');
    expect(tensor([true, false]).expand([2, 2]).toArray()).toEqual([
      [true, false],
      [true, false],
    ]);
    expect(i.clone().dtype).toBe('int32');
  });
  it('int32 arithmetic wraps like torch int32 (mul exact in the low 32 bits)', () => {
    const big = tensor([65537, 2147483647], undefined, { dtype: 'int32' });
    expect(big.mul(big).toArray()).toEqual([131073, 1]); // 65537^2 = 2^32 + 131073; (2^31-1)^2 = 1 mod 2^32
    expect(big.add(1).toArray()).toEqual([65538, -2147483648]);
  });
  it('sum of int32 throws outside int32 (torch sums to int64)', () => {
    expect(() => tensor([2147483647, 1], undefined, { dtype: 'int32' }).sum()).toThrow(
      /sum: value 2147483648 cannot be converted to int32/,
    );
  });
  it('mean, var and integer exponents follow torch', () => {
    expect(() => i.mean()).toThrow("mean: input must have a floating dtype ('float32' or 'float64'), got 'int32'");
    expect(() => i.var()).toThrow(/var: input must have a floating dtype .*got 'int32'/);
    expect(() => i.pow(-1)).toThrow('pow: integers to negative integer powers are not allowed, got exponent -1');
    expect(i.pow(tensor([-1, 2], undefined, { dtype: 'int32' })).toArray()).toEqual([
      [1, 4],
      [0, 16],
    ]);
  });
  it('pow of an int32 base to a float64 exponent tensor: float64 result, d/dp = x^p ln x (gradcheck)', () => {
    const base = tensor([2, 3, 5], undefined, { dtype: 'int32' });
    const p = tensor([0.5, -1.25, 2], undefined, { dtype: 'float64', requiresGrad: true });
    expect(base.pow(p).dtype).toBe('float64');
    expect(gradcheck((q) => base.pow(q!), [p], { rtol: 1e-6, atol: 1e-8 })).toBe(true);
  });
  it('matmul: int32 @ int32 works, bool and mixed int/float throw', () => {
    expect(i.matmul(i).toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    expect(i.matmul(i).dtype).toBe('int32');
    expect(() =>
      i.matmul(
        tensor([
          [1, 0],
          [0, 1],
        ]),
      ),
    ).toThrow("matmul: operands must both be floating or both int32, got 'int32' and 'float32'");
    expect(() => tensor([[true]]).matmul(tensor([[true]]))).toThrow(/got 'bool' and 'bool'/);
  });
  it.each([
    ['softmax', () => functional.softmax(arange(3), 0), /softmax: x must have a floating dtype .*got 'int32'/],
    [
      'logSoftmax',
      () => functional.logSoftmax(tensor([true]), 0),
      /logSoftmax: x must have a floating dtype .*got 'bool'/,
    ],
    [
      'layerNorm',
      () => new nn.LayerNorm(2).forward(ones([1, 2], { dtype: 'int32' })),
      /LayerNorm: input must have a floating dtype .*got 'int32'/,
    ],
    [
      'batchNorm',
      () => new nn.BatchNorm1d(2).forward(ones([3, 2], { dtype: 'int32' })),
      /must have a floating dtype .*got 'int32'/,
    ],
    [
      'linear',
      () => new nn.Linear(2, 1).forward(ones([1, 2], { dtype: 'int32' })),
      /matmul: operands must both be floating or both int32/,
    ],
    [
      'conv2d',
      () => functional.conv2d(zeros([1, 1, 3, 3], { dtype: 'int32' }), randn([1, 1, 2, 2])),
      /conv2d: input must have a floating dtype .*got 'int32'/,
    ],
    [
      'maxPool2d',
      () => functional.maxPool2d(zeros([1, 1, 2, 2], { dtype: 'int32' }), 2),
      /maxPool2d: input must have a floating dtype/,
    ],
    [
      'avgPool2d',
      () => functional.avgPool2d(zeros([1, 1, 2, 2], { dtype: 'bool' }), 2),
      /avgPool2d: input must have a floating dtype .*got 'bool'/,
    ],
    [
      'mseLoss',
      () => functional.mseLoss(arange(2), arange(2)),
      /mseLoss: input must have a floating dtype .*got 'int32'/,
    ],
    [
      'crossEntropy',
      () => functional.crossEntropy(zeros([1, 2], { dtype: 'int32' }), [0]),
      /crossEntropy: input must have a floating dtype/,
    ],
    ['dropout', () => functional.dropout(arange(2), 0.5), /dropout: input must have a floating dtype .*got 'int32'/],
    ['gelu', () => arange(2).gelu(), /gelu: input must have a floating dtype .*got 'int32'/],
    [
      'neg bool',
      () => tensor([true]).neg(),
      /neg: not supported with a bool tensor; to invert a mask, use logicalNot\(\) instead/,
    ],
    [
      'sub bool',
      () => tensor([true]).sub(tensor([true])),
      /sub: not supported with two bool tensors; use logicalXor\(\) instead/,
    ],
    ['abs bool', () => tensor([true]).abs(), /abs: not implemented for bool tensors, got dtype 'bool'/],
  ])('float-only op %s throws naming itself and the dtype', (_, fn, message) => {
    expect(fn).toThrow(message);
  });
  it('crossEntropy takes int32 class indices', () => {
    const logits = tensor([
      [2, 0, -1],
      [0, 3, 1],
    ]);
    const a = functional.crossEntropy(logits, tensor([0, 1], undefined, { dtype: 'int32' })).item();
    const b = functional.crossEntropy(logits, [0, 1]).item();
    expect(a).toBe(b);
  });
});

describe('checkIndexTensor (for the index ops)', () => {
  it('returns the Int32Array of an int32 tensor', () => {
    const idx = tensor([2, 0], undefined, { dtype: 'int32' });
    expect(checkIndexTensor('indexSelect', 'index', idx)).toBe(idx.data);
  });
  it('names the op, the argument and the given dtype', () => {
    expect(() => checkIndexTensor('gather', 'index', tensor([1]))).toThrow(
      "gather: expected index to have dtype 'int32' (torch: Long), got 'float32'",
    );
    expect(() => checkIndexTensor('gather', 'index', [1])).toThrow(
      'gather: index must be an int32 Tensor, got [1] (array)',
    );
  });
});
