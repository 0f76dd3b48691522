import { beforeAll, describe, it, expect } from 'vitest';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import { resolveDqnConfig, type DqnConfigInput } from '../../agent/dqn-config.ts';
import type { DqnLearner } from '../../agent/dqn-learner.ts';
import { epsilonAt } from '../../agent/epsilon-schedule.ts';
import type { LearnerState } from '../../agent/learner-state.ts';
import { trainDqn, type Metrics } from '../../agent/train-loop.ts';
import { CoinferError } from '../../common/errors.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { checkEnv } from '../../env/check-env.ts';
import { Box } from '../../env/spaces.ts';
import { IdentityEnv } from './fixtures/identity-env.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const SIZE = 6;
const config = (p: DqnConfigInput = {}) =>
  resolveDqnConfig({
    hidden: [32],
    batchSize: 32,
    learningStarts: 100,
    trainEvery: 2,
    targetUpdateEvery: 25,
    epsilonDecaySteps: 400,
    nStep: 2,
    gamma: 0.5,
    learningRate: 5e-3,
    replayCapacity: 2000,
    prioritized: {},
    ...p,
  });

/** Greedy mean reward per step over 300 steps of a fixed-seed IdentityEnv. */
async function greedyMeanReward(learner: DqnLearner): Promise<Metrics> {
  const env = new IdentityEnv({ size: SIZE });
  const policy = new ActingPolicy(learner.getWeights());
  let { observation, info } = await env.reset({ seed: 999 });
  let sum = 0;
  for (let i = 0; i < 300; i++) {
    const r = await env.step(policy.decide(observation, info.actionMask)); // a masked action would reject
    sum += r.reward;
    ({ observation, info } = r.truncated ? await env.reset() : r);
  }
  await env.close();
  return { 'eval/mean_reward': sum / 300 };
}

describe('IdentityEnv fixture', () => {
  it('passes the env conformance checker', async () => {
    await checkEnv(() => new IdentityEnv({ size: SIZE }), { steps: 25 });
  });
});

describe('trainDqn', () => {
  it('learns the IdentityEnv optimum (greedy reward ≥ 0.95; untrained < 0.7)', async () => {
    const evals: number[] = [];
    const result = await trainDqn(tf, {
      env: new IdentityEnv({ size: SIZE }),
      config: config(),
      steps: 600,
      evalEvery: 300,
      evaluate: async (learner) => {
        const m = await greedyMeanReward(learner);
        evals.push(m['eval/mean_reward']!);
        return m;
      },
    });
    const untrained = await trainDqn(tf, { env: new IdentityEnv({ size: SIZE }), config: config({ learningStarts: 10_000 }), steps: 1, evaluate: greedyMeanReward });
    expect(untrained.lastEval!['eval/mean_reward']).toBeLessThan(0.7);
    expect(evals).toHaveLength(2);
    expect(result.lastEval!['eval/mean_reward']).toBeGreaterThanOrEqual(0.95);
    expect(result.step).toBe(600);
    result.learner.dispose();
    untrained.learner.dispose();
  });

  it('reports namespaced metrics at each progress boundary', async () => {
    const records: { step: number; keys: string[] }[] = [];
    const result = await trainDqn(tf, {
      env: new IdentityEnv({ size: SIZE }),
      config: config(),
      steps: 250,
      progressEvery: 100,
      callbacks: [{ onProgress: (r) => records.push({ step: r.step, keys: Object.keys(r.metrics) }) }],
    });
    expect(records.map((r) => r.step)).toEqual([100, 200, 250]);
    for (const key of ['charts/epsilon', 'charts/sps', 'charts/mean_reward', 'charts/episodic_return', 'charts/episodic_length', 'train/gradient_steps', 'train/replay_size']) {
      expect(records[0]!.keys).toContain(key);
    }
    expect(records[1]!.keys).toContain('train/td_loss');
    expect(records[1]!.keys).toContain('train/mean_q');
    expect(result.history.at(-1)!.metrics['charts/epsilon']).toBeCloseTo(epsilonAt(config(), 250), 12);
    result.learner.dispose();
  });

  it('resumes from weights at a global step (ε continues from there)', async () => {
    const first = await trainDqn(tf, { env: new IdentityEnv({ size: SIZE }), config: config(), steps: 300 });
    const weights = first.learner.getWeights();
    first.learner.dispose();
    const probe = new Float32Array(SIZE).fill(0);
    probe[2] = 1;
    let seen: Float32Array | null = null;
    const resumed = await trainDqn(tf, {
      env: new IdentityEnv({ size: SIZE }),
      config: config({ learningStarts: 1000 }), // no training: the weights must be the resumed ones
      steps: 50,
      resumeFrom: { weights, step: 300 },
      evaluate: async (learner) => {
        seen = learner.qValues(probe);
        return {};
      },
    });
    expect(resumed.step).toBe(350);
    expect(resumed.history[0]!.metrics['charts/epsilon']).toBeCloseTo(epsilonAt(config(), 350), 12);
    new ActingPolicy(weights).qValues(probe).forEach((v, i) => expect(seen![i]).toBeCloseTo(v, 5));
    resumed.learner.dispose();
  });

  it('resumes with a learner state: replay and gradient steps continue', async () => {
    let state: LearnerState | null = null;
    const first = await trainDqn(tf, {
      env: new IdentityEnv({ size: SIZE }), config: config(), steps: 300,
      evaluate: async () => ({}),
      callbacks: [{ onEvaluation: async (e) => { state = await e.captureLearnerState(); } }],
    });
    const weights = first.learner.getWeights();
    const stepsBefore = first.learner.gradientSteps;
    first.learner.dispose();
    expect(state!.envSteps).toBe(300);
    expect(state!.optimizer.gradientSteps).toBe(stepsBefore);
    const resumed = await trainDqn(tf, { env: new IdentityEnv({ size: SIZE }), config: config(), steps: 10, progressEvery: 10, resumeFrom: { weights, step: 300, learnerState: state! } });
    const m = resumed.history[0]!.metrics;
    expect(m['train/replay_size']).toBe(state!.memory.size + 10); // the saved rows kept, not an empty memory
    expect(m['train/gradient_steps']).toBeGreaterThan(stepsBefore); // continues counting, trains at once (learningStarts is global)
    resumed.learner.dispose();
  });

  it('stops early when its signal aborts', async () => {
    const controller = new AbortController();
    const result = await trainDqn(tf, {
      env: new IdentityEnv({ size: SIZE }),
      config: config(),
      steps: 10_000,
      progressEvery: 50,
      signal: controller.signal,
      callbacks: [{ onProgress: () => controller.abort() }],
    });
    expect(result.step).toBe(50);
    result.learner.dispose();
  });

  it('rejects an env without a Discrete action space', async () => {
    const env = new IdentityEnv({ size: 2 });
    Object.defineProperty(env, 'actionSpace', { value: new Box([0], [1]) });
    await expect(trainDqn(tf, { env: env as never, config: config(), steps: 1 })).rejects.toBeInstanceOf(CoinferError);
  });
});
