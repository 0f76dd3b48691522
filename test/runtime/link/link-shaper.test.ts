import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { ManualClock, realClock } from '../../../runtime/link/clock.ts';
import { DEFAULT_LINK_SHAPER_CONFIG, LinkShaper, resolveLinkShaperConfig, type TransferTiming } from '../../../runtime/link/link-shaper.ts';
import { constantTrace, createTrace } from '../../../runtime/link/trace.ts';

const MBIT = 125_000; // bytes in one megabit

interface Tracked {
  settled: boolean;
  timing?: TransferTiming;
  error?: unknown;
  /** Virtual time at which the promise settled, ms. */
  atMs: number;
}

/** Records when and how a transfer settles, in the manual clock's time. */
function track(clock: ManualClock, p: Promise<TransferTiming>): Tracked {
  const t: Tracked = { settled: false, atMs: NaN };
  p.then(
    (timing) => Object.assign(t, { settled: true, timing, atMs: clock.now() }),
    (error: unknown) => Object.assign(t, { settled: true, error, atMs: clock.now() }),
  );
  return t;
}

describe('LinkShaper (virtual time)', () => {
  it('takes bytes·8/rate plus the propagation delay on a constant trace', async () => {
    const clock = new ManualClock(5_000);
    const shaper = new LinkShaper({ trace: constantTrace(1), propagationDelayMs: 10 }, clock);
    const t = track(clock, shaper.transmit(MBIT));
    await clock.advance(1009.999);
    expect(t.settled).toBe(false);
    await clock.advance(0.001);
    expect(t.atMs).toBeCloseTo(5_000 + 1010, 9);
    expect(t.timing).toEqual({ bytes: MBIT, queuedMs: 0, transmitMs: 1000, propagationMs: 10, uplinkMs: 1010, traceStartS: 0 });
  });

  it('integrates a transfer spanning a bandwidth change', async () => {
    const clock = new ManualClock();
    const trace = createTrace({ name: 'down', timesS: [0, 1], mbps: [8, 2], durationS: 10 });
    const shaper = new LinkShaper({ trace, offsetS: 0.5 }, clock);
    const t = track(clock, shaper.transmit(5 * MBIT)); // 4 Mbit by 1 s, 1 Mbit at 2 Mbps
    await clock.advance(2000);
    expect(t.timing!.traceStartS).toBe(0.5);
    expect(t.timing!.transmitMs).toBeCloseTo(1000, 9);
    expect(t.atMs).toBeCloseTo(1000, 9);
  });

  it('stalls through a zero-Mbps stretch, then resumes', async () => {
    const clock = new ManualClock();
    const trace = createTrace({ name: 'outage', timesS: [0, 1, 3], mbps: [8, 0, 8], durationS: 10 });
    const shaper = new LinkShaper({ trace, offsetS: 0.5 }, clock);
    const t = track(clock, shaper.transmit(8 * MBIT)); // 4 Mbit by 1 s, nothing to 3 s, 4 Mbit to 3.5 s
    await clock.advance(1500); // trace 2 s: inside the outage
    expect(shaper.currentMbps()).toBe(0);
    await clock.advance(1499);
    expect(t.settled).toBe(false);
    await clock.advance(1);
    expect(t.timing!.transmitMs).toBeCloseTo(3000, 9);
    expect(t.atMs).toBeCloseTo(3000, 9);
  });

  it('starts at an offset, runs trace time at timeScale and wraps around the end', async () => {
    const clock = new ManualClock();
    // 4 Mbps on [5, 6), then the loop restarts at 8 Mbps.
    const trace = createTrace({ name: 'steps', timesS: [0, 2, 3, 5], mbps: [8, 2, 0, 4], durationS: 6 });
    const shaper = new LinkShaper({ trace, offsetS: 5.5, timeScale: 2 }, clock);
    expect(shaper.currentMbps()).toBe(4);
    // 2 Mbit to 6 s, then 8 Mbit at 8 Mbps: 1.5 trace s = 750 wall ms at 2×.
    expect(shaper.predictTransmitMs(10 * MBIT)).toBeCloseTo(750, 9);
    const t = track(clock, shaper.transmit(10 * MBIT));
    await clock.advance(750);
    expect(t.timing!.transmitMs).toBeCloseTo(750, 9);
    expect(shaper.traceTimeS()).toBeCloseTo(7, 12);
    expect(shaper.currentMbps()).toBe(8);
  });

  it('queues back-to-back transfers FIFO and starts a later one on a free link at once', async () => {
    const clock = new ManualClock();
    const shaper = new LinkShaper({ trace: constantTrace(1), propagationDelayMs: 5 }, clock);
    const a = track(clock, shaper.transmit(MBIT));
    const b = track(clock, shaper.transmit(MBIT / 2));
    await clock.advance(1005);
    expect(a.atMs).toBe(1005);
    expect(b.settled).toBe(false);
    await clock.advance(500);
    expect(b.atMs).toBeCloseTo(1505, 9);
    expect(b.timing).toMatchObject({ queuedMs: 1000, propagationMs: 5, traceStartS: 1 });
    expect(b.timing!.transmitMs).toBeCloseTo(500, 9);
    expect(b.timing!.uplinkMs).toBeCloseTo(1505, 9);
    await clock.advance(1000);
    const c = track(clock, shaper.transmit(MBIT));
    await clock.advance(1005);
    expect(c.timing).toMatchObject({ queuedMs: 0, transmitMs: 1000, traceStartS: 2.505 });
  });

  it('rejects with the signal reason when aborted on the link, and frees the link at once', async () => {
    const clock = new ManualClock();
    const shaper = new LinkShaper({ trace: constantTrace(1) }, clock);
    const ctl = new AbortController();
    const a = track(clock, shaper.transmit(MBIT, ctl.signal));
    const b = track(clock, shaper.transmit(MBIT));
    await clock.advance(300);
    const reason = new CoinferError('ERR_DEADLINE_EXCEEDED', 'deadline');
    ctl.abort(reason);
    await clock.advance(0);
    expect(a.error).toBe(reason);
    expect(a.atMs).toBe(300);
    await clock.advance(1000);
    expect(b.timing).toMatchObject({ queuedMs: 300, transmitMs: 1000 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('drops an aborted queued transfer without letting its successor overtake the one on the link', async () => {
    const clock = new ManualClock();
    const shaper = new LinkShaper({ trace: constantTrace(1) }, clock);
    const ctl = new AbortController();
    const a = track(clock, shaper.transmit(MBIT));
    const b = track(clock, shaper.transmit(MBIT, ctl.signal));
    const c = track(clock, shaper.transmit(MBIT));
    await clock.advance(100);
    ctl.abort(new Error('gone'));
    await clock.advance(1900);
    expect(a.atMs).toBe(1000);
    expect((b.error as Error).message).toBe('gone');
    expect(c.atMs).toBe(2000);
    expect(c.timing).toMatchObject({ queuedMs: 1000, transmitMs: 1000 });
  });

  it('rejects at once on an already-aborted signal and on bad bytes', async () => {
    const shaper = new LinkShaper({ trace: constantTrace(1) }, new ManualClock());
    const reason = new Error('early');
    await expect(shaper.transmit(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    await expect(shaper.transmit(-1)).rejects.toBeInstanceOf(RangeError);
    await expect(shaper.transmit(NaN)).rejects.toBeInstanceOf(RangeError);
  });

  it('on an all-zero trace stalls until aborted, and refuses without a signal', async () => {
    const clock = new ManualClock();
    const shaper = new LinkShaper({ trace: constantTrace(0) }, clock);
    expect(shaper.predictTransmitMs(1)).toBe(Infinity);
    const ctl = new AbortController();
    const t = track(clock, shaper.transmit(1, ctl.signal));
    await clock.advance(1e9);
    expect(t.settled).toBe(false);
    ctl.abort(new Error('deadline'));
    await clock.advance(0);
    expect((t.error as Error).message).toBe('deadline');
    await expect(shaper.transmit(1)).rejects.toMatchObject({ name: 'CoinferError', code: 'ERR_DEADLINE_EXCEEDED' });
  });

  it('in plain mode resolves at once with zeros', async () => {
    const shaper = new LinkShaper({}, new ManualClock());
    expect(await shaper.transmit(1e9)).toEqual({ bytes: 1e9, queuedMs: 0, transmitMs: 0, propagationMs: 0, uplinkMs: 0, traceStartS: 0 });
    expect(shaper.currentMbps()).toBe(Infinity);
    expect(shaper.predictTransmitMs(1e9)).toBe(0);
  });
});

describe('resolveLinkShaperConfig', () => {
  it('fills defaults', () => {
    expect(resolveLinkShaperConfig({})).toEqual(DEFAULT_LINK_SHAPER_CONFIG);
    expect(resolveLinkShaperConfig({ propagationDelayMs: 7 }).propagationDelayMs).toBe(7);
  });

  it.each([
    { offsetS: -1 },
    { offsetS: NaN },
    { propagationDelayMs: -0.1 },
    { timeScale: 0 },
    { timeScale: Infinity },
    { trace: { name: 'fake' } as never },
  ])('rejects %o with ERR_INVALID_CONFIG', (p) => {
    expect(() => resolveLinkShaperConfig(p)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => resolveLinkShaperConfig(p)).toThrow(CoinferError);
  });
});

describe('LinkShaper (real clock)', () => {
  it('holds a transfer for bytes·8/rate + delay, within 5 %', async () => {
    const shaper = new LinkShaper({ trace: constantTrace(8), propagationDelayMs: 20 }, realClock);
    // Long enough that timer lateness on a loaded machine (a few ms) stays within 5 %.
    const bytes = 400_000; // 3.2 Mbit at 8 Mbps = 400 ms
    const expectedMs = 400 + 20;
    const t0 = performance.now();
    const timing = await shaper.transmit(bytes);
    const elapsedMs = performance.now() - t0;
    expect(timing.uplinkMs).toBeCloseTo(expectedMs, 6);
    expect(elapsedMs).toBeGreaterThanOrEqual(expectedMs - 0.5);
    expect(elapsedMs).toBeLessThanOrEqual(expectedMs * 1.05);
  });
});
