import { describe, expect, it } from 'vitest';
import { constantTrace, createTrace } from '../../../runtime/link/trace.ts';
import { bandwidthAt, meanMbps, transferEndS, transferMs } from '../../../runtime/link/trace-integrate.ts';

// 8 Mbps for 2 s, 2 Mbps for 1 s, 0 Mbps for 2 s, then 4 Mbps for 1 s; loops every 6 s.
// One loop carries 16 + 2 + 0 + 4 = 22 Mbit.
const steps = createTrace({ name: 'steps', timesS: [0, 2, 3, 5], mbps: [8, 2, 0, 4], durationS: 6 });
const MBIT = 125_000; // bytes in one megabit

describe('bandwidthAt', () => {
  it('samples and holds, looping modulo durationS (also for negative times)', () => {
    expect(bandwidthAt(steps, 0)).toBe(8);
    expect(bandwidthAt(steps, 1.999)).toBe(8);
    expect(bandwidthAt(steps, 2)).toBe(2);
    expect(bandwidthAt(steps, 4)).toBe(0);
    expect(bandwidthAt(steps, 5.5)).toBe(4);
    expect(bandwidthAt(steps, 6)).toBe(8);
    expect(bandwidthAt(steps, 6 * 1000 + 2.5)).toBe(2);
    expect(bandwidthAt(steps, -0.5)).toBe(4);
  });

  it('rejects a non-finite time', () => {
    expect(() => bandwidthAt(steps, NaN)).toThrow(RangeError);
  });
});

describe('transferEndS', () => {
  it('at a constant rate takes bytes·8/rate', () => {
    expect(transferMs(constantTrace(1), { startS: 0, bytes: 125_000 })).toBeCloseTo(1000, 9);
    expect(transferMs(constantTrace(2.5), { startS: 17.3, bytes: 10_000 })).toBeCloseTo((10_000 * 8) / 2.5e3, 9);
  });

  it('integrates a transfer across a bandwidth change', () => {
    // From 1.5 s: 0.5 s at 8 Mbps = 4 Mbit, then 1 Mbit at 2 Mbps = 0.5 s → ends at 2.5 s.
    expect(transferEndS(steps, { startS: 1.5, bytes: 5 * MBIT })).toBeCloseTo(2.5, 12);
  });

  it('stalls through a zero-Mbps stretch and resumes after it', () => {
    // From 2 s: 2 Mbit in [2, 3), nothing in [3, 5), 2 more Mbit at 4 Mbps → 5.5 s.
    expect(transferEndS(steps, { startS: 2, bytes: 4 * MBIT })).toBeCloseTo(5.5, 12);
    // Starting inside the outage waits for its end.
    expect(transferEndS(steps, { startS: 4, bytes: 1 * MBIT })).toBeCloseTo(5.25, 12);
  });

  it('ends at the last delivering instant, not after a trailing outage', () => {
    // Exactly the 18 Mbit of [0, 3) ends at 3, even though [3, 5) is zero.
    expect(transferEndS(steps, { startS: 0, bytes: 18 * MBIT })).toBeCloseTo(3, 12);
    // A whole loop's 22 Mbit from 0 ends at 6 (the loop end, 4 Mbps up to it).
    expect(transferEndS(steps, { startS: 0, bytes: 22 * MBIT })).toBeCloseTo(6, 12);
  });

  it('starts at an offset and wraps around the end of the trace', () => {
    // From 5.5: 2 Mbit at 4 Mbps to 6, loop to 0, then 8 Mbit at 8 Mbps → 7 s.
    expect(transferEndS(steps, { startS: 5.5, bytes: 10 * MBIT })).toBeCloseTo(7, 12);
    // Many loops: 3 loops (66 Mbit) + 4 Mbit from 100·6 s → 600 + 18 + 0.5.
    expect(transferEndS(steps, { startS: 600, bytes: 70 * MBIT })).toBeCloseTo(618.5, 9);
  });

  it('returns the start for zero bytes, even inside an outage', () => {
    expect(transferEndS(steps, { startS: 4, bytes: 0 })).toBe(4);
  });

  it('returns Infinity when the trace is all zero', () => {
    const dead = createTrace({ name: 'dead', timesS: [0, 1], mbps: [0, 0] });
    expect(transferEndS(dead, { startS: 0, bytes: 1 })).toBe(Infinity);
    expect(transferMs(constantTrace(0), { startS: 3, bytes: 1 })).toBe(Infinity);
  });

  it('rejects negative bytes and a non-finite start', () => {
    expect(() => transferEndS(steps, { startS: 0, bytes: -1 })).toThrow(RangeError);
    expect(() => transferEndS(steps, { startS: Infinity, bytes: 1 })).toThrow(RangeError);
  });

  it('agrees with a brute-force 1 µs simulation on random transfers', () => {
    // A fixed pseudo-random walk over starts and sizes (no Math.random). Each rate boundary
    // inside a 0.1 ms step costs the simulation at most 4 steps of error (8 vs 2 Mbps).
    let x = 12345;
    const next = (): number => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let k = 0; k < 20; k++) {
      const startS = next() * 20 - 5;
      const bytes = Math.floor(next() * 6 * MBIT);
      let delivered = 0;
      const dt = 1e-4;
      let t = startS;
      while (delivered < (bytes * 8) / 1e6) {
        delivered += bandwidthAt(steps, t) * dt;
        t += dt;
      }
      expect(Math.abs(transferEndS(steps, { startS, bytes }) - t)).toBeLessThan(20 * dt);
    }
  });
});

describe('meanMbps', () => {
  it('is time-weighted, across the loop boundary too', () => {
    expect(meanMbps(steps, 0, 6)).toBeCloseTo(22 / 6, 12);
    expect(meanMbps(steps, 1, 4)).toBeCloseTo((8 + 2 + 0) / 3, 12);
    expect(meanMbps(steps, 5, 8)).toBeCloseTo((4 + 16) / 3, 12);
    expect(meanMbps(steps, 2.5, 2.5)).toBe(2);
  });

  it('rejects a reversed interval', () => {
    expect(() => meanMbps(steps, 2, 1)).toThrow(RangeError);
  });
});
