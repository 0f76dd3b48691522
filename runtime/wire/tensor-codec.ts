/**
 * Wire encodings of the crossing tensor (docs/architecture.md §3). Pure functions over typed arrays.
 *
 * - `f32`: the float32 bytes as they are (exact; zero-copy on encode).
 * - `f16`: IEEE half, round to nearest even (f16.ts); values beyond ±65504 saturate to ±65504
 *   instead of becoming ±Infinity, so one outlier cannot poison the edge's suffix.
 *   Relative error ≤ 2⁻¹¹ for |x| ≥ 2⁻¹⁴, absolute error ≤ 2⁻²⁵ below.
 * - `int8`: per-tensor affine quantisation, q = clamp(round(x / scale) + zeroPoint, −128, 127),
 *   x ≈ (q − zeroPoint) · scale. The range is [min(min x, 0), max(max x, 0)], widened to
 *   contain 0 so that zero (most post-ReLU activations) is encoded exactly;
 *   scale = (hi − lo) / 255, zeroPoint = round(−128 − lo / scale). Absolute error ≤ scale / 2
 *   (+ float32 rounding). An all-zero tensor gets scale 1, zeroPoint 0.
 * - `uint8`: the raw input image bytes (partition 0), not preprocessed: the edge applies the
 *   manifest's preprocessing itself. It has no float decode here.
 *
 * The wire is little-endian; typed-array views assume a little-endian host (checked once).
 * Decoders accept misaligned byte views (ws hands out slices of its socket chunks at any
 * offset; a Float32Array view over such a slice throws) and copy only when the offset is not a multiple of the element size.
 */
import { endianness } from 'node:os';
import { CoinferError } from '../../common/errors.ts';
import type { Encoding, InputEncoding, JpegEncoding } from '../action.ts';
import { F16_MAX, f16Table, f32ToF16Bits } from './f16.ts';

if (endianness() !== 'LE') {
  throw new CoinferError('ERR_EDGE_INTERNAL', 'coinfer\'s wire codec needs a little-endian host; this one is big-endian');
}

/** Encodings that carry float activations (every partition ≥ 1). */
export type FloatEncoding = Exclude<Encoding, InputEncoding>;
/** Encodings whose payload size follows from the element count (all but the JPEGs). */
export type FixedSizeEncoding = Exclude<Encoding, JpegEncoding>;

/** Bytes per element of each fixed-size wire encoding. */
export const BYTES_PER_ELEMENT: Readonly<Record<FixedSizeEncoding, number>> = Object.freeze({ f32: 4, f16: 2, int8: 1, uint8: 1 });

/** An encoded tensor: payload bytes plus the quantisation parameters the decoder needs. */
export interface EncodedTensor {
  readonly encoding: Encoding;
  /** Number of elements (the payload holds elements × BYTES_PER_ELEMENT[encoding] bytes). */
  readonly elements: number;
  /** The payload, little-endian. For f32 it may be a view of the caller's array (do not mutate it before it is sent). */
  readonly bytes: Uint8Array;
  /** int8 only: the quantisation step, > 0; 1 otherwise. */
  readonly scale: number;
  /** int8 only: the code of 0.0, in [−128, 127]; 0 otherwise. */
  readonly zeroPoint: number;
}

function checkFinite(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is NaN for NaN and ±Infinity: one comparison per element.
    if (v - v !== 0) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a finite tensor to encode, actually element ${i} is ${v}; the model produced a non-finite activation (check the weights and the input)`);
    }
  }
}

/** Per-tensor affine parameters for `data` (see the module comment). */
export function int8Params(data: Float32Array): { scale: number; zeroPoint: number } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) return { scale: 1, zeroPoint: 0 };
  // Math.fround: the scale travels as float32, so quantise with exactly what the decoder sees.
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.min(127, Math.max(-128, Math.round(-128 - lo / scale)));
  return { scale, zeroPoint };
}

/**
 * Encodes a float tensor for the wire.
 * @param data the tensor, all elements finite
 * @param encoding f32, f16 or int8
 * @throws CoinferError ERR_INVALID_ARGUMENT on a NaN/±Infinity element or an unknown encoding
 * @example
 * const enc = encodeTensor(crossing, 'int8'); // enc.bytes.byteLength === crossing.length
 */
export function encodeTensor(data: Float32Array, encoding: FloatEncoding): EncodedTensor {
  checkFinite(data);
  const elements = data.length;
  switch (encoding) {
    case 'f32':
      return { encoding, elements, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), scale: 1, zeroPoint: 0 };
    case 'f16': {
      const out = new Uint16Array(elements);
      for (let i = 0; i < elements; i++) out[i] = f32ToF16Bits(Math.min(F16_MAX, Math.max(-F16_MAX, data[i]!)));
      return { encoding, elements, bytes: new Uint8Array(out.buffer), scale: 1, zeroPoint: 0 };
    }
    case 'int8': {
      const { scale, zeroPoint } = int8Params(data);
      const out = new Int8Array(elements);
      const inv = 1 / scale;
      for (let i = 0; i < elements; i++) {
        const q = Math.round(data[i]! * inv) + zeroPoint;
        out[i] = q < -128 ? -128 : q > 127 ? 127 : q;
      }
      return { encoding, elements, bytes: new Uint8Array(out.buffer), scale, zeroPoint };
    }
    default:
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected encoding f32, f16 or int8, actually ${String(encoding)}; raw images use encodeRawInput`);
  }
}

/** Wraps raw input image bytes (partition 0) as an encoded tensor, without copying. */
export function encodeRawInput(raw: Uint8Array): EncodedTensor {
  return { encoding: 'uint8', elements: raw.length, bytes: raw, scale: 1, zeroPoint: 0 };
}

/** A view of `bytes` whose byteOffset is a multiple of `align` (a copy only when it is not). */
function aligned(bytes: Uint8Array, align: number): Uint8Array {
  // new Uint8Array(typedArray) copies into a fresh buffer at offset 0; bytes.slice() would not
  // on a Node Buffer, whose slice() is a view.
  return bytes.byteOffset % align === 0 ? bytes : new Uint8Array(bytes);
}

/**
 * Decodes a float encoding back to float32.
 * @param enc the encoded tensor (its bytes may sit at any byteOffset)
 * @param out optional destination of length `enc.elements` (reused by the edge per request)
 * @returns float32 values; for f32 an aligned zero-copy view of `enc.bytes` when `out` is absent
 * @throws CoinferError ERR_FRAME_MALFORMED when the byte length does not match the element
 *   count, ERR_INVALID_ARGUMENT for the uint8 encoding (preprocess raw input instead)
 */
export function decodeTensor(enc: EncodedTensor, out?: Float32Array): Float32Array {
  const { encoding, elements } = enc;
  if (encoding === 'uint8' || encoding === 'jpeg90' || encoding === 'jpeg50') {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Raw ${encoding} input is not a float tensor: decode (jpeg-input.ts) and preprocess it with the model manifest instead`);
  }
  const want = elements * BYTES_PER_ELEMENT[encoding];
  if (enc.bytes.byteLength !== want) {
    throw new CoinferError('ERR_FRAME_MALFORMED', `Expected ${want} payload bytes for ${elements} ${encoding} elements, actually ${enc.bytes.byteLength}`);
  }
  if (out !== undefined && out.length !== elements) {
    throw new RangeError(`Expected out.length ${elements}, actually ${out.length}`);
  }
  switch (encoding) {
    case 'f32': {
      const b = aligned(enc.bytes, 4);
      const view = new Float32Array(b.buffer, b.byteOffset, elements);
      if (out === undefined) return view;
      out.set(view);
      return out;
    }
    case 'f16': {
      const b = aligned(enc.bytes, 2);
      const src = new Uint16Array(b.buffer, b.byteOffset, elements);
      const dst = out ?? new Float32Array(elements);
      const table = f16Table();
      for (let i = 0; i < elements; i++) dst[i] = table[src[i]!]!;
      return dst;
    }
    case 'int8': {
      if (!(enc.scale > 0) || !Number.isFinite(enc.scale)) {
        throw new CoinferError('ERR_FRAME_MALFORMED', `Expected an int8 scale finite and > 0, actually ${enc.scale}`);
      }
      const src = new Int8Array(enc.bytes.buffer, enc.bytes.byteOffset, elements);
      const dst = out ?? new Float32Array(elements);
      const { scale, zeroPoint } = enc;
      for (let i = 0; i < elements; i++) dst[i] = (src[i]! - zeroPoint) * scale;
      return dst;
    }
    default:
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected encoding f32, f16 or int8, actually ${String(encoding)}`);
  }
}
