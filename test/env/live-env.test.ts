import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { checkEnv } from '../../env/check-env.ts';
import { EdgeLoad } from '../../env/edge-load.ts';
import { LiveEnv, type LiveEnvOptions, type LiveOutcome } from '../../env/live-env.ts';
import { loadSplitTraces } from '../../env/load-traces.ts';
import { ReplayEnv } from '../../env/replay-env.ts';
import { OBSERVATION_FIELDS } from '../../env/observation.ts';
import { startEdgeServer } from '../../runtime/edge/edge-server.ts';
import { constantTrace, type BandwidthTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { loadSamples } from '../../runtime/model/samples.ts';
import { edgentTimes, randomPackage } from './fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
let traces: BandwidthTrace[];

beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
  traces = await loadSplitTraces({ split: 'train' });
});
afterAll(async () => cleanup());

/** A fast live env: native device, constant 50 Mbps link, no device load workers. */
const fastEnv = (o: Partial<LiveEnvOptions> = {}): Promise<LiveEnv> => LiveEnv.create({
  pkg, traces: [constantTrace(50, 3600)], deviceProfile: 'native', edgeProfile: 'native', deviceLoad: false,
  config: { scenario: { episodeRequests: 3, otherDevices: 1, deadline: { kind: 'choice', valuesMs: [500] } } },
  ...o,
});

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('LiveEnv', () => {
  it('passes checkEnv (non-deterministic steps) with a real edge on 127.0.0.1:0', async () => {
    await checkEnv(() => fastEnv(), { deterministicSteps: false, steps: 4 });
  });

  it('draws the same request stream as the replay env under one seed', async () => {
    const config = { scenario: { episodeRequests: 50, otherDevices: 3 } };
    const live = await LiveEnv.create({ pkg, traces, deviceProfile: 'native', edgeProfile: 'native', deviceLoad: false, edgeLoad: false, config });
    try {
      const replay = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, config: { ...config, imagePool: live.config.imagePool } });
      let r = await replay.reset({ seed: 42 });
      let l = await live.reset({ seed: 42 });
      const local = live.codec.encode({ exit: 1, partition: pkg.manifest.exits[0]!.branchStage, encoding: 'f32' });
      for (let i = 0; i < 5; i++) {
        expect(l.info.context.deadlineMs).toBe(r.info.context.deadlineMs);
        expect(l.info.context.deviceLoad).toBe(r.info.context.deviceLoad);
        expect(l.info.context.edgeLoad).toBe(r.info.context.edgeLoad);
        // local actions probe the link in both envs: the bandwidth features agree exactly
        expect([l.observation[0], l.observation[1], l.observation[7]]).toEqual([r.observation[0], r.observation[1], r.observation[7]]);
        const rs = await replay.step(local);
        const ls = await live.step(local);
        expect(ls.info.outcome!.imageIndex).toBe(rs.info.outcome!.imageIndex);
        expect(ls.info.outcome!.traceName).toBe(rs.info.outcome!.traceName);
        expect(ls.info.outcome!.traceTimeS).toBe(rs.info.outcome!.traceTimeS);
        r = { observation: rs.observation, info: rs.info };
        l = { observation: ls.observation, info: ls.info };
      }
    } finally {
      await live.close();
    }
  });

  it('observes the edge load and RTT of the last answered offload, as the replay env does', async () => {
    const config = { scenario: { episodeRequests: 50, otherDevices: 3, otherDeviceActiveProb: 0.5, rttMs: 30, deadline: { kind: 'choice', valuesMs: [3000] } } } as const;
    const live = await fastEnv({ edgeLoad: false, config });
    try {
      const replay = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(50, 3600)], config: { ...config, imagePool: live.config.imagePool } });
      await replay.reset({ seed: 8 });
      await live.reset({ seed: 8 });
      const offload = live.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
      for (let i = 0; i < 6; i++) {
        const rs = await replay.step(offload);
        const ls = await live.step(offload);
        expect(ls.info.outcome!.fallback).toBe(false);
        expect(ls.info.context.edgeLoad).toBe(rs.info.context.edgeLoad);
        // the shaped 30 ms plus the real loopback return path (well under 50 ms here)
        expect(ls.info.context.rttMs).toBeGreaterThanOrEqual(30);
        expect(ls.info.context.rttMs).toBeLessThan(80);
      }
    } finally {
      await live.close();
    }
  });

  it('measures its own speed against its profile and hears the edge\'s times in replies (observation version 3)', async () => {
    // an emulated Pi: real runs are stretched to the profile's times, so the device runs as profiled
    const config = { scenario: { episodeRequests: 50, otherDevices: 0, deviceLoadLevels: [0], deadline: { kind: 'choice', valuesMs: [5000] } } } as const;
    const live = await fastEnv({ deviceProfile: 'edgent-rpi3b', edgeProfile: 'edgent-desktop', config });
    const speed = OBSERVATION_FIELDS.indexOf('device_speed');
    const edgeSpeed = OBSERVATION_FIELDS.indexOf('edge_speed');
    try {
      const first = await live.reset({ seed: 2 });
      expect(first.observation[speed]).toBeCloseTo(0.25, 6); // the prior: as profiled
      const local = live.codec.encode({ exit: 2, partition: pkg.manifest.exits[1]!.branchStage, encoding: 'f32' });
      let obs = first.observation;
      for (let i = 0; i < 6; i++) obs = (await live.step(local)).observation;
      // measured / profiled ≈ 1 (timer overhead only): log2 within [−0.2, 0.8] → feature in [0.2, 0.45]
      expect(obs[speed]).toBeGreaterThan(0.2);
      expect(obs[speed]).toBeLessThan(0.45);
      expect(obs[edgeSpeed]).toBeCloseTo(0.25, 6); // nothing offloaded: nothing heard
      const offload = live.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
      for (let i = 0; i < 4; i++) obs = (await live.step(offload)).observation;
      expect(obs[edgeSpeed]).not.toBeCloseTo(0.25, 6); // the replies' compute times moved it
    } finally {
      await live.close();
    }
  });

  it('emits one outcome per step on outcomes$ and completes on close', async () => {
    const env = await fastEnv({ config: { scenario: { episodeRequests: 10, otherDevices: 0 } } });
    const seen: LiveOutcome[] = [];
    let completed = false;
    env.outcomes$.subscribe({ next: (o) => seen.push(o), complete: () => (completed = true) });
    const first = await env.reset({ seed: 1 });
    const steps = [];
    for (const a of [0, env.actionSpace.n - 1, 3]) steps.push(await env.step(a));
    expect(seen).toHaveLength(3);
    expect(seen.map((o) => o.actionIndex)).toEqual([0, env.actionSpace.n - 1, 3]);
    expect(Array.from(seen[0]!.observation)).toEqual(Array.from(first.observation));
    expect(Array.from(seen[2]!.nextObservation)).toEqual(Array.from(steps[2]!.observation));
    expect(seen[1]!.reward).toBe(steps[1]!.reward);
    expect(seen[2]!.record.totalMs).toBe(steps[2]!.info.outcome!.totalMs);
    expect(completed).toBe(false);
    await env.close();
    expect(completed).toBe(true);
    await env.close(); // idempotent
  });

  it('offers local actions only while the edge is unreachable', async () => {
    const env = await fastEnv({ edgeUrl: `ws://127.0.0.1:${await closedPort()}`, connectTimeoutMs: 500 });
    try {
      const { info } = await env.reset({ seed: 3 });
      expect(Array.from(info.actionMask)).toEqual(Array.from(env.codec.localOnlyMask()));
      expect(info.context.actionMask).toBeDefined();
      expect(env.backgroundDevices).toBe(0);
      const offload = env.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
      const r = await env.step(offload); // a policy ignoring the mask still gets an answer
      expect(r.info.outcome!.fallback).toBe(true);
      expect(r.info.outcome!.bytes).toBe(0);
    } finally {
      await env.close();
    }
  });

  it('rejects step before reset and after close with the catalog codes', async () => {
    const env = await fastEnv({ edgeLoad: false });
    await expect(env.step(0)).rejects.toSatisfy((e) => isCoinferError(e, 'ERR_RESET_NEEDED'));
    await env.reset({ seed: 1 });
    await expect(env.step(env.actionSpace.n)).rejects.toSatisfy((e) => isCoinferError(e, 'ERR_INVALID_ACTION'));
    await env.close();
    await expect(env.reset()).rejects.toSatisfy((e) => isCoinferError(e, 'ERR_ENV_CLOSED'));
  });
});

describe('EdgeLoad', () => {
  it('sends real requests at the rate the utilisation asks for, and stops on close', async () => {
    const edge = await startEdgeServer({ pkg, config: { profile: 'edgent-desktop' } });
    const samples = await loadSamples(pkg);
    const load = await EdgeLoad.start({ pkg, url: edge.url, devices: 2, images: samples.images, rng: createRng(1), calibrationRequests: 3 });
    try {
      expect(load.serviceMs).toBeGreaterThan(0);
      load.set({ activeDevices: 0, utilisation: 0 });
      await new Promise((r) => setTimeout(r, 100));
      expect(load.stats.sent).toBe(0);
      load.set({ activeDevices: 2, utilisation: 0.5 });
      await new Promise((r) => setTimeout(r, 300));
      expect(load.stats.sent).toBeGreaterThan(0);
      expect(() => load.set({ activeDevices: 3, utilisation: 0.5 })).toThrow(RangeError);
    } finally {
      await load.close();
    }
    const sent = load.stats.sent;
    await new Promise((r) => setTimeout(r, 100));
    expect(load.stats.sent).toBe(sent);
    expect(edge.stats.framesReceived).toBeGreaterThanOrEqual(sent);
    await edge.close();
  });
});
