/**
 * BranchyNet-style early exit on the device alone (Teerapittayanon et al., ICPR 2016, with
 * Edgent's latency-driven exit choice): never offloads; takes the most accurate exit whose
 * predicted device time fits the deadline, else the fastest exit.
 */
import { actionLabel, isLocal } from '../runtime/action.ts';
import { edgentSearch } from './edgent.ts';
import { createPlanner, describePrediction, type PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';

export function createBranchyNetPolicy(deps: PolicyDeps): Policy {
  const base = createPlanner(deps);
  const planner = createPlanner({ ...deps, actions: base.actions.filter((a) => isLocal(deps.manifest, a)) });
  const choose = (ctx: Parameters<Policy['decide']>[1]) => {
    const preds = planner.predictAll(ctx);
    const { index, feasible } = edgentSearch(planner, preds, ctx.deadlineMs);
    return { action: planner.actions[index]!, pred: preds[index]!, feasible };
  };
  return {
    name: 'branchynet',
    decide: (_obs, ctx) => choose(ctx).action,
    explain: (_obs, ctx) => {
      const { action, pred, feasible } = choose(ctx);
      return `${describePrediction(actionLabel(deps.manifest, action), pred)}; ${feasible ? 'the most accurate exit that fits on the device' : 'no exit fits: the fastest'}`;
    },
  };
}
