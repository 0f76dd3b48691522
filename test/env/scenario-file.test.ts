import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { isFixedVariation, sampleEpisodeWorld } from '../../env/episode-world.ts';
import { nominalValue, sampleNumber } from '../../env/number-spec.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { parseScenario, scenarioEnvInput } from '../../env/scenario-file.ts';
import { DEFAULT_SCENARIO_CONFIG } from '../../env/scenario.ts';

function errorOf(raw: unknown): CoinferError {
  try {
    parseScenario(raw, 'x', 'x.json');
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe('ERR_INVALID_CONFIG');
    return e as CoinferError;
  }
  throw new Error('expected a validation error');
}

describe('scenario files: schema errors name the key, the expectation and the actual value', () => {
  it('rejects unknown keys, at any depth', () => {
    expect(errorOf({ rtt: 20 }).message).toContain("unknown key 'rtt'");
    expect(errorOf({ device: { slowdwn: 2 } }).message).toMatch(/device: unknown key 'slowdwn'/);
    expect(errorOf({ traces: { rateScale: { uniform: [0.1, 1], extra: 1 } } }).message).toContain("unknown key 'extra'");
  });
  it('rejects wrong types', () => {
    const m = errorOf({ rttMs: '20', encodings: 'int8' }).message;
    expect(m).toContain('rttMs');
    expect(m).toContain('actually "20"');
    expect(m).toContain('encodings: expected array, actually "int8"');
  });
  it('rejects out-of-range values and inverted ranges', () => {
    expect(errorOf({ edge: { activeProb: 1.5 } }).message).toContain('edge.activeProb');
    expect(errorOf({ device: { slowdown: { uniform: [4, 1] } } }).message).toContain('expected [lo, hi] with lo <= hi');
    expect(errorOf({ edge: { otherDevices: 2.5 } }).message).toContain('edge.otherDevices');
    expect(errorOf({ device: { load: { levels: [0.5, 0.99] } } }).message).toContain('device.load.levels.1');
    expect(errorOf({ deadlineMs: { uniform: [0, 100] } }).message).toContain('deadlineMs');
    expect(errorOf({ reward: { kind: 'latency' } }).message).toContain('reward.kind');
  });
  it('takes the file name when the document has none', () => {
    expect(parseScenario({}, 'base', 'base.json').name).toBe('base');
    expect(parseScenario({ name: 'mine' }, 'base', 'base.json').name).toBe('mine');
  });
});

describe('scenarioEnvInput', () => {
  it('maps every field onto the env config, ranges into the per-episode variation', () => {
    const s = parseScenario({
      rttMs: { uniform: [10, 30] }, deadlineMs: { uniform: [20, 150] }, requestIntervalMs: 500, episodeRequests: 50,
      device: { slowdown: 2, load: { levels: [0.5, 0.9], stay: 0.8 } },
      edge: { slowdown: { choice: [1, 20] }, otherDevices: 10, activeProb: 0.5, loadPerDevice: 0.05 },
      traces: { rateScale: 0.1 }, encodings: ['int8', 'f16'], reward: { kind: 'accuracy', energyLambdaPerJ: 0.2 },
    }, 'w', 'w.json');
    const c = resolveEnvConfig(scenarioEnvInput(s, { split: 'test' }));
    expect(c.scenario).toMatchObject({ rttMs: 20, deadline: { kind: 'uniform', minMs: 20, maxMs: 150 }, requestIntervalMs: 500, episodeRequests: 50, deviceLoadLevels: [0.5, 0.9], deviceLoadStay: 0.8, otherDevices: 10, otherDeviceActiveProb: 0.5, edgeLoadPerDevice: 0.05 });
    expect(c.variation).toEqual({ deviceSlowdown: 2, edgeSlowdown: { choice: [1, 20] }, rateScale: 0.1, scenario: { rttMs: { uniform: [10, 30] } } });
    expect(c.encodings).toEqual(['int8', 'f16']);
    expect(c.reward).toMatchObject({ signal: 'accuracy', energyLambdaPerJ: 0.2 });
    expect(c.split).toBe('test');
  });
  it('leaves the defaults for an empty scenario (the base world)', () => {
    const c = resolveEnvConfig(scenarioEnvInput(parseScenario({}, 'base', 'base.json')));
    expect(c.scenario).toEqual(DEFAULT_SCENARIO_CONFIG);
    expect(isFixedVariation(c.variation)).toBe(true);
  });
});

describe('per-episode draws', () => {
  it('draws a log-uniform range uniformly in log space (as many slowdowns in 1–4 as in 4–16)', () => {
    const rng = createRng(4);
    let low = 0;
    for (let i = 0; i < 4000; i++) {
      const v = sampleNumber({ loguniform: [1, 16] }, rng);
      expect(v).toBeGreaterThanOrEqual(1);
      expect(v).toBeLessThanOrEqual(16);
      if (v < 4) low++;
    }
    expect(low / 4000).toBeGreaterThan(0.46); // a linear range would put 20% below 4
    expect(low / 4000).toBeLessThan(0.54);
    expect(errorOf({ edge: { slowdown: { loguniform: [0, 20] } } }).message).toContain('expected [lo, hi] with 0 < lo <= hi');
  });

  it('draws within the range, integers for counts, and consumes no randomness for fixed values', () => {
    const rng = createRng(3);
    for (let i = 0; i < 200; i++) {
      const u = sampleNumber({ uniform: [1, 4] }, rng);
      expect(u).toBeGreaterThanOrEqual(1);
      expect(u).toBeLessThanOrEqual(4);
      const k = sampleNumber({ uniform: [0, 3] }, rng, true);
      expect([0, 1, 2, 3]).toContain(k);
      expect([0.03, 0.1]).toContain(sampleNumber({ choice: [0.03, 0.1] }, rng));
    }
    expect(nominalValue({ uniform: [10, 30] })).toBe(20);
    expect(nominalValue({ loguniform: [1, 100] })).toBeCloseTo(10, 12);
    const a = createRng(9), b = createRng(9);
    const w = sampleEpisodeWorld(DEFAULT_SCENARIO_CONFIG, { deviceSlowdown: 2, edgeSlowdown: 1, rateScale: 0.5, scenario: { rttMs: 40 } }, a);
    expect(w).toEqual({ scenario: { ...DEFAULT_SCENARIO_CONFIG, rttMs: 40 }, deviceSlowdown: 2, edgeSlowdown: 1, rateScale: 0.5 });
    expect(a.next()).toBe(b.next());
  });
  it('gives different worlds to different episodes when ranged, the same for the same seed', () => {
    const v = { deviceSlowdown: { uniform: [1, 4] as [number, number] }, edgeSlowdown: 1, rateScale: { choice: [0.1, 1] }, scenario: { otherDevices: { uniform: [0, 24] as [number, number] } } };
    const draw = (seed: number) => { const r = createRng(seed); return Array.from({ length: 20 }, () => sampleEpisodeWorld(DEFAULT_SCENARIO_CONFIG, v, r)); };
    const worlds = draw(5);
    expect(new Set(worlds.map((w) => w.deviceSlowdown)).size).toBeGreaterThan(10);
    expect(new Set(worlds.map((w) => w.rateScale))).toEqual(new Set([0.1, 1]));
    for (const w of worlds) expect(Number.isInteger(w.scenario.otherDevices)).toBe(true);
    expect(draw(5)).toEqual(worlds);
  });
});

describe('resolveEnvConfig (zod)', () => {
  it('rejects unknown keys and bad values with ERR_INVALID_CONFIG naming the key', () => {
    const err = (f: () => unknown): CoinferError => { try { f(); } catch (e) { return e as CoinferError; } throw new Error('expected an error'); };
    const a = err(() => resolveEnvConfig({ splitt: 'test' } as never));
    expect(a.code).toBe('ERR_INVALID_CONFIG');
    expect(a.message).toContain("unknown key 'splitt'");
    const b = err(() => resolveEnvConfig({ scenario: { otherDevices: 31 }, variation: { rateScale: { uniform: [0, 1] } } }));
    expect(b.message).toContain('scenario.otherDevices');
    expect(b.message).toContain('variation.rateScale');
    expect(resolveEnvConfig({ split: 'validation' }).split).toBe('validation');
  });
});
