/**
 * What may change from one episode to the next (a world with ranges, as training across worlds
 * needs): scenario fields, the device's and the edge's slowdown against their latency profiles,
 * and a scale on every trace rate. `sampleEpisodeWorld` draws one concrete world per episode
 * from the lane's seeded RNG.
 */
import { z } from 'zod';
import type { Rng } from '../common/rng.ts';
import { isFixed, numberSpec, sampleNumber, type NumberSpec } from './number-spec.ts';
import { MAX_OTHER_DEVICES, type ScenarioConfig } from './scenario.ts';

/** Scenario fields that may be drawn per episode. */
export type SampledScenarioField = 'rttMs' | 'otherDevices' | 'otherDeviceActiveProb' | 'edgeLoadPerDevice' | 'deviceLoadStay' | 'requestIntervalMs';

export interface EpisodeVariation {
  /** Device compute times × this, against its latency profile (2 = twice as slow), > 0. */
  readonly deviceSlowdown: NumberSpec;
  /** Edge compute times (and its background requests) × this, > 0. */
  readonly edgeSlowdown: NumberSpec;
  /** Every trace rate × this (0.1 = a tenth of the recorded bandwidth), > 0. */
  readonly rateScale: NumberSpec;
  /** Scenario fields drawn per episode; absent ones keep the scenario's fixed value. */
  readonly scenario: Readonly<Partial<Record<SampledScenarioField, NumberSpec>>>;
}

export const DEFAULT_EPISODE_VARIATION: EpisodeVariation = { deviceSlowdown: 1, edgeSlowdown: 1, rateScale: 1, scenario: {} };

/** The zod schema of an EpisodeVariation (ranges checked like the fixed fields). */
export const episodeVariationSchema = z.strictObject({
  deviceSlowdown: numberSpec(0.01, 1000),
  edgeSlowdown: numberSpec(0.01, 1000),
  rateScale: numberSpec(1e-4, 1000),
  scenario: z.strictObject({
    rttMs: numberSpec(0, 60_000).optional(),
    otherDevices: numberSpec(0, MAX_OTHER_DEVICES, { int: true }).optional(),
    otherDeviceActiveProb: numberSpec(0, 1).optional(),
    edgeLoadPerDevice: numberSpec(0, 1).optional(),
    deviceLoadStay: numberSpec(0, 1).optional(),
    requestIntervalMs: numberSpec(1e-3, 3_600_000).optional(),
  }),
});

/** One episode's concrete world. */
export interface EpisodeWorld {
  readonly scenario: ScenarioConfig;
  readonly deviceSlowdown: number;
  readonly edgeSlowdown: number;
  readonly rateScale: number;
}

const INT_FIELDS: ReadonlySet<SampledScenarioField> = new Set(['otherDevices']);

/** Whether nothing varies (then every episode is `base` and no random number is drawn). */
export function isFixedVariation(v: EpisodeVariation): boolean {
  return isFixed(v.deviceSlowdown) && isFixed(v.edgeSlowdown) && isFixed(v.rateScale) && Object.values(v.scenario).every((s) => s === undefined || isFixed(s));
}

/**
 * Draws one episode's world: fixed values are taken as they are (no draw), ranges are drawn in
 * a fixed field order from `rng`.
 */
export function sampleEpisodeWorld(base: ScenarioConfig, v: EpisodeVariation, rng: Rng): EpisodeWorld {
  let scenario = base;
  const fields = Object.keys(v.scenario).sort() as SampledScenarioField[];
  if (fields.length > 0) {
    const drawn: Partial<Record<SampledScenarioField, number>> = {};
    for (const f of fields) drawn[f] = sampleNumber(v.scenario[f]!, rng, INT_FIELDS.has(f));
    scenario = { ...base, ...drawn };
  }
  return {
    scenario,
    deviceSlowdown: sampleNumber(v.deviceSlowdown, rng),
    edgeSlowdown: sampleNumber(v.edgeSlowdown, rng),
    rateScale: sampleNumber(v.rateScale, rng),
  };
}
