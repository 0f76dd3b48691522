import { beforeAll, describe, it, expect } from 'vitest';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import { resolveDqnConfig, type DqnConfigInput } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { maskedArgmax } from '../../common/masked-argmax.ts';
import { readWeights, type NetworkWeights } from '../../agent/q-network.ts';
import { ReplayMemory, type TransitionBatch } from '../../agent/replay-memory.ts';
import { CoinferError } from '../../common/errors.ts';
import { createRng, type Rng } from '../../common/rng.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

const O = 3;
const A = 4;
let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

function learnerWith(partial: DqnConfigInput = {}): DqnLearner {
  return new DqnLearner(tf, { config: resolveDqnConfig({ hidden: [8], batchSize: 6, replayCapacity: 64, ...partial }), observationSize: O, actionCount: A });
}

function randomBatch(rng: Rng, size: number): TransitionBatch {
  const f = (n: number) => new Float32Array(n).map(() => rng.normal());
  const masks = new Uint8Array(size * A).map(() => (rng.next() < 0.6 ? 1 : 0));
  for (let i = 0; i < size; i++) masks[i * A + rng.int(A)] = 1;
  return {
    size,
    observations: f(size * O),
    actions: new Int32Array(size).map(() => rng.int(A)),
    rewards: f(size),
    nextObservations: f(size * O),
    discounts: new Float32Array(size).map((_, i) => (i % 3 === 0 ? 0 : 0.81)),
    nextActionMasks: masks,
    weights: new Float32Array(size).fill(1),
    indices: new Int32Array(size).map((_, i) => i),
  };
}

const changed = (a: NetworkWeights, b: NetworkWeights) => a.some((w, i) => w.values.some((v, k) => v !== b[i]!.values[k]));

describe('DqnLearner', () => {
  describe('#trainStep', () => {
    it('leaks no tensors after the warm-up step (Adam allocates its state on the first)', () => {
      const learner = learnerWith({ prioritized: {} });
      const batch = randomBatch(createRng(1), 6);
      learner.trainStep(batch);
      const before = tf.memory().numTensors;
      learner.trainStep(batch);
      expect(tf.memory().numTensors).toBe(before);
      const memory = new ReplayMemory({ capacity: 16, observationSize: O, actionCount: A, prioritized: { alpha: 0.6, eps: 1e-6 } });
      memory.addRows(randomBatch(createRng(2), 8));
      learner.trainRound(memory, createRng(3), 8); // sampling, a step, priority updates
      learner.qValues(new Float32Array(O));
      learner.syncTarget();
      learner.setWeights(learner.getWeights());
      expect(tf.memory().numTensors).toBe(before);
      learner.dispose();
    });

    it('frees every tensor on dispose', () => {
      const baseline = tf.memory().numTensors;
      const learner = learnerWith();
      learner.trainStep(randomBatch(createRng(1), 6));
      learner.dispose();
      learner.dispose(); // idempotent
      expect(tf.memory().numTensors).toBe(baseline);
      expect(() => learner.qValues(new Float32Array(O))).toThrow(CoinferError);
    });

    it('changes the online weights and not the target weights until syncTarget', () => {
      const learner = learnerWith();
      const online0 = learner.getWeights();
      const target0 = readWeights(learner.targetNet);
      expect(changed(online0, target0)).toBe(false);
      learner.trainStep(randomBatch(createRng(3), 6));
      expect(changed(learner.getWeights(), online0)).toBe(true);
      expect(changed(readWeights(learner.targetNet), target0)).toBe(false);
      learner.syncTarget(1);
      expect(changed(readWeights(learner.targetNet), learner.getWeights())).toBe(false);
      expect(learner.gradientSteps).toBe(1);
      learner.dispose();
    });

    it.each([
      ['double DQN, dueling', { double: true, dueling: true }],
      ['plain DQN', { double: false, dueling: false }],
    ])('computes masked %s targets and IS-weighted Huber loss as by hand', (_name, variant) => {
      const learner = learnerWith({ ...variant, huberDelta: 0.3, gradClipNorm: null });
      const rng = createRng(4);
      learner.trainStep(randomBatch(rng, 6)); // make online and target differ
      const online = new ActingPolicy(learner.getWeights());
      const target = new ActingPolicy(readWeights(learner.targetNet));
      const batch = randomBatch(rng, 6);
      const weights = new Float32Array([1, 0.5, 0.25, 1, 0.1, 0.7]);
      for (let i = 0; i < 6; i++) {
        // mask out the online net's favourite next action, so masking changes the target
        const next = batch.nextObservations.subarray(i * O, (i + 1) * O);
        const m = batch.nextActionMasks.subarray(i * A, (i + 1) * A);
        m.fill(1);
        m[maskedArgmax(online.qValues(next), new Uint8Array(A).fill(1))] = 0;
      }
      batch.nextActionMasks.fill(0, 5 * A, 6 * A); // row 5: no valid next action → no future value
      batch.discounts[5] = 0.81;
      const expected: number[] = [];
      let loss = 0;
      for (let i = 0; i < 6; i++) {
        const next = batch.nextObservations.subarray(i * O, (i + 1) * O);
        const mask = batch.nextActionMasks.slice(i * A, (i + 1) * A);
        const qt = target.qValues(next);
        let future = 0;
        if (mask.includes(1)) future = qt[maskedArgmax(variant.double ? online.qValues(next) : qt, mask)]!;
        const y = batch.rewards[i]! + batch.discounts[i]! * future;
        const delta = Math.abs(y - online.qValues(batch.observations.subarray(i * O, (i + 1) * O))[batch.actions[i]!]!);
        expected.push(delta);
        loss += weights[i]! * (delta <= 0.3 ? 0.5 * delta * delta : 0.3 * (delta - 0.15));
      }
      const r = learner.trainStep({ ...batch, weights });
      expected.forEach((d, i) => expect(r.tdErrors[i]).toBeCloseTo(d, 4));
      expect(r.tdLoss).toBeCloseTo(loss / 6, 4);
      learner.dispose();
    });

    it('rejects a batch built for another network', () => {
      const learner = learnerWith();
      const batch = randomBatch(createRng(1), 6);
      expect(() => learner.trainStep({ ...batch, nextActionMasks: new Uint8Array(6 * (A + 1)) })).toThrow(CoinferError);
      learner.dispose();
    });
  });

  describe('#trainRound', () => {
    it('takes gradientSteps steps on sampled batches, updates priorities and syncs the target on schedule', () => {
      const learner = learnerWith({ gradientSteps: 3, targetUpdateEvery: 2, prioritized: { alpha: 1 } });
      const memory = new ReplayMemory({ capacity: 32, observationSize: O, actionCount: A, prioritized: { alpha: 1, eps: 1e-6 } });
      memory.addRows(randomBatch(createRng(5), 12));
      const r = learner.trainRound(memory, createRng(6), 12);
      expect(r).toMatchObject({ gradientSteps: 3, targetUpdated: true });
      expect(Number.isFinite(r.tdLoss) && Number.isFinite(r.meanQ)).toBe(true);
      expect(changed(readWeights(learner.targetNet), learner.getWeights())).toBe(true); // synced after step 2, step 3 moved on
      expect(Array.from(memory.sample(64, createRng(7), { beta: 1 }).weights).some((w) => w < 1)).toBe(true);
      learner.dispose();
    });
  });

  describe('#getWeights/#setWeights', () => {
    it('moves a network between learners (online and target)', () => {
      const a = learnerWith({ seed: 1 });
      const b = learnerWith({ seed: 2 });
      const obs = new Float32Array([1, 2, 3]);
      expect(Array.from(b.qValues(obs))).not.toEqual(Array.from(a.qValues(obs)));
      b.setWeights(a.getWeights());
      expect(Array.from(b.qValues(obs))).toEqual(Array.from(a.qValues(obs)));
      expect(changed(readWeights(b.targetNet), a.getWeights())).toBe(false);
      a.dispose();
      b.dispose();
    });
  });
});
