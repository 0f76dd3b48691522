/** The records DqnLearner takes and returns (agent/dqn-learner.ts keeps the update itself on one page). */
import type { DqnConfig } from './dqn-config.ts';
import type { NetworkWeights } from './q-network.ts';

export interface DqnLearnerOptions {
  readonly config: DqnConfig;
  readonly observationSize: number;
  readonly actionCount: number;
  /** Start from these weights (e.g. a checkpoint's) instead of a seeded fresh initialisation. */
  readonly initialWeights?: NetworkWeights;
}

export interface TrainStepResult {
  /** Batch loss: mean over the batch of IS-weight × Huber(δ). */
  readonly tdLoss: number;
  /** Mean Q(s, a) of the taken actions, under the online net before the step. */
  readonly meanQ: number;
  /** |δ| per batch row (for priority updates). */
  readonly tdErrors: Float32Array;
}

export interface TrainRoundResult {
  /** Mean batch loss over the round's gradient steps. */
  readonly tdLoss: number;
  /** Mean Q(s, a) of the sampled actions over the round. */
  readonly meanQ: number;
  /** Learner gradient steps in total after this round. */
  readonly gradientSteps: number;
  /** Whether the target net was updated during the round. */
  readonly targetUpdated: boolean;
}
