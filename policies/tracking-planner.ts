/**
 * The tracking planner: the calibrated planner (Edgent's search over fused per-stage latency
 * fits) with its compute terms scaled by how much slower than their profiles the device and the
 * edge were measured to run (the context's `measuredSpeeds`: the device's own compute times, the
 * compute times the edge's replies report; else observation entries 9 and 10, which clamp at
 * 8×). A model-based baseline that knows what the agent's observation knows of a throttled
 * device or a slow edge; Edgent and the calibrated planner plan with the profiles as they are.
 */
import { measuredSpeedsOf } from '../env/observation.ts';
import { createCalibratedPlannerPolicy } from './calibrated-planner.ts';
import { searchPolicy } from './edgent.ts';
import { createPlanner, type PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';
import { createLatencyTableFromStages } from '../runtime/profile/latency-predictor.ts';

/** @throws CoinferError ERR_PROFILE_NOT_FOUND when `deps` carries no stage profiles (as the calibrated planner) */
export function createTrackingPlannerPolicy(deps: PolicyDeps): Policy {
  if (!deps.stageProfiles) return createCalibratedPlannerPolicy(deps); // throws its error
  const planner = createPlanner(deps, createLatencyTableFromStages(deps.manifest, deps.stageProfiles.device, deps.stageProfiles.edge));
  return searchPolicy('tracking', planner, 'fused per-stage model × measured speeds', (obs, ctx) => ctx.measuredSpeeds ?? measuredSpeedsOf(obs));
}
