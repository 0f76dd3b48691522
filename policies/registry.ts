/**
 * Policies by name: the one place the CLI and the evaluation turn a name into a Policy.
 * ('dqn:<checkpoint>' joins when the agent can load checkpoints.)
 */
import { CoinferError } from '../common/errors.ts';
import { createBranchyNetPolicy } from './branchynet.ts';
import { createCalibratedPlannerPolicy } from './calibrated-planner.ts';
import { createDeviceOnlyPolicy } from './device-only.ts';
import { createEdgeOnlyPolicy } from './edge-only.ts';
import { createEdgentPolicy } from './edgent.ts';
import type { PolicyDeps } from './model-planner.ts';
import { createNeurosurgeonPolicy } from './neurosurgeon.ts';
import { createOraclePolicy } from './oracle.ts';
import type { Policy } from './policy.ts';
import { createRandomPolicy } from './random.ts';
import { createRiskAwarePlannerPolicy } from './risk-aware-planner.ts';
import { createTrackingPlannerPolicy } from './tracking-planner.ts';

export type { PolicyDeps } from './model-planner.ts';

const FACTORIES = {
  'edgent': createEdgentPolicy,
  'calibrated': createCalibratedPlannerPolicy,
  'tracking': createTrackingPlannerPolicy,
  'risk-aware': createRiskAwarePlannerPolicy,
  'device-only': createDeviceOnlyPolicy,
  'edge-only': createEdgeOnlyPolicy,
  'neurosurgeon': createNeurosurgeonPolicy,
  'branchynet': createBranchyNetPolicy,
  'random': createRandomPolicy,
  'oracle': createOraclePolicy,
} as const satisfies Record<string, (deps: PolicyDeps) => Policy>;

export type BaselineName = keyof typeof FACTORIES;

/** The baseline names `createPolicy` knows, in report order. */
export const BASELINE_NAMES = Object.keys(FACTORIES) as BaselineName[];

/**
 * Creates a policy by name.
 * @throws CoinferError ERR_POLICY_UNKNOWN listing the valid names.
 */
export function createPolicy(name: string, deps: PolicyDeps): Policy {
  if (!Object.hasOwn(FACTORIES, name)) {
    throw new CoinferError('ERR_POLICY_UNKNOWN', `Unknown policy '${name}'; expected one of ${BASELINE_NAMES.join(', ')}`);
  }
  return FACTORIES[name as BaselineName](deps);
}
