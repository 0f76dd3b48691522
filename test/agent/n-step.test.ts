import { describe, it, expect } from 'vitest';
import { NStepAccumulator } from '../../agent/n-step.ts';
import type { Transition } from '../../agent/transition.ts';

const mask = new Uint8Array([1, 1]);

/** Step k goes from state k to state k + 1 with reward r. */
function step(k: number, reward: number, end: 'terminated' | 'truncated' | null = null): Transition {
  return {
    observation: new Float32Array([k]),
    action: k % 2,
    reward,
    nextObservation: new Float32Array([k + 1]),
    terminated: end === 'terminated',
    truncated: end === 'truncated',
    nextActionMask: mask,
  };
}

const summary = (ts: ReturnType<NStepAccumulator['push']>) =>
  ts.map((t) => ({ from: t.observation[0], to: t.nextObservation[0], reward: t.reward, discount: t.discount, action: t.action }));

describe('NStepAccumulator', () => {
  it('emits n-step returns once n steps are in (n = 3, γ = 0.5)', () => {
    const acc = new NStepAccumulator({ nStep: 3, gamma: 0.5 });
    expect(acc.push(step(0, 1))).toEqual([]);
    expect(acc.push(step(1, 2))).toEqual([]);
    expect(summary(acc.push(step(2, 4)))).toEqual([{ from: 0, to: 3, reward: 1 + 0.5 * 2 + 0.25 * 4, discount: 0.125, action: 0 }]);
    expect(summary(acc.push(step(3, 8)))).toEqual([{ from: 1, to: 4, reward: 2 + 0.5 * 4 + 0.25 * 8, discount: 0.125, action: 1 }]);
    expect(acc.pendingCount).toBe(2);
  });

  it('flushes shorter returns with discount 0 on termination (no bootstrap)', () => {
    const acc = new NStepAccumulator({ nStep: 3, gamma: 0.5 });
    acc.push(step(0, 1));
    expect(summary(acc.push(step(1, 2, 'terminated')))).toEqual([
      { from: 0, to: 2, reward: 1 + 0.5 * 2, discount: 0, action: 0 },
      { from: 1, to: 2, reward: 2, discount: 0, action: 1 },
    ]);
    expect(acc.pendingCount).toBe(0);
  });

  it('flushes with discount γ^k on truncation (bootstrap from the final observation)', () => {
    const acc = new NStepAccumulator({ nStep: 3, gamma: 0.5 });
    acc.push(step(0, 1));
    expect(summary(acc.push(step(1, 2, 'truncated')))).toEqual([
      { from: 0, to: 2, reward: 2, discount: 0.25, action: 0 },
      { from: 1, to: 2, reward: 2, discount: 0.5, action: 1 },
    ]);
  });

  it('flushes all n at an end that coincides with the n-th step', () => {
    const acc = new NStepAccumulator({ nStep: 2, gamma: 0.5 });
    acc.push(step(0, 1));
    expect(summary(acc.push(step(1, 2, 'terminated')))).toEqual([
      { from: 0, to: 2, reward: 2, discount: 0, action: 0 },
      { from: 1, to: 2, reward: 2, discount: 0, action: 1 },
    ]);
    // the next episode starts clean
    expect(acc.push(step(10, 1))).toEqual([]);
  });

  it('is plain 1-step TD for n = 1', () => {
    const acc = new NStepAccumulator({ nStep: 1, gamma: 0.9 });
    expect(summary(acc.push(step(0, 1)))).toEqual([{ from: 0, to: 1, reward: 1, discount: 0.9, action: 0 }]);
    expect(summary(acc.push(step(1, 1, 'terminated')))[0]!.discount).toBe(0);
    expect(summary(acc.push(step(2, 1, 'truncated')))[0]!.discount).toBeCloseTo(0.9, 12);
  });

  it('rejects bad settings', () => {
    expect(() => new NStepAccumulator({ nStep: 0, gamma: 0.9 })).toThrow(RangeError);
    expect(() => new NStepAccumulator({ nStep: 2, gamma: 0 })).toThrow(RangeError);
  });
});
