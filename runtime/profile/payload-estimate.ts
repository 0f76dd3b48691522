/**
 * Uplink bytes of one offloaded request for the latency models: the request frame of the wire
 * protocol (runtime/wire/protocol.ts) — its fixed header, one u32 per tensor dimension, then
 * the crossing tensor in its encoding. Pure; derived from the protocol's own constants so the
 * models and the wire can never disagree.
 *
 * Element sizes: f32 4 B, f16 2 B, int8 1 B, raw input uint8 1 B. int8's per-tensor scale and
 * zero point travel in the fixed header (every request carries those 8 bytes). A JPEG input's
 * size depends on the image: models use the package's measured mean (jpegPayloadBytes).
 */
import { REQUEST_FIXED_BYTES } from '../wire/protocol.ts';
import { BYTES_PER_ELEMENT, type FixedSizeEncoding } from '../wire/tensor-codec.ts';

export { BYTES_PER_ELEMENT };

/** Bytes per tensor dimension in the request header (u32). */
export const HEADER_BYTES_PER_DIM = 4;

export interface PayloadSpec {
  /** Elements of the crossing tensor (one sample). */
  readonly elements: number;
  readonly encoding: FixedSizeEncoding;
  /** Rank of the tensor including the batch dimension. */
  readonly rank: number;
}

/** Header bytes of a request carrying a tensor of `rank` dims (batch included). */
export function requestHeaderBytes(rank: number): number {
  return REQUEST_FIXED_BYTES + HEADER_BYTES_PER_DIM * rank;
}

/** Total uplink bytes of a request frame: header + encoded tensor. */
export function payloadBytes(spec: PayloadSpec): number {
  return requestHeaderBytes(spec.rank) + spec.elements * BYTES_PER_ELEMENT[spec.encoding];
}

/** Uplink bytes of a JPEG input request: header + the (measured mean) JPEG size. */
export function jpegPayloadBytes(jpegBytes: number, rank: number): number {
  return requestHeaderBytes(rank) + jpegBytes;
}
