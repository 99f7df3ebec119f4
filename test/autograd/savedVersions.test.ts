/**
 * The saved-tensor version check (src/autograd/saved.ts) for the ops whose backward reads a saved
 * input or output: the unary math ops, clamp/minimum/maximum, std/prod/logsumexp/norm/amax and
 * embedding's indices. Each row writes the saved tensor in place between forward and backward and
 * expects torch's error, naming the saved tensor's producer (`output 0 of Mul` for an input made by
 * `leaf.mul(1)`, the op itself for a saved output); the control row skips the write and expects
 * backward to succeed with a finite gradient.
 */
import { describe, expect, it } from 'vitest';
import { functional, maximum, minimum, noGrad, tensor, type Tensor } from '../../src/index.js';

interface Row {
  name: string;
  /** Builds the graph from the leaf; returns the output and the saved tensor to write in place. */
  run: (leaf: Tensor) => { y: Tensor; saved: Tensor };
  /** The producer named in the error (`Mul` for the non-leaf input `leaf.mul(1)`), or null for a leaf. */
  producer: string | null;
}

/** A non-leaf input: its in-place write is recorded, and the op saved its old value. */
const input = (op: (x: Tensor) => Tensor) => (leaf: Tensor) => {
  const x = leaf.mul(1);
  return { y: op(x), saved: x };
};
/** The op saves its own output: write that in place. */
const output = (op: (x: Tensor) => Tensor) => (leaf: Tensor) => {
  const y = op(leaf);
  return { y, saved: y };
};

const rows: Row[] = [
  { name: 'sin', run: input((x) => x.sin()), producer: 'Mul' },
  { name: 'cos', run: input((x) => x.cos()), producer: 'Mul' },
  { name: 'log2', run: input((x) => x.log2()), producer: 'Mul' },
  { name: 'log10', run: input((x) => x.log10()), producer: 'Mul' },
  { name: 'log1p', run: input((x) => x.log1p()), producer: 'Mul' },
  { name: 'square', run: input((x) => x.square()), producer: 'Mul' },
  { name: 'expm1 (output)', run: output((x) => x.expm1()), producer: 'Expm1' },
  { name: 'rsqrt (output)', run: output((x) => x.rsqrt()), producer: 'Rsqrt' },
  { name: 'reciprocal (output)', run: output((x) => x.reciprocal()), producer: 'Reciprocal' },
  { name: 'clamp (x)', run: input((x) => x.clamp(0.6, 1.8)), producer: 'Mul' },
  {
    name: 'clamp (tensor bound)',
    run: (leaf) => {
      const lo = tensor([1, 1, 1]);
      return { y: leaf.clamp(lo, 3), saved: lo };
    },
    producer: null,
  },
  { name: 'maximum (a)', run: input((x) => maximum(x, tensor([1, 1, 1]))), producer: 'Mul' },
  {
    name: 'maximum (b)',
    run: (leaf) => {
      const b = tensor([1, 1, 1]);
      return { y: maximum(leaf, b), saved: b };
    },
    producer: null,
  },
  { name: 'minimum (a)', run: input((x) => minimum(x, tensor([1, 1, 1]))), producer: 'Mul' },
  { name: 'std (input)', run: input((x) => x.std()), producer: 'Mul' },
  { name: 'std (output)', run: output((x) => x.std()), producer: 'Std' },
  { name: 'prod', run: input((x) => x.prod()), producer: 'Mul' },
  { name: 'logsumexp (input)', run: input((x) => x.logsumexp(0)), producer: 'Mul' },
  { name: 'logsumexp (output)', run: output((x) => x.logsumexp(0)), producer: 'Logsumexp' },
  { name: 'norm (input)', run: input((x) => x.norm(3)), producer: 'Mul' },
  { name: 'norm (output)', run: output((x) => x.norm()), producer: 'Norm' },
  { name: 'amax (input)', run: input((x) => x.amax()), producer: 'Mul' },
  {
    name: 'embedding (indices)',
    run: (leaf) => {
      const indices = tensor(Int32Array.of(0, 1));
      const weight = leaf.reshape([3, 1]);
      return { y: functional.embedding(indices, weight), saved: indices };
    },
    producer: null,
  },
];

const leafOf = (): Tensor => tensor([0.5, 1.5, 2], undefined, { requiresGrad: true });

describe('saved tensors of the math, reduction and lookup ops are checked against in-place writes', () => {
  for (const row of rows) {
    it(`${row.name}: an in-place write between forward and backward throws torch's error`, () => {
      const leaf = leafOf();
      const { y, saved } = row.run(leaf);
      const before = saved.version;
      saved.add_(1); // a non-leaf or a leaf that needs no grad: the write is allowed and recorded
      expect(saved.version).toBe(before + 1);
      const which = row.producer === null ? '' : `, which is output 0 of ${row.producer},`;
      expect(() => y.sum().backward()).toThrow(
        `modified by an inplace operation: [${saved.dtype} [${saved.shape.join(', ')}]]${which} is at version ` +
          `${before + 1}; expected version ${before} instead.`,
      );
    });
    it(`${row.name}: without the write, backward succeeds`, () => {
      const leaf = leafOf();
      const { y } = row.run(leaf);
      y.sum().backward();
      expect(leaf.grad).not.toBeNull();
      expect(Array.from(leaf.grad!.data).every((v) => Number.isFinite(v))).toBe(true);
    });
  }

  it('a write after backward, under noGrad, stays legitimate', () => {
    const leaf = leafOf();
    const y = leaf.sin();
    y.sum().backward();
    noGrad(() => leaf.sub_(leaf.grad!));
    expect(leaf.version).toBe(1);
  });
});
