import { describe, expect, it } from 'vitest';
import { summarizeFleet, type FleetOutcome } from '../../cli/fleet/fleet-summary.ts';

const o = (over: Partial<FleetOutcome>): FleetOutcome => ({ totalMs: 10, hit: true, fallback: false, reason: null, correct: true, edgeAnswered: true, reserveMs: 5, ...over });
const edge = { samplesComputed: 10, samplesWasted: 2, busy: 3, expired: 1, cancels: 2, batches: 5, cpuMs: 1500, uptimeS: 2, maxRssMB: 300.4 };

describe('summarizeFleet', () => {
  it('counts misses by cause, waste as computed-but-unused, and edge CPU in cores', () => {
    const outcomes = [
      ...Array.from({ length: 8 }, (_, i) => o({ totalMs: i + 1 })),
      o({ totalMs: 120, hit: false }), // an edge answer that came late
      o({ totalMs: 101, hit: false, fallback: true, reason: 'ERR_EDGE_BUSY', edgeAnswered: false, correct: false }),
    ];
    const s = summarizeFleet({ devices: 2, deadlineMs: 100, seconds: 2, outcomes, edge });
    expect(s).toMatchObject({ devices: 2, deadlineMs: 100, requests: 10, requestsPerSecond: 5, misses: 2, edgeMisses: 1, fallbackMisses: 1, fallbacks: 1, edgeAnswers: 9, hitRate: 0.8, accuracy: 0.9 });
    expect(s.wastedEdgeShare).toBeCloseTo(0.1, 10); // 10 computed, 9 used
    expect(s.edgeCpuCores).toBe(0.75);
    expect(s.p50Ms).toBe(6); // nearest rank ⌊0.5·10⌋ of [1..8, 101, 120]
    expect(s.p99Ms).toBe(120);
    expect(s.fallbackReasons).toEqual({ ERR_EDGE_BUSY: 1 });
    expect(s.edgeMeanBatch).toBe(2);
  });

  it('reports zeros, not NaN, for an empty run', () => {
    const s = summarizeFleet({ devices: 1, deadlineMs: 100, seconds: 1, outcomes: [], edge: { ...edge, samplesComputed: 0, batches: 0 } });
    expect(s).toMatchObject({ requests: 0, hitRate: 0, wastedEdgeShare: 0, p99Ms: 0, edgeMeanBatch: 0 });
  });
});
