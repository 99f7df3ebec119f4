/**
 * A high-precision reference for the error function, independent of typegrad:
 * the Maclaurin series erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)) evaluated in
 * 512-bit fixed point with BigInt, so the cancellation that limits a float64 series (terms of
 * ~1e12 at |x| = 6) costs nothing. Accurate to far below 1e-30 for 2^-400 < |x| <= 8.
 */
const P = 512n; // fractional bits
const SCALE = 1n << P;

/** pi to 100 decimals. */
const PI_DIGITS =
  '31415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679';

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

const PI_FIXED = (BigInt(PI_DIGITS) * SCALE) / 10n ** 100n;
/** 2 / sqrt(pi) in fixed point. */
const TWO_OVER_SQRT_PI = (2n * SCALE * SCALE) / isqrt(PI_FIXED * SCALE);

/** A double as an exact fixed-point BigInt (exact for |x| >= 2^-460). */
function toFixed(x: number): bigint {
  if (x === 0) return 0n;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const bits = buf.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const shift = BigInt((exp === 0 ? 1 : exp) - 1075) + P; // x = mant * 2^(e - 1075)
  const v = shift >= 0n ? mant << shift : mant >> -shift;
  return x < 0 ? -v : v;
}

/** erf(x) * 2^512 as a BigInt. */
export function erfFixed(x: number): bigint {
  const X = toFixed(x);
  const X2 = (X * X) >> P;
  let term = X; // (-1)^n x^(2n+1) / n!
  let sum = X;
  for (let n = 1n; ; n++) {
    term = -((term * X2) >> P) / n;
    sum += term / (2n * n + 1n);
    if (term === 0n || (n > 64n && (term < 0n ? -term : term) < SCALE >> 300n)) break;
  }
  return (sum * TWO_OVER_SQRT_PI) >> P;
}

/** The reference erf rounded to the nearest double (one rounding, in `Number(bigint)`). */
export function refErf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) > 8) return Math.sign(x); // erfc(8) ~ 1e-29
  return Number(erfFixed(x)) / 2 ** Number(P); // dividing by a power of two is exact
}

/** The first `digits` decimals of erf(x) as a string (to check the reference itself). */
export function erfDecimals(x: number, digits: number): string {
  return ((erfFixed(x) * 10n ** BigInt(digits)) >> P).toString();
}
