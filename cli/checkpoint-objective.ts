/**
 * What a DQN checkpoint was trained to optimise, so that serving and online learning continue
 * the same objective: the reward (kind, miss penalty, energy λ — and so its normalisation over
 * the exits' accuracy range) from its stored env config, and the observation version its
 * network reads. Learning under another reward would drift the Q-values toward another scale;
 * learning on another observation's meaning would unlearn what the inputs meant.
 */
import { CoinferError } from '../common/errors.ts';
import type { CheckpointMeta } from '../checkpoints/checkpoint-meta.ts';
import { OBSERVATION_VERSION } from '../env/observation.ts';
import { resolveRewardConfig, type RewardConfig } from '../env/reward.ts';

export interface CheckpointObjective {
  readonly reward: RewardConfig;
  /** Checkpoints written before it was recorded observed version 1. */
  readonly observationVersion: number;
}

/** @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE when the checkpoint stores no valid reward */
export function checkpointObjective(meta: CheckpointMeta): CheckpointObjective {
  const env = meta.envConfig as { reward?: unknown } | null;
  const stored = env && typeof env === 'object' ? env.reward : undefined;
  if (stored === undefined || stored === null || typeof stored !== 'object') {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Checkpoint ${meta.id} stores no reward in its env config, so its objective is unknown; retrain it with coinfer train`);
  }
  let reward: RewardConfig;
  try {
    reward = resolveRewardConfig(stored as Partial<RewardConfig>);
  } catch (e) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Checkpoint ${meta.id} stores a reward this version cannot read (${(e as Error).message}); retrain it with coinfer train`, { cause: e });
  }
  return { reward, observationVersion: meta.observationVersion ?? 1 };
}

/**
 * Refuses online learning from a checkpoint whose network reads another observation version.
 * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE
 */
export function assertLearnableOnline(meta: CheckpointMeta): CheckpointObjective {
  const o = checkpointObjective(meta);
  if (o.observationVersion !== OBSERVATION_VERSION) {
    throw new CoinferError(
      'ERR_CHECKPOINT_INCOMPATIBLE',
      `Checkpoint ${meta.id} was trained on observation version ${o.observationVersion}; this build observes version ${OBSERVATION_VERSION} (docs/environments.md), so learning online would train it on inputs that mean something else. Retrain it (coinfer train), or serve it without --learn`,
    );
  }
  return o;
}
