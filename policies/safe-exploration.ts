/**
 * Exploration that a real device can afford: an exploring request takes a random action only
 * among those the planner's latency model predicts to finish with a safe slack before the
 * deadline (predicted total ≤ deadline · (1 − slackShare)) and, by default, that would answer
 * at least as accurately as the greedy action (no exploration downward, where a request can
 * only earn less once it is on time); when none qualifies the request is served greedily.
 */
import type { Rng } from '../common/rng.ts';
import type { DecisionContext } from '../env/decision-context.ts';
import type { Planner } from './model-planner.ts';

export interface SafeExplorationConfig {
  /** Share of requests that explore, in [0, 1]. */
  readonly epsilon: number;
  /** Required predicted slack as a share of the deadline, in [0, 1); 0 = just predicted on time. */
  readonly slackShare: number;
  /** false: explore among every valid action (to measure what safety buys). */
  readonly safe: boolean;
  /** true: explore only actions whose accuracy score is at least the greedy action's. */
  readonly upward: boolean;
}

export const DEFAULT_SAFE_EXPLORATION: SafeExplorationConfig = { epsilon: 0.02, slackShare: 0.25, safe: true, upward: true };

/** Clears, in `mask`, action `greedy` and the actions whose accuracy score (planner.actionScore) is below its. */
export function keepAsAccurate(planner: Planner, greedy: number, mask: Uint8Array): Uint8Array {
  const g = planner.actionScore[greedy]!;
  for (let i = 0; i < mask.length; i++) if (i === greedy || !(planner.actionScore[i]! >= g)) mask[i] = 0;
  return mask;
}

/**
 * 1 where action i (planner.actions[i], index-aligned with the env codec) is valid and
 * predicted to leave the required slack. Writes into `out` when given.
 */
export function safeActionMask(planner: Planner, ctx: DecisionContext, o: { readonly slackShare: number; readonly valid: Uint8Array; readonly out?: Uint8Array }): Uint8Array {
  if (!(o.slackShare >= 0 && o.slackShare < 1)) throw new RangeError(`Expected slackShare in [0, 1), actually ${o.slackShare}`);
  const n = planner.actions.length;
  if (o.valid.length !== n) throw new RangeError(`Expected a valid-action mask of length ${n}, actually ${o.valid.length}`);
  const out = o.out ?? new Uint8Array(n);
  const limitMs = ctx.deadlineMs * (1 - o.slackShare);
  for (let i = 0; i < n; i++) out[i] = o.valid[i] === 1 && planner.predict(planner.actions[i]!, ctx).totalMs <= limitMs ? 1 : 0;
  return out;
}

/** A uniformly drawn index among the 1s of `candidates` (one `rng.int`), or −1 when there is none (no draw). */
export function uniformAmong(candidates: Uint8Array, rng: Rng): number {
  let count = 0;
  for (let i = 0; i < candidates.length; i++) count += candidates[i] === 1 ? 1 : 0;
  if (count === 0) return -1;
  let k = rng.int(count);
  for (let i = 0; i < candidates.length; i++) if (candidates[i] === 1 && k-- === 0) return i;
  return -1;
}
