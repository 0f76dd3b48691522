import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VecReplayEnv } from '../../env/vec-replay-env.ts';
import type { EnvConfigInput } from '../../env/replay-config.ts';
import type { RequestOutcome } from '../../env/step-info.ts';
import { createTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { edgentTimes, randomPackage } from './fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ pkg, cleanup } = await randomPackage()));
afterAll(async () => cleanup());

const trace = createTrace({ name: 'steps', timesS: [0, 30], mbps: [2, 8], durationS: 60 });

/** One request of lane 0 under action `a`. */
function firstOutcome(config: EnvConfigInput, a: number, seed = 4): RequestOutcome {
  const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg, Float64Array.of(1)), traces: [trace], numEnvs: 1, config: { ...config, scenario: { deviceLoadLevels: [0], otherDevices: 0, deadline: { kind: 'choice', valuesMs: [1e6] } } } });
  env.reset(seed);
  const out: RequestOutcome[] = [];
  env.step([a], out);
  return out[0]!;
}

describe('per-episode worlds in the replay env', () => {
  it('stretches device times by the device slowdown and edge times by the edge slowdown', () => {
    const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [trace], numEnvs: 1 });
    const local = env.codec.encode({ exit: 1, partition: pkg.manifest.exits[0]!.branchStage, encoding: 'f32' });
    const remote = env.codec.encode({ exit: pkg.manifest.exits.length, partition: 0, encoding: 'uint8' });
    const base = firstOutcome({}, local);
    expect(firstOutcome({ variation: { deviceSlowdown: 2 } }, local).deviceMs).toBeCloseTo(2 * base.deviceMs, 9);
    const edge = firstOutcome({}, remote);
    expect(firstOutcome({ variation: { edgeSlowdown: 20 } }, remote).edgeMs).toBeCloseTo(20 * edge.edgeMs, 9);
  });
  it('scales every trace rate by the rate scale (a tenth of the rate: ten times the transfer time)', () => {
    const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [trace], numEnvs: 1 });
    const remote = env.codec.encode({ exit: pkg.manifest.exits.length, partition: 0, encoding: 'uint8' });
    const rtt = 20;
    const full = firstOutcome({}, remote), tenth = firstOutcome({ variation: { rateScale: 0.1 } }, remote);
    expect(tenth.uplinkMs - rtt / 2).toBeGreaterThan(9 * (full.uplinkMs - rtt / 2));
  });
  it('keeps the request stream of a fixed world unchanged by the variation machinery (same seed, same deadlines and images)', () => {
    const run = (config: EnvConfigInput) => {
      const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [trace], numEnvs: 2, config });
      env.reset(11);
      const out: RequestOutcome[] = [];
      const seen: [number, number][] = [];
      for (let k = 0; k < 5; k++) { env.step([0, 0], out); seen.push(...out.map((o) => [o.deadlineMs, o.imageIndex] as [number, number])); }
      return seen;
    };
    expect(run({ variation: { deviceSlowdown: 3, rateScale: 0.5 } })).toEqual(run({}));
  });
});
