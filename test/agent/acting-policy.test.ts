import { beforeAll, describe, it, expect } from 'vitest';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { maskedArgmax } from '../../common/masked-argmax.ts';
import { createQNetwork, readWeights } from '../../agent/q-network.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { loadTf, type Tf } from '../../common/tf-backend.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('ActingPolicy', () => {
  it.each([
    ['dueling, two hidden layers', { hidden: [8, 5], dueling: true }],
    ['linear head, no hidden layer', { hidden: [], dueling: false }],
  ])('computes the same Q-values as the tf network (%s)', (_name, arch) => {
    const learner = new DqnLearner(tf, { config: resolveDqnConfig({ ...arch, seed: 5 }), observationSize: 6, actionCount: 7 });
    const policy = new ActingPolicy(learner.getWeights());
    const rng = createRng(1);
    for (let i = 0; i < 20; i++) {
      const obs = new Float32Array(6).map(() => rng.normal());
      const a = learner.qValues(obs);
      const b = policy.qValues(obs);
      a.forEach((v, k) => expect(b[k]).toBeCloseTo(v, 5));
    }
    learner.dispose();
  });

  it('swaps weights atomically and counts versions', () => {
    const config = resolveDqnConfig({ hidden: [4] });
    const a = new DqnLearner(tf, { config: { ...config, seed: 1 }, observationSize: 3, actionCount: 2 });
    const b = new DqnLearner(tf, { config: { ...config, seed: 2 }, observationSize: 3, actionCount: 2 });
    const policy = new ActingPolicy(a.getWeights());
    const obs = new Float32Array([1, -1, 0.5]);
    const before = policy.qValues(obs);
    policy.swapWeights(b.getWeights());
    expect(policy.version).toBe(1);
    expect(Array.from(policy.qValues(obs))).not.toEqual(Array.from(before));
    b.qValues(obs).forEach((v, k) => expect(policy.qValues(obs)[k]).toBeCloseTo(v, 5));
    a.dispose();
    b.dispose();
  });

  it('decides only valid actions and rejects incompatible weights', () => {
    const learner = new DqnLearner(tf, { config: resolveDqnConfig({ hidden: [4] }), observationSize: 3, actionCount: 5 });
    const other = new DqnLearner(tf, { config: resolveDqnConfig({ hidden: [4] }), observationSize: 3, actionCount: 4 });
    const policy = new ActingPolicy(learner.getWeights());
    const rng = createRng(3);
    for (let i = 0; i < 300; i++) {
      const mask = new Uint8Array(5).map(() => (rng.next() < 0.3 ? 1 : 0));
      mask[rng.int(5)] = 1;
      const obs = new Float32Array(3).map(() => rng.normal());
      expect(mask[policy.decide(obs, mask)]).toBe(1);
      expect(mask[policy.decide(obs, mask, { epsilon: 0.7, rng })]).toBe(1);
    }
    try {
      policy.swapWeights(other.getWeights());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CoinferError);
      expect((e as CoinferError).code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(policy.version).toBe(0);
    learner.dispose();
    other.dispose();
  });

  it('decides a batch like row-by-row decisions: valid actions, greedy at ε = 0, uniform at ε = 1', () => {
    const learner = new DqnLearner(tf, { config: resolveDqnConfig({ hidden: [6] }), observationSize: 3, actionCount: 5 });
    const policy = new ActingPolicy(learner.getWeights());
    const rng = createRng(9);
    const rows = 40;
    const obs = new Float32Array(rows * 3).map(() => rng.normal() * 3);
    const masks = new Uint8Array(rows * 5).map(() => (rng.next() < 0.4 ? 1 : 0));
    for (let r = 0; r < rows; r++) masks[r * 5 + rng.int(5)] = 1;
    const out = new Int32Array(rows);
    policy.decideBatch(obs, masks, { rows, epsilon: 0, rng: createRng(1), out });
    for (let r = 0; r < rows; r++) {
      const mask = masks.subarray(r * 5, (r + 1) * 5);
      expect(out[r]).toBe(maskedArgmax(learner.qValues(obs.subarray(r * 3, (r + 1) * 3)), mask));
    }
    const explored = policy.decideBatch(obs, masks, { rows, epsilon: 1, rng: createRng(2), out: new Int32Array(rows) });
    for (let r = 0; r < rows; r++) expect(masks[r * 5 + explored[r]!]).toBe(1);
    // ε-greedy draws as `decide` does, row by row, from one stream
    const a = createRng(3);
    const b = createRng(3);
    const mixed = policy.decideBatch(obs, masks, { rows, epsilon: 0.5, rng: a, out: new Int32Array(rows) });
    for (let r = 0; r < rows; r++) expect(mixed[r]).toBe(policy.decide(obs.subarray(r * 3, (r + 1) * 3), masks.subarray(r * 5, (r + 1) * 5), { epsilon: 0.5, rng: b }));
    learner.dispose();
  });

  it('runs the dueling head from the network\'s own frozen layers (changing them changes Q)', () => {
    const net = createQNetwork(tf, { observationSize: 2, actionCount: 3, hidden: [4], dueling: true }, 1);
    const weights = readWeights(net);
    net.dispose();
    const obs = new Float32Array([0.5, -1]);
    const q = new ActingPolicy(weights).qValues(obs);
    // a centre kernel of the identity (no mean subtraction) must shift Q by the mean advantage
    const eye = weights.map((w) => (w.name === 'advantage_centre/kernel' ? { ...w, values: Float32Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? 1 : 0)) } : w));
    const shifted = new ActingPolicy(eye).qValues(obs);
    const diff = Array.from(shifted, (v, i) => v - q[i]!);
    diff.forEach((d) => expect(d).toBeCloseTo(diff[0]!, 5));
    expect(() => new ActingPolicy(weights.filter((w) => w.name !== 'value_broadcast/kernel'))).toThrow(CoinferError);
  });
});
