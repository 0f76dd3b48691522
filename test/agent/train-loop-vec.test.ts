import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import { resolveDqnConfig, type DqnConfigInput } from '../../agent/dqn-config.ts';
import { EnvVector } from '../../agent/env-vector.ts';
import { trainDqn } from '../../agent/train-loop.ts';
import { CoinferError } from '../../common/errors.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { VecReplayEnv } from '../../env/vec-replay-env.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { edgentTimes, randomPackage } from '../env/fixtures.ts';
import { IdentityEnv } from './fixtures/identity-env.ts';

let tf: Tf;
let pkg: ModelPackage;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  tf = (await loadTf()).tf;
  ({ pkg, cleanup } = await randomPackage());
});
afterAll(async () => cleanup());

const SIZE = 6;
const config = (p: DqnConfigInput = {}) =>
  resolveDqnConfig({ hidden: [32], batchSize: 32, learningStarts: 100, trainEvery: 2, targetUpdateEvery: 25, epsilonDecaySteps: 400, nStep: 2, gamma: 0.5, learningRate: 5e-3, replayCapacity: 2000, prioritized: {}, ...p });
const identities = (n: number) => new EnvVector(Array.from({ length: n }, () => new IdentityEnv({ size: SIZE })));

describe('EnvVector', () => {
  it('auto-resets finished lanes and keeps their final observation and mask', async () => {
    const vec = identities(2);
    await vec.reset(3);
    for (let t = 0; t < 10; t++) {
      const actions = Int32Array.from([0, 1], (i) => vec.observations.subarray(i * SIZE, (i + 1) * SIZE).indexOf(1)); // the target is always valid
      await vec.step(actions);
      expect(Array.from(vec.rewards)).toEqual([1, 1]);
    }
    expect(Array.from(vec.truncated)).toEqual([1, 1]); // episodeLength 10
    for (let i = 0; i < 2; i++) {
      const final = vec.finalObservations.subarray(i * SIZE, (i + 1) * SIZE);
      expect(final.reduce((s, v) => s + v, 0)).toBe(1);
      expect(vec.finalMasks[i * SIZE + final.indexOf(1)]).toBe(1);
    }
    await vec.close();
  });
});

describe('trainDqn over N lanes', () => {
  it('learns the IdentityEnv optimum with 4 lanes (greedy reward ≥ 0.95)', async () => {
    const result = await trainDqn(tf, { env: identities(4), config: config({ numEnvs: 4 }), steps: 800 });
    const policy = new ActingPolicy(result.learner.getWeights());
    const env = new IdentityEnv({ size: SIZE });
    let { observation, info } = await env.reset({ seed: 999 });
    let sum = 0;
    for (let i = 0; i < 300; i++) {
      const r = await env.step(policy.decide(observation, info.actionMask));
      sum += r.reward;
      ({ observation, info } = r.truncated ? await env.reset() : r);
    }
    expect(sum / 300).toBeGreaterThanOrEqual(0.95);
    expect(result.step).toBe(800);
    result.learner.dispose();
  });

  it('steps the vectorised replay env, one train round per trainEvery env steps once learningStarts are in', async () => {
    const env = new VecReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(5, 3600)], numEnvs: 8, config: { scenario: { episodeRequests: 20 } } });
    const c = config({ numEnvs: 8, trainEvery: 16, learningStarts: 64, nStep: 1, prioritized: null });
    const result = await trainDqn(tf, { env, config: c, steps: 400, progressEvery: 400 });
    const last = result.history.at(-1)!.metrics;
    expect(last['train/replay_size']).toBe(400); // 1-step: every env step stored
    expect(last['train/gradient_steps']).toBe((400 - 64) / 16 + 1); // rounds at 64, 80, …, 400
    expect(last['train/replay_ratio']).toBe(2); // 32 samples per 16 env steps
    expect(last['charts/episodic_length']).toBe(20);
    result.learner.dispose();
  });

  it('rejects an env whose lane count differs from config.numEnvs', async () => {
    await expect(trainDqn(tf, { env: identities(3), config: config({ numEnvs: 4 }), steps: 8 })).rejects.toBeInstanceOf(CoinferError);
  });
});
