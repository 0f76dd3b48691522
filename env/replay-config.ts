/**
 * Configuration of the co-inference envs (replay and live share it, so one seeded scenario
 * runs through both). Validated with zod (common/schema.ts): unknown keys and bad values fail
 * with ERR_INVALID_CONFIG naming the key, the expectation and the actual value.
 */
import { z } from 'zod';
import { parseWith } from '../common/schema.ts';
import type { Encoding } from '../runtime/action.ts';
import type { TraceSplit } from '../runtime/link/trace-catalog.ts';
import { DEFAULT_EPISODE_VARIATION, episodeVariationSchema, type EpisodeVariation } from './episode-world.ts';
import { DEFAULT_REWARD_CONFIG, rewardConfigSchema, type RewardConfig } from './reward.ts';
import { DEFAULT_SCENARIO_CONFIG, scenarioConfigSchema, type ScenarioConfig } from './scenario.ts';

export interface EnvConfig {
  readonly scenario: ScenarioConfig;
  readonly reward: RewardConfig;
  /**
   * What may change per episode (slowdowns, rate scale, scenario fields drawn from ranges);
   * default nothing. The live env applies only the scenario fields and the rate scale.
   */
  readonly variation: EpisodeVariation;
  /**
   * Encodings offered for intermediate tensors. Default int8 only: the envs model an encoding
   * by its bytes alone (the exits' measured accuracy is of f32 activations), so f32 and f16
   * would be dominated choices that only slow learning; offer them to study them.
   * `jpeg90` / `jpeg50` add JPEG-compressed raw input at partition 0; they need the package's
   * measured JPEG figures (action-accuracy.json), so they are not offered by default.
   */
  readonly encodings: readonly Encoding[];
  /** Trace split the episodes draw from (a label for reports: the caller passes the traces). */
  readonly split: TraceSplit;
  /** Window k of the harmonic-mean bandwidth estimator. */
  readonly estimatorWindow: number;
  /**
   * Bytes of the background probe the device sends when a request sent nothing (so the
   * bandwidth estimate does not go stale while the device runs locally). Its link time is not
   * charged to any request. 0 disables probing.
   */
  readonly probeBytes: number;
  /** Images drawn per request come from the first `imagePool` evaluation samples (0 = all). */
  readonly imagePool: number;
  /**
   * Deadline mask (env/deadline-mask.ts): actions predicted to take more than this many times
   * the deadline, at the device's measured speeds, are invalid; ≥ 1, or null for none (default).
   */
  readonly deadlineMaskFactor: number | null;
}

export const DEFAULT_ENV_CONFIG: EnvConfig = {
  scenario: DEFAULT_SCENARIO_CONFIG,
  reward: DEFAULT_REWARD_CONFIG,
  variation: DEFAULT_EPISODE_VARIATION,
  encodings: ['int8'],
  split: 'train',
  estimatorWindow: 5,
  probeBytes: 2048,
  imagePool: 0,
  deadlineMaskFactor: null,
};

export interface EnvConfigInput {
  readonly scenario?: Partial<ScenarioConfig>;
  readonly reward?: Partial<RewardConfig>;
  readonly variation?: Partial<EpisodeVariation>;
  readonly encodings?: readonly Encoding[];
  readonly split?: TraceSplit;
  readonly estimatorWindow?: number;
  readonly probeBytes?: number;
  readonly imagePool?: number;
  readonly deadlineMaskFactor?: number | null;
}

/** The zod schema of a whole EnvConfig. */
export const envConfigSchema = z.strictObject({
  scenario: scenarioConfigSchema,
  reward: rewardConfigSchema,
  variation: episodeVariationSchema,
  encodings: z.array(z.enum(['f32', 'f16', 'int8', 'jpeg90', 'jpeg50'])).min(1),
  split: z.enum(['train', 'validation', 'test']),
  estimatorWindow: z.number().int().min(1),
  probeBytes: z.number().min(0),
  imagePool: z.number().int().min(0),
  deadlineMaskFactor: z.number().min(1).nullable(),
});

/** @throws CoinferError ERR_INVALID_CONFIG naming the field, the expectation and the actual value */
export function resolveEnvConfig(p: EnvConfigInput = {}): EnvConfig {
  const d = DEFAULT_ENV_CONFIG;
  const given = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
  return parseWith(envConfigSchema, {
    ...d,
    ...given,
    scenario: { ...d.scenario, ...p.scenario },
    reward: { ...d.reward, ...p.reward },
    variation: { ...d.variation, ...p.variation },
  }, 'env config') as EnvConfig;
}
