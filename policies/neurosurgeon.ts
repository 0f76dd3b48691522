/**
 * Neurosurgeon (Kang et al., ASPLOS 2017) adapted to our actions: no early exits (always the
 * final exit); the partition and wire encoding that minimise predicted end-to-end latency.
 */
import { actionLabel } from '../runtime/action.ts';
import { argmin, createPlanner, describePrediction, type PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';

export function createNeurosurgeonPolicy(deps: PolicyDeps): Policy {
  const finalExit = deps.manifest.exits.length;
  const base = createPlanner(deps);
  const planner = createPlanner({ ...deps, actions: base.actions.filter((a) => a.exit === finalExit) });
  const choose = (ctx: Parameters<Policy['decide']>[1]) => {
    const preds = planner.predictAll(ctx);
    const i = argmin(preds.length, (k) => preds[k]!.totalMs);
    return { action: planner.actions[i]!, pred: preds[i]! };
  };
  return {
    name: 'neurosurgeon',
    decide: (_obs, ctx) => choose(ctx).action,
    explain: (_obs, ctx) => {
      const { action, pred } = choose(ctx);
      return `${describePrediction(actionLabel(deps.manifest, action), pred)}; the fastest split of the final exit`;
    },
  };
}
