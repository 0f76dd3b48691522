// One world's suite row: paired differences against Edgent and against the calibrated planner.
import { describe, expect, it } from 'vitest';
import type { PolicySummary } from '../../policies/evaluate-policies.ts';
import { suiteWorldRow } from '../../policies/suite-metrics.ts';

const summary = (policy: string, accuracy: number): PolicySummary => ({
  policy, requests: 40, accuracy, hitRate: 1, meanLatencyMs: 1, p95LatencyMs: 1, energyMjPerRequest: 1, meanReward: accuracy, rewardVsOracle: null, actionCounts: {},
});
/** 4 episodes × 10 requests, the first `k` of each correct in time. */
const hits = (k: number): number[][] => Array.from({ length: 4 }, () => Array.from({ length: 10 }, (_, i) => (i < k ? 1 : 0)));

describe('suiteWorldRow', () => {
  const world = { name: 'w', description: 'd' };

  it('measures each policy against Edgent and against the calibrated planner, paired', () => {
    const row = suiteWorldRow(world, [summary('edgent', 0.5), summary('calibrated', 0.6), summary('x', 0.8), summary('oracle', 0.9)],
      new Map([['edgent', hits(5)], ['calibrated', hits(6)], ['x', hits(8)], ['oracle', hits(9)]]));
    const x = row.policies.find((p) => p.policy === 'x')!;
    expect(x.deltaVsEdgent!.mean).toBeCloseTo(30, 9);
    expect(x.deltaVsCalibrated!.mean).toBeCloseTo(20, 9);
    expect(row.policies.find((p) => p.policy === 'calibrated')!.deltaVsCalibrated).toEqual({ mean: 0, lo: 0, hi: 0 });
    expect(row.headroomPoints).toBeCloseTo(40, 9);
    expect(x.headroomCaptured).toBeCloseTo(0.75, 9);
  });

  it('has no difference to a policy that did not run', () => {
    const row = suiteWorldRow(world, [summary('edgent', 0.5), summary('x', 0.8)], new Map([['edgent', hits(5)], ['x', hits(8)]]));
    expect(row.policies.every((p) => p.deltaVsCalibrated === null)).toBe(true);
    expect(row.headroomPoints).toBeNull();
  });
});
