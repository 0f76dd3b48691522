import { describe, expect, it } from 'vitest';
import { RollbackGuard, resolveRollbackGuardConfig } from '../../../agent/online/rollback-guard.ts';
import { thrownCoinferError } from '../../helpers/thrown.ts';

const feed = (g: RollbackGuard, gap: number, n: number) => {
  let last = null;
  for (let i = 0; i < n; i++) last = g.observe(0.5 + gap, 0.5) ?? last;
  return last;
};

describe('RollbackGuard', () => {
  it('decides only at the end of each window, with the window mean gap', () => {
    const g = new RollbackGuard({ windowRequests: 4, marginReward: 0.1, patienceWindows: 2 });
    expect(g.observe(1, 1)).toBeNull();
    expect(g.observe(1, 0)).toBeNull();
    expect(g.observe(0, 1)).toBeNull();
    expect(g.observe(1, 0.5)).toEqual({ kind: 'promote', meanGap: 0.125, requestIndex: 3 });
  });

  it('rolls back at once when the learner trails by more than the margin', () => {
    const g = new RollbackGuard({ windowRequests: 10, marginReward: 0.05, patienceWindows: 3 });
    expect(feed(g, -0.2, 10)?.kind).toBe('rollback');
  });

  it('holds a deficit within the margin, then rolls back after patienceWindows windows in a row', () => {
    const g = new RollbackGuard({ windowRequests: 10, marginReward: 0.05, patienceWindows: 2 });
    expect(feed(g, -0.01, 10)?.kind).toBe('hold');
    expect(feed(g, -0.01, 10)?.kind).toBe('rollback');
    // a promotion resets the count
    expect(feed(g, -0.01, 10)?.kind).toBe('hold');
    expect(feed(g, 0.01, 10)?.kind).toBe('promote');
    expect(feed(g, -0.01, 10)?.kind).toBe('hold');
  });

  it('neither promotes nor counts against the learner when it did exactly as well (the same choices)', () => {
    const g = new RollbackGuard({ windowRequests: 5, marginReward: 0.05, patienceWindows: 2 });
    expect(feed(g, -0.01, 5)?.kind).toBe('hold');
    expect(feed(g, 0, 5)?.kind).toBe('hold');
    expect(feed(g, -0.01, 5)?.kind).toBe('rollback');
  });

  it('validates its config', () => {
    expect(resolveRollbackGuardConfig({}).windowRequests).toBe(100);
    thrownCoinferError(() => resolveRollbackGuardConfig({ windowRequests: 0 }), 'ERR_INVALID_CONFIG');
    thrownCoinferError(() => resolveRollbackGuardConfig({ marginReward: -1 }), 'ERR_INVALID_CONFIG');
    thrownCoinferError(() => resolveRollbackGuardConfig({ patienceWindows: 1.5 }), 'ERR_INVALID_CONFIG');
    thrownCoinferError(() => resolveRollbackGuardConfig({ maxPauseWindows: -1 }), 'ERR_INVALID_CONFIG');
  });
});
