/**
 * The deadline mask: actions the planner predicts to miss the deadline by a wide margin are
 * made invalid, so the agent neither explores nor picks them. "By a wide margin": predicted
 * latency > `factor` × deadline, predicted with Edgent's model over the device's profile
 * (env/planner-slack.ts) after correcting its compute terms by the speeds the device measured
 * (observation entries 9 and 10), so a slow device does not keep actions its own timings rule
 * out. The fastest action by that prediction always stays valid.
 *
 * Computed from the observation vector and the decision context only, so the env (training)
 * and a served policy (cli/load-policy.ts) compute the same mask from the same inputs.
 */
import type { ActionProfile } from './action-profile.ts';
import { measuredSpeedsOf } from './observation.ts';
import { factoredLatencyMs, loadStretch, type PlannerInputs } from './planner-slack.ts';

/**
 * Writes the mask of action validity (1 valid) into `out` at `outOffset` (profile.size entries).
 * @param observation the current observation vector (version 3), read from `obsOffset`
 * @param factor > 0: an action is masked when predicted latency > factor × deadline
 * @returns the number of valid actions (≥ 1)
 */
export function writeDeadlineMask(out: Uint8Array, outOffset: number, p: ActionProfile, c: PlannerInputs, observation: Float32Array, obsOffset: number, factor: number): number {
  const speeds = measuredSpeedsOf(observation, obsOffset);
  const ds = speeds.device * loadStretch(c.deviceLoad);
  const es = speeds.edge * loadStretch(c.edgeLoad);
  const limitMs = factor * c.deadlineMs;
  let valid = 0, fastest = 0, fastestMs = Infinity;
  for (let a = 0; a < p.size; a++) {
    const ms = factoredLatencyMs(p, a, c, ds, es);
    if (ms < fastestMs) { fastestMs = ms; fastest = a; }
    const ok = ms <= limitMs ? 1 : 0;
    out[outOffset + a] = ok;
    valid += ok;
  }
  if (valid === 0) {
    out[outOffset + fastest] = 1;
    valid = 1;
  }
  return valid;
}
