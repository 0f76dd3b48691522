import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrate, compareOutcomes, type CalibrationPair } from '../../env/calibrate.ts';
import { sideCalibration } from '../../env/measured-compute-times.ts';
import type { RequestOutcome } from '../../env/step-info.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { randomPackage } from './fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
});
afterAll(async () => cleanup());

const outcome = (o: Partial<RequestOutcome>): RequestOutcome => ({
  action: { exit: 5, partition: 0, encoding: 'uint8' }, actionIndex: 0, deadlineMs: 100, deviceMs: 0, uplinkMs: 10, edgeMs: 5, totalMs: 25,
  bytes: 800, energyMj: 1, hit: true, correct: true, fallback: false, answeredExit: 5, imageIndex: 0, traceName: 't', traceTimeS: 0, ...o,
});

describe('compareOutcomes', () => {
  it('computes MAPE against live, and live − replay gaps', () => {
    const pairs: CalibrationPair[] = [
      { live: outcome({ totalMs: 100, deviceMs: 50 }), liveFallbackReason: null, replay: outcome({ totalMs: 110, deviceMs: 50 }), liveReward: 1, replayReward: 1 },
      { live: outcome({ totalMs: 200, hit: false }), liveFallbackReason: null, replay: outcome({ totalMs: 150 }), liveReward: -1, replayReward: 1 },
    ];
    const g = compareOutcomes(pairs, 20);
    expect(g.latencyMape).toBeCloseTo((0.1 + 0.25) / 2, 12);
    expect(g.hitRateGap).toBeCloseTo(-0.5, 12);
    expect(g.rewardGap).toBeCloseTo(-1, 12);
    expect(g.hitAgreement).toBe(0.5);
    expect(g.components.device).toEqual({ mape: 0, count: 1 });
    expect(g.components.uplink.count).toBe(2);
  });
});

describe('sideCalibration', () => {
  it('takes the median residual as overhead and scales the residual spread to the typical size', () => {
    const c = sideCalibration([{ measuredMs: 11, predictedMs: 10 }, { measuredMs: 22, predictedMs: 20 }, { measuredMs: 33, predictedMs: 30 }], 8);
    expect(c.overheadMs).toBe(2);
    expect(c.residualsMs).toEqual([1, 2, 3]);
    expect(c.jitter).toEqual([1 - 1 / 10, 1, 1 + 1 / 10]); // ±1 ms around the overhead, at 8 + 2 ms
  });
});

describe('calibrate', () => {
  it('runs one seeded scenario through both envs and returns finite gaps', async () => {
    const { report, pairs } = await calibrate({
      pkg, traces: [constantTrace(2, 3600)], requests: 20, seed: 4, warmupRequests: 8,
      config: { scenario: { deadline: { kind: 'choice', valuesMs: [150, 300] }, otherDevices: 1, deviceLoadLevels: [0, 0.25] } },
    });
    expect(report.requests).toBe(20);
    expect(pairs).toHaveLength(20);
    expect(report.streamMismatches).toBe(0);
    for (const v of [report.latencyMape, report.hitRateGap, report.rewardGap, report.computeTimes.deviceOverheadMs, report.computeTimes.edgeOverheadMs]) expect(Number.isFinite(v)).toBe(true);
    // the emulated profiles dominate both envs' latencies: far apart would mean a broken model
    expect(report.latencyMape).toBeLessThan(0.5);
    expect(new Set(pairs.map((p) => p.live.actionIndex)).size).toBeGreaterThan(5); // random over every action
  });
});
