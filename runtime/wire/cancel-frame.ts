/**
 * The cancel frame (protocol version 2): a device that gives up on a request tells the edge, so
 * the edge does not spend compute on an answer nobody will read. 12 bytes, little-endian:
 * magic u32, version u8, kind u8 = 3, reserved u16 = 0, request id u32. The edge never replies
 * to a cancel (the device has stopped listening for that id).
 */
import { KIND_CANCEL, KIND_REPLY, KIND_REQUEST, WIRE_MAGIC, WIRE_VERSION, checkPreamble, dataView, frameError } from './protocol.ts';

export const CANCEL_FRAME_BYTES = 12;

/** Builds a cancel frame. @throws RangeError when requestId is not a u32 */
export function encodeCancel(requestId: number): Uint8Array {
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > 0xffffffff) throw new RangeError(`Expected requestId a u32, actually ${requestId}`);
  const frame = new Uint8Array(CANCEL_FRAME_BYTES);
  const v = dataView(frame);
  v.setUint32(0, WIRE_MAGIC, true);
  v.setUint8(4, WIRE_VERSION);
  v.setUint8(5, KIND_CANCEL);
  v.setUint32(8, requestId, true);
  return frame;
}

/**
 * Parses a cancel frame.
 * @throws CoinferError ERR_FRAME_* on a bad preamble, a wrong length or non-zero reserved bytes
 */
export function decodeCancel(frame: Uint8Array): { readonly requestId: number } {
  const v = dataView(frame);
  checkPreamble(v, KIND_CANCEL, CANCEL_FRAME_BYTES);
  if (frame.byteLength !== CANCEL_FRAME_BYTES) throw frameError('ERR_FRAME_MALFORMED', `Expected a ${CANCEL_FRAME_BYTES}-byte cancel frame, actually ${frame.byteLength} bytes`);
  if (v.getUint16(6, true) !== 0) throw frameError('ERR_FRAME_MALFORMED', `Expected reserved bytes 6..7 of a cancel frame = 0, actually ${v.getUint16(6, true)}`);
  return { requestId: v.getUint32(8, true) };
}

/** The kind byte of a frame ('request' | 'reply' | 'cancel'), or null when too short or unknown: for dispatch only, the decoders do the checking. */
export function frameKind(frame: Uint8Array): 'request' | 'reply' | 'cancel' | null {
  if (frame.byteLength < 6) return null;
  const k = frame[5];
  return k === KIND_REQUEST ? 'request' : k === KIND_REPLY ? 'reply' : k === KIND_CANCEL ? 'cancel' : null;
}
