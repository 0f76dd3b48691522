import { describe, expect, it } from 'vitest';
import { computeReward, resolveRewardConfig } from '../../env/reward.ts';

const base = { correct: true, exitAccuracy: 0.88, accuracyRange: [0.8, 0.9] as const, energyMj: 500 };

describe('computeReward', () => {
  it("scores the image's correctness when the deadline is met (Edgent's objective)", () => {
    const c = resolveRewardConfig();
    expect(computeReward(c, { ...base, hit: true })).toBe(1);
    expect(computeReward(c, { ...base, hit: true, correct: false })).toBe(0);
  });

  it('gives the miss penalty when the deadline is missed, whatever the answer', () => {
    const c = resolveRewardConfig({ missPenalty: -2 });
    expect(computeReward(c, { ...base, hit: false })).toBe(-2);
    expect(computeReward(resolveRewardConfig({ signal: 'accuracy' }), { ...base, hit: false })).toBe(-1);
  });

  it('uses the exit accuracy, raw or rescaled between the worst and best exit', () => {
    expect(computeReward(resolveRewardConfig({ signal: 'accuracy' }), { ...base, hit: true })).toBe(0.88);
    expect(computeReward(resolveRewardConfig({ signal: 'normalized-accuracy' }), { ...base, hit: true })).toBeCloseTo(0.8, 12);
    expect(computeReward(resolveRewardConfig({ signal: 'normalized-accuracy' }), { ...base, hit: true, exitAccuracy: 0.8 })).toBe(0);
  });

  it('subtracts lambda per joule in the energy-aware variant', () => {
    const c = resolveRewardConfig({ energyLambdaPerJ: 0.2 });
    expect(computeReward(c, { ...base, hit: true })).toBeCloseTo(1 - 0.2 * 0.5, 12);
    expect(computeReward(c, { ...base, hit: false })).toBeCloseTo(-1 - 0.2 * 0.5, 12);
  });

  it('rejects bad configs', () => {
    expect(() => resolveRewardConfig({ missPenalty: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => resolveRewardConfig({ energyLambdaPerJ: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => resolveRewardConfig({ signal: 'nope' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });
});
