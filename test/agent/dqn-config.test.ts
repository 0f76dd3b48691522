import { describe, it, expect } from 'vitest';
import { DEFAULT_DQN_CONFIG, resolveDqnConfig } from '../../agent/dqn-config.ts';
import { epsilonAt, linearSchedule } from '../../agent/epsilon-schedule.ts';
import { CoinferError } from '../../common/errors.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    return (e as CoinferError).code;
  }
  return undefined;
}

describe('resolveDqnConfig', () => {
  it('returns the defaults for an empty partial, JSON round-trippable', () => {
    const c = resolveDqnConfig();
    expect(c).toEqual(DEFAULT_DQN_CONFIG);
    expect(resolveDqnConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('fills a partial prioritized record with the PER defaults', () => {
    const c = resolveDqnConfig({ prioritized: { alpha: 0.5 } });
    expect(c.prioritized).toEqual({ alpha: 0.5, beta0: 0.4, betaSteps: 100_000, eps: 1e-6 });
    expect(resolveDqnConfig({ prioritized: null }).prioritized).toBeNull();
  });

  it.each([
    ['gamma', { gamma: 0 }],
    ['gamma', { gamma: 1.5 }],
    ['nStep', { nStep: 0 }],
    ['nStep', { nStep: 1.5 }],
    ['hidden', { hidden: [16, 0] }],
    ['batchSize', { batchSize: 0 }],
    ['replayCapacity', { batchSize: 64, replayCapacity: 32 }],
    ['epsilonEnd', { epsilonStart: 0.1, epsilonEnd: 0.2 }],
    ['tau', { tau: 0 }],
    ['gradClipNorm', { gradClipNorm: -1 }],
    ['prioritized.alpha', { prioritized: { alpha: 2 } }],
    ['learningRate', { learningRate: Number.NaN }],
  ])('rejects a bad %s with ERR_INVALID_CONFIG', (_field, partial) => {
    expect(codeOf(() => resolveDqnConfig(partial))).toBe('ERR_INVALID_CONFIG');
  });

  it('rejects unknown fields', () => {
    expect(codeOf(() => resolveDqnConfig({ gama: 0.9 } as never))).toBe('ERR_INVALID_CONFIG');
  });
});

describe('linearSchedule', () => {
  it('ramps linearly and then holds', () => {
    const s = { start: 1, end: 0.1, durationSteps: 100 };
    expect(linearSchedule(s, 0)).toBe(1);
    expect(linearSchedule(s, 50)).toBeCloseTo(0.55, 12);
    expect(linearSchedule(s, 100)).toBe(0.1);
    expect(linearSchedule(s, 10_000)).toBe(0.1);
    expect(linearSchedule({ ...s, durationSteps: 0 }, 0)).toBe(0.1);
  });

  it('epsilonAt reads the config fields', () => {
    expect(epsilonAt({ epsilonStart: 1, epsilonEnd: 0, epsilonDecaySteps: 10 }, 5)).toBeCloseTo(0.5, 12);
  });
});
