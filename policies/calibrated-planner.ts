/**
 * The calibrated planner: Edgent's exhaustive search and objective (the most accurate exit that
 * is predicted to meet the deadline, fastest among equals), but predicting with fused per-stage
 * latency fits of what the runtime really executes (runtime/profile/stage-fit.ts) instead of
 * Edgent's per-layer regressions. The strongest model-based baseline: it differs from `edgent`
 * only in how well its latency model matches the machine.
 */
import { CoinferError } from '../common/errors.ts';
import type { DecisionContext } from '../env/decision-context.ts';
import { actionLabel, type Action } from '../runtime/action.ts';
import { createLatencyTableFromStages, type LatencyPrediction } from '../runtime/profile/latency-predictor.ts';
import { edgentSearch } from './edgent.ts';
import { createPlanner, describePrediction, type PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';

/** @throws CoinferError ERR_PROFILE_NOT_FOUND when `deps` carries no stage profiles */
export function createCalibratedPlannerPolicy(deps: PolicyDeps): Policy {
  if (!deps.stageProfiles) {
    throw new CoinferError('ERR_PROFILE_NOT_FOUND', `The calibrated planner needs fused per-stage latency fits of ${deps.manifest.name}'s device and edge; the replay env derives them from its compute times, and \`coinfer profile --model DIR --side device|edge\` fits them on a machine`);
  }
  const planner = createPlanner(deps, createLatencyTableFromStages(deps.manifest, deps.stageProfiles.device, deps.stageProfiles.edge));
  const choose = (ctx: DecisionContext): { action: Action; pred: LatencyPrediction; feasible: boolean } => {
    const preds = planner.predictAll(ctx);
    const { index, feasible } = edgentSearch(planner, preds, ctx.deadlineMs);
    return { action: planner.actions[index]!, pred: preds[index]!, feasible };
  };
  return {
    name: 'calibrated',
    decide: (_obs, ctx) => choose(ctx).action,
    explain: (_obs, ctx) => {
      const { action, pred, feasible } = choose(ctx);
      const why = feasible ? `the most accurate exit that fits ${ctx.deadlineMs} ms (calibrated stage model)` : `nothing fits ${ctx.deadlineMs} ms: the fastest action`;
      return `${describePrediction(actionLabel(planner.manifest, action), pred)}; ${why}`;
    },
  };
}
