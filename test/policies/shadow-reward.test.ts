import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayEnv } from '../../env/replay-env.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { createPlanner } from '../../policies/model-planner.ts';
import { predictedReward, replayShadow } from '../../policies/shadow-reward.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { edgentTimes, randomPackage } from '../env/fixtures.ts';

let pkg: ModelPackage;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ pkg, cleanup } = await randomPackage());
});
afterAll(async () => cleanup());

const envOf = (seed: number) => {
  const env = new ReplayEnv({ manifest: pkg.manifest, computeTimes: edgentTimes(pkg), traces: [constantTrace(0.3, 600)], config: { scenario: { episodeRequests: 50, deadline: { kind: 'uniform', minMs: 30, maxMs: 600 } }, reward: { signal: 'normalized-accuracy', missPenalty: -1, energyLambdaPerJ: 0.3 } } });
  return { env, ready: env.reset({ seed }) };
};

describe('shadow rewards', () => {
  it('replayShadow gives exactly the reward and deadline outcome step() reports, for every action', async () => {
    let misses = 0;
    for (let a = 0; a < 12; a++) {
      const { env, ready } = envOf(7);
      await ready;
      for (let i = 0; i < 15; i++) {
        const action = (a * 5 + i) % env.actionSpace.n;
        const shadow = replayShadow(env.vec, env.oracleContext(), action);
        const r = await env.step(action);
        expect(shadow.reward).toBeCloseTo(r.reward, 5);
        expect(shadow.hit).toBe(r.info.outcome!.hit);
        misses += shadow.hit ? 0 : 1;
      }
    }
    expect(misses).toBeGreaterThan(0); // the slow link makes some actions miss: the miss branch is exercised
  });

  it('predictedReward credits an action predicted on time above the miss penalty and one predicted late with it', async () => {
    const { env, ready } = envOf(1);
    const { info } = await ready;
    const planner = createPlanner({ manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, actions: env.vec.codec.actions });
    const reward = { signal: 'normalized-accuracy', missPenalty: -1, energyLambdaPerJ: 0 } as const;
    const preds = planner.predictAll(info.context);
    const fast = preds.findIndex((p) => p.totalMs <= info.context.deadlineMs);
    const late = preds.findIndex((p) => p.totalMs > info.context.deadlineMs);
    expect(fast).toBeGreaterThanOrEqual(0);
    expect(predictedReward(planner, { manifest: pkg.manifest, reward }, info.context, fast)).toBeGreaterThanOrEqual(0);
    if (late >= 0) expect(predictedReward(planner, { manifest: pkg.manifest, reward }, info.context, late)).toBe(-1);
  });
});
