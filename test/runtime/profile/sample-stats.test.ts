import { describe, expect, it } from 'vitest';
import { median, quantileSorted, summarizeSamples, trimHighOutliers } from '../../../runtime/profile/sample-stats.ts';

describe('sample statistics', () => {
  it('computes interpolated quantiles, median, MAD and mean', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
    expect(median([5, 1, 3])).toBe(3);
    const s = summarizeSamples([1, 2, 3, 4, 100]);
    expect(s).toMatchObject({ n: 5, medianMs: 3, madMs: 1, meanMs: 22 });
    expect(() => quantileSorted([], 0.5)).toThrow(RangeError);
  });

  it('trims only high outliers, and spikes even when most samples are equal', () => {
    expect(trimHighOutliers([1, 1.1, 0.9, 1.05, 0.2, 50])).toEqual([1, 1.1, 0.9, 1.05, 0.2]);
    // emulated runs: MAD 0, one spike
    expect(trimHighOutliers([2, 2, 2, 2, 9])).toEqual([2, 2, 2, 2]);
    expect(trimHighOutliers([])).toEqual([]);
  });
});
