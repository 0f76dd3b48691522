/**
 * What another policy's choice would have earned on the request just decided: exactly, from
 * the replay env's true outcome of that action (its oracle view), or estimated from a
 * planner's latency prediction where the world does not tell (the live env). Used by the
 * online learner's rollback guard to compare against the frozen policy on the same requests.
 */
import type { DecisionContext } from '../env/decision-context.ts';
import { exitAccuracies } from '../env/action-table.ts';
import { computeReward } from '../env/reward.ts';
import type { RewardConfig } from '../env/reward.ts';
import type { VecReplayEnv } from '../env/vec-replay-env.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import type { Planner } from './model-planner.ts';
import { CoinferError } from '../common/errors.ts';

/** The outcome of action index `a` on the waiting request, scored as the replay env's step scores it. */
export interface ShadowOutcome {
  readonly reward: number;
  readonly hit: boolean;
  readonly correct: boolean;
}

/**
 * The true outcome of action `a` on lane 0's waiting request, as `step(a)` would report it
 * (same reward), without stepping.
 * @param ctx the env's `oracleContext()` for that request
 */
export function replayShadow(vec: VecReplayEnv, ctx: DecisionContext, a: number): ShadowOutcome {
  if (!ctx.oracle) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected the replay env\'s oracleContext() (with the true outcomes), actually a context without one');
  const o = ctx.oracle.outcome(vec.codec.actions[a]!);
  const hit = o.totalMs <= ctx.deadlineMs;
  // a fallback (an offload the edge did not answer) answers with its local exit's f32 accuracy
  const fallback = vec.table.local[a] !== 1 && o.edgeMs === 0;
  const acc = exitAccuracies(vec.manifest);
  const exitAccuracy = fallback ? acc[o.answeredExit - 1]! : vec.table.accuracy[a]!;
  const reward = computeReward(vec.config.reward, { hit, correct: o.correct, exitAccuracy, accuracyRange: [Math.min(...acc), Math.max(...acc)], energyMj: o.energyMj });
  return { reward, hit, correct: o.correct };
}

/**
 * The planner's estimate of what action index `a` (planner.actions[a]) earns: on time when its
 * predicted latency fits the deadline, credited with its action's accuracy score (the expected
 * correctness) and its predicted energy.
 */
export function predictedReward(planner: Planner, o: { readonly manifest: ModelManifest; readonly reward: RewardConfig }, ctx: DecisionContext, a: number): number {
  const p = planner.predict(planner.actions[a]!, ctx);
  const acc = exitAccuracies(o.manifest);
  const score = planner.actionScore[a]!;
  const exitAccuracy = score <= 1 ? score : acc[planner.actions[a]!.exit - 1]!;
  return computeReward(o.reward, { hit: p.totalMs <= ctx.deadlineMs, correct: exitAccuracy >= 0.5, exitAccuracy, accuracyRange: [Math.min(...acc), Math.max(...acc)], energyMj: p.energyMj });
}
