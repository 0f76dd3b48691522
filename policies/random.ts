/** Baseline: a uniformly random valid action, from a seeded generator (reproducible). */
import { createRng } from '../common/rng.ts';
import { enumerateActions, type Action } from '../runtime/action.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import type { Policy } from './policy.ts';

export function createRandomPolicy(deps: { readonly manifest: ModelManifest; readonly actions?: readonly Action[]; readonly seed?: number }): Policy {
  const actions = deps.actions ?? enumerateActions(deps.manifest);
  if (actions.length === 0) throw new RangeError('Expected at least one candidate action, actually none');
  const rng = createRng(deps.seed ?? 0);
  return {
    name: 'random',
    decide: () => actions[rng.int(actions.length)]!,
    explain: () => `uniform over ${actions.length} actions (seed ${deps.seed ?? 0})`,
  };
}
