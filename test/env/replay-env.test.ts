import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEnv } from '../../env/check-env.ts';
import { ReplayEnv } from '../../env/replay-env.ts';
import { VecReplayEnv } from '../../env/vec-replay-env.ts';
import { loadSplitTraces } from '../../env/load-traces.ts';
import { constantTrace, createTrace } from '../../runtime/link/trace.ts';
import type { BandwidthTrace } from '../../runtime/link/trace.ts';
import { isCoinferError } from '../../common/errors.ts';
import type { Env } from '../../env/env.ts';
import type { CoinferInfo } from '../../env/step-info.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { edgentTimes, randomPackage } from './fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
let traces: BandwidthTrace[];

beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
  traces = await loadSplitTraces({ split: 'train' });
});
afterAll(async () => cleanup());

describe('ReplayEnv', () => {
  it('passes checkEnv', async () => {
    await checkEnv(() => new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, config: { scenario: { episodeRequests: 3 } } }), { steps: 7 });
  });

  it('reports the ending episode in the info of its last step (3-request episode)', async () => {
    const env = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, config: { scenario: { episodeRequests: 3 } } });
    let { info } = await env.reset({ seed: 9 });
    for (let i = 1; i <= 3; i++) {
      const waiting = info.context.deadlineMs;
      const r = await env.step(0);
      expect(r.info.requestsDone).toBe(i);
      expect(r.info.outcome?.deadlineMs).toBe(waiting);
      expect(r.observation[2]).toBe(Math.fround(Math.min(10, r.info.context.deadlineMs / 1000)));
      expect(r.truncated).toBe(i === 3);
      info = r.info;
    }
    await env.close();
  });

  it('checkEnv catches an env that reports the next episode in the info of an episode end (the old ReplayEnv)', async () => {
    const make = (): Env<Float32Array, number, CoinferInfo> => {
      const env = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, config: { scenario: { episodeRequests: 3 } } });
      return {
        observationSpace: env.observationSpace,
        actionSpace: env.actionSpace,
        reset: (o) => env.reset(o),
        close: () => env.close(),
        step: async (a) => {
          const r = await env.step(a);
          // the bug: info read from the vector env after its auto-reset
          return r.truncated ? { ...r, info: { ...r.info, context: env.vec.context(0), requestsDone: env.vec.requestsDone(0) } } : r;
        },
      };
    };
    await expect(checkEnv(make, { steps: 7 })).rejects.toSatisfy((e) => isCoinferError(e, 'ERR_ENV_CHECK') && /episode end/.test((e as Error).message));
  });

  it('rejects invalid actions with ERR_INVALID_ACTION', async () => {
    const env = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces });
    await env.reset({ seed: 1 });
    await expect(env.step(env.actionSpace.n)).rejects.toSatisfy((e) => isCoinferError(e, 'ERR_INVALID_ACTION'));
    await env.close();
  });

  it('truncates episodes at the time limit and never terminates', async () => {
    const env = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, config: { scenario: { episodeRequests: 4 } } });
    await env.reset({ seed: 3 });
    const flags: [boolean, boolean][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await env.step(0);
      flags.push([r.terminated, r.truncated]);
    }
    expect(flags).toEqual([[false, false], [false, false], [false, false], [false, true]]);
    await expect(env.step(0)).rejects.toSatisfy((e) => isCoinferError(e, 'ERR_RESET_NEEDED'));
    await env.close();
  });
});

describe('VecReplayEnv', () => {
  const make = (trace: BandwidthTrace, config = {}, jitter?: Float64Array) => new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg, jitter), traces: [trace], numEnvs: 1, config });

  it('times an offloaded request as device + shaped uplink + edge + RTT', () => {
    const env = make(constantTrace(2, 3600), { scenario: { rttMs: 20, deviceLoadLevels: [0], otherDevices: 0 } });
    env.reset(5);
    const edgeOnly = env.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
    const outcomes: import('../../env/step-info.ts').RequestOutcome[] = [];
    env.step([edgeOnly], outcomes);
    const o = outcomes[0]!;
    expect(o.deviceMs).toBe(0);
    expect(o.bytes).toBeGreaterThan(784);
    expect(o.uplinkMs).toBeCloseTo((o.bytes * 8) / 2000 + 10, 6); // 2 Mbps = 2000 bits/ms, + RTT/2
    expect(o.totalMs).toBeCloseTo(o.uplinkMs + o.edgeMs + 10, 6);
    expect(o.hit).toBe(o.totalMs <= o.deadlineMs);
  });

  it('falls back to a local exit on a dead link, as the device runtime does', () => {
    const dead = createTrace({ name: 'dead', timesS: Float64Array.of(0), mbps: Float64Array.of(0), durationS: 100 });
    const env = make(dead, { scenario: { deadline: { kind: 'choice', valuesMs: [5000] }, deviceLoadLevels: [0] } }, Float64Array.of(1));
    env.reset(1);
    const offload = env.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
    const outcomes: import('../../env/step-info.ts').RequestOutcome[] = [];
    env.step([offload], outcomes);
    const o = outcomes[0]!;
    expect(o.fallback).toBe(true);
    expect(o.hit).toBe(true); // 5 s leave room for the most accurate local exit
    expect(o.totalMs).toBeLessThanOrEqual(5000);
    expect(o.answeredExit).toBeGreaterThanOrEqual(1);
  });

  it('misses when even the cheapest local exit cannot fit after the edge fails', () => {
    const dead = createTrace({ name: 'dead', timesS: Float64Array.of(0), mbps: Float64Array.of(0), durationS: 100 });
    const env = make(dead, { scenario: { deadline: { kind: 'choice', valuesMs: [20] }, deviceLoadLevels: [0] } });
    env.reset(1);
    const offload = env.codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
    env.step([offload]);
    expect(env.lastHit[0]).toBe(0);
    expect(env.rewards[0]).toBe(-1);
  });

  it('gives every policy the same request stream under one seed', () => {
    const a = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, numEnvs: 2 });
    const b = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, numEnvs: 2 });
    a.reset(9);
    b.reset(9);
    for (let s = 0; s < 20; s++) {
      expect(a.context(1).deadlineMs).toBe(b.context(1).deadlineMs);
      a.step([0, 1]);
      b.step([a.actionCount - 1, 2]);
    }
  });

  it('the oracle view predicts the step outcome exactly', () => {
    const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces, numEnvs: 1 });
    env.reset(11);
    for (let s = 0; s < 10; s++) {
      const ctx = env.oracleContext(0);
      const a = (s * 7) % env.actionCount;
      const predicted = ctx.oracle!.outcome(env.codec.decode(a));
      env.step([a]);
      expect(env.lastTotalMs[0]).toBe(predicted.totalMs);
      expect(env.lastCorrect[0]).toBe(predicted.correct ? 1 : 0);
    }
  });

  it('energy-aware reward subtracts lambda times joules', () => {
    const base = make(constantTrace(5, 3600));
    const green = make(constantTrace(5, 3600), { reward: { energyLambdaPerJ: 0.5 } });
    base.reset(2);
    green.reset(2);
    const a = base.codec.encode({ exit: 5, partition: 12, encoding: 'f32' });
    base.step([a]);
    green.step([a]);
    expect(green.lastEnergyMj[0]).toBeGreaterThan(0);
    expect(green.rewards[0]).toBeCloseTo(base.rewards[0]! - 0.5 * (base.lastEnergyMj[0]! / 1000), 5);
  });
});
