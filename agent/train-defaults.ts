/**
 * The experiment defaults of `coinfer train` (the CLI only reads them): DQN settings for the
 * co-inference problem over the generic DEFAULT_DQN_CONFIG, and the training env's reward.
 * docs/dqn.md explains each choice and the measured speed.
 */
import type { EnvConfigInput } from '../env/replay-config.ts';
import type { DqnConfigInput } from './dqn-config.ts';

/**
 * DQN settings for co-inference. An action barely changes what comes next (the next request's
 * deadline, loads and bandwidth do not depend on it), so the task is nearly a contextual bandit:
 * a short horizon learns faster and with less bootstrapping noise than Atari-style settings.
 */
export const TRAIN_DQN_DEFAULTS = {
  /** Two hidden ReLU layers of 128: 23 features in (observation version 3), 41 masked actions out (~30 µs per decision in JS). */
  hidden: [128, 128],
  /** Discount per request: a short horizon (γ = 0.9 with 3-step returns learned visibly slower). */
  gamma: 0.5,
  /** 1-step returns: with γ = 0.5 longer returns add variance, not reach. */
  nStep: 1,
  /** Adam step size. */
  learningRate: 5e-4,
  /** Replay ring of 200k transitions: a few minutes of experience at the loop's speed. */
  replayCapacity: 200_000,
  /** Env steps collected (over all lanes) before the first gradient step. */
  learningStarts: 5_000,
  /** Env copies acted on together: 32 lanes make one batched forward pass per 32 env steps. */
  numEnvs: 32,
  /** Transitions per gradient step: on wasm a batch of 256 costs ~2.6× a batch of 64, so ~1.5× more samples per second of learner time. */
  batchSize: 256,
  /** One gradient step per 64 env steps (2 vector steps): replay ratio 256 / 64 = 4 samples per env step. */
  trainEvery: 64,
  /** Target net copied every 50 gradient steps (= 3,200 env steps at one step per 64). */
  targetUpdateEvery: 50,
  /** ε decays linearly from 1 over the first 100k env steps. */
  epsilonDecaySteps: 100_000,
  /** Residual exploration after the decay. */
  epsilonEnd: 0.02,
} as const satisfies DqnConfigInput;

/** Budget and evaluation cadence of a `coinfer train` run. */
export const TRAIN_RUN_DEFAULTS = {
  /** Env steps per run: 1 M took 5.5 minutes (evaluations included) on a shared 2-core machine (docs/dqn.md). */
  steps: 1_000_000,
  /** Env steps between validation evaluations, each saved as a checkpoint. */
  evalEvery: 100_000,
  /** Validation episodes (200 requests each) per evaluation. */
  evalEpisodes: 12,
} as const;

/**
 * The training env: Edgent's objective with the answering exit's accuracy, rescaled between the
 * worst and the best exit, as the reward when the deadline is met — the expectation of the
 * per-image correctness (far less variance), with the few points of accuracy between exits
 * stretched to [0, 1] so the Q-network can rank them. Evaluation still scores per-image
 * correctness. A scenario's `reward.kind` replaces the signal.
 */
export const TRAIN_ENV_DEFAULTS: EnvConfigInput = { reward: { signal: 'normalized-accuracy' }, split: 'train' };
