// Observation version 3: what the device measures over recent requests (speeds, edge queue,
// link spread, outcomes) and what its planner predicts, from the device's side only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileFromActionTable } from '../../env/action-profile.ts';
import { stageProfilesOf } from '../../env/compute-times.ts';
import { SURPRISE_WINDOW } from '../../env/device-telemetry.ts';
import { OBSERVATION_FIELDS, OBSERVATION_SIZE, V2_OBSERVATION_SIZE, observationSizeOf, writeObservation } from '../../env/observation.ts';
import { plannedLatencyMs, plannerPick, slackOf } from '../../env/planner-slack.ts';
import { ReplayEnv, type ReplayEnvOptions } from '../../env/replay-env.ts';
import { createCalibratedPlannerPolicy } from '../../policies/calibrated-planner.ts';
import { constantTrace, createTrace, type BandwidthTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { edgentTimes, randomPackage } from './fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
});
afterAll(async () => cleanup());

const F = (name: (typeof OBSERVATION_FIELDS)[number]): number => OBSERVATION_FIELDS.indexOf(name);
const longDeadlines = { deadline: { kind: 'choice', valuesMs: [20_000] }, deviceLoadLevels: [0], otherDevices: 0, episodeRequests: 40 } as const;

function env(o: Partial<ReplayEnvOptions> & { config?: ReplayEnvOptions['config'] } = {}, traces: BandwidthTrace[] = [constantTrace(20, 3600)]): ReplayEnv {
  return new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg, Float64Array.of(1)), traces, ...o });
}

async function run(e: ReplayEnv, action: (e: ReplayEnv) => number, steps: number): Promise<Float32Array[]> {
  const obs = [(await e.reset({ seed: 3 })).observation];
  for (let i = 0; i < steps; i++) obs.push((await e.step(action(e))).observation);
  return obs;
}
const localFirst = (e: ReplayEnv) => e.vec.codec.encode({ exit: 1, partition: pkg.manifest.exits[0]!.branchStage, encoding: 'f32' });
const offloadWhole = (e: ReplayEnv) => e.vec.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });

describe('observation version 3', () => {
  it('keeps version 2 as its prefix and names every entry', () => {
    expect(OBSERVATION_FIELDS).toHaveLength(OBSERVATION_SIZE);
    expect(observationSizeOf(2)).toBe(V2_OBSERVATION_SIZE);
    expect(observationSizeOf(1)).toBe(V2_OBSERVATION_SIZE);
    expect(observationSizeOf(3)).toBe(OBSERVATION_SIZE);
    expect(() => observationSizeOf(4)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_INCOMPATIBLE' }));
  });

  it('the v2 prefix is exactly what writeObservation gives for the context', async () => {
    const e = env({ config: { scenario: { episodeRequests: 30 } } });
    const r = await e.reset({ seed: 1 });
    const v2 = new Float32Array(OBSERVATION_SIZE);
    writeObservation(v2, 0, r.info.context, null);
    expect(Array.from(r.observation.slice(0, V2_OBSERVATION_SIZE))).toEqual(Array.from(v2.slice(0, V2_OBSERVATION_SIZE)));
  });

  it('estimates the device speed from its own compute times, not from the world it cannot see', async () => {
    const slow = await run(env({ config: { scenario: longDeadlines, variation: { deviceSlowdown: 2 } } }), localFirst, 20);
    const asProfiled = await run(env({ config: { scenario: longDeadlines } }), localFirst, 20);
    expect(slow[0]![F('device_speed')]).toBeCloseTo(0.25, 6); // before any request: the profile's word
    expect(slow[1]![F('device_speed')]).toBeCloseTo(0.5, 5); // one measurement replaces the prior, it does not shrink toward it
    expect(slow[20]![F('device_speed')]).toBeGreaterThan(0.49); // log2(2) = 1 → (1 + 1) / 4
    expect(slow[20]![F('device_speed')]).toBeLessThanOrEqual(0.5 + 1e-6);
    expect(asProfiled[20]![F('device_speed')]).toBeCloseTo(0.25, 5);
  });

  it('reads the edge speed and queue from its replies', async () => {
    const busy = { ...longDeadlines, otherDevices: 4, otherDeviceActiveProb: 1, edgeLoadPerDevice: 0.2 };
    const slowEdge = await run(env({ config: { scenario: longDeadlines, variation: { edgeSlowdown: 4 } } }), offloadWhole, 20);
    expect(slowEdge[20]![F('edge_speed')]).toBeGreaterThan(0.74); // log2(4) = 2 → 0.75
    expect(slowEdge[20]![F('edge_queue')]).toBe(0); // nobody else on the edge
    const queued = await run(env({ config: { scenario: busy } }), offloadWhole, 20);
    expect(queued[20]![F('edge_queue')]).toBeGreaterThan(0.1);
    // a device that never offloads hears nothing from the edge
    const local = await run(env({ config: { scenario: busy, variation: { edgeSlowdown: 4 } } }), localFirst, 20);
    expect(local[20]![F('edge_speed')]).toBeCloseTo(0.25, 6);
    expect(local[20]![F('edge_queue')]).toBe(0);
  });

  it('measures the link: spread and minimum of recent samples, time since the last one', async () => {
    const steady = await run(env({ config: { scenario: longDeadlines } }), offloadWhole, 10);
    expect(steady[10]![F('bandwidth_spread')]).toBeLessThan(0.01);
    expect(steady[10]![F('bandwidth_min_log')]).toBeCloseTo(steady[10]![F('bandwidth_log')]!, 2);
    // a link alternating 1 and 50 Mbps every 2 s: the spread and the minimum show it
    const t = createTrace({ name: 'flappy', source: 'synthetic', timesS: Array.from({ length: 1800 }, (_, i) => 2 * i), mbps: Array.from({ length: 1800 }, (_, i) => (i % 2 ? 1 : 50)), durationS: 3600 });
    const flappy = await run(env({ config: { scenario: { ...longDeadlines, requestIntervalMs: 1000 } } }, [t]), offloadWhole, 12);
    expect(flappy[12]![F('bandwidth_spread')]).toBeGreaterThan(0.3);
    expect(flappy[12]![F('bandwidth_min_log')]).toBeLessThan(flappy[12]![F('bandwidth_log')]! + 1e-6);
    // without probes a local device's last sample ages: the feature grows
    const noProbe = await run(env({ config: { scenario: { ...longDeadlines, requestIntervalMs: 5000 }, probeBytes: 0 } }), localFirst, 10);
    expect(noProbe[10]![F('since_transfer')]).toBeGreaterThan(noProbe[1]![F('since_transfer')]!);
  });

  it("keeps how far its bandwidth estimate was off (the context's surprises): none on a steady link, both ways on a flapping one", async () => {
    const steady = env({ config: { scenario: { ...longDeadlines, episodeRequests: 100 } } });
    let r = await steady.reset({ seed: 3 });
    expect(r.info.context.bandwidthSurprisesLn).toHaveLength(0); // one probe: nothing to be surprised against yet
    for (let i = 0; i < 50; i++) r = await steady.step(offloadWhole(steady));
    const calm = r.info.context.bandwidthSurprisesLn!;
    expect(calm).toHaveLength(SURPRISE_WINDOW); // the ring keeps the newest
    for (const x of calm) expect(Math.abs(x)).toBeLessThan(0.01);
    const t = createTrace({ name: 'flappy', source: 'synthetic', timesS: Array.from({ length: 1800 }, (_, i) => 2 * i), mbps: Array.from({ length: 1800 }, (_, i) => (i % 2 ? 1 : 50)), durationS: 3600 });
    const flappy = env({ config: { scenario: { ...longDeadlines, requestIntervalMs: 1000 } } }, [t]);
    r = await flappy.reset({ seed: 3 });
    for (let i = 0; i < 20; i++) r = await flappy.step(offloadWhole(flappy));
    const s = Array.from(r.info.context.bandwidthSurprisesLn!);
    expect(Math.min(...s)).toBeLessThan(-0.5); // the estimate was far too high…
    expect(Math.max(...s)).toBeGreaterThan(1); // …and far too low
  });

  it('tracks recent misses and fallbacks', async () => {
    const tight = { ...longDeadlines, deadline: { kind: 'choice', valuesMs: [5] } } as const;
    const missing = await run(env({ config: { scenario: tight } }, [constantTrace(0.05, 3600)]), offloadWhole, 30);
    expect(missing[0]![F('recent_miss_rate')]).toBe(0);
    expect(missing[30]![F('recent_miss_rate')]).toBeGreaterThan(0.9);
    const fine = await run(env({ config: { scenario: longDeadlines } }), localFirst, 30);
    expect(fine[30]![F('recent_miss_rate')]).toBe(0);
    expect(fine[30]![F('recent_fallback_rate')]).toBe(0);
    const slowLink = { ...longDeadlines, deadline: { kind: 'choice', valuesMs: [2000] } } as const;
    const fallbacks = await run(env({ config: { scenario: slowLink } }, [constantTrace(0.002, 3600)]), offloadWhole, 30); // ~800 B take ~3 s: the reply cannot make 2 s
    expect(fallbacks[30]![F('recent_fallback_rate')]).toBeGreaterThan(0.9);
  });

  it('the planner features follow Edgent\'s search over the device profile (the calibrated planner picks the same action)', async () => {
    const times = edgentTimes(pkg, Float64Array.of(1));
    const e = new ReplayEnv({ manifest: pkg.manifest, computeTimes: times, traces: [constantTrace(3, 3600)], config: { scenario: { episodeRequests: 200, deadline: { kind: 'uniform', minMs: 20, maxMs: 800 } } } });
    const profile = profileFromActionTable(e.vec.table);
    const planner = createCalibratedPlannerPolicy({ manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, stageProfiles: stageProfilesOf(pkg.manifest, times), actions: e.vec.codec.actions });
    let r = await e.reset({ seed: 9 });
    let feasible = 0;
    for (let i = 0; i < 150; i++) {
      const ctx = r.info.context;
      const pick = plannerPick(profile, ctx);
      expect(pick.action).toBe(e.vec.codec.encode(planner.decide(r.observation, ctx)));
      expect(r.observation[F('slack_planner')]).toBeCloseTo(slackOf(ctx.deadlineMs, pick.latencyMs), 5);
      expect(r.observation[F('slack_local_best')]).toBeCloseTo(slackOf(ctx.deadlineMs, plannedLatencyMs(profile, profile.localBest, ctx)), 5);
      if (pick.feasible) feasible++;
      else expect(r.observation[F('planner_score')]).toBe(0);
      r = await e.step(i % 2 ? localFirst(e) : offloadWhole(e));
    }
    expect(feasible).toBeGreaterThan(10);
    expect(feasible).toBeLessThan(150); // both branches exercised
  });
});
