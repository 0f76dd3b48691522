/**
 * The one interface every decision maker implements (docs/architecture.md §8): the DQN agent and the
 * baselines alike. A policy sees the normalised observation vector (what the agent learns
 * from) and the same facts in physical units (what the model-based baselines plan with).
 */
import type { DecisionContext } from '../env/decision-context.ts';
import type { Action } from '../runtime/action.ts';

export interface Policy {
  /** Stable name used in reports and by `createPolicy` (e.g. 'edgent', 'oracle'). */
  readonly name: string;
  /**
   * Chooses the action for the request at hand. Must not keep references to `observation`
   * (the env reuses its buffer).
   */
  decide(observation: Float32Array, context: DecisionContext): Action;
  /** One line saying why `decide` would choose what it chooses here (for logs and demos). */
  explain?(observation: Float32Array, context: DecisionContext): string;
}
