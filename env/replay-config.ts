/**
 * Configuration of the co-inference envs (replay and live share it, so one seeded scenario
 * runs through both).
 */
import type { Encoding } from '../runtime/action.ts';
import { resolveRewardConfig, type RewardConfig } from './reward.ts';
import { resolveScenarioConfig, type ScenarioConfig } from './scenario.ts';

export interface EnvConfig {
  readonly scenario: ScenarioConfig;
  readonly reward: RewardConfig;
  /**
   * Encodings offered for intermediate tensors. Default int8 only: the envs model an encoding
   * by its bytes alone (the exits' measured accuracy is of f32 activations), so f32 and f16
   * would be dominated choices that only slow learning; offer them to study them.
   */
  readonly encodings: readonly Encoding[];
  /** Trace split the episodes draw from. */
  readonly split: 'train' | 'test';
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
}

export const DEFAULT_ENV_CONFIG: EnvConfig = {
  scenario: resolveScenarioConfig(),
  reward: resolveRewardConfig(),
  encodings: ['int8'],
  split: 'train',
  estimatorWindow: 5,
  probeBytes: 2048,
  imagePool: 0,
};

export interface EnvConfigInput {
  readonly scenario?: Partial<ScenarioConfig>;
  readonly reward?: Partial<RewardConfig>;
  readonly encodings?: readonly Encoding[];
  readonly split?: 'train' | 'test';
  readonly estimatorWindow?: number;
  readonly probeBytes?: number;
  readonly imagePool?: number;
}

export function resolveEnvConfig(p: EnvConfigInput = {}): EnvConfig {
  const c: EnvConfig = {
    scenario: resolveScenarioConfig(p.scenario),
    reward: resolveRewardConfig(p.reward),
    encodings: p.encodings ?? DEFAULT_ENV_CONFIG.encodings,
    split: p.split ?? DEFAULT_ENV_CONFIG.split,
    estimatorWindow: p.estimatorWindow ?? DEFAULT_ENV_CONFIG.estimatorWindow,
    probeBytes: p.probeBytes ?? DEFAULT_ENV_CONFIG.probeBytes,
    imagePool: p.imagePool ?? DEFAULT_ENV_CONFIG.imagePool,
  };
  if (c.split !== 'train' && c.split !== 'test') throw new RangeError(`Expected split 'train' or 'test', actually ${String(c.split)}`);
  if (c.encodings.length === 0 || c.encodings.some((e) => !['f32', 'f16', 'int8'].includes(e))) {
    throw new RangeError(`Expected encodings a non-empty subset of f32|f16|int8, actually ${JSON.stringify(c.encodings)}`);
  }
  if (!(Number.isInteger(c.estimatorWindow) && c.estimatorWindow >= 1)) throw new RangeError(`Expected estimatorWindow an integer >= 1, actually ${c.estimatorWindow}`);
  if (!(c.probeBytes >= 0)) throw new RangeError(`Expected probeBytes >= 0, actually ${c.probeBytes}`);
  if (!(Number.isInteger(c.imagePool) && c.imagePool >= 0)) throw new RangeError(`Expected imagePool an integer >= 0, actually ${c.imagePool}`);
  return c;
}
