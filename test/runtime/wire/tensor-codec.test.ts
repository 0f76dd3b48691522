import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { createRng } from '../../../common/rng.ts';
import { f16BitsToF32, f16Round, f16Table, f32ToF16Bits } from '../../../runtime/wire/f16.ts';
import { decodeTensor, encodeRawInput, encodeTensor, int8Params, type EncodedTensor } from '../../../runtime/wire/tensor-codec.ts';

function randomTensor(n: number, seed: number, amplitude = 4): Float32Array {
  const rng = createRng(seed);
  const t = new Float32Array(n);
  // A ReLU-like activation: a third zeros, the rest spread over several magnitudes.
  for (let i = 0; i < n; i++) t[i] = rng.next() < 0.33 ? 0 : rng.normal() * amplitude;
  return t;
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** The same bytes at an odd byteOffset in a Node Buffer, as ws delivers them. */
function misaligned(enc: EncodedTensor): EncodedTensor {
  const buf = Buffer.alloc(enc.bytes.byteLength + 3);
  buf.set(enc.bytes, 3);
  return { ...enc, bytes: buf.subarray(3) };
}

describe('f16', () => {
  it('matches known half bit patterns', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // halfway to the next binade rounds up to Inf
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie → even (0)
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie 1.5 ulp → even (2)
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
  });

  it('rounds ties to even in the normal range', () => {
    // 1 + 2^-11 is exactly half an ulp above 1: ties to 1 (even mantissa).
    expect(f16Round(1 + 2 ** -11)).toBe(1);
    // 1 + 3·2^-11 lies halfway between 1+2^-10 (odd) and 1+2^-9 (even).
    expect(f16Round(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(f16Round(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10);
  });

  it('round-trips every finite half exactly', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if (((h >>> 10) & 0x1f) === 0x1f) continue; // Inf and NaN
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('has a decode table equal to f16BitsToF32 for every pattern (NaN stays NaN)', () => {
    const t = f16Table();
    let mismatches = 0;
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (!(Object.is(t[h], v) || (Number.isNaN(v) && Number.isNaN(t[h])))) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});

describe('encodeTensor / decodeTensor', () => {
  const data = randomTensor(4096, 7);

  it('f32 is exact, zero-copy on encode, and survives a misaligned view', () => {
    const enc = encodeTensor(data, 'f32');
    expect(enc.bytes.byteLength).toBe(4 * data.length);
    expect(enc.bytes.buffer).toBe(data.buffer);
    expect(decodeTensor(enc)).toEqual(data);
    expect(decodeTensor(misaligned(enc))).toEqual(data);
  });

  it('f16 stays within 2^-11 relative error (2^-25 absolute near zero)', () => {
    const enc = encodeTensor(data, 'f16');
    expect(enc.bytes.byteLength).toBe(2 * data.length);
    const back = decodeTensor(misaligned(enc));
    let worst = 0;
    for (let i = 0; i < data.length; i++) {
      const err = Math.abs(back[i]! - data[i]!);
      worst = Math.max(worst, err / Math.max(Math.abs(data[i]!), 2 ** -14));
      expect(err).toBeLessThanOrEqual(Math.max(Math.abs(data[i]!) * 2 ** -11, 2 ** -25));
    }
    expect(worst).toBeGreaterThan(0); // the test data really loses precision
  });

  it('f16 saturates values beyond its range instead of producing Infinity', () => {
    const back = decodeTensor(encodeTensor(new Float32Array([1e6, -1e6, 3]), 'f16'));
    expect(Array.from(back)).toEqual([65504, -65504, 3]);
  });

  it('int8 stays within scale/2, encodes zero exactly, and uses the whole code range', () => {
    const enc = encodeTensor(data, 'int8');
    expect(enc.bytes.byteLength).toBe(data.length);
    const back = decodeTensor(misaligned(enc));
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(enc.scale / 2 + 1e-6 * Math.abs(data[i]!));
      if (data[i] === 0) expect(back[i]).toBe(0);
    }
    const codes = new Int8Array(enc.bytes.buffer, enc.bytes.byteOffset, enc.elements);
    expect(Math.min(...codes)).toBe(-128);
    expect(Math.max(...codes)).toBe(127);
  });

  it('int8 widens the range to contain 0 for an all-positive tensor', () => {
    const pos = new Float32Array([0.5, 1, 2, 4]);
    const { scale, zeroPoint } = int8Params(pos);
    expect(zeroPoint).toBe(-128);
    expect(scale).toBeCloseTo(4 / 255, 7);
    const back = decodeTensor(encodeTensor(pos, 'int8'));
    expect(back[3]).toBeCloseTo(4, 5);
  });

  it('handles a constant tensor in every encoding', () => {
    for (const c of [0, 3.25, -7]) {
      const t = new Float32Array(64).fill(c);
      for (const e of ['f32', 'f16', 'int8'] as const) {
        const back = decodeTensor(encodeTensor(t, e));
        for (const v of back) expect(v).toBeCloseTo(c, 5);
      }
    }
    const zeros = encodeTensor(new Float32Array(8), 'int8');
    expect(zeros.scale).toBe(1);
    expect(zeros.zeroPoint).toBe(0);
  });

  it('handles an empty tensor', () => {
    for (const e of ['f32', 'f16', 'int8'] as const) expect(decodeTensor(encodeTensor(new Float32Array(0), e)).length).toBe(0);
  });

  it('rejects NaN and Infinity with ERR_INVALID_ARGUMENT', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const e of ['f32', 'f16', 'int8'] as const) expectCode(() => encodeTensor(new Float32Array([1, bad, 2]), e), 'ERR_INVALID_ARGUMENT');
    }
  });

  it('decodes into a caller-provided buffer', () => {
    const out = new Float32Array(data.length);
    expect(decodeTensor(encodeTensor(data, 'f32'), out)).toBe(out);
    expect(out).toEqual(data);
  });

  it('rejects a payload whose length does not match the element count', () => {
    const enc = encodeTensor(data, 'f16');
    expectCode(() => decodeTensor({ ...enc, elements: enc.elements + 1 }), 'ERR_FRAME_MALFORMED');
  });

  it('wraps raw input without copying and refuses to float-decode it', () => {
    const raw = new Uint8Array([1, 2, 3]);
    const enc = encodeRawInput(raw);
    expect(enc.bytes).toBe(raw);
    expect(enc.encoding).toBe('uint8');
    expectCode(() => decodeTensor(enc), 'ERR_INVALID_ARGUMENT');
  });
});
