/**
 * Edgent's runtime optimiser (Li, Zhou, Chen 2018, §IV): exhaustive search over every
 * (exit, partition, encoding) with the regression latency models and the current bandwidth
 * estimate. Maximise the exit's accuracy subject to predicted latency ≤ deadline; among equally
 * accurate choices take the lowest predicted latency. When nothing fits, take the fastest
 * action (Edgent itself would report failure; a request still needs an answer).
 */
import type { DecisionContext, MeasuredSpeeds } from '../env/decision-context.ts';
import { actionLabel, type Action } from '../runtime/action.ts';
import type { LatencyPrediction } from '../runtime/profile/latency-predictor.ts';
import { argmin, createPlanner, describePrediction, type Planner, type PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';

/** The chosen index into `planner.actions` and whether it met the deadline. */
export function edgentSearch(planner: Planner, preds: readonly LatencyPrediction[], deadlineMs: number): { index: number; feasible: boolean } {
  let best = -1;
  for (let i = 0; i < preds.length; i++) {
    if (!(preds[i]!.totalMs <= deadlineMs)) continue;
    if (best === -1) { best = i; continue; }
    const s = planner.actionScore[i]!;
    const sb = planner.actionScore[best]!;
    if (s > sb || (s === sb && preds[i]!.totalMs < preds[best]!.totalMs)) best = i;
  }
  if (best >= 0) return { index: best, feasible: true };
  return { index: argmin(preds.length, (i) => preds[i]!.totalMs), feasible: false };
}

/**
 * A policy that runs Edgent's search over a planner's predictions (Edgent and the calibrated
 * planner differ only in the planner's latency model, named in explanations).
 * @param speedsOf the measured speeds to plan with; default none (as profiled)
 */
export function searchPolicy(name: string, planner: Planner, model: string, speedsOf?: (observation: Float32Array, context: DecisionContext) => MeasuredSpeeds): Policy {
  const choose = (obs: Float32Array, ctx: DecisionContext): { action: Action; pred: LatencyPrediction; feasible: boolean } => {
    const preds = planner.predictAll(ctx, speedsOf?.(obs, ctx));
    const { index, feasible } = edgentSearch(planner, preds, ctx.deadlineMs);
    return { action: planner.actions[index]!, pred: preds[index]!, feasible };
  };
  return {
    name,
    decide: (obs, ctx) => choose(obs, ctx).action,
    explain: (obs, ctx) => {
      const { action, pred, feasible } = choose(obs, ctx);
      const why = feasible
        ? `the most accurate action that fits ${ctx.deadlineMs} ms at ${ctx.bandwidthMbps.toFixed(3)} Mbps (${model})`
        : `nothing fits ${ctx.deadlineMs} ms at ${ctx.bandwidthMbps.toFixed(3)} Mbps (${model}): the fastest action`;
      return `${describePrediction(actionLabel(planner.manifest, action), pred)}; ${why}`;
    },
  };
}

export function createEdgentPolicy(deps: PolicyDeps): Policy {
  return searchPolicy('edgent', createPlanner(deps), 'per-layer regressions');
}
