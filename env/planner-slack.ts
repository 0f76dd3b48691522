/**
 * The planner's view of the waiting request, as observation features: the predicted slack
 * (deadline − predicted latency, over the deadline) of a few candidate actions and of the
 * action Edgent's search would pick, predicted the way Edgent predicts (the device's profile,
 * the bandwidth estimate, the measured RTT, compute × 1/(1 − load) on each side). The agent
 * sees these beside the measured speeds, so it can learn where the model is right and where
 * the world has moved away from it. Pure; allocates nothing.
 */
import type { ActionProfile } from './action-profile.ts';

/** What a prediction needs of the decision context (physical units). */
export interface PlannerInputs {
  readonly deadlineMs: number;
  readonly bandwidthMbps: number;
  readonly rttMs: number;
  readonly deviceLoad: number;
  readonly edgeLoad: number;
}

/** How much a side's compute stretches under background load (1 / (1 − load), load clamped to [0, 0.99]). */
export const loadStretch = (load: number): number => 1 / (1 - Math.min(0.99, Math.max(0, load)));

/**
 * Predicted latency of action `a`, ms (Edgent's model over the profile), with the device's and
 * the edge's compute × `deviceFactor` and `edgeFactor` (load stretch, measured slowness).
 */
export function factoredLatencyMs(p: ActionProfile, a: number, c: Pick<PlannerInputs, 'bandwidthMbps' | 'rttMs'>, deviceFactor: number, edgeFactor: number): number {
  const deviceMs = p.deviceMs[a]! * deviceFactor;
  if (p.local[a]) return deviceMs;
  const mbps = c.bandwidthMbps > 0 ? c.bandwidthMbps : 1e-6;
  return deviceMs + (p.bytes[a]! * 8) / (mbps * 1000) + c.rttMs + p.edgeMs[a]! * edgeFactor;
}

/** Predicted latency of action `a`, ms (Edgent's model over the profile, loads stretching compute). */
export function plannedLatencyMs(p: ActionProfile, a: number, c: PlannerInputs): number {
  return factoredLatencyMs(p, a, c, loadStretch(c.deviceLoad), loadStretch(c.edgeLoad));
}

/** (deadline − predicted) / deadline, clamped to [−1, 1]. */
export function slackOf(deadlineMs: number, predictedMs: number): number {
  const s = (deadlineMs - predictedMs) / Math.max(1e-9, deadlineMs);
  return Math.max(-1, Math.min(1, s));
}

/**
 * Edgent's search over the profile: the most accurate action predicted to fit, the faster on
 * equal accuracy; when none fits, the fastest.
 */
export function plannerPick(p: ActionProfile, c: PlannerInputs): { readonly action: number; readonly latencyMs: number; readonly feasible: boolean } {
  let best = -1, bestMs = Infinity, fastest = 0, fastestMs = Infinity;
  const ds = loadStretch(c.deviceLoad), es = loadStretch(c.edgeLoad);
  for (let a = 0; a < p.size; a++) {
    const ms = factoredLatencyMs(p, a, c, ds, es);
    if (ms < fastestMs) { fastest = a; fastestMs = ms; }
    if (!(ms <= c.deadlineMs)) continue;
    if (best < 0 || p.accuracy[a]! > p.accuracy[best]! || (p.accuracy[a] === p.accuracy[best] && ms < bestMs)) { best = a; bestMs = ms; }
  }
  return best >= 0 ? { action: best, latencyMs: bestMs, feasible: true } : { action: fastest, latencyMs: fastestMs, feasible: false };
}

/** The planner features, in observation order (see env/observation.ts). */
export interface PlannerFeatures {
  /** Slack of the most accurate exit run locally. */
  readonly slackLocalBest: number;
  /** Slack of the fastest local action. */
  readonly slackLocalFast: number;
  /** Slack of the final exit offloaded whole. */
  readonly slackOffload: number;
  /** Slack of the planner's pick. */
  readonly slackPick: number;
  /** The pick's accuracy rescaled between the least and most accurate action (0 when nothing fits). */
  readonly pickScore: number;
}

/** Writes the five planner features into `out` at `offset`. */
export function writePlannerFeatures(out: Float32Array, offset: number, p: ActionProfile, c: PlannerInputs, accuracyRange: readonly [number, number]): void {
  const d = c.deadlineMs;
  out[offset] = slackOf(d, plannedLatencyMs(p, p.localBest, c));
  out[offset + 1] = slackOf(d, plannedLatencyMs(p, p.localFast, c));
  out[offset + 2] = slackOf(d, plannedLatencyMs(p, p.offloadFinal, c));
  const pick = plannerPick(p, c);
  out[offset + 3] = slackOf(d, pick.latencyMs);
  const [lo, hi] = accuracyRange;
  out[offset + 4] = !pick.feasible ? 0 : hi > lo ? Math.max(0, Math.min(1, (p.accuracy[pick.action]! - lo) / (hi - lo))) : 1;
}
