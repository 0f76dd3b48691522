/**
 * The tracking planner: the calibrated planner (Edgent's search over fused per-stage latency
 * fits) with its compute terms scaled by how much slower than their profiles the device and the
 * edge were measured to run (the context's `measuredSpeeds`: the device's own compute times, the
 * compute times the edge's replies report; else observation entries 9 and 10, which clamp at
 * 8×). A model-based baseline that knows what the agent's observation knows of a throttled
 * device or a slow edge; Edgent and the calibrated planner plan with the profiles as they are.
 */
import type { DecisionContext, MeasuredSpeeds } from '../env/decision-context.ts';
import { measuredSpeedsOf } from '../env/observation.ts';
import { createStagePlanner } from './calibrated-planner.ts';
import { searchPolicy } from './edgent.ts';
import type { PolicyDeps } from './model-planner.ts';
import type { Policy } from './policy.ts';

/** The speeds a measuring planner plans with: the context's (unclamped), else the observation's entries 9 and 10. */
export const planningSpeeds = (observation: Float32Array, context: DecisionContext): MeasuredSpeeds => context.measuredSpeeds ?? measuredSpeedsOf(observation);

/** @throws CoinferError ERR_PROFILE_NOT_FOUND when `deps` carries no stage profiles */
export function createTrackingPlannerPolicy(deps: PolicyDeps): Policy {
  return searchPolicy('tracking', createStagePlanner(deps, 'tracking'), 'fused per-stage model × measured speeds', planningSpeeds);
}
