import { describe, expect, it } from 'vitest';
import { rankMedian, rankQuantile } from '../../common/rank-quantile.ts';

describe('rankQuantile', () => {
  it('takes the value at rank floor(q·n), never interpolating', () => {
    const sorted = [1, 2, 3, 4, 10];
    expect(rankQuantile(sorted, 0.5)).toBe(3);
    expect(rankQuantile(sorted, 0.95)).toBe(10);
    expect(rankQuantile(sorted, 0)).toBe(1);
    expect(rankQuantile(sorted, 1)).toBe(10);
    expect(rankQuantile([], 0.5)).toBeNaN();
  });

  it('rankMedian sorts a copy and takes the upper middle value', () => {
    const xs = [4, 1, 3, 2];
    expect(rankMedian(xs)).toBe(3);
    expect(xs).toEqual([4, 1, 3, 2]);
  });
});
