import { describe, expect, it } from 'vitest';
import { resolvePublisherConfig } from '../../../agent/distributed/distributed-config.ts';
import type { TransitionSink } from '../../../agent/distributed/redis-broker.ts';
import { decodeTransitionBatch } from '../../../agent/distributed/transition-codec.ts';
import { TransitionPublisher } from '../../../agent/distributed/transition-publisher.ts';
import type { TransitionRows } from '../../../agent/replay-memory.ts';

const O = 3;
const A = 4;
const rows = (n: number, first = 0): TransitionRows => ({
  size: n, observations: Float32Array.from({ length: n * O }, (_, i) => first * O + i), actions: Int32Array.from({ length: n }, (_, i) => (first + i) % A),
  rewards: Float32Array.from({ length: n }, (_, i) => first + i), nextObservations: new Float32Array(n * O), discounts: new Float32Array(n).fill(0.5), nextActionMasks: new Uint8Array(n * A).fill(1),
});

/** A sink that records batches; `hold` keeps every XADD unanswered (a stalled broker). */
function fakeSink(o: { hold?: boolean; lag?: number } = {}): TransitionSink & { batches: Uint8Array[]; release(): void } {
  const waiting: (() => void)[] = [];
  const batches: Uint8Array[] = [];
  return {
    batches,
    addBatch: (b) => { batches.push(b); return o.hold ? new Promise<void>((r) => waiting.push(r)) : Promise.resolve(); },
    groupLag: () => Promise.resolve(o.lag ?? 0),
    release: () => waiting.splice(0).forEach((r) => r()),
  };
}

const make = (sink: TransitionSink, p: Parameters<typeof resolvePublisherConfig>[0] = {}, now = () => 0) =>
  new TransitionPublisher({ sink, config: resolvePublisherConfig({ batchTransitions: 4, ...p }), actorId: 'a1', observationSize: O, actionCount: A, observationVersion: 2, objective: 'test', now });

describe('TransitionPublisher', () => {
  it('cuts rows into batches of batchTransitions with consecutive sequence numbers, rows in order', async () => {
    const sink = fakeSink();
    const p = make(sink);
    p.push(rows(3, 0));
    p.push(rows(7, 3));
    p.flush();
    await p.drain();
    const decoded = sink.batches.map(decodeTransitionBatch);
    expect(decoded.map((d) => [d.seq, d.rows.size])).toEqual([[0, 4], [1, 4], [2, 2]]);
    expect(decoded.flatMap((d) => Array.from(d.rows.rewards))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p.counters).toMatchObject({ sent: 10, droppedInFlight: 0, droppedLag: 0, batches: 3 });
  });

  it('never waits on a stalled broker: beyond maxInFlight unconfirmed batches it drops and counts, without using a sequence number', async () => {
    const sink = fakeSink({ hold: true });
    const p = make(sink, { maxInFlight: 2 });
    p.push(rows(20)); // 5 batches: 2 in flight, 3 dropped; push returned synchronously
    expect(p.counters).toMatchObject({ sent: 0, droppedInFlight: 12, batches: 2 });
    sink.release();
    await p.drain();
    p.push(rows(4));
    sink.release();
    await p.drain();
    expect(sink.batches.map((b) => decodeTransitionBatch(b).seq)).toEqual([0, 1, 2]);
    expect(p.counters.sent).toBe(12);
  });

  it('while the learner lags beyond lagHighWater, sends one batch in sampleEvery and counts the rest', async () => {
    const sink = fakeSink({ lag: 5000 });
    let t = 0;
    const p = make(sink, { lagHighWater: 100, sampleEvery: 4, lagCheckMs: 10 }, () => t);
    p.push(rows(1)); // starts the first lag check
    await new Promise((r) => setImmediate(r));
    t = 5;
    p.push(rows(3 + 32)); // completes batch 1, then 8 more
    await p.drain();
    expect(p.counters.lastLag).toBe(5000);
    expect(p.counters.sent + p.counters.droppedLag).toBe(36);
    expect(p.counters.droppedLag).toBe(24); // 9 batches: the 1st, 5th and 9th sent
  });
});
