/**
 * The calibrated planner: Edgent's exhaustive search and objective (the most accurate exit that
 * is predicted to meet the deadline, fastest among equals), but predicting with fused per-stage
 * latency fits of what the runtime really executes (runtime/profile/stage-fit.ts) instead of
 * Edgent's per-layer regressions. The strongest model-based baseline: it differs from `edgent`
 * only in how well its latency model matches the machine.
 */
import { CoinferError } from '../common/errors.ts';
import { createLatencyTableFromStages } from '../runtime/profile/latency-predictor.ts';
import { searchPolicy } from './edgent.ts';
import { createPlanner, type Planner, type PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';

/**
 * A planner over the fused per-stage fits (the calibrated and the tracking planner's).
 * @param who the policy's name, for the error
 * @throws CoinferError ERR_PROFILE_NOT_FOUND when `deps` carries no stage profiles
 */
export function createStagePlanner(deps: PolicyDeps, who: string): Planner {
  if (!deps.stageProfiles) {
    throw new CoinferError('ERR_PROFILE_NOT_FOUND', `The ${who} planner needs fused per-stage latency fits of ${deps.manifest.name}'s device and edge; the replay env derives them from its compute times, and \`coinfer profile --model DIR --side device|edge\` fits them on a machine`);
  }
  return createPlanner(deps, createLatencyTableFromStages(deps.manifest, deps.stageProfiles.device, deps.stageProfiles.edge));
}

/** @throws CoinferError ERR_PROFILE_NOT_FOUND when `deps` carries no stage profiles */
export function createCalibratedPlannerPolicy(deps: PolicyDeps): Policy {
  return searchPolicy('calibrated', createStagePlanner(deps, 'calibrated'), 'fused per-stage model');
}
