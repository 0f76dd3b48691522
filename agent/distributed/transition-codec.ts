/**
 * The binary form of a batch of replay transitions as an actor sends it to the learner, pure
 * (no I/O). Many transitions per stream entry keep the broker's per-entry cost off the hot path.
 * Little-endian layout, every array on a 4-byte boundary:
 *
 *    0  "CFTB" magic                          16  f64 sequence (per actor, from 0, +1 per batch)
 *    4  u16 codec version                     24  u32 observation version the actor observed
 *    6  u16 observation size O                28  u32 weights version the actor acted with
 *    8  u16 action count A                    32  u16 objective bytes, u16 0
 *   10  u16 actor-id bytes                    36  actor id then objective, UTF-8, padded to 4
 *   12  u32 rows n                             …  f32 observations [n × O], f32 next observations [n × O],
 *                                                 f32 rewards [n], f32 discounts [n], u16 actions [n] (padded),
 *                                                 next-action masks as bits [n × ⌈A/8⌉]
 *
 * 88 bytes per transition at O = 9, A = 41 (the 200-byte float form with byte masks is 2.3×).
 * The objective (reward kind, miss penalty, λ as one string) lets the learner refuse rewards
 * computed for another goal.
 */
import { CoinferError } from '../../common/errors.ts';
import type { TransitionRows } from '../replay-memory.ts';

/** Bumped when the layout changes; a learner refuses other versions. */
export const TRANSITION_CODEC_VERSION = 1;
const MAGIC = 0x42544643; // "CFTB" read as a little-endian u32
const HEADER_BYTES = 36;
/** Longest objective string, in UTF-8 bytes. */
const MAX_OBJECTIVE_BYTES = 256;
/** Longest actor id, in UTF-8 bytes. */
export const MAX_ACTOR_ID_BYTES = 64;

/** Who sent a batch, and under which observation and weights. */
export interface TransitionBatchHeader {
  /** The actor's id: stable across its restarts when it should keep its sequence (dedupe key with `seq`). */
  readonly actorId: string;
  /** Per-actor batch sequence number, an integer ≥ 0 (exact up to 2^53). */
  readonly seq: number;
  /** OBSERVATION_VERSION of the env that produced the rows. */
  readonly observationVersion: number;
  /** Version of the weights the actor acted with (0: before any weights arrived). */
  readonly weightsVersion: number;
  /** The objective the rewards were computed for (`describeObjective` of weights-codec.ts). */
  readonly objective: string;
}

/** A decoded batch: its header and rows (fresh arrays, safe to keep). */
export interface DecodedTransitionBatch extends TransitionBatchHeader {
  readonly observationSize: number;
  readonly actionCount: number;
  readonly rows: TransitionRows;
}

const pad4 = (n: number): number => (n + 3) & ~3;
const maskBytesPerRow = (a: number): number => (a + 7) >> 3;

/** Bytes an encoded batch of `rows` takes. */
export function encodedBatchBytes(rows: number, observationSize: number, actionCount: number, textBytes: number): number {
  return HEADER_BYTES + pad4(textBytes) + 4 * (2 * rows * observationSize + 2 * rows) + pad4(2 * rows) + rows * maskBytesPerRow(actionCount);
}

/**
 * Encodes the first `rows.size` rows.
 * @throws CoinferError ERR_INVALID_ARGUMENT for sizes the layout cannot hold (O or A ≥ 65536,
 *   an actor id longer than 64 bytes, a negative or fractional sequence).
 */
export function encodeTransitionBatch(header: TransitionBatchHeader, rows: TransitionRows, sizes: { readonly observationSize: number; readonly actionCount: number }): Uint8Array {
  const { observationSize: o, actionCount: a } = sizes;
  const n = rows.size;
  const id = new TextEncoder().encode(header.actorId);
  if (id.length === 0 || id.length > MAX_ACTOR_ID_BYTES) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an actor id of 1 to ${MAX_ACTOR_ID_BYTES} UTF-8 bytes, actually ${id.length}: pick a shorter --actor-id`);
  const objective = new TextEncoder().encode(header.objective);
  if (objective.length > MAX_OBJECTIVE_BYTES) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an objective of at most ${MAX_OBJECTIVE_BYTES} UTF-8 bytes, actually ${objective.length}`);
  if (!Number.isSafeInteger(header.seq) || header.seq < 0) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected seq a safe integer ≥ 0, actually ${header.seq}`);
  if (!(o >= 1 && o < 65536 && a >= 1 && a < 65536)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected observation size and action count in [1, 65535], actually ${o} and ${a}`);
  if (rows.observations.length < n * o || rows.nextObservations.length < n * o || rows.nextActionMasks.length < n * a) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected rows for observation size ${o} and action count ${a}, actually arrays too short for ${n} rows`);
  }
  const bytes = new Uint8Array(encodedBatchBytes(n, o, a, id.length + objective.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, TRANSITION_CODEC_VERSION, true);
  view.setUint16(6, o, true);
  view.setUint16(8, a, true);
  view.setUint16(10, id.length, true);
  view.setUint32(12, n, true);
  view.setFloat64(16, header.seq, true);
  view.setUint32(24, header.observationVersion, true);
  view.setUint32(28, header.weightsVersion, true);
  view.setUint16(32, objective.length, true);
  bytes.set(id, HEADER_BYTES);
  bytes.set(objective, HEADER_BYTES + id.length);
  let at = HEADER_BYTES + pad4(id.length + objective.length);
  const f32 = (src: Float32Array, len: number): void => {
    new Float32Array(bytes.buffer, at, len).set(src.subarray(0, len));
    at += 4 * len;
  };
  f32(rows.observations, n * o);
  f32(rows.nextObservations, n * o);
  f32(rows.rewards, n);
  f32(rows.discounts, n);
  const actions = new Uint16Array(bytes.buffer, at, n);
  for (let i = 0; i < n; i++) {
    const act = rows.actions[i]!;
    if (!(act >= 0 && act < a)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected row ${i}'s action in [0, ${a - 1}], actually ${act}`);
    actions[i] = act;
  }
  at += pad4(2 * n);
  const mb = maskBytesPerRow(a);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < a; k++) if (rows.nextActionMasks[i * a + k]) bytes[at + i * mb + (k >> 3)]! |= 1 << (k & 7);
  }
  return bytes;
}

const malformed = (what: string): CoinferError => new CoinferError('ERR_FRAME_MALFORMED', `Transition batch: ${what}: the entry is damaged or was not written by a coinfer actor; it is skipped`);

/**
 * Decodes a batch (the bytes may sit at any offset of any buffer, e.g. a pooled Node Buffer).
 * @throws CoinferError ERR_FRAME_BAD_MAGIC (not a batch), ERR_FRAME_BAD_VERSION (another codec
 *   version: run actors and learner of one coinfer version), ERR_FRAME_MALFORMED (a length that
 *   does not add up).
 */
export function decodeTransitionBatch(input: Uint8Array): DecodedTransitionBatch {
  if (input.byteLength < HEADER_BYTES) throw malformed(`expected at least ${HEADER_BYTES} bytes, actually ${input.byteLength}`);
  // Typed views need 4-byte alignment: copy once when the bytes do not start on one.
  const bytes = input.byteOffset % 4 === 0 ? input : new Uint8Array(input); // a copy (Buffer#slice would share)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new CoinferError('ERR_FRAME_BAD_MAGIC', 'Transition batch: expected the magic "CFTB", actually other bytes: the stream carries entries that are not coinfer transitions');
  const version = view.getUint16(4, true);
  if (version !== TRANSITION_CODEC_VERSION) throw new CoinferError('ERR_FRAME_BAD_VERSION', `Transition batch: expected codec version ${TRANSITION_CODEC_VERSION}, actually ${version}: run actors and the learner from one coinfer version`);
  const o = view.getUint16(6, true);
  const a = view.getUint16(8, true);
  const idLen = view.getUint16(10, true);
  const n = view.getUint32(12, true);
  const seq = view.getFloat64(16, true);
  const objLen = view.getUint16(32, true);
  if (idLen === 0 || idLen > MAX_ACTOR_ID_BYTES || objLen > MAX_OBJECTIVE_BYTES || !Number.isSafeInteger(seq) || seq < 0) throw malformed(`actor id of ${idLen} bytes, objective of ${objLen}, sequence ${seq}`);
  const expected = encodedBatchBytes(n, o, a, idLen + objLen);
  if (bytes.byteLength !== expected) throw malformed(`expected ${expected} bytes for ${n} rows of ${o} features and ${a} actions, actually ${bytes.byteLength}`);
  const decoder = new TextDecoder();
  const actorId = decoder.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + idLen));
  const objective = decoder.decode(bytes.subarray(HEADER_BYTES + idLen, HEADER_BYTES + idLen + objLen));
  let at = bytes.byteOffset + HEADER_BYTES + pad4(idLen + objLen);
  const f32 = (len: number): Float32Array => {
    const out = new Float32Array(bytes.buffer.slice(at, at + 4 * len));
    at += 4 * len;
    return out;
  };
  const observations = f32(n * o);
  const nextObservations = f32(n * o);
  const rewards = f32(n);
  const discounts = f32(n);
  const actions = Int32Array.from(new Uint16Array(bytes.buffer, at, n));
  at += pad4(2 * n);
  const mb = maskBytesPerRow(a);
  const bits = new Uint8Array(bytes.buffer, at, n * mb);
  const nextActionMasks = new Uint8Array(n * a);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < a; k++) nextActionMasks[i * a + k] = (bits[i * mb + (k >> 3)]! >> (k & 7)) & 1;
  }
  return {
    actorId, seq, objective, observationVersion: view.getUint32(24, true), weightsVersion: view.getUint32(28, true), observationSize: o, actionCount: a,
    rows: { size: n, observations, actions, rewards, nextObservations, discounts, nextActionMasks },
  };
}
