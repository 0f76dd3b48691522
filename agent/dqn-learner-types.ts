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

/** Adam's state and the learner's step count, as typed arrays (saved in a checkpoint's learner state). */
export interface OptimizerState {
  /** Learner gradient steps (drives the target-sync schedule). */
  readonly gradientSteps: number;
  /** Adam's iteration count (its int32 `iter` weight). */
  readonly iterations: number;
  /** Adam's running β1^t and β2^t (null: not readable from this tfjs version; setWeights recomputes them). */
  readonly accBeta1: number | null;
  readonly accBeta2: number | null;
  /** First moments then second moments, one per trainable variable in order; empty before the first step. */
  readonly moments: readonly { readonly shape: readonly number[]; readonly values: Float32Array }[];
}
