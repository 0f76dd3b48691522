import { describe, it, expect } from 'vitest';
import { NStepAccumulator } from '../../agent/n-step.ts';
import type { TransitionRows } from '../../agent/replay-memory.ts';
import type { ReplayTransition } from '../../agent/transition.ts';
import { VecNStep } from '../../agent/vec-n-step.ts';
import { createRng } from '../../common/rng.ts';

const O = 2;
const A = 3;

/** Rows as plain records (copied: the accumulator reuses its arrays). */
function records(rows: TransitionRows): { obs: number[]; action: number; reward: number; next: number[]; discount: number; mask: number[] }[] {
  return Array.from({ length: rows.size }, (_, r) => ({
    obs: Array.from(rows.observations.subarray(r * O, (r + 1) * O)),
    action: rows.actions[r]!,
    reward: rows.rewards[r]!,
    next: Array.from(rows.nextObservations.subarray(r * O, (r + 1) * O)),
    discount: rows.discounts[r]!,
    mask: Array.from(rows.nextActionMasks.subarray(r * A, (r + 1) * A)),
  }));
}

const record = (t: ReplayTransition) => ({
  obs: Array.from(t.observation), action: t.action, reward: Math.fround(t.reward), next: Array.from(t.nextObservation), discount: Math.fround(t.discount), mask: Array.from(t.nextActionMask),
});

describe('VecNStep', () => {
  it.each([1, 3])('emits, lane by lane, what NStepAccumulator emits (n = %i, random ends of both kinds)', (nStep) => {
    const N = 4;
    const gamma = 0.7;
    const vec = new VecNStep({ numEnvs: N, observationSize: O, actionCount: A, nStep, gamma });
    const single = Array.from({ length: N }, () => new NStepAccumulator({ nStep, gamma }));
    const rng = createRng(11);
    let emitted = 0;
    for (let t = 0; t < 60; t++) {
      const step = {
        observations: new Float32Array(N * O).map(() => rng.int(100)),
        actions: new Int32Array(N).map(() => rng.int(A)),
        rewards: new Float32Array(N).map(() => rng.int(5) - 2),
        nextObservations: new Float32Array(N * O).map(() => rng.int(100)),
        nextActionMasks: new Uint8Array(N * A).map(() => rng.int(2)),
        terminated: new Uint8Array(N).map(() => (rng.next() < 0.08 ? 1 : 0)),
        truncated: new Uint8Array(N).map(() => (rng.next() < 0.08 ? 1 : 0)),
      };
      const expected = single.flatMap((acc, i) =>
        acc.push({
          observation: step.observations.slice(i * O, (i + 1) * O), action: step.actions[i]!, reward: step.rewards[i]!,
          nextObservation: step.nextObservations.slice(i * O, (i + 1) * O), terminated: step.terminated[i] === 1, truncated: step.truncated[i] === 1,
          nextActionMask: step.nextActionMasks.slice(i * A, (i + 1) * A),
        }).map(record));
      const got = records(vec.push(step));
      expect(got).toEqual(expected.map((e) => ({ ...e, reward: expect.closeTo(e.reward, 5) })));
      emitted += got.length;
      expect(vec.pendingCount).toBe(single.reduce((s, a) => s + a.pendingCount, 0));
    }
    expect(emitted).toBeGreaterThan(60); // every lane emitted
  });

  it('drops pending steps on clear', () => {
    const vec = new VecNStep({ numEnvs: 2, observationSize: O, actionCount: A, nStep: 3, gamma: 0.5 });
    const z = (n: number) => new Float32Array(n);
    const step = { observations: z(2 * O), actions: new Int32Array(2), rewards: z(2), nextObservations: z(2 * O), nextActionMasks: new Uint8Array(2 * A), terminated: new Uint8Array(2), truncated: new Uint8Array(2) };
    expect(vec.push(step).size).toBe(0);
    expect(vec.pendingCount).toBe(2);
    vec.clear();
    expect(vec.pendingCount).toBe(0);
    expect(() => new VecNStep({ numEnvs: 0, observationSize: O, actionCount: A, nStep: 1, gamma: 0.5 })).toThrow(RangeError);
  });
});
