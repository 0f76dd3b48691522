/**
 * The DQN family's hyper-parameters: one readonly, JSON-serialisable record stored
 * in every checkpoint. Defaults follow CleanRL's `dqn.py` and SB3's DQN where they agree, and
 * are scaled down for the small MLPs and short runs of coinfer. docs/dqn.md lists every field
 * and every deviation from the papers.
 */
import { z } from 'zod';
import { parseWith } from '../common/schema.ts';

/** Prioritised experience replay (Schaul et al. 2016, proportional variant). */
export interface PrioritizedReplayConfig {
  /** Priority exponent α: P(i) ∝ p_i^α. 0 = uniform, 1 = fully proportional. Range [0, 1]. */
  readonly alpha: number;
  /** Initial importance-sampling exponent β₀, annealed linearly to 1. Range [0, 1]. */
  readonly beta0: number;
  /** Environment steps (transitions recorded) over which β anneals from β₀ to 1. Integer ≥ 1. */
  readonly betaSteps: number;
  /** Added to |TD error| so no transition gets priority 0. Range > 0. */
  readonly eps: number;
}

export interface DqnConfig {
  /** Units of each hidden dense layer (ReLU), input to output. Each an integer in [1, 4096]; may be empty. */
  readonly hidden: readonly number[];
  /** Dueling head Q = V + A − mean(A) (Wang et al. 2016) instead of a plain linear Q head. */
  readonly dueling: boolean;
  /** Double DQN target (van Hasselt et al. 2016): online net picks a', target net evaluates it. */
  readonly double: boolean;
  /** Discount factor γ per environment step. Range (0, 1]. */
  readonly gamma: number;
  /** Steps n of the n-step return (Sutton 1988; Hessel et al. 2018). Integer in [1, 100]; 1 = plain TD(0). */
  readonly nStep: number;
  /** Adam learning rate. Range (0, 1]. */
  readonly learningRate: number;
  /** Transitions per gradient step. Integer in [1, 65536]. */
  readonly batchSize: number;
  /** Replay memory capacity in transitions (a ring: the oldest are overwritten). Integer ≥ batchSize. */
  readonly replayCapacity: number;
  /** Environment steps collected before the first gradient step. Integer ≥ 0. */
  readonly learningStarts: number;
  /**
   * Environment steps between train rounds, counted over all env copies (so its meaning does
   * not change with `numEnvs`). Integer ≥ 1. Replay ratio = batchSize · gradientSteps / trainEvery
   * sampled transitions per env step (see {@link replayRatio}).
   */
  readonly trainEvery: number;
  /** Gradient steps per train round (SB3's `gradient_steps`). Integer ≥ 1. */
  readonly gradientSteps: number;
  /** Gradient steps between target-network updates. Integer ≥ 1. */
  readonly targetUpdateEvery: number;
  /** Target update weight: target ← τ·online + (1 − τ)·target. 1 = hard copy. Range (0, 1]. */
  readonly tau: number;
  /** Exploration ε at step 0. Range [0, 1]. */
  readonly epsilonStart: number;
  /** Exploration ε after the decay. Range [0, epsilonStart]. */
  readonly epsilonEnd: number;
  /** Environment steps over which ε decays linearly from start to end. Integer ≥ 0 (0 = at end from the start). */
  readonly epsilonDecaySteps: number;
  /** Huber loss threshold δ in Q units: quadratic below, linear above. Range > 0. */
  readonly huberDelta: number;
  /** Prioritised replay settings, or null for uniform replay. */
  readonly prioritized: PrioritizedReplayConfig | null;
  /** Maximum global L2 norm of the gradient, or null for no clipping. Range > 0. */
  readonly gradClipNorm: number | null;
  /**
   * Env copies the offline loop acts on together (one batched forward per vector step). Integer
   * in [1, 4096]; 1 = the classic single-env loop. Online learning ignores it.
   */
  readonly numEnvs: number;
  /** Seed of the network initialisation, replay sampling and exploration. Any integer. */
  readonly seed: number;
}

export const DEFAULT_PRIORITIZED_REPLAY_CONFIG: PrioritizedReplayConfig = { alpha: 0.6, beta0: 0.4, betaSteps: 100_000, eps: 1e-6 };

export const DEFAULT_DQN_CONFIG: DqnConfig = {
  hidden: [64, 64],
  dueling: true,
  double: true,
  gamma: 0.9,
  nStep: 3,
  learningRate: 5e-4,
  batchSize: 64,
  replayCapacity: 50_000,
  learningStarts: 1_000,
  trainEvery: 4,
  gradientSteps: 1,
  targetUpdateEvery: 250,
  tau: 1,
  epsilonStart: 1,
  epsilonEnd: 0.05,
  epsilonDecaySteps: 20_000,
  huberDelta: 1,
  prioritized: null,
  gradClipNorm: 10,
  numEnvs: 1,
  seed: 1,
};

/** A partial config; `prioritized` may be partial too (missing fields take the PER defaults). */
export type DqnConfigInput = Partial<Omit<DqnConfig, 'prioritized'>> & {
  readonly prioritized?: Partial<PrioritizedReplayConfig> | null;
};

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const unit = z.number().gt(0).max(1);

/** The zod schema of a whole DqnConfig (cross-field limits are refinements with their own path). */
const dqnConfigSchema = z.strictObject({
  hidden: z.array(int(1, 4096)),
  dueling: z.boolean(),
  double: z.boolean(),
  gamma: unit,
  nStep: int(1, 100),
  learningRate: unit,
  batchSize: int(1, 65_536),
  replayCapacity: int(1, 100_000_000),
  learningStarts: int(0),
  trainEvery: int(1),
  gradientSteps: int(1, 1000),
  targetUpdateEvery: int(1),
  tau: unit,
  epsilonStart: z.number().min(0).max(1),
  epsilonEnd: z.number().min(0).max(1),
  epsilonDecaySteps: int(0),
  huberDelta: z.number().gt(0),
  gradClipNorm: z.number().gt(0).nullable(),
  numEnvs: int(1, 4096),
  seed: z.number().int(),
  prioritized: z.strictObject({
    alpha: z.number().min(0).max(1),
    beta0: z.number().min(0).max(1),
    betaSteps: int(1),
    eps: z.number().gt(0),
  }).nullable(),
})
  .refine((c) => c.replayCapacity >= c.batchSize, { message: 'expected replayCapacity >= batchSize', path: ['replayCapacity'] })
  .refine((c) => c.epsilonEnd <= c.epsilonStart, { message: 'expected epsilonEnd <= epsilonStart', path: ['epsilonEnd'] });

/**
 * Merges a partial config over the defaults and validates every field (zod, common/schema.ts).
 * @throws CoinferError ERR_INVALID_CONFIG naming the field, expected vs actual (unknown fields too).
 * @example resolveDqnConfig({ hidden: [32], prioritized: { alpha: 0.5 } })
 */
export function resolveDqnConfig(partial: DqnConfigInput = {}): DqnConfig {
  const per = partial.prioritized === undefined ? DEFAULT_DQN_CONFIG.prioritized : partial.prioritized;
  const merged = {
    ...DEFAULT_DQN_CONFIG,
    ...partial,
    prioritized: per === null || typeof per !== 'object' ? per : { ...DEFAULT_PRIORITIZED_REPLAY_CONFIG, ...per },
  };
  return parseWith(dqnConfigSchema, merged, 'DqnConfig (see docs/dqn.md; leave a field out for its default)') as DqnConfig;
}

/**
 * Transitions sampled for learning per env step collected (SB3/CleanRL's "replay ratio" in
 * samples): batchSize · gradientSteps / trainEvery.
 * @example replayRatio(resolveDqnConfig({ batchSize: 64, trainEvery: 2 })) // 32
 */
export function replayRatio(config: Pick<DqnConfig, 'batchSize' | 'gradientSteps' | 'trainEvery'>): number {
  return (config.batchSize * config.gradientSteps) / config.trainEvery;
}
