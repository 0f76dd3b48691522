import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  peekRequestId,
  REQUEST_FIXED_BYTES,
  type RequestHeader,
} from '../../../runtime/wire/protocol.ts';
import { encodeTensor } from '../../../runtime/wire/tensor-codec.ts';
import { decodeCancel, encodeCancel, frameKind } from '../../../runtime/wire/cancel-frame.ts';
import { WIRE_STATUSES, wireStatusForError, wireStatusNumber, wireStatusOf } from '../../../runtime/wire/wire-status.ts';

const MAX = 1 << 20;
const tensor = Float32Array.from({ length: 2 * 4 * 3 * 3 }, (_, i) => i / 7 - 3);
const header: RequestHeader = {
  requestId: 0xdeadbeef,
  modelId: 0x12345678,
  partition: 3,
  exit: 5,
  encoding: 'f32',
  dims: [2, 4, 3, 3],
  deadlineMs: 87.5,
  scale: 1,
  zeroPoint: 0,
};
const good = (): Uint8Array => encodeRequest(header, encodeTensor(tensor, 'f32').bytes);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    return (e as CoinferError).code;
  }
  return 'nothing thrown';
}

/** A copy of `frame` with `edit` applied through a DataView. */
function patched(frame: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const copy = frame.slice();
  edit(new DataView(copy.buffer));
  return copy;
}

describe('request frames', () => {
  it('round-trip every header field, with the payload right after a 4-aligned header', () => {
    const frame = good();
    expect((REQUEST_FIXED_BYTES + 4 * header.dims.length) % 4).toBe(0);
    const r = decodeRequest(frame, MAX);
    const { payload, ...fields } = r;
    expect(fields).toEqual(header);
    expect(payload.byteOffset % 4).toBe(0);
    expect(new Float32Array(payload.buffer, payload.byteOffset, tensor.length)).toEqual(tensor);
    expect(peekRequestId(frame)).toBe(0xdeadbeef);
  });

  it('carries int8 scale and zero point', () => {
    const enc = encodeTensor(tensor, 'int8');
    const frame = encodeRequest({ ...header, encoding: 'int8', scale: enc.scale, zeroPoint: enc.zeroPoint }, enc.bytes);
    const r = decodeRequest(frame, MAX);
    expect(r.scale).toBe(enc.scale);
    expect(r.zeroPoint).toBe(enc.zeroPoint);
    expect(r.payload.byteLength).toBe(tensor.length);
  });

  it('decodes a frame at a misaligned byteOffset', () => {
    const frame = good();
    const buf = new Uint8Array(frame.byteLength + 1);
    buf.set(frame, 1);
    const r = decodeRequest(buf.subarray(1), MAX);
    expect(r.requestId).toBe(header.requestId);
    expect(r.payload.byteLength).toBe(tensor.byteLength);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeRequest({ ...header, exit: 256 }, new Uint8Array(tensor.byteLength))).toThrow(RangeError);
    expect(() => encodeRequest({ ...header, dims: [] }, new Uint8Array(0))).toThrow(RangeError);
    expect(codeOf(() => encodeRequest(header, new Uint8Array(3)))).toBe('ERR_FRAME_MALFORMED');
  });

  describe('every bad-frame class gets its stable code', () => {
    const cases: [string, () => Uint8Array, string][] = [
      ['empty frame', () => new Uint8Array(0), 'ERR_FRAME_TRUNCATED'],
      ['3 bytes', () => good().subarray(0, 3), 'ERR_FRAME_TRUNCATED'],
      ['text instead of a frame', () => new TextEncoder().encode('GET / HTTP/1.1 please'), 'ERR_FRAME_BAD_MAGIC'],
      ['wrong magic', () => patched(good(), (v) => v.setUint32(0, 0x01020304, true)), 'ERR_FRAME_BAD_MAGIC'],
      ['wrong version', () => patched(good(), (v) => v.setUint8(4, 9)), 'ERR_FRAME_BAD_VERSION'],
      ['header cut short', () => good().subarray(0, 20), 'ERR_FRAME_TRUNCATED'],
      ['dims cut short', () => good().subarray(0, REQUEST_FIXED_BYTES + 6), 'ERR_FRAME_TRUNCATED'],
      ['payload cut short', () => good().subarray(0, good().byteLength - 4), 'ERR_FRAME_TRUNCATED'],
      ['trailing bytes', () => { const f = new Uint8Array(good().byteLength + 4); f.set(good()); return f; }, 'ERR_FRAME_MALFORMED'],
      ['a reply sent as a request', () => patched(good(), (v) => v.setUint8(5, 2)), 'ERR_FRAME_MALFORMED'],
      ['unknown encoding', () => patched(good(), (v) => v.setUint8(16, 9)), 'ERR_FRAME_MALFORMED'],
      ['dtype disagrees with encoding', () => patched(good(), (v) => v.setUint8(17, 1)), 'ERR_FRAME_MALFORMED'],
      ['rank 0', () => patched(good(), (v) => v.setUint8(18, 0)), 'ERR_FRAME_MALFORMED'],
      ['rank 9', () => patched(good(), (v) => v.setUint8(18, 9)), 'ERR_FRAME_MALFORMED'],
      ['reserved byte set', () => patched(good(), (v) => v.setUint8(19, 1)), 'ERR_FRAME_MALFORMED'],
      ['NaN deadline', () => patched(good(), (v) => v.setFloat32(20, NaN, true)), 'ERR_FRAME_MALFORMED'],
      ['zero scale', () => patched(good(), (v) => v.setFloat32(24, 0, true)), 'ERR_FRAME_MALFORMED'],
      ['zero point out of range', () => patched(good(), (v) => v.setInt32(28, 300, true)), 'ERR_FRAME_MALFORMED'],
      ['zero dim', () => patched(good(), (v) => v.setUint32(REQUEST_FIXED_BYTES + 4, 0, true)), 'ERR_FRAME_MALFORMED'],
      ['dims declare a huge tensor', () => patched(good(), (v) => v.setUint32(REQUEST_FIXED_BYTES, 1e9, true)), 'ERR_FRAME_TOO_LARGE'],
      ['frame over the limit', () => new Uint8Array(MAX + 1), 'ERR_FRAME_TOO_LARGE'],
    ];
    for (const [name, make, code] of cases) {
      it(`${name} → ${code}`, () => expect(codeOf(() => decodeRequest(make(), MAX))).toBe(code));
    }
  });
});

describe('reply frames', () => {
  it('round-trip an OK reply with probabilities', () => {
    const probabilities = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]);
    const frame = encodeReply({
      requestId: 42,
      status: 'OK',
      exit: 3,
      queueMs: 0.25,
      computeMs: 1.5,
      numClasses: 3,
      predictedClasses: Int32Array.from([1, 0]),
      probabilities,
    });
    // A Node Buffer at an odd offset inside a larger pool, as ws delivers it.
    const buf = Buffer.alloc(frame.byteLength + 9);
    buf.set(frame, 5);
    const r = decodeReply(buf.subarray(5, 5 + frame.byteLength));
    expect(r).toMatchObject({ requestId: 42, status: 'OK', exit: 3, queueMs: 0.25, computeMs: 1.5, numClasses: 3, message: '' });
    expect(Array.from(r.predictedClasses)).toEqual([1, 0]);
    expect(r.probabilities).toEqual(probabilities);
  });

  it('round-trip an error reply with its message', () => {
    const frame = encodeReply({
      requestId: 7,
      status: 'ERR_FRAME_WRONG_SHAPE',
      exit: 0,
      queueMs: 0,
      computeMs: 0,
      numClasses: 0,
      predictedClasses: new Int32Array(0),
      probabilities: new Float32Array(0),
      message: 'Expected dims [1,64,8,8] — got [1,64,8,7]',
    });
    const r = decodeReply(frame);
    expect(r.status).toBe('ERR_FRAME_WRONG_SHAPE');
    expect(r.message).toBe('Expected dims [1,64,8,8] — got [1,64,8,7]');
  });

  it('rejects a truncated, oversized or foreign reply', () => {
    const frame = encodeReply({ requestId: 1, status: 'OK', exit: 1, queueMs: 0, computeMs: 0, numClasses: 2, predictedClasses: Int32Array.from([0]), probabilities: Float32Array.from([0.6, 0.4]) });
    expect(codeOf(() => decodeReply(frame.subarray(0, frame.byteLength - 1)))).toBe('ERR_FRAME_TRUNCATED');
    const longer = new Uint8Array(frame.byteLength + 2);
    longer.set(frame);
    expect(codeOf(() => decodeReply(longer))).toBe('ERR_FRAME_MALFORMED');
    expect(codeOf(() => decodeReply(good()))).toBe('ERR_FRAME_MALFORMED'); // a request is not a reply
    expect(codeOf(() => decodeReply(new Uint8Array(8)))).toBe('ERR_FRAME_BAD_MAGIC');
  });
});

describe('wire statuses', () => {
  it('have stable numbers', () => {
    // Changing these numbers breaks devices and edges of other builds: append only.
    expect(wireStatusNumber('OK')).toBe(0);
    expect(wireStatusNumber('ERR_FRAME_MALFORMED')).toBe(1);
    expect(wireStatusNumber('ERR_FRAME_TOO_LARGE')).toBe(3);
    expect(wireStatusNumber('ERR_TOO_MANY_IN_FLIGHT')).toBe(9);
    expect(wireStatusNumber('ERR_UNAUTHORIZED')).toBe(11);
    expect(wireStatusNumber('ERR_DEADLINE_EXCEEDED')).toBe(12);
    expect(wireStatusNumber('ERR_EDGE_BUSY')).toBe(13);
    expect(WIRE_STATUSES.length).toBe(14);
  });

  it('map unknown numbers and foreign errors to ERR_EDGE_INTERNAL', () => {
    expect(wireStatusOf(200)).toBe('ERR_EDGE_INTERNAL');
    expect(wireStatusForError(new Error('boom'))).toBe('ERR_EDGE_INTERNAL');
    expect(wireStatusForError(new CoinferError('ERR_TRACE_FORMAT', 'x'))).toBe('ERR_EDGE_INTERNAL');
    expect(wireStatusForError(new CoinferError('ERR_FRAME_WRONG_SHAPE', 'x'))).toBe('ERR_FRAME_WRONG_SHAPE');
  });
});

describe('cancel frames', () => {
  it('round-trip the request id and are told apart from requests and replies', () => {
    const f = encodeCancel(0xfffffffe);
    expect(frameKind(f)).toBe('cancel');
    expect(decodeCancel(f).requestId).toBe(0xfffffffe);
    expect(frameKind(new Uint8Array(3))).toBeNull();
  });

  it('refuse a wrong length, reserved bytes or version with stable codes', () => {
    const long = new Uint8Array(16);
    long.set(encodeCancel(1));
    const reserved = encodeCancel(1);
    reserved[6] = 1;
    const version = encodeCancel(1);
    version[4] = 1;
    for (const [frame, code] of [[long, 'ERR_FRAME_MALFORMED'], [reserved, 'ERR_FRAME_MALFORMED'], [version, 'ERR_FRAME_BAD_VERSION'], [encodeCancel(1).subarray(0, 8), 'ERR_FRAME_TRUNCATED']] as const) {
      const e = (() => { try { decodeCancel(frame); return null; } catch (err) { return err; } })();
      expect(e).toBeInstanceOf(CoinferError);
      expect((e as CoinferError).code).toBe(code);
    }
  });
});
