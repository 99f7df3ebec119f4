/**
 * fast-check generators shared by the property tests: small shapes (rank 0-5, sizes 1-3 so that
 * size-1 axes are common), axis sets written with random signs, permutations, broadcastable pairs.
 */
import fc from 'fast-check';

/** Shapes of rank `minRank..maxRank` with every size in `1..maxDim`. */
export function shapeArb(minRank = 0, maxRank = 5, maxDim = 3): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * A non-empty subset of `0..rank-1`, each axis written either as itself or as its negative alias,
 * in random order. (An empty list is left out: torch reads `dim=[]` as "all axes", NumPy as "none".)
 */
export function axesArb(rank: number): fc.Arbitrary<number[]> {
  if (rank === 0) return fc.constant([]);
  return fc
    .subarray(
      Array.from({ length: rank }, (_, i) => i),
      { minLength: 1 },
    )
    .chain((axes) =>
      fc.tuple(
        fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }),
        fc.shuffledSubarray(axes, { minLength: axes.length }),
      ),
    )
    .map(([negate, axes]) => axes.map((a, i) => (negate[i] ? a - rank : a)));
}

/** A permutation of `0..rank-1`. */
export function permutationArb(rank: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray(
    Array.from({ length: rank }, (_, i) => i),
    { minLength: rank, maxLength: rank },
  );
}

/** A shape with an axis set and keepDim: the input of a reduction. */
export const reductionArb = shapeArb().chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    axes: fc.option(axesArb(shape.length), { nil: undefined }),
    keepDim: fc.boolean(),
    seed: fc.nat(),
  }),
);

/**
 * Two shapes that broadcast together: both derived from one output shape by dropping leading axes
 * and setting some sizes to 1.
 */
export const broadcastPairArb = shapeArb(0, 5).chain((out) => {
  const operand = fc
    .tuple(
      fc.integer({ min: 0, max: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    )
    .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
  return fc.record({ a: operand, b: operand, seed: fc.nat() });
});
