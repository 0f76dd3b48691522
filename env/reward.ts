/**
 * Rewards, pure. Default: Edgent's objective — the chosen exit's correctness on
 * the actual image (or the exit's accuracy, a lower-variance signal) when the deadline is met,
 * a miss penalty otherwise. The energy-aware variant subtracts λ·E (E in joules).
 */
import { z } from 'zod';
import { parseWith } from '../common/schema.ts';

export interface RewardConfig {
  /**
   * 'correctness': 1/0 on the request's own image; 'accuracy': the answering exit's test
   * accuracy (the expectation of correctness: same objective, far less variance);
   * 'normalized-accuracy': that accuracy rescaled so the worst exit scores 0 and the best 1
   * (the exits differ by a few points of accuracy, a signal a Q-network otherwise blurs).
   */
  readonly signal: 'correctness' | 'accuracy' | 'normalized-accuracy';
  /** Reward when the deadline is missed (≤ 0). */
  readonly missPenalty: number;
  /** Energy weight λ per joule of device energy (0 = Edgent's objective). */
  readonly energyLambdaPerJ: number;
}

export const DEFAULT_REWARD_CONFIG: RewardConfig = { signal: 'correctness', missPenalty: -1, energyLambdaPerJ: 0 };

/** The zod schema of a RewardConfig. */
export const rewardConfigSchema = z.strictObject({
  signal: z.enum(['correctness', 'accuracy', 'normalized-accuracy']),
  missPenalty: z.number().max(0),
  energyLambdaPerJ: z.number().min(0),
});

/** @throws CoinferError ERR_INVALID_CONFIG naming the field, the expectation and the actual value */
export function resolveRewardConfig(p: Partial<RewardConfig> = {}): RewardConfig {
  return parseWith(rewardConfigSchema, { ...DEFAULT_REWARD_CONFIG, ...p }, 'reward config');
}

export interface RewardInput {
  readonly hit: boolean;
  readonly correct: boolean;
  /** The answering exit's accuracy in [0, 1]. */
  readonly exitAccuracy: number;
  /** The model's least and most accurate exits' accuracies (for 'normalized-accuracy'). */
  readonly accuracyRange: readonly [number, number];
  readonly energyMj: number;
}

/** The reward of one request. */
export function computeReward(config: RewardConfig, r: RewardInput): number {
  let base = config.missPenalty;
  if (r.hit) {
    if (config.signal === 'correctness') base = r.correct ? 1 : 0;
    else if (config.signal === 'accuracy') base = r.exitAccuracy;
    else {
      const [lo, hi] = r.accuracyRange;
      base = hi > lo ? (r.exitAccuracy - lo) / (hi - lo) : 1;
    }
  }
  return base - config.energyLambdaPerJ * (r.energyMj / 1000);
}
