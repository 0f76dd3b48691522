/**
 * Rewards (DESIGN §5), pure. Default: Edgent's objective — the chosen exit's correctness on
 * the actual image (or the exit's accuracy, a lower-variance signal) when the deadline is met,
 * a miss penalty otherwise. The energy-aware variant subtracts λ·E (E in joules).
 */
export interface RewardConfig {
  /** 'correctness': 1/0 on the request's own image; 'accuracy': the exit's test accuracy. */
  readonly signal: 'correctness' | 'accuracy';
  /** Reward when the deadline is missed (≤ 0). */
  readonly missPenalty: number;
  /** Energy weight λ per joule of device energy (0 = Edgent's objective). */
  readonly energyLambdaPerJ: number;
}

export const DEFAULT_REWARD_CONFIG: RewardConfig = { signal: 'correctness', missPenalty: -1, energyLambdaPerJ: 0 };

export function resolveRewardConfig(p: Partial<RewardConfig> = {}): RewardConfig {
  const c = { ...DEFAULT_REWARD_CONFIG, ...p };
  if (c.signal !== 'correctness' && c.signal !== 'accuracy') throw new RangeError(`Expected reward.signal 'correctness' or 'accuracy', actually ${String(c.signal)}`);
  if (!(c.missPenalty <= 0)) throw new RangeError(`Expected reward.missPenalty <= 0, actually ${c.missPenalty}`);
  if (!(c.energyLambdaPerJ >= 0)) throw new RangeError(`Expected reward.energyLambdaPerJ >= 0, actually ${c.energyLambdaPerJ}`);
  return c;
}

export interface RewardInput {
  readonly hit: boolean;
  readonly correct: boolean;
  /** The chosen exit's accuracy in [0, 1]. */
  readonly exitAccuracy: number;
  readonly energyMj: number;
}

/** The reward of one request. */
export function computeReward(config: RewardConfig, r: RewardInput): number {
  const base = r.hit ? (config.signal === 'correctness' ? (r.correct ? 1 : 0) : r.exitAccuracy) : config.missPenalty;
  return base - config.energyLambdaPerJ * (r.energyMj / 1000);
}
