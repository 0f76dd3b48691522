// The re-simulation variant's rollback test: back to the frozen policy only when the new one is
// significantly behind since the swap, not on a window that trails by noise.
import { describe, expect, it } from 'vitest';
import { PairedRollbackTest } from '../../../agent/online/paired-rollback-test.ts';
import { createRng } from '../../../common/rng.ts';

/** Feeds n paired requests; returns the request indices at which the test asked to roll back. */
function run(test: PairedRollbackTest, n: number, gap: number, noise: number, seed: number): number[] {
  const rng = createRng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const frozen = rng.next();
    if (test.observe(frozen + gap + noise * (rng.next() - 0.5), frozen)) out.push(i);
  }
  return out;
}

describe('PairedRollbackTest', () => {
  it('tests only at window ends', () => {
    const t = new PairedRollbackTest(10);
    for (let i = 0; i < 9; i++) expect(t.observe(0, 1)).toBe(false);
    expect(t.observe(0, 1)).toBe(true); // a constant deficit of 1: mean −1, se 0
  });

  it('rolls back a policy clearly behind, within the first windows', () => {
    const at = run(new PairedRollbackTest(100), 1000, -0.1, 1, 1);
    expect(at[0]).toBe(99);
  });

  it('keeps a policy that leads, and rarely one that only ties (a false rollback only returns to the frozen policy)', () => {
    let falseAlarms = 0;
    for (let seed = 0; seed < 40; seed++) {
      if (run(new PairedRollbackTest(100), 2000, 0, 2, seed).length > 0) falseAlarms++;
      expect(run(new PairedRollbackTest(100), 2000, 0.05, 2, seed)).toEqual([]);
    }
    // 20 looks at a 2.5% one-sided test: more than 2.5% of runs alarm once, far fewer than all
    expect(falseAlarms / 40).toBeLessThan(0.3);
  });

  it('refuses a window under 2 or a non-positive z', () => {
    expect(() => new PairedRollbackTest(1)).toThrow(RangeError);
    expect(() => new PairedRollbackTest(10, 0)).toThrow(RangeError);
  });
});
