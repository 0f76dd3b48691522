import { beforeAll, describe, expect, it } from 'vitest';
import { ActingPolicy } from '../../../agent/acting-policy.ts';
import { resolveDqnConfig } from '../../../agent/dqn-config.ts';
import { DqnLearner } from '../../../agent/dqn-learner.ts';
import { DqnTrainer } from '../../../agent/dqn-trainer.ts';
import { GuardedLearner, type VersionEvent } from '../../../agent/online/guarded-learner.ts';
import type { NetworkWeights } from '../../../agent/q-network.ts';
import { createRng } from '../../../common/rng.ts';
import { loadTf, type Tf } from '../../../common/tf-backend.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const OBS = new Float32Array([1, 0]);
const MASK = new Uint8Array([1, 1]);
const same = (a: NetworkWeights, b: NetworkWeights): boolean => a.every((w, i) => w.values.every((v, k) => v === b[i]!.values[k]));

/**
 * A two-armed bandit: the frozen policy's arm truly pays 1, the other 0. The learner is fed a
 * deliberately harmful reward (the arms' payoffs swapped), learns to pull the wrong arm, and
 * its true reward falls behind the frozen policy's: the guard must roll it back.
 */
function run(o: { guard: boolean; requests: number }) {
  const config = resolveDqnConfig({ hidden: [8], batchSize: 4, replayCapacity: 64, learningStarts: 4, nStep: 1, gamma: 0.5, learningRate: 0.05 });
  const learner = new DqnLearner(tf, { config, observationSize: 2, actionCount: 2 });
  const start = learner.getWeights();
  const acting = new ActingPolicy(start);
  const good = acting.decide(OBS, MASK);
  const guarded = new GuardedLearner({ trainer: new DqnTrainer(learner, { rng: createRng(3) }), acting, trainEvery: 1, guard: o.guard ? { windowRequests: 10, marginReward: 0.1, patienceWindows: 2 } : null });
  const events: VersionEvent[] = [];
  let wrongAfterLearning = 0;
  for (let i = 0; i < o.requests; i++) {
    const served = acting.decide(OBS, MASK);
    if (served !== good) wrongAfterLearning++;
    const recorded = i % 2; // both arms reach the replay memory
    const harmful = recorded === good ? -1 : 1;
    const ev = guarded.afterRequest(
      { observation: OBS, action: recorded, reward: harmful, nextObservation: OBS, terminated: true, truncated: false, nextActionMask: MASK },
      { learner: served === good ? 1 : 0, frozen: 1 },
    );
    if (ev) events.push(ev);
  }
  const result = { events, wrongAfterLearning, start, weights: learner.getWeights(), lastGood: guarded.lastGood, actingChoice: acting.decide(OBS, MASK), good, rollbacks: guarded.rollbacks };
  learner.dispose();
  return result;
}

describe('GuardedLearner', () => {
  it('without the guard, the harmful reward teaches the learner the wrong arm (the test can fail)', () => {
    const r = run({ guard: false, requests: 60 });
    expect(r.actingChoice).not.toBe(r.good);
    expect(r.events).toEqual([]);
  });

  it('rolls a learner fed a harmful reward back to the last good weights', () => {
    const r = run({ guard: true, requests: 60 });
    expect(r.rollbacks).toBeGreaterThanOrEqual(1);
    const rollback = r.events.find((e) => e.reason === 'rollback')!;
    expect(rollback.decision.meanGap).toBeLessThan(0);
    // every promotion happened while the learner still pulled the good arm, so the last good weights do
    const acting = new ActingPolicy(r.lastGood);
    expect(acting.decide(OBS, MASK)).toBe(r.good);
    // the trailing windows never promote the wrong arm's weights
    for (const e of r.events.filter((x) => x.reason === 'learned')) expect(e.decision.meanGap).toBeGreaterThanOrEqual(0);
  });

  it('restores the learner and the acting copy to exactly the last good weights on rollback', () => {
    const config = resolveDqnConfig({ hidden: [4], batchSize: 2, replayCapacity: 16, learningStarts: 2, nStep: 1, gamma: 0.5, learningRate: 0.05 });
    const learner = new DqnLearner(tf, { config, observationSize: 2, actionCount: 2 });
    const start = learner.getWeights();
    const swapped: NetworkWeights[] = [];
    const guarded = new GuardedLearner({ trainer: new DqnTrainer(learner, { rng: createRng(1) }), acting: { swapWeights: (w) => void swapped.push(w) }, trainEvery: 1, guard: { windowRequests: 4, marginReward: 0, patienceWindows: 1 } });
    let ev: VersionEvent | null = null;
    for (let i = 0; i < 4; i++) ev = guarded.afterRequest({ observation: OBS, action: i % 2, reward: 1, nextObservation: OBS, terminated: true, truncated: false, nextActionMask: MASK }, { learner: 0, frozen: 1 });
    expect(ev).toMatchObject({ reason: 'rollback', requestIndex: 3 });
    expect(guarded.trainRounds).toBe(3);
    expect(same(learner.getWeights(), start)).toBe(true);
    expect(same(swapped.at(-1)!, start)).toBe(true);
    learner.dispose();
  });

  it('a rollback right after a rollback discards the restored version and goes one further back, down to the starting weights', () => {
    const config = resolveDqnConfig({ hidden: [4], batchSize: 2, replayCapacity: 16, learningStarts: 2, nStep: 1, gamma: 0.5, learningRate: 0.05 });
    const learner = new DqnLearner(tf, { config, observationSize: 2, actionCount: 2 });
    const start = learner.getWeights();
    const guarded = new GuardedLearner({ trainer: new DqnTrainer(learner, { rng: createRng(2) }), acting: { swapWeights: () => {} }, trainEvery: 1, guard: { windowRequests: 4, marginReward: 0, patienceWindows: 1 } });
    const windowOf = (gap: number): VersionEvent | null => {
      let ev: VersionEvent | null = null;
      for (let i = 0; i < 4; i++) ev = guarded.afterRequest({ observation: OBS, action: i % 2, reward: i % 2, nextObservation: OBS, terminated: true, truncated: false, nextActionMask: MASK }, { learner: 0.5 + gap, frozen: 0.5 }) ?? ev;
      return ev;
    };
    expect(windowOf(0.1)?.reason).toBe('learned');
    const promoted = guarded.lastGood;
    expect(same(promoted, start)).toBe(false);
    expect(windowOf(-0.1)?.reason).toBe('rollback');
    expect(same(learner.getWeights(), promoted)).toBe(true);
    expect(windowOf(-0.1)?.reason).toBe('rollback');
    expect(same(learner.getWeights(), start)).toBe(true);
    expect(guarded.goodVersions).toBe(1);
    // the starting weights are never dropped
    expect(windowOf(-0.1)?.reason).toBe('rollback');
    expect(same(learner.getWeights(), start)).toBe(true);
    learner.dispose();
  });

  it('backs off after rollbacks in a row: no training (and `learning` false) for window · 2^(k−1) requests, capped', () => {
    const config = resolveDqnConfig({ hidden: [4], batchSize: 2, replayCapacity: 64, learningStarts: 2, nStep: 1, gamma: 0.5, learningRate: 0.05 });
    const learner = new DqnLearner(tf, { config, observationSize: 2, actionCount: 2 });
    const guarded = new GuardedLearner({ trainer: new DqnTrainer(learner, { rng: createRng(4) }), acting: { swapWeights: () => {} }, trainEvery: 1, guard: { windowRequests: 4, marginReward: 0, patienceWindows: 1, maxPauseWindows: 2 } });
    const step = (gap: number) => guarded.afterRequest({ observation: OBS, action: 0, reward: 0, nextObservation: OBS, terminated: true, truncated: false, nextActionMask: MASK }, { learner: 0.5 + gap, frozen: 0.5 });
    const learningFlags: boolean[] = [];
    for (let i = 0; i < 4; i++) step(-0.1); // first rollback at request 3
    const rounds = guarded.trainRounds;
    for (let i = 0; i < 4; i++) { learningFlags.push(guarded.learning); step(-0.1); } // paused 4 requests; second rollback at request 7
    expect(guarded.trainRounds).toBe(rounds);
    expect(learningFlags).toEqual([false, false, false, false]);
    for (let i = 0; i < 8; i++) { learningFlags.push(guarded.learning); step(0); } // paused 8 = 4 · 2^1
    expect(learningFlags.slice(4)).toEqual(Array(8).fill(false));
    expect(guarded.learning).toBe(true);
    expect(guarded.trainRounds).toBe(rounds);
    step(0);
    expect(guarded.trainRounds).toBe(rounds + 1);
    expect(guarded.rollbacks).toBe(2);
    learner.dispose();
  });
});
