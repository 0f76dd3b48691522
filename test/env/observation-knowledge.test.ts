// The observation holds only what a device can know: the edge load and RTT of the edge's last
// reply (stale in between), not the edge's true current load or the scenario's RTT constant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../common/rng.ts';
import { OBSERVATION_FIELDS } from '../../env/observation.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { ReplayEnv } from '../../env/replay-env.ts';
import { RequestStream, type ServedRequest } from '../../env/request-stream.ts';
import { RTT_MEASUREMENT_JITTER } from '../../env/rtt-measurement.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { profileFromActionTable } from '../../env/action-profile.ts';
import { buildActionTable } from '../../env/action-table.ts';
import { edgentTimes, randomPackage } from './fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
});
afterAll(async () => cleanup());

// Other devices come and go often, deadlines are long and the link fast: every offload is answered.
const scenario = { otherDevices: 4, otherDeviceActiveProb: 0.5, edgeLoadPerDevice: 0.2, rttMs: 40, deadline: { kind: 'choice', valuesMs: [5000] }, episodeRequests: 60 } as const;
const EDGE = OBSERVATION_FIELDS.indexOf('edge_load');
const RTT = OBSERVATION_FIELDS.indexOf('rtt');

const served = (p: Partial<ServedRequest>): ServedRequest => ({ local: true, bytes: 0, transmitMs: Number.NaN, deviceMs: 10, totalMs: 10, hit: true, edgeReplied: false, measuredRttMs: Number.NaN, actionIndex: 0, fallbackExit: 0, edgeComputeMs: Number.NaN, edgeQueueMs: Number.NaN, ...p });
const profile = () => profileFromActionTable(buildActionTable(pkg.manifest, new ActionCodec(pkg.manifest, ['int8']), edgentTimes(pkg)));

describe('RequestStream: what the device knows of the edge', () => {
  it('keeps the reported load until the edge replies, then takes the load the request was served under', () => {
    const stream = new RequestStream({ manifest: pkg.manifest, config: resolveEnvConfig({ scenario }), traces: [constantTrace(20, 3600)], deviceJitter: Float64Array.of(1), edgeJitter: Float64Array.of(1), profile: profile() });
    const lane = stream.newLane(createRng(4));
    expect(lane.edgeLoad).toBe(lane.trueEdgeLoad); // reported at connection set-up
    expect(lane.rttMs).toBe(40);
    let trueChanges = 0;
    for (let i = 0; i < 50; i++) {
      const reported = lane.edgeLoad;
      const trueLoad = lane.trueEdgeLoad;
      if (i % 5 < 4) {
        stream.finishRequest(lane, served({})); // local: no reply, nothing learnt
        expect(lane.edgeLoad).toBe(reported);
      } else {
        stream.finishRequest(lane, served({ local: false, bytes: 1000, transmitMs: 1, edgeReplied: true, measuredRttMs: 40 + i }));
        expect(lane.edgeLoad).toBe(trueLoad);
        expect(lane.rttMs).toBe(40 + i);
      }
      if (lane.trueEdgeLoad !== trueLoad) trueChanges++;
    }
    expect(trueChanges).toBeGreaterThan(5); // the test is not vacuous: the true load moved
  });

  it('a fallback (offload abandoned, no reply) teaches nothing about the edge', () => {
    const stream = new RequestStream({ manifest: pkg.manifest, config: resolveEnvConfig({ scenario }), traces: [constantTrace(20, 3600)], deviceJitter: Float64Array.of(1), edgeJitter: Float64Array.of(1), profile: profile() });
    const lane = stream.newLane(createRng(5));
    const before = { load: lane.edgeLoad, rtt: lane.rttMs };
    for (let i = 0; i < 20; i++) stream.finishRequest(lane, served({ local: false, bytes: 1000, transmitMs: 1, edgeReplied: false }));
    expect([lane.edgeLoad, lane.rttMs]).toEqual([before.load, before.rtt]);
  });
});

describe('ReplayEnv observation of edge load and RTT', () => {
  const make = () => new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(50, 3600)], config: { scenario } });

  async function episode(action: (env: ReplayEnv) => number): Promise<Float32Array[]> {
    const env = make();
    const r = await env.reset({ seed: 11 });
    const obs = [r.observation];
    for (let i = 0; i < scenario.episodeRequests; i++) obs.push((await env.step(action(env))).observation);
    await env.close();
    return obs;
  }
  const local = (env: ReplayEnv) => env.vec.table.local.indexOf(1);
  const offload = (env: ReplayEnv) => env.vec.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });

  it('a device that never offloads sees the set-up load and RTT all episode (the edge never told it more)', async () => {
    const obs = await episode(local);
    expect(new Set(obs.map((o) => o[EDGE])).size).toBe(1);
    expect(new Set(obs.map((o) => o[RTT])).size).toBe(1);
    expect(obs[0]![RTT]).toBeCloseTo(0.4, 6);
  });

  it('a device that always offloads sees the load of its last request and a measured, jittered RTT', async () => {
    const quiet = await episode(local);
    const obs = await episode(offload);
    // same seeded stream: the first request was served under the set-up load
    expect(obs[1]![EDGE]).toBe(quiet[0]![EDGE]);
    expect(new Set(obs.map((o) => o[EDGE])).size).toBeGreaterThan(1);
    const rtts = obs.slice(1).map((o) => o[RTT]! * 100);
    expect(new Set(rtts).size).toBeGreaterThan(10);
    for (const r of rtts) expect(Math.abs(r / 40 - 1)).toBeLessThanOrEqual(RTT_MEASUREMENT_JITTER + 1e-6);
  });
});
