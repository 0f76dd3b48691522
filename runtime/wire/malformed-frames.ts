/**
 * Seeded malformed frames for robustness checks (the fuzz benchmark and its test): every way a
 * peer can get a frame wrong short of breaking the WebSocket layer itself, mixed with a few
 * frames that happen to be valid (bit flips in a payload). Pure: same seed, same frames.
 */
import type { Rng } from '../../common/rng.ts';
import { encodeCancel } from './cancel-frame.ts';
import { ENCODINGS } from '../action.ts';
import { REQUEST_FIXED_BYTES } from './protocol.ts';

export const MALFORMED_KINDS = ['random', 'truncated', 'bit-flip', 'bad-magic', 'bad-version', 'huge-dims', 'big-batch', 'trailing', 'bad-cancel', 'stray-cancel', 'empty', 'text', 'bad-jpeg'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/**
 * One malformed frame built from a valid request `good`.
 * @returns bytes, or a string for a text frame
 */
export function malformedFrame(good: Uint8Array, rng: Rng, kind: MalformedKind = MALFORMED_KINDS[rng.int(MALFORMED_KINDS.length)]!): Uint8Array | string {
  const copy = (): Uint8Array => new Uint8Array(good);
  const view = (f: Uint8Array): DataView => new DataView(f.buffer, f.byteOffset, f.byteLength);
  switch (kind) {
    case 'random':
      return Uint8Array.from({ length: 1 + rng.int(256) }, () => rng.int(256));
    case 'truncated':
      return good.slice(0, rng.int(good.byteLength));
    case 'bit-flip': {
      // Mostly in the header, where the parser's decisions are.
      const f = copy();
      const at = rng.next() < 0.8 ? rng.int(Math.min(f.byteLength, REQUEST_FIXED_BYTES + 16)) : rng.int(f.byteLength);
      f[at] = f[at]! ^ (1 << rng.int(8));
      return f;
    }
    case 'bad-magic': {
      const f = copy();
      view(f).setUint32(0, rng.int(0xffffffff), true);
      return f;
    }
    case 'bad-version': {
      const f = copy();
      f[4] = rng.next() < 0.5 ? 1 : 2 + rng.int(250);
      return f;
    }
    case 'huge-dims': {
      const f = copy();
      view(f).setUint32(REQUEST_FIXED_BYTES + 4 * rng.int(Math.max(1, f[18]!)), 0xffffffff - rng.int(1000), true);
      return f;
    }
    case 'big-batch': {
      // A batch dimension far over the limit with a payload to match the header's first claim.
      const f = copy();
      view(f).setUint32(REQUEST_FIXED_BYTES, 2 + rng.int(8190), true);
      return f;
    }
    case 'trailing': {
      const f = new Uint8Array(good.byteLength + 1 + rng.int(64));
      f.set(good);
      return f;
    }
    case 'bad-cancel': {
      const f = encodeCancel(rng.int(0xffffffff));
      const g = new Uint8Array(rng.next() < 0.5 ? f.byteLength + 1 + rng.int(8) : f.byteLength);
      g.set(f);
      if (g.byteLength === f.byteLength) g[6] = 1 + rng.int(255);
      return g;
    }
    case 'stray-cancel':
      return encodeCancel(rng.int(0xffffffff));
    case 'empty':
      return new Uint8Array(0);
    case 'text':
      return 'not a coinfer frame';
    case 'bad-jpeg': {
      // `good`'s header re-labelled as a one-image jpeg90 request whose payload is no decodable
      // JPEG: a SOI marker then garbage (the decoder must refuse it), or garbage alone.
      const headerBytes = REQUEST_FIXED_BYTES + 4 * good[18]!;
      const body = Uint8Array.from({ length: 3 + rng.int(512) }, () => rng.int(256));
      if (rng.next() < 0.7) body.set([0xff, 0xd8, 0xff]);
      const f = new Uint8Array(headerBytes + body.byteLength);
      f.set(good.subarray(0, headerBytes));
      f[16] = ENCODINGS.indexOf('jpeg90');
      f[17] = 4; // the JPEG dtype
      view(f).setUint32(REQUEST_FIXED_BYTES, 1, true);
      f.set(body, headerBytes);
      return f;
    }
  }
}
