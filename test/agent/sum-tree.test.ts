import { describe, it, expect } from 'vitest';
import { SumTree } from '../../agent/sum-tree.ts';
import { createRng } from '../../common/rng.ts';

describe('SumTree', () => {
  it('keeps the total and min after updates', () => {
    const t = new SumTree(5);
    [3, 1, 4, 1, 5].forEach((p, i) => t.set(i, p));
    expect(t.total).toBe(14);
    expect(t.min).toBe(1);
    t.set(1, 9);
    expect(t.total).toBe(22);
    expect(t.min).toBe(1);
    t.set(3, 2);
    expect(t.min).toBe(2);
  });

  it('finds the leaf whose prefix interval holds the mass', () => {
    const t = new SumTree(4);
    [1, 2, 3, 4].forEach((p, i) => t.set(i, p));
    expect([0, 0.99, 1, 2.99, 3, 5.99, 6, 9.99].map((m) => t.find(m))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('never returns a zero-priority (unfilled) leaf, even at the edges', () => {
    const t = new SumTree(6); // padded to 8 leaves: 6, 7 and unset 3..5 are empty
    t.set(0, 0.1);
    t.set(1, 0.2);
    t.set(2, 0.3);
    for (const m of [0, 0.6, 0.6000001, 1, -1, t.total]) expect([0, 1, 2]).toContain(t.find(m));
  });

  it('samples in proportion to priority (fixed seed, chi-square)', () => {
    const priorities = [1, 2, 3, 4, 0, 10];
    const t = new SumTree(priorities.length);
    priorities.forEach((p, i) => t.set(i, p));
    const rng = createRng(42);
    const n = 20_000;
    const counts = new Array(priorities.length).fill(0);
    for (let i = 0; i < n; i++) counts[t.find(rng.next() * t.total)]++;
    expect(counts[4]).toBe(0);
    let chi2 = 0;
    priorities.forEach((p, i) => {
      if (p === 0) return;
      const expected = (n * p) / t.total;
      chi2 += (counts[i] - expected) ** 2 / expected;
    });
    expect(chi2).toBeLessThan(15.09); // 4 degrees of freedom, p = 0.005
  });

  it('rejects bad indices and priorities', () => {
    const t = new SumTree(3);
    expect(() => t.set(3, 1)).toThrow(RangeError);
    expect(() => t.set(0, -1)).toThrow(RangeError);
    expect(() => t.set(0, Number.NaN)).toThrow(RangeError);
    expect(() => t.find(0)).toThrow(RangeError);
  });
});
