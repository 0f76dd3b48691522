import { describe, expect, it } from 'vitest';
import type { TransitionRows } from '../../../agent/replay-memory.ts';
import { decodeTransitionBatch, encodedBatchBytes, encodeTransitionBatch } from '../../../agent/distributed/transition-codec.ts';
import { createRng } from '../../../common/rng.ts';
import { thrownCoinferError } from '../../helpers/thrown.ts';

const O = 9;
const A = 41;

function randomRows(n: number, seed = 1): TransitionRows {
  const rng = createRng(seed);
  return {
    size: n,
    observations: Float32Array.from({ length: n * O }, () => rng.normal()),
    actions: Int32Array.from({ length: n }, () => rng.int(A)),
    rewards: Float32Array.from({ length: n }, () => rng.next() - 0.5),
    nextObservations: Float32Array.from({ length: n * O }, () => rng.normal()),
    discounts: Float32Array.from({ length: n }, () => (rng.next() < 0.1 ? 0 : 0.5)),
    nextActionMasks: Uint8Array.from({ length: n * A }, () => (rng.next() < 0.7 ? 1 : 0)),
  };
}

const header = { actorId: 'host-1.ab12', seq: 42, observationVersion: 2, weightsVersion: 7, objective: 'accuracy, miss -1, λ=0/J' };

describe('transition codec', () => {
  it('round-trips every field of every row exactly', () => {
    const rows = randomRows(37);
    const bytes = encodeTransitionBatch(header, rows, { observationSize: O, actionCount: A });
    expect(bytes.byteLength).toBe(encodedBatchBytes(37, O, A, 11 + new TextEncoder().encode(header.objective).length));
    const d = decodeTransitionBatch(bytes);
    expect({ actorId: d.actorId, seq: d.seq, observationVersion: d.observationVersion, weightsVersion: d.weightsVersion, objective: d.objective }).toEqual(header);
    expect([d.observationSize, d.actionCount, d.rows.size]).toEqual([O, A, 37]);
    for (const k of ['observations', 'actions', 'rewards', 'nextObservations', 'discounts', 'nextActionMasks'] as const) expect(Array.from(d.rows[k])).toEqual(Array.from(rows[k]));
  });

  it('takes 88 bytes per transition at 9 features and 41 actions (plus a fixed header)', () => {
    expect(encodedBatchBytes(257, O, A, 12) - encodedBatchBytes(1, O, A, 12)).toBe(256 * 88);
  });

  it('decodes bytes that start at an odd offset of a larger buffer (pooled Node Buffers)', () => {
    const bytes = encodeTransitionBatch(header, randomRows(5), { observationSize: O, actionCount: A });
    for (const offset of [1, 2, 3]) {
      const pool = Buffer.alloc(bytes.byteLength + offset);
      pool.set(bytes, offset);
      expect(decodeTransitionBatch(pool.subarray(offset)).rows.size).toBe(5);
    }
  });

  it('refuses another magic, another codec version and a truncated entry, each with its code', () => {
    const bytes = encodeTransitionBatch(header, randomRows(4), { observationSize: O, actionCount: A });
    const other = bytes.slice();
    other[0] = 0;
    thrownCoinferError(() => decodeTransitionBatch(other), 'ERR_FRAME_BAD_MAGIC');
    const v2 = bytes.slice();
    v2[4] = 2;
    thrownCoinferError(() => decodeTransitionBatch(v2), 'ERR_FRAME_BAD_VERSION');
    thrownCoinferError(() => decodeTransitionBatch(bytes.subarray(0, bytes.byteLength - 1)), 'ERR_FRAME_MALFORMED');
  });

  it('refuses an action outside the action count and an over-long actor id', () => {
    const rows = { ...randomRows(2), actions: Int32Array.from([0, A]) };
    thrownCoinferError(() => encodeTransitionBatch(header, rows, { observationSize: O, actionCount: A }), 'ERR_INVALID_ARGUMENT');
    thrownCoinferError(() => encodeTransitionBatch({ ...header, actorId: 'x'.repeat(65) }, randomRows(1), { observationSize: O, actionCount: A }), 'ERR_INVALID_ARGUMENT');
  });
});
