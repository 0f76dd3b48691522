import { beforeAll, describe, it, expect } from 'vitest';
import { resolveDqnConfig, type DqnConfigInput } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { DqnTrainer } from '../../agent/dqn-trainer.ts';
import { readWeights } from '../../agent/q-network.ts';
import type { Transition } from '../../agent/transition.ts';
import { createRng } from '../../common/rng.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

function make(partial: DqnConfigInput) {
  const config = resolveDqnConfig({ hidden: [4], batchSize: 4, replayCapacity: 50, learningStarts: 6, nStep: 3, ...partial });
  const learner = new DqnLearner(tf, { config, observationSize: 2, actionCount: 2 });
  return { learner, trainer: new DqnTrainer(learner, { rng: createRng(1) }) };
}

const step = (k: number, end: 'terminated' | 'truncated' | null = null): Transition => ({
  observation: new Float32Array([k, 1]),
  action: k % 2,
  reward: k % 3,
  nextObservation: new Float32Array([k + 1, 1]),
  terminated: end === 'terminated',
  truncated: end === 'truncated',
  nextActionMask: new Uint8Array([1, 1]),
});

describe('DqnTrainer', () => {
  it('feeds n-step transitions to replay and waits for learningStarts and a full batch', () => {
    const { learner, trainer } = make({});
    for (let k = 0; k < 5; k++) trainer.record(step(k));
    expect(trainer.memory.size).toBe(3); // n = 3: two steps still pending
    expect(trainer.trainRound()).toBeNull();
    trainer.record(step(5, 'truncated'));
    expect(trainer.memory.size).toBe(6); // the episode end flushes the pending steps
    expect(trainer.transitions).toBe(6);
    expect(trainer.trainRound()).not.toBeNull();
    learner.dispose();
  });

  it('takes gradientSteps per round and updates the target every targetUpdateEvery steps', () => {
    const { learner, trainer } = make({ gradientSteps: 2, targetUpdateEvery: 3, learningStarts: 0, nStep: 1 });
    for (let k = 0; k < 8; k++) trainer.record(step(k));
    const r1 = trainer.trainRound()!;
    expect(r1).toMatchObject({ gradientSteps: 2, targetUpdated: false });
    expect(readWeights(learner.targetNet)).not.toEqual(learner.getWeights());
    const r2 = trainer.trainRound()!;
    expect(r2).toMatchObject({ gradientSteps: 4, targetUpdated: true }); // synced after step 3, then step 4 trained on
    const r3 = trainer.trainRound()!;
    expect(r3).toMatchObject({ gradientSteps: 6, targetUpdated: true });
    expect(readWeights(learner.targetNet)).toEqual(learner.getWeights()); // synced right after step 6
    expect(Number.isFinite(r3.tdLoss) && Number.isFinite(r3.meanQ)).toBe(true);
    learner.dispose();
  });

  it('updates priorities from TD errors in prioritised replay', () => {
    const { learner, trainer } = make({ prioritized: { alpha: 1, beta0: 0.4, betaSteps: 100 }, learningStarts: 0, nStep: 1 });
    for (let k = 0; k < 10; k++) trainer.record(step(k));
    const before = trainer.memory.sample(64, createRng(2));
    expect(Array.from(before.weights).every((w) => w === 1)).toBe(true); // all at the initial max priority
    trainer.trainRound();
    const after = trainer.memory.sample(64, createRng(2), { beta: 1 });
    expect(Array.from(after.weights).some((w) => w < 1)).toBe(true);
    learner.dispose();
  });
});
