/**
 * IEEE 754 binary16 ("half") conversion, hand-written because Node 20 has no `Math.f16round`
 * or `Float16Array`. float32 → half rounds to nearest, ties to even, on the float32 bit
 * pattern (no double rounding through float64); values beyond the half range become ±Infinity
 * as IEEE prescribes, subnormal halves are produced and read back exactly, NaN stays NaN.
 */

// One scratch word for bit casts; reinterpreting through it is synchronous, so sharing it
// between calls is safe (no await can interleave).
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Largest finite half, 65504. */
export const F16_MAX = 65504;

/**
 * The half bit pattern nearest to `value` (round to nearest, ties to even).
 * @param value any number; it is first rounded to float32, as a Float32Array element would be
 * @returns a 16-bit pattern in [0, 0xffff]
 */
export function f32ToF16Bits(value: number): number {
  F32[0] = value;
  const x = U32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // Inf or (quiet) NaN
  const e = exp - 127 + 15; // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // overflow → ±Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa right, rounding to even.
    if (e < -10) return sign; // below half the smallest subnormal → ±0
    const m = mant | 0x800000;
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h += 1; // may carry into the exponent: correct
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1; // a carry bumps the exponent, up to Inf: correct
  return sign | h;
}

/**
 * The value of a half bit pattern.
 * @param bits a 16-bit pattern
 */
export function f16BitsToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** `value` rounded to the nearest half, as a number (a polyfill of `Math.f16round`). */
export function f16Round(value: number): number {
  return f16BitsToF32(f32ToF16Bits(value));
}

let table: Float32Array | null = null;

/**
 * The value of every half bit pattern (65536 floats, 256 KiB), built on first use: decoding a
 * tensor through it is ~5× faster than f16BitsToF32 per element.
 */
export function f16Table(): Float32Array {
  if (table === null) {
    const t = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) t[h] = f16BitsToF32(h);
    table = t;
  }
  return table;
}
