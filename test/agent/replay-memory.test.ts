import { describe, it, expect } from 'vitest';
import { ReplayMemory } from '../../agent/replay-memory.ts';
import type { ReplayTransition } from '../../agent/transition.ts';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';

const O = 3;
const A = 4;

/** Transition k: every field derived from k, so a batch row can be checked for consistency. */
function transition(k: number): ReplayTransition {
  const mask = new Uint8Array(A);
  mask[k % A] = 1;
  return {
    observation: new Float32Array([k, k + 0.5, -k]),
    action: k % A,
    reward: k * 10,
    nextObservation: new Float32Array([k + 100, 0, 0]),
    discount: (k % 3) / 4,
    nextActionMask: mask,
  };
}

function rowKeys(memory: ReplayMemory, n: number, seed = 1): number[] {
  const batch = memory.sample(n, createRng(seed));
  const keys: number[] = [];
  const inconsistent: number[] = [];
  for (let i = 0; i < batch.size; i++) {
    const k = batch.observations[i * O]!;
    const ok =
      batch.observations[i * O + 1] === k + 0.5 &&
      batch.actions[i] === k % A &&
      batch.rewards[i] === k * 10 &&
      batch.nextObservations[i * O] === k + 100 &&
      batch.discounts[i] === (k % 3) / 4 &&
      Array.from(batch.nextActionMasks.subarray(i * A, (i + 1) * A)).indexOf(1) === k % A &&
      batch.weights[i] === 1;
    if (!ok) inconsistent.push(i);
    keys.push(k);
  }
  expect(inconsistent).toEqual([]); // every field of a row comes from one transition
  return keys;
}

describe('ReplayMemory', () => {
  describe('#sample', () => {
    it('never returns unfilled slots', () => {
      const m = new ReplayMemory({ capacity: 100, observationSize: O, actionCount: A });
      for (let k = 1; k <= 3; k++) m.add(transition(k));
      const keys = rowKeys(m, 2000);
      expect(new Set(keys)).toEqual(new Set([1, 2, 3]));
    });

    it('wraps around, overwriting the oldest', () => {
      const m = new ReplayMemory({ capacity: 4, observationSize: O, actionCount: A });
      const slots = [];
      for (let k = 1; k <= 6; k++) slots.push(m.add(transition(k)));
      expect(slots).toEqual([0, 1, 2, 3, 0, 1]);
      expect(m.size).toBe(4);
      expect(new Set(rowKeys(m, 1000))).toEqual(new Set([3, 4, 5, 6]));
    });

    it('is reproducible under one seed', () => {
      const m = new ReplayMemory({ capacity: 10, observationSize: O, actionCount: A });
      for (let k = 0; k < 10; k++) m.add(transition(k));
      expect(rowKeys(m, 50, 7)).toEqual(rowKeys(m, 50, 7));
    });

    it('rejects sampling an empty memory', () => {
      const m = new ReplayMemory({ capacity: 4, observationSize: O, actionCount: A });
      expect(() => m.sample(2, createRng(1))).toThrow(CoinferError);
    });
  });

  describe('#add', () => {
    it.each([
      ['observation length', { observation: new Float32Array(2) }],
      ['mask length', { nextActionMask: new Uint8Array(A + 1) }],
      ['action range', { action: A }],
      ['discount range', { discount: 1.5 }],
    ])('rejects a bad %s with ERR_INVALID_ARGUMENT', (_what, patch) => {
      const m = new ReplayMemory({ capacity: 4, observationSize: O, actionCount: A });
      try {
        m.add({ ...transition(1), ...patch });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(CoinferError);
        expect((e as CoinferError).code).toBe('ERR_INVALID_ARGUMENT');
      }
    });
  });

  describe('prioritised', () => {
    it('samples by priority and returns importance weights (p / p_min)^-β', () => {
      const m = new ReplayMemory({ capacity: 8, observationSize: O, actionCount: A, prioritized: { alpha: 1, eps: 0 } });
      for (let k = 0; k < 4; k++) m.add(transition(k));
      m.updatePriorities(new Int32Array([0, 1, 2, 3]), [1, 1, 1, 5]);
      const batch = m.sample(8000, createRng(3), { beta: 0.5 });
      let hot = 0;
      const wrong: number[] = [];
      for (let i = 0; i < batch.size; i++) {
        const slot = batch.indices[i]!;
        if (slot === 3) hot++;
        const weight = slot === 3 ? 5 ** -0.5 : 1;
        if (slot > 3 || Math.abs(batch.weights[i]! - weight) > 1e-6) wrong.push(i);
      }
      expect(wrong).toEqual([]);
      expect(hot / batch.size).toBeGreaterThan(0.58); // expected 5/8 = 0.625
      expect(hot / batch.size).toBeLessThan(0.67);
    });

    it('gives new transitions the largest priority seen', () => {
      const m = new ReplayMemory({ capacity: 8, observationSize: O, actionCount: A, prioritized: { alpha: 1, eps: 0 } });
      m.add(transition(0));
      m.updatePriorities(new Int32Array([0]), [3]);
      m.add(transition(1)); // gets priority 3 too
      const batch = m.sample(4000, createRng(5));
      const fresh = Array.from(batch.indices).filter((s) => s === 1).length / batch.size;
      expect(fresh).toBeGreaterThan(0.45);
      expect(fresh).toBeLessThan(0.55);
    });
  });
});

describe('ReplayMemory#addRows', () => {
  const rowsOf = (ks: number[]) => {
    const ts = ks.map(transition);
    return {
      size: ts.length,
      observations: Float32Array.from(ts.flatMap((t) => Array.from(t.observation))),
      actions: Int32Array.from(ts.map((t) => t.action)),
      rewards: Float32Array.from(ts.map((t) => t.reward)),
      nextObservations: Float32Array.from(ts.flatMap((t) => Array.from(t.nextObservation))),
      discounts: Float32Array.from(ts.map((t) => t.discount)),
      nextActionMasks: Uint8Array.from(ts.flatMap((t) => Array.from(t.nextActionMask))),
    };
  };

  it('stores rows in bulk as add() stores them one by one, wrapping the ring', () => {
    const bulk = new ReplayMemory({ capacity: 5, observationSize: O, actionCount: A });
    const single = new ReplayMemory({ capacity: 5, observationSize: O, actionCount: A });
    bulk.addRows(rowsOf([0, 1, 2]));
    bulk.addRows(rowsOf([3, 4, 5, 6]));
    for (let k = 0; k < 7; k++) single.add(transition(k));
    expect(bulk.size).toBe(5);
    expect(bulk.sample(40, createRng(3))).toEqual(single.sample(40, createRng(3)));
    expect(rowKeys(bulk, 200).every((k) => k >= 2)).toBe(true); // 0 and 1 overwritten
  });

  it('rejects an invalid row before writing any', () => {
    const memory = new ReplayMemory({ capacity: 5, observationSize: O, actionCount: A });
    const rows = rowsOf([0, 1]);
    rows.actions[1] = A;
    expect(() => memory.addRows(rows)).toThrow(CoinferError);
    expect(memory.size).toBe(0);
  });
});
