/**
 * Binary frames of the device↔edge protocol (docs/architecture.md §3): one request frame per inference
 * request (header + crossing tensor), one reply frame per request. All integers and floats
 * little-endian.
 *
 * Request (32 + 4·rank header bytes, a multiple of 4, so the payload that follows can be
 * viewed as float32 in place when the frame itself is aligned):
 * | off | type | field |
 * |---|---|---|
 * | 0 | u32 | magic 0x464e4943 ("CINF" in byte order) |
 * | 4 | u8 | version (2) |
 * | 5 | u8 | kind: 1 request |
 * | 6 | u8 | partition (stages the device ran) |
 * | 7 | u8 | exit (1-based) |
 * | 8 | u32 | request id (chosen by the device, echoed) |
 * | 12 | u32 | model id (ModelPackage.modelId: the first 32 bits of the ONNX sha256) |
 * | 16 | u8 | encoding: index in ENCODINGS (f32, f16, int8, uint8, jpeg90, jpeg50) |
 * | 17 | u8 | dtype of the payload: 0 float32, 1 float16, 2 int8, 3 uint8, 4 JPEG bytes (must match encoding) |
 * | 18 | u8 | rank, 1..8 |
 * | 19 | u8 | reserved, 0 |
 * | 20 | f32 | budget: ms from sending during which the device will still use a reply (its give-up time, relative because device and edge clocks differ); 0 = none |
 * | 24 | f32 | int8 scale (1 otherwise) |
 * | 28 | i32 | int8 zero point (0 otherwise) |
 * | 32 | u32×rank | dims, batch first, each ≥ 1 |
 * then product(dims) × bytes-per-element payload bytes, nothing after. A JPEG payload (jpeg90,
 * jpeg50: the raw input, partition 0) is one image: dims [1, C, H, W] describe the decoded
 * pixels and the payload is the JPEG file, 1..maxJpegBytes(dims) bytes (its length is the
 * frame's rest); the edge decodes and checks it against dims (jpeg-input.ts).
 *
 * Reply (28-byte header): magic u32, version u8, kind u8 = 2, status u8 (WIRE_STATUSES index),
 * exit u8, request id u32, edge queueMs f32, edge computeMs f32, batch u16, classes u16,
 * message bytes u16, reserved u16; then predicted class i32×batch, probabilities
 * f32×batch×classes, and a UTF-8 message (error detail; empty when OK).
 *
 * Cancel (kind 3, 12 bytes; cancel-frame.ts): the device gave up on a request id; the edge
 * drops it if it has not started it, and sends no reply.
 *
 * Version 2 (was 1): the f32 at 20 is the device's give-up budget (was the whole time left),
 * the cancel frame, and the ERR_EDGE_BUSY status from admission control.
 */
import { CoinferError } from '../../common/errors.ts';
import { ENCODINGS, isJpeg, type Encoding } from '../action.ts';
import { BYTES_PER_ELEMENT } from './tensor-codec.ts';
import { wireStatusNumber, wireStatusOf, type WireStatus } from './wire-status.ts';

export const WIRE_MAGIC = 0x464e4943;
export const WIRE_VERSION = 2;
export const MAX_RANK = 8;
export const REQUEST_FIXED_BYTES = 32;
export const REPLY_FIXED_BYTES = 28;
export const KIND_REQUEST = 1;
export const KIND_REPLY = 2;
export const KIND_CANCEL = 3;
/** The payload dtype byte for each encoding (index = dtype number). */
const DTYPE_OF: Readonly<Record<Encoding, number>> = { f32: 0, f16: 1, int8: 2, uint8: 3, jpeg90: 4, jpeg50: 4 };

/** The header fields of a request frame. */
export interface RequestHeader {
  /** Device-chosen id, u32, echoed in the reply. */
  readonly requestId: number;
  /** u32 model id (ModelPackage.modelId); the edge refuses other models. */
  readonly modelId: number;
  /** Backbone stages the device ran, 0..255. */
  readonly partition: number;
  /** 1-based exit, 1..255. */
  readonly exit: number;
  readonly encoding: Encoding;
  /** Tensor dims, batch first; 1..8 of them, each an integer ≥ 1. */
  readonly dims: readonly number[];
  /** Ms from sending during which the device still uses a reply (float32); 0 = no deadline. */
  readonly deadlineMs: number;
  /** int8 quantisation step (1 for other encodings). */
  readonly scale: number;
  /** int8 zero point (0 for other encodings). */
  readonly zeroPoint: number;
}

/** A decoded request: header and payload (a view into the received frame, not a copy). */
export interface RequestFrame extends RequestHeader {
  readonly payload: Uint8Array;
}

/** A reply frame. */
export interface ReplyFrame {
  readonly requestId: number;
  readonly status: WireStatus;
  readonly exit: number;
  /** Edge time from receipt to compute start, ms. */
  readonly queueMs: number;
  /** Edge compute time (including an emulated profile's wait), ms. */
  readonly computeMs: number;
  /** Classes per sample (0 on error). */
  readonly numClasses: number;
  /** Predicted class per sample (empty on error). */
  readonly predictedClasses: Int32Array;
  /** Exit probabilities, batch × numClasses, row-major (empty on error). */
  readonly probabilities: Float32Array;
  /** Error detail for people; '' when OK. */
  readonly message: string;
}

export function frameError(code: 'ERR_FRAME_MALFORMED' | 'ERR_FRAME_TRUNCATED' | 'ERR_FRAME_TOO_LARGE' | 'ERR_FRAME_BAD_MAGIC' | 'ERR_FRAME_BAD_VERSION', msg: string): CoinferError {
  return new CoinferError(code, msg);
}

export function dataView(frame: Uint8Array): DataView {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
}

/** Checks magic, version and kind; shared by requests and replies. */
export function checkPreamble(v: DataView, kind: number, fixedBytes: number): void {
  const what = kind === KIND_REQUEST ? 'request' : kind === KIND_REPLY ? 'reply' : 'cancel';
  if (v.byteLength < 4) throw frameError('ERR_FRAME_TRUNCATED', `A ${what} frame needs at least ${fixedBytes} bytes, actually ${v.byteLength}`);
  const magic = v.getUint32(0, true);
  if (magic !== WIRE_MAGIC) {
    throw frameError('ERR_FRAME_BAD_MAGIC', `Expected magic 0x${WIRE_MAGIC.toString(16)}, actually 0x${magic.toString(16)}; the peer does not speak the coinfer protocol`);
  }
  if (v.byteLength < 5) throw frameError('ERR_FRAME_TRUNCATED', `A ${what} frame needs at least ${fixedBytes} bytes, actually ${v.byteLength}`);
  const version = v.getUint8(4);
  if (version !== WIRE_VERSION) {
    throw frameError('ERR_FRAME_BAD_VERSION', `Expected protocol version ${WIRE_VERSION}, actually ${version}; upgrade the older side`);
  }
  if (v.byteLength < fixedBytes) throw frameError('ERR_FRAME_TRUNCATED', `A ${what} frame needs at least ${fixedBytes} bytes, actually ${v.byteLength}`);
  if (v.getUint8(5) !== kind) throw frameError('ERR_FRAME_MALFORMED', `Expected frame kind ${kind} (${what}), actually ${v.getUint8(5)}`);
}

function checkU(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`Expected ${name} an integer in [0, ${max}], actually ${value}`);
}

/** Payload bytes a header declares; null for a JPEG (variable length, see maxJpegBytes). */
export function declaredPayloadBytes(h: Pick<RequestHeader, 'dims' | 'encoding'>): number | null {
  if (isJpeg(h.encoding)) return null;
  return h.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[h.encoding];
}

/**
 * The largest JPEG payload accepted for an image of `dims`: twice its raw pixels plus 2 KiB of
 * headers and tables (a baseline JPEG at quality 100 stays well below; anything larger is not
 * a sensible encoding of that image).
 */
export function maxJpegBytes(dims: readonly number[]): number {
  return 2 * dims.reduce((a, b) => a * b, 1) + 2048;
}

/** Checks a JPEG request's dims and payload length. @throws CoinferError ERR_FRAME_MALFORMED | ERR_FRAME_TRUNCATED */
function checkJpegPayload(dims: readonly number[], got: number): void {
  if (dims.length !== 4 || dims[0] !== 1) throw frameError('ERR_FRAME_MALFORMED', `Expected JPEG dims [1,C,H,W] (one image), actually [${dims.join(',')}]`);
  if (got < 1) throw frameError('ERR_FRAME_TRUNCATED', 'Expected a JPEG payload of at least 1 byte, actually 0');
  const max = maxJpegBytes(dims);
  if (got > max) throw frameError('ERR_FRAME_MALFORMED', `Expected a JPEG payload of at most ${max} bytes for dims [${dims.join(',')}], actually ${got}`);
}

/**
 * Builds a request frame (one buffer: header, then a copy of `payload`).
 * @throws RangeError on a field out of its wire range; CoinferError ERR_FRAME_MALFORMED when
 *   the payload length does not match dims × encoding
 */
export function encodeRequest(header: RequestHeader, payload: Uint8Array): Uint8Array {
  const { dims } = header;
  checkU('requestId', header.requestId, 0xffffffff);
  checkU('modelId', header.modelId, 0xffffffff);
  checkU('partition', header.partition, 255);
  checkU('exit', header.exit, 255);
  if (!(ENCODINGS as readonly string[]).includes(header.encoding)) throw new RangeError(`Expected encoding one of ${ENCODINGS.join('|')}, actually ${String(header.encoding)}`);
  if (dims.length < 1 || dims.length > MAX_RANK) throw new RangeError(`Expected 1..${MAX_RANK} dims, actually ${dims.length}`);
  for (const d of dims) if (!Number.isInteger(d) || d < 1 || d > 0xffffffff) throw new RangeError(`Expected every dim an integer >= 1, actually [${dims.join(',')}]`);
  if (!(header.deadlineMs >= 0) || !Number.isFinite(header.deadlineMs)) throw new RangeError(`Expected deadlineMs finite and >= 0, actually ${header.deadlineMs}`);
  if (!Number.isInteger(header.zeroPoint) || header.zeroPoint < -128 || header.zeroPoint > 127) throw new RangeError(`Expected zeroPoint an integer in [-128, 127], actually ${header.zeroPoint}`);
  if (!(header.scale > 0) || !Number.isFinite(header.scale)) throw new RangeError(`Expected scale finite and > 0, actually ${header.scale}`);
  if (isJpeg(header.encoding)) checkJpegPayload(dims, payload.byteLength);
  const want = declaredPayloadBytes(header) ?? payload.byteLength; // a JPEG's is its own length
  if (payload.byteLength !== want) {
    throw new CoinferError('ERR_FRAME_MALFORMED', `Expected a ${want}-byte payload for dims [${dims.join(',')}] in ${header.encoding}, actually ${payload.byteLength}`);
  }
  const headerBytes = REQUEST_FIXED_BYTES + 4 * dims.length;
  const frame = new Uint8Array(headerBytes + want);
  const v = dataView(frame);
  v.setUint32(0, WIRE_MAGIC, true);
  v.setUint8(4, WIRE_VERSION);
  v.setUint8(5, KIND_REQUEST);
  v.setUint8(6, header.partition);
  v.setUint8(7, header.exit);
  v.setUint32(8, header.requestId, true);
  v.setUint32(12, header.modelId, true);
  v.setUint8(16, ENCODINGS.indexOf(header.encoding));
  v.setUint8(17, DTYPE_OF[header.encoding]);
  v.setUint8(18, dims.length);
  v.setFloat32(20, header.deadlineMs, true);
  v.setFloat32(24, header.scale, true);
  v.setInt32(28, header.zeroPoint, true);
  dims.forEach((d, i) => v.setUint32(REQUEST_FIXED_BYTES + 4 * i, d, true));
  frame.set(payload, headerBytes);
  return frame;
}

/** The request id of a frame, as far as it can be read (0 when the frame is too short): for error replies. */
export function peekRequestId(frame: Uint8Array): number {
  return frame.byteLength >= 12 ? dataView(frame).getUint32(8, true) : 0;
}

/**
 * Parses and checks a request frame: framing only (magic, version, sizes, field ranges), not
 * the model, the action or the shape, which need the manifest (the edge checks those).
 * @param frame the received bytes, at any byteOffset
 * @param maxFrameBytes frames, or declared payloads, larger than this are refused
 * @throws CoinferError ERR_FRAME_TRUNCATED | ERR_FRAME_BAD_MAGIC | ERR_FRAME_BAD_VERSION |
 *   ERR_FRAME_MALFORMED | ERR_FRAME_TOO_LARGE
 */
export function decodeRequest(frame: Uint8Array, maxFrameBytes: number): RequestFrame {
  if (frame.byteLength > maxFrameBytes) {
    throw frameError('ERR_FRAME_TOO_LARGE', `Expected a frame of at most ${maxFrameBytes} bytes, actually ${frame.byteLength}; raise the edge's --max-frame-bytes or send a smaller tensor`);
  }
  const v = dataView(frame);
  checkPreamble(v, KIND_REQUEST, REQUEST_FIXED_BYTES);
  const encodingIndex = v.getUint8(16);
  const encoding = ENCODINGS[encodingIndex];
  if (encoding === undefined) throw frameError('ERR_FRAME_MALFORMED', `Expected encoding number 0..${ENCODINGS.length - 1}, actually ${encodingIndex}`);
  if (v.getUint8(17) !== DTYPE_OF[encoding]) {
    throw frameError('ERR_FRAME_MALFORMED', `Expected dtype ${DTYPE_OF[encoding]} for encoding ${encoding}, actually ${v.getUint8(17)}`);
  }
  const rank = v.getUint8(18);
  if (rank < 1 || rank > MAX_RANK) throw frameError('ERR_FRAME_MALFORMED', `Expected rank 1..${MAX_RANK}, actually ${rank}`);
  if (v.getUint8(19) !== 0) throw frameError('ERR_FRAME_MALFORMED', `Expected reserved byte 19 = 0, actually ${v.getUint8(19)}`);
  const deadlineMs = v.getFloat32(20, true);
  if (!(deadlineMs >= 0) || !Number.isFinite(deadlineMs)) throw frameError('ERR_FRAME_MALFORMED', `Expected deadline ms finite and >= 0, actually ${deadlineMs}`);
  const scale = v.getFloat32(24, true);
  const zeroPoint = v.getInt32(28, true);
  if (!(scale > 0) || !Number.isFinite(scale)) throw frameError('ERR_FRAME_MALFORMED', `Expected scale finite and > 0, actually ${scale}`);
  if (zeroPoint < -128 || zeroPoint > 127) throw frameError('ERR_FRAME_MALFORMED', `Expected zero point in [-128, 127], actually ${zeroPoint}`);
  const headerBytes = REQUEST_FIXED_BYTES + 4 * rank;
  if (frame.byteLength < headerBytes) throw frameError('ERR_FRAME_TRUNCATED', `Expected a ${headerBytes}-byte header for rank ${rank}, actually ${frame.byteLength} bytes in all`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = v.getUint32(REQUEST_FIXED_BYTES + 4 * i, true);
    if (d < 1) throw frameError('ERR_FRAME_MALFORMED', `Expected every dim >= 1, actually dim ${i} = 0`);
    dims.push(d);
  }
  if (isJpeg(encoding)) {
    checkJpegPayload(dims, frame.byteLength - headerBytes);
  } else {
    checkFixedPayload(frame.byteLength - headerBytes, declaredPayloadBytes({ dims, encoding })!, { dims, encoding, headerBytes, maxFrameBytes });
  }
  return {
    requestId: v.getUint32(8, true),
    modelId: v.getUint32(12, true),
    partition: v.getUint8(6),
    exit: v.getUint8(7),
    encoding,
    dims,
    deadlineMs,
    scale,
    zeroPoint,
    payload: frame.subarray(headerBytes),
  };
}

function checkFixedPayload(got: number, want: number, o: { dims: number[]; encoding: Encoding; headerBytes: number; maxFrameBytes: number }): void {
  const { dims, encoding, headerBytes, maxFrameBytes } = o;
  if (headerBytes + want > maxFrameBytes) {
    throw frameError('ERR_FRAME_TOO_LARGE', `Dims [${dims.join(',')}] in ${encoding} declare a ${headerBytes + want}-byte frame, more than the ${maxFrameBytes}-byte limit`);
  }
  if (got < want) throw frameError('ERR_FRAME_TRUNCATED', `Expected ${want} payload bytes for dims [${dims.join(',')}] in ${encoding}, actually ${got}`);
  if (got > want) throw frameError('ERR_FRAME_MALFORMED', `Expected ${want} payload bytes for dims [${dims.join(',')}] in ${encoding}, actually ${got} (trailing bytes)`);
}

/** Reply fields to encode; class and probability arrays are empty for an error. */
export type ReplyInit = Omit<ReplyFrame, 'message'> & { readonly message?: string };

/** Builds a reply frame. @throws RangeError on an inconsistent batch × classes layout */
export function encodeReply(r: ReplyInit): Uint8Array {
  const batch = r.predictedClasses.length;
  if (r.probabilities.length !== batch * r.numClasses) {
    throw new RangeError(`Expected ${batch} × ${r.numClasses} probabilities, actually ${r.probabilities.length}`);
  }
  checkU('batch', batch, 0xffff);
  checkU('numClasses', r.numClasses, 0xffff);
  // The message is for people: cut it so the reply stays small and its length fits the u16.
  const msg = Buffer.from((r.message ?? '').slice(0, 1000), 'utf8');
  const classesOff = REPLY_FIXED_BYTES;
  const probsOff = classesOff + 4 * batch;
  const msgOff = probsOff + 4 * r.probabilities.length;
  const frame = new Uint8Array(msgOff + msg.byteLength);
  const v = dataView(frame);
  v.setUint32(0, WIRE_MAGIC, true);
  v.setUint8(4, WIRE_VERSION);
  v.setUint8(5, KIND_REPLY);
  v.setUint8(6, wireStatusNumber(r.status));
  v.setUint8(7, r.exit & 0xff);
  v.setUint32(8, r.requestId >>> 0, true);
  v.setFloat32(12, r.queueMs, true);
  v.setFloat32(16, r.computeMs, true);
  v.setUint16(20, batch, true);
  v.setUint16(22, r.numClasses, true);
  v.setUint16(24, msg.byteLength, true);
  new Int32Array(frame.buffer, classesOff, batch).set(r.predictedClasses);
  new Float32Array(frame.buffer, probsOff, r.probabilities.length).set(r.probabilities);
  frame.set(msg, msgOff);
  return frame;
}

/**
 * Parses a reply frame (copies the arrays out, so the frame's buffer can be reused).
 * @throws CoinferError ERR_FRAME_* when the reply is not a well-formed coinfer reply
 */
export function decodeReply(frame: Uint8Array): ReplyFrame {
  const v = dataView(frame);
  checkPreamble(v, KIND_REPLY, REPLY_FIXED_BYTES);
  const batch = v.getUint16(20, true);
  const numClasses = v.getUint16(22, true);
  const msgBytes = v.getUint16(24, true);
  const probsOff = REPLY_FIXED_BYTES + 4 * batch;
  const msgOff = probsOff + 4 * batch * numClasses;
  if (frame.byteLength !== msgOff + msgBytes) {
    const code = frame.byteLength < msgOff + msgBytes ? 'ERR_FRAME_TRUNCATED' : 'ERR_FRAME_MALFORMED';
    throw frameError(code, `Expected a ${msgOff + msgBytes}-byte reply for batch ${batch} × ${numClasses} classes, actually ${frame.byteLength}`);
  }
  // Copy into a fresh buffer at offset 0 (aligned; the frame may sit at any byteOffset). Not
  // frame.slice(): on a Node Buffer that is a view.
  const body = new Uint8Array(frame.subarray(REPLY_FIXED_BYTES, msgOff));
  return {
    requestId: v.getUint32(8, true),
    status: wireStatusOf(v.getUint8(6)),
    exit: v.getUint8(7),
    queueMs: v.getFloat32(12, true),
    computeMs: v.getFloat32(16, true),
    numClasses,
    predictedClasses: new Int32Array(body.buffer, 0, batch),
    probabilities: new Float32Array(body.buffer, 4 * batch, batch * numClasses),
    message: Buffer.from(frame.buffer, frame.byteOffset + msgOff, msgBytes).toString('utf8'),
  };
}
