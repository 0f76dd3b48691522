/**
 * The observation vector (docs/environments.md): only what a real device can know, normalised
 * to about [0, 1] (trend and slacks in [-1, 1]). Layout (index: meaning):
 *  0 bandwidth estimate, log-scaled: (log10(clamp(mbps, 0.01, 100)) + 2) / 4
 *  1 bandwidth trend: tanh(trend Mbps/s)
 *  2 deadline / 1000 ms
 *  3 device load in [0, 1]
 *  4 edge load in [0, 1] as the edge last reported it (with its last reply; stale in between)
 *  5 last request hit its deadline (1/0; 1 before the first)
 *  6 last request's latency / its deadline, clamped to [0, 2], halved
 *  7 last transfer's measured throughput, log-scaled as in 0 (0.5 ≈ 1 Mbps before any)
 *  8 round-trip time the device measured on its last answered offload / 100 ms, clamped to [0, 1]
 * Version 3 appends what the device measures over recent requests (env/device-telemetry.ts)
 * and what its planner predicts (env/planner-slack.ts):
 *  9 device speed: EWMA of log2(measured / profiled compute), (x + 1) / 4 clamped (0.25 = as profiled, 0.75 = 4× slower)
 * 10 edge speed: the same for the compute time the edge's replies report
 * 11 edge queue time the replies report (EWMA), log10(1 + ms) / 4 clamped
 * 12 measured RTT, log10(1 + ms) / 3 clamped (not capped at 100 ms like 8)
 * 13 minimum of the estimator window's throughput samples, log-scaled as 0 (the estimate before any)
 * 14 spread of those samples: standard deviation of log10 Mbps, clamped to [0, 1]
 * 15 time since the last throughput sample (transfer or probe), log10(1 + s) / 3 clamped (1 before any)
 * 16 recent miss rate (EWMA over ≈ 10 requests)
 * 17 recent fallback rate (offloads the edge could not answer in time)
 * 18 planner slack of the most accurate exit run locally: (deadline − predicted) / deadline in [−1, 1]
 * 19 planner slack of the fastest local action
 * 20 planner slack of the final exit offloaded whole
 * 21 planner slack of the planner's own pick (Edgent's search over the device's profile)
 * 22 that pick's accuracy between the least (0) and most (1) accurate action; 0 when nothing fits
 *
 * The first 9 entries are exactly version 2's vector, so a version-2 network reads them as it
 * was trained ({@link observationSizeOf}). Changing what any entry means bumps
 * {@link OBSERVATION_VERSION}.
 */
import { CoinferError } from '../common/errors.ts';
import type { ActionProfile } from './action-profile.ts';
import type { DecisionContext, MeasuredSpeeds } from './decision-context.ts';
import { throughputSpread, type DeviceTelemetry } from './device-telemetry.ts';
import { writePlannerFeatures } from './planner-slack.ts';
import { Box } from './spaces.ts';

/** Length of the version-1/2 vector, the first entries of version 3's. */
export const V2_OBSERVATION_SIZE = 9;
export const OBSERVATION_SIZE = 23;

/**
 * Version of the observation's meaning, for checkpoints to record: a network trained on one
 * version reads another's vectors wrongly even when the size matches.
 * 1: edge load = the true current load, RTT = the scenario constant.
 * 2: edge load and RTT as of the last offload the edge answered (what a device can know).
 * 3: version 2 plus measured speeds, edge queue, link uncertainty, recent outcomes and planner slacks.
 */
export const OBSERVATION_VERSION = 3;

export const OBSERVATION_FIELDS = [
  'bandwidth_log', 'bandwidth_trend', 'deadline', 'device_load', 'edge_load',
  'last_hit', 'last_latency_ratio', 'last_throughput_log', 'rtt',
  'device_speed', 'edge_speed', 'edge_queue', 'rtt_log', 'bandwidth_min_log', 'bandwidth_spread',
  'since_transfer', 'recent_miss_rate', 'recent_fallback_rate',
  'slack_local_best', 'slack_local_fast', 'slack_offload', 'slack_planner', 'planner_score',
] as const;

/**
 * The vector length a network trained on observation `version` reads (its first entries of
 * the current vector).
 * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE for a version this build does not know
 */
export function observationSizeOf(version: number): number {
  if (version === 1 || version === 2) return V2_OBSERVATION_SIZE;
  if (version === OBSERVATION_VERSION) return OBSERVATION_SIZE;
  throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Expected observation version 1 to ${OBSERVATION_VERSION}, actually ${version}: the checkpoint comes from a newer coinfer; use that version`);
}

export function observationSpace(): Box {
  const low = new Array<number>(OBSERVATION_SIZE).fill(0);
  const high = new Array<number>(OBSERVATION_SIZE).fill(1);
  low[1] = -1;
  high[2] = 10; // deadlines up to 10 s
  for (let k = 18; k <= 21; k++) low[k] = -1;
  return new Box(low, high);
}

/** The last request's outcome as the device saw it. */
export interface LastOutcome {
  readonly hit: boolean;
  readonly latencyMs: number;
  readonly deadlineMs: number;
  /** Measured throughput of the last transfer, Mbps (NaN when it was local). */
  readonly throughputMbps: number;
}

export function logBandwidth(mbps: number): number {
  const m = Math.min(100, Math.max(0.01, Number.isFinite(mbps) ? mbps : 100));
  return (Math.log10(m) + 2) / 4;
}

/** Writes entries 0–8 (version 2's vector) into `out` at `offset` (no allocation; the vectorised env's hot path). */
export function writeObservation(out: Float32Array, offset: number, ctx: DecisionContext, last: LastOutcome | null): void {
  out[offset] = logBandwidth(ctx.bandwidthMbps);
  out[offset + 1] = Math.tanh(ctx.bandwidthTrendMbpsPerS);
  out[offset + 2] = Math.min(10, ctx.deadlineMs / 1000);
  out[offset + 3] = ctx.deviceLoad;
  out[offset + 4] = ctx.edgeLoad;
  out[offset + 5] = last === null || last.hit ? 1 : 0;
  out[offset + 6] = last === null ? 0 : Math.min(2, last.latencyMs / last.deadlineMs) / 2;
  out[offset + 7] = last === null || Number.isNaN(last.throughputMbps) ? logBandwidth(1) : logBandwidth(last.throughputMbps);
  out[offset + 8] = Math.min(1, ctx.rttMs / 100);
}

/** What entries 9–22 are computed from. */
export interface MeasuredInputs {
  readonly telemetry: DeviceTelemetry;
  /** The device clock now (trace time of the waiting request), ms. */
  readonly nowMs: number;
  /** The device's profile the planner predicts with. */
  readonly profile: ActionProfile;
  /** Least and most accurate action's accuracy (for the planner's pick score). */
  readonly accuracyRange: readonly [number, number];
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const speedFeature = (log2: number): number => clamp01((log2 + 1) / 4);

/**
 * The device's and the edge's measured slowness against their profiles (entries 9 and 10
 * decoded: 0.5× to 8×, 1 = as profiled), read from an observation vector at `offset`; both 1
 * for a vector shorter than version 3's (nothing measured).
 */
export function measuredSpeedsOf(observation: Float32Array, offset = 0): MeasuredSpeeds {
  if (observation.length < offset + OBSERVATION_SIZE) return { device: 1, edge: 1 };
  const o = offset + V2_OBSERVATION_SIZE;
  return { device: 2 ** (observation[o]! * 4 - 1), edge: 2 ** (observation[o + 1]! * 4 - 1) };
}

/** Writes entries 9–22 into `out` at `offset` + 9. */
export function writeMeasuredFeatures(out: Float32Array, offset: number, ctx: DecisionContext, m: MeasuredInputs): void {
  const o = offset + V2_OBSERVATION_SIZE;
  const t = m.telemetry;
  out[o] = speedFeature(t.deviceSpeedLog2);
  out[o + 1] = speedFeature(t.edgeSpeedLog2);
  out[o + 2] = clamp01(Math.log10(1 + Math.max(0, t.edgeQueueMs)) / 4);
  out[o + 3] = clamp01(Math.log10(1 + Math.max(0, ctx.rttMs)) / 3);
  const spread = throughputSpread(t);
  out[o + 4] = t.samples === 0 ? logBandwidth(ctx.bandwidthMbps) : logBandwidth(10 ** spread.minLog10);
  out[o + 5] = clamp01(spread.stdLog10);
  out[o + 6] = Number.isNaN(t.lastSampleAtMs) ? 1 : clamp01(Math.log10(1 + Math.max(0, m.nowMs - t.lastSampleAtMs) / 1000) / 3);
  out[o + 7] = t.missRate;
  out[o + 8] = t.fallbackRate;
  writePlannerFeatures(out, o + 9, m.profile, ctx, m.accuracyRange);
}
