import { beforeAll, describe, expect, it } from 'vitest';
import { resolveDqnConfig, type DqnConfigInput } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { DqnTrainer } from '../../agent/dqn-trainer.ts';
import { decodeLearnerState, encodeLearnerState } from '../../agent/learner-state-codec.ts';
import { applyLearnerState, captureLearnerState } from '../../agent/learner-state.ts';
import { readWeights } from '../../agent/q-network.ts';
import { ReplayMemory } from '../../agent/replay-memory.ts';
import type { Transition } from '../../agent/transition.ts';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';
import { IdentityEnv } from './fixtures/identity-env.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const SIZE = 4;
const base: DqnConfigInput = { hidden: [8], batchSize: 8, replayCapacity: 40, learningStarts: 8, nStep: 1, targetUpdateEvery: 3, tau: 1, gradientSteps: 1, seed: 5 };

/** The identity env's transitions with seeded random valid actions (deterministic for a seed). */
async function transitions(count: number): Promise<Transition[]> {
  const env = new IdentityEnv({ size: SIZE, episodeLength: 7 });
  const rng = createRng(3);
  let { observation, info } = await env.reset({ seed: 11 });
  const out: Transition[] = [];
  for (let k = 0; k < count; k++) {
    const valid = [...info.actionMask.keys()].filter((i) => info.actionMask[i]);
    const action = valid[rng.int(valid.length)]!;
    const r = await env.step(action);
    out.push({ observation, action, reward: r.reward, nextObservation: r.observation, terminated: r.terminated, truncated: r.truncated, nextActionMask: r.info.actionMask });
    ({ observation, info } = r.terminated || r.truncated ? await env.reset() : r);
  }
  return out;
}

/** Feeds transitions, training after each one (the online learner's `every: 1` schedule). */
function feed(trainer: DqnTrainer, ts: readonly Transition[]): void {
  for (const t of ts) {
    trainer.record(t);
    trainer.trainRound();
  }
}

describe.each([
  ['uniform replay', {}],
  ['prioritised replay', { prioritized: { alpha: 0.6, beta0: 0.4, betaSteps: 60 } }],
] as const)('learner state (%s)', (_name, extra) => {
  const config = resolveDqnConfig({ ...base, ...extra });

  it('resumes to exactly the weights of an uninterrupted run', async () => {
    const ts = await transitions(90); // the ring (40) wraps: the saved write position matters
    const straight = new DqnLearner(tf, { config, observationSize: SIZE, actionCount: SIZE });
    feed(new DqnTrainer(straight, { rng: createRng(7) }), ts);

    const first = new DqnLearner(tf, { config, observationSize: SIZE, actionCount: SIZE });
    const firstTrainer = new DqnTrainer(first, { rng: createRng(7) });
    feed(firstTrainer, ts.slice(0, 50));
    const state = await captureLearnerState({ learner: first, memory: firstTrainer.memory, envSteps: 50, betaSteps: 50, rngs: { sample: firstTrainer.rng } });
    const bytes = encodeLearnerState(state);
    const weights = first.getWeights();
    first.dispose();

    const resumed = new DqnLearner(tf, { config, observationSize: SIZE, actionCount: SIZE, initialWeights: weights });
    const memory = new ReplayMemory({ capacity: config.replayCapacity, observationSize: SIZE, actionCount: SIZE, prioritized: config.prioritized });
    const applied = await applyLearnerState(decodeLearnerState(bytes, 'learner-state.bin'), { learner: resumed, memory });
    const resumedTrainer = new DqnTrainer(resumed, { rng: applied.rngs['sample']!, memory, transitions: applied.envSteps });
    expect(resumed.gradientSteps).toBe(43); // learning started at transition 8
    feed(resumedTrainer, ts.slice(50));

    expect(resumed.gradientSteps).toBe(straight.gradientSteps);
    expect(resumed.getWeights()).toEqual(straight.getWeights()); // bit-identical
    expect(readWeights(resumed.targetNet)).toEqual(readWeights(straight.targetNet));
    // Weights only (today's resume) diverges: the check above can fail.
    const weightsOnly = new DqnLearner(tf, { config, observationSize: SIZE, actionCount: SIZE, initialWeights: weights });
    feed(new DqnTrainer(weightsOnly, { rng: createRng(7), transitions: 50 }), ts.slice(50));
    expect(weightsOnly.getWeights()).not.toEqual(straight.getWeights());
    for (const l of [straight, resumed, weightsOnly]) l.dispose();
  });
});

describe('learner state files', () => {
  const config = resolveDqnConfig(base);
  async function saved(): Promise<Uint8Array> {
    const learner = new DqnLearner(tf, { config, observationSize: SIZE, actionCount: SIZE });
    const trainer = new DqnTrainer(learner, { rng: createRng(7) });
    feed(trainer, await transitions(20));
    const bytes = encodeLearnerState(await captureLearnerState({ learner, memory: trainer.memory, envSteps: 20, betaSteps: 20, rngs: { sample: trainer.rng } }));
    learner.dispose();
    return bytes;
  }
  const code = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (e) {
      expect(e).toBeInstanceOf(CoinferError);
      return (e as CoinferError).code;
    }
    return undefined;
  };

  it('refuses a truncated or damaged file as ERR_CHECKPOINT_CORRUPT naming it', async () => {
    const bytes = await saved();
    expect(await code(() => decodeLearnerState(bytes.subarray(0, bytes.byteLength - 16), 'x/learner-state.bin'))).toBe('ERR_CHECKPOINT_CORRUPT');
    expect(await code(() => decodeLearnerState(bytes.subarray(0, 6), 'x/learner-state.bin'))).toBe('ERR_CHECKPOINT_CORRUPT');
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeLearnerState(bad, 'x/learner-state.bin')).toThrow(/x\/learner-state\.bin/);
  });

  it('refuses a state for another replay capacity, observation size or replay kind as ERR_CHECKPOINT_INCOMPATIBLE', async () => {
    const state = decodeLearnerState(await saved(), 'f');
    for (const [obs, input] of [[SIZE, { replayCapacity: 41 }], [SIZE, { prioritized: { alpha: 0.6 } }], [SIZE + 1, {}]] as const) {
      const c = resolveDqnConfig({ ...base, ...input });
      const learner = new DqnLearner(tf, { config: c, observationSize: obs, actionCount: SIZE });
      const memory = new ReplayMemory({ capacity: c.replayCapacity, observationSize: obs, actionCount: SIZE, prioritized: c.prioritized });
      expect(await code(applyLearnerState(state, { learner, memory }))).toBe('ERR_CHECKPOINT_INCOMPATIBLE');
      learner.dispose();
    }
  });
});
