import { describe, expect, it } from 'vitest';
import { clusterMeanCi, pairedClusterCi, studentTQuantile } from '../../policies/paired-ci.ts';

describe('studentTQuantile', () => {
  it('matches the printed t table', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281, 4);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.95996, 4);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.2281, 4);
  });
  it('rejects p outside (0, 1)', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
  });
});

describe('pairedClusterCi', () => {
  it('gives the hand-computed interval: cluster means of the paired differences, t with E − 1 df', () => {
    // per-episode differences: (0+1+0+0)/4 = 0.25, 0.25, (0−1+0+0)/4 = −0.25
    const a = [[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 0, 0]];
    const b = [[1, 0, 0, 1], [0, 0, 1, 1], [1, 1, 0, 0]];
    // mean 1/12; sd of (0.25, 0.25, −0.25) = sqrt(1/12); SE = sqrt(1/12)/sqrt(3) = 1/6; t(0.975, 2) = 4.302653
    const ci = pairedClusterCi(a, b);
    expect(ci.mean).toBeCloseTo(1 / 12, 12);
    expect(ci.hi - ci.mean).toBeCloseTo(4.302653 / 6, 5);
    expect(ci.lo).toBeCloseTo(1 / 12 - 4.302653 / 6, 5);
    expect(ci.clusters).toBe(3);
  });
  it('is wider than the naive per-request interval when episodes are correlated', () => {
    const a = [Array(50).fill(1), Array(50).fill(0), Array(50).fill(1), Array(50).fill(0)];
    const b = a.map((e) => e.map(() => 0.5));
    const ci = pairedClusterCi(a, b);
    expect(ci.mean).toBeCloseTo(0, 12);
    expect(ci.hi).toBeGreaterThan(0.5); // per request sd/sqrt(200) would say ±0.07
  });
  it('rejects unpaired inputs and gives an unbounded interval for one cluster', () => {
    expect(() => pairedClusterCi([[1]], [[1], [0]])).toThrow(RangeError);
    expect(() => pairedClusterCi([[1, 0]], [[1]])).toThrow(RangeError);
    expect(clusterMeanCi([0.3])).toEqual({ mean: 0.3, lo: -Infinity, hi: Infinity, clusters: 1 });
  });
});
