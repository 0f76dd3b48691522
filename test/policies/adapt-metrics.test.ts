import { describe, expect, it } from 'vitest';
import { longestBelow, meanSpread, recoveryShare, rollingMean, shiftMetrics } from '../../policies/adapt-metrics.ts';

describe('adapt metrics', () => {
  it('rollingMean averages the trailing window (shorter at the start)', () => {
    expect([...rollingMean([1, 2, 3, 4, 5], 2)]).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect(() => rollingMean([1], 0)).toThrow(RangeError);
  });

  it('recoveryShare is the share of the frozen gap to the oracle the learner closes; null without a gap', () => {
    const oracle = [1, 1, 1, 1], frozen = [0, 0, 0.5, 0.5], learner = [0.5, 0.5, 0.5, 0.5];
    expect(recoveryShare({ oracle, frozen, learner }, 0, 2)).toBeCloseTo(0.5);
    expect(recoveryShare({ oracle, frozen, learner }, 2, 4)).toBeCloseTo(0);
    expect(recoveryShare({ oracle: frozen, frozen, learner }, 0, 4)).toBeNull();
    expect(() => recoveryShare({ oracle, frozen, learner }, 3, 9)).toThrow(RangeError);
  });

  it('longestBelow counts the longest strict run', () => {
    expect(longestBelow([0, 0, 1, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1])).toBe(3);
    expect(longestBelow([0, 0, 1, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1], 4)).toBe(2);
    expect(longestBelow([1, 1], [1, 1])).toBe(0);
  });

  it('shiftMetrics: a learner that closes the gap linearly recovers by the horizon, and its dip is counted', () => {
    const n = 400, shiftAt = 100;
    const oracle = new Float64Array(n).fill(1);
    const frozen = new Float64Array(n).map((_, i) => (i < shiftAt ? 1 : 0.5));
    // the learner dips below frozen for 20 requests after the shift, then climbs to the oracle by request 300
    const learner = new Float64Array(n).map((_, i) => (i < shiftAt ? 1 : i < shiftAt + 20 ? 0.4 : Math.min(1, 0.5 + (0.5 * (i - shiftAt - 20)) / 180)));
    const m = shiftMetrics({ oracle, frozen, learner, shiftAt, horizon: 250, window: 10, target: 0.5 });
    expect(m.frozenGap).toBeCloseTo(0.5);
    expect(m.recovery).toBeCloseTo(1);
    // rolling recovery reaches 0.5 when the learner's window mean is 0.75: requests ~[200, 210)
    expect(m.requestsToRecover).toBeGreaterThan(100);
    expect(m.requestsToRecover).toBeLessThan(125);
    expect(m.longestBelowFrozen).toBeGreaterThanOrEqual(20);
    expect(m.longestBelowFrozen).toBeLessThan(40);
  });

  it('shiftMetrics: a learner that never improves has recovery 0 and no requestsToRecover', () => {
    const oracle = new Float64Array(300).fill(1), frozen = new Float64Array(300).fill(0.2);
    const m = shiftMetrics({ oracle, frozen, learner: frozen, shiftAt: 50, horizon: 200, window: 20, target: 0.5 });
    expect(m.recovery).toBe(0);
    expect(m.requestsToRecover).toBeNull();
    expect(m.longestBelowFrozen).toBe(0);
  });

  it('meanSpread ignores nulls', () => {
    expect(meanSpread([1, null, 3])).toEqual({ mean: 2, std: 1, n: 2 });
    expect(meanSpread([null])).toBeNull();
  });
});
