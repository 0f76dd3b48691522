import { describe, expect, it } from 'vitest';
import { ManualClock, realClock } from '../../../runtime/link/clock.ts';

describe('ManualClock', () => {
  it('fires timers in due order at their own times, including ones scheduled on the way', async () => {
    const clock = new ManualClock(100);
    const log: string[] = [];
    void clock.sleep(30).then(() => log.push(`b@${clock.now()}`));
    void clock.sleep(10).then(async () => {
      log.push(`a@${clock.now()}`);
      await clock.sleep(5);
      log.push(`a2@${clock.now()}`);
    });
    await clock.advance(29);
    expect(log).toEqual(['a@110', 'a2@115']);
    expect(clock.now()).toBe(129);
    await clock.advance(1);
    expect(log).toEqual(['a@110', 'a2@115', 'b@130']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves non-positive sleeps at once and rejects on abort, removing the timer', async () => {
    const clock = new ManualClock();
    await clock.sleep(0);
    const ctl = new AbortController();
    const p = clock.sleep(50, ctl.signal);
    expect(clock.pendingTimers).toBe(1);
    ctl.abort('stop');
    await expect(p).rejects.toBe('stop');
    expect(clock.pendingTimers).toBe(0);
    await expect(clock.advance(-1)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('realClock', () => {
  it('never resolves early and rejects with the abort reason', async () => {
    const t0 = realClock.now();
    await realClock.sleep(15);
    expect(realClock.now() - t0).toBeGreaterThanOrEqual(15);
    const ctl = new AbortController();
    const p = realClock.sleep(10_000, ctl.signal);
    setTimeout(() => ctl.abort('late'), 5);
    await expect(p).rejects.toBe('late');
    await expect(realClock.sleep(5, AbortSignal.abort('now'))).rejects.toBe('now');
  });
});
