import { describe, expect, it } from 'vitest';
import { traceStats } from '../../../runtime/link/trace-stats.ts';
import { constantTrace, createTrace } from '../../../runtime/link/trace.ts';

// 0.05 Mbps for 1 s, 2 Mbps for 2 s, 4 Mbps for 1 s (sample-and-hold up to durationS = 4)
const steps = createTrace({ name: 'steps', timesS: [0, 1, 3], mbps: [0.05, 2, 4], durationS: 4 });

describe('traceStats', () => {
  it('weights rows by the time they hold (hand-computed)', () => {
    const s = traceStats([steps]);
    expect(s.durationS).toBe(4);
    expect(s.meanMbps).toBeCloseTo((0.05 * 1 + 2 * 2 + 4 * 1) / 4, 12);
    expect(s.p5Mbps).toBe(0.05); // 5 % of 4 s = 0.2 s, inside the first second
    expect(s.p50Mbps).toBe(2); // 2 s: 1 s at 0.05 then 2 s at 2
    expect(s.p95Mbps).toBe(4); // 3.8 s lies in the last second
    expect(s.shareBelowLow).toBe(0.25);
    expect(s.rows).toBe(3);
  });

  it('pools several traces by time', () => {
    const s = traceStats([steps, constantTrace(1, 4)]);
    expect(s.durationS).toBe(8);
    expect(s.meanMbps).toBeCloseTo((8.05 + 4) / 8, 12);
    expect(s.p50Mbps).toBe(1); // 1 s at 0.05, then 4 s at 1 covers the 4 s mark
    expect(s.shareBelowLow).toBe(0.125);
  });

  it('refuses an empty list', () => {
    expect(() => traceStats([])).toThrow(RangeError);
  });
});
