/**
 * Transition records (named fields, never positional arrays): what one env step produced, and
 * what the replay memory stores after n-step accumulation.
 */

/** One environment step, as the env (or the live runtime) reported it. */
export interface Transition {
  /** Observation the action was chosen in. */
  readonly observation: Float32Array;
  /** Action index taken. */
  readonly action: number;
  /** Reward of this step. */
  readonly reward: number;
  /** Observation after the step (for a truncated episode: the final observation). */
  readonly nextObservation: Float32Array;
  /** The MDP ended: no bootstrapping from `nextObservation`. */
  readonly terminated: boolean;
  /** An outside limit cut the episode: bootstrap from `nextObservation`, then start afresh. */
  readonly truncated: boolean;
  /** Valid actions in `nextObservation` (1 = valid). */
  readonly nextActionMask: Uint8Array;
}

/**
 * A stored (possibly n-step) transition: target = reward + discount · max_a' Q(nextObservation, a').
 * `discount` = γ^k for a k-step return that bootstraps, 0 when the episode terminated.
 */
export interface ReplayTransition {
  readonly observation: Float32Array;
  readonly action: number;
  /** Discounted sum of the k rewards: Σ_{i<k} γ^i r_i. */
  readonly reward: number;
  readonly nextObservation: Float32Array;
  /** Bootstrap factor in [0, 1]: γ^k, or 0 after termination. */
  readonly discount: number;
  readonly nextActionMask: Uint8Array;
}
