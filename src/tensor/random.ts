/**
 * The seeded generator behind `rand`, `randn`, parameter initialisation and dropout.
 *
 * xoshiro128** (Blackman & Vigna) on 32-bit integer arithmetic only (`Math.imul`, shifts), so the
 * same seed gives the same bits on every JavaScript engine. `uniform()` takes the top 24 bits, which
 * is exactly representable in float32. `normal()` is Box-Muller; it uses `Math.log`, `Math.sqrt` and
 * `Math.cos`, whose last-ulp results may in principle differ between engines, but the float64 result
 * is rounded to float32 before it is stored, which hides such differences in practice.
 */
import { describeValue } from './check.js';

/**
 * A seeded random number generator (xoshiro128**): the same seed gives the same numbers on every
 * JavaScript engine.
 * @example
 * const gen = new Generator(123);
 * gen.uniform();                    // in [0, 1)
 * randn([3], { generator: gen });   // draws from gen, not the default generator
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /**
   * Resets the state from a 32-bit seed, expanded with splitmix32.
   * @example
   * gen.seed(7); // restart the sequence of seed 7
   */
  seed(seed: number): void {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spare = null;
  }

  /**
   * The next 32 random bits as an unsigned integer.
   * @example
   * new Generator(0).nextUint32(); // an integer in [0, 2^32)
   */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * A uniform number in [0, 1) with 24 random bits (exact in float32).
   * @example
   * new Generator(0).uniform();
   */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /**
   * A standard normal sample by the Box-Muller transform, `sqrt(-2 ln u1) cos(2 pi u2)` (pairs are cached).
   * @example
   * new Generator(0).normal();
   */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: keeps log finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /**
   * A uniform integer in [0, n).
   * @example
   * new Generator(0).int(10); // one of 0..9
   */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * A uniform number in [0, 1) with 53 random bits (two draws): the full float64 grid.
   * @example
   * new Generator(0).uniform53();
   */
  uniform53(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * An exactly uniform integer in [0, n) for an integer 1 <= n <= 2^32, by rejection: 32-bit draws
   * at or above the largest multiple of n are redrawn, so every residue is equally likely
   * (`int(n)` scales 24 bits and is only approximately uniform for large n).
   * @example
   * new Generator(0).below(6); // one of 0..5, each with probability exactly 1/6
   */
  below(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % n;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The process-wide default generator that `manualSeed` resets. */
export const defaultGenerator = new Generator(0);

/**
 * Seeds the default generator behind `rand`, `randn`, initialisation and dropout: same seed, same
 * numbers, on every platform.
 * @example
 * manualSeed(0);
 * const a = randn([2]);
 * manualSeed(0);
 * const b = randn([2]); // equal to a
 */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`manualSeed: seed must be a finite number, got ${describeValue(seed)}`);
  defaultGenerator.seed(seed);
}
