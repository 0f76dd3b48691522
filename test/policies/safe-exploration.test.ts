import { describe, expect, it } from 'vitest';
import { createRng } from '../../common/rng.ts';
import type { DecisionContext } from '../../env/decision-context.ts';
import type { Planner } from '../../policies/model-planner.ts';
import { keepAsAccurate, safeActionMask, uniformAmong } from '../../policies/safe-exploration.ts';
import type { Action } from '../../runtime/action.ts';

const actions: Action[] = [1, 2, 3].map((exit) => ({ exit, partition: 0, encoding: 'int8' }));
const predictedMs = [100, 700, 900];
const planner = {
  actions,
  actionScore: Float64Array.of(0.88, 0.9, 0.89),
  predict: (a: Action) => ({ totalMs: predictedMs[a.exit - 1]! }),
} as unknown as Planner;
const ctx: DecisionContext = { deadlineMs: 1000, bandwidthMbps: 1, bandwidthTrendMbpsPerS: 0, rttMs: 20, deviceLoad: 0, edgeLoad: 0 };

describe('safe exploration', () => {
  it('keeps the valid actions predicted to leave the slack', () => {
    const valid = Uint8Array.of(1, 1, 1);
    expect([...safeActionMask(planner, ctx, { slackShare: 0.25, valid })]).toEqual([1, 1, 0]);
    expect([...safeActionMask(planner, ctx, { slackShare: 0, valid })]).toEqual([1, 1, 1]);
    expect([...safeActionMask(planner, ctx, { slackShare: 0.25, valid: Uint8Array.of(0, 1, 1) })]).toEqual([0, 1, 0]);
    expect(() => safeActionMask(planner, ctx, { slackShare: 1, valid })).toThrow(RangeError);
  });

  it('keepAsAccurate keeps the other actions scored at least as high as the greedy one', () => {
    const p = { ...planner, actionScore: Float64Array.of(0.88, 0.9, 0.9) } as unknown as Planner;
    expect([...keepAsAccurate(p, 0, Uint8Array.of(1, 1, 1))]).toEqual([0, 1, 1]);
    expect([...keepAsAccurate(p, 2, Uint8Array.of(1, 1, 1))]).toEqual([0, 1, 0]);
    expect([...keepAsAccurate(p, 1, Uint8Array.of(1, 0, 1))]).toEqual([0, 0, 1]);
  });

  it('uniformAmong draws only 1s, about uniformly, and −1 when there is none', () => {
    const rng = createRng(5);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[uniformAmong(Uint8Array.of(1, 0, 1, 1), rng)]!++;
    expect(counts[1]).toBe(0);
    for (const k of [0, 2, 3]) expect(counts[k]).toBeGreaterThan(850);
    expect(uniformAmong(Uint8Array.of(0, 0), rng)).toBe(-1);
  });
});
