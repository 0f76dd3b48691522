/**
 * The observation vector (docs/architecture.md §5): only what a real device can know, normalised to about
 * [0, 1] (trend in [-1, 1]). Layout (index: meaning):
 *  0 bandwidth estimate, log-scaled: (log10(clamp(mbps, 0.01, 100)) + 2) / 4
 *  1 bandwidth trend: tanh(trend Mbps/s)
 *  2 deadline / 1000 ms
 *  3 device load in [0, 1]
 *  4 edge load in [0, 1] as the edge last reported it (with its last reply; stale in between)
 *  5 last request hit its deadline (1/0; 1 before the first)
 *  6 last request's latency / its deadline, clamped to [0, 2], halved
 *  7 last transfer's measured throughput, log-scaled as in 0 (0.5 ≈ 1 Mbps before any)
 *  8 round-trip time the device measured on its last answered offload / 100 ms, clamped to [0, 1]
 *
 * Changing what any entry means bumps {@link OBSERVATION_VERSION} (docs/environments.md).
 */
import { Box } from './spaces.ts';
import type { DecisionContext } from './decision-context.ts';

export const OBSERVATION_SIZE = 9;

/**
 * Version of the observation's meaning, for checkpoints to record: a network trained on one
 * version reads another's vectors wrongly even when the size matches.
 * 1: edge load = the true current load, RTT = the scenario constant.
 * 2: edge load and RTT as of the last offload the edge answered (what a device can know).
 */
export const OBSERVATION_VERSION = 2;

export const OBSERVATION_FIELDS = [
  'bandwidth_log', 'bandwidth_trend', 'deadline', 'device_load', 'edge_load',
  'last_hit', 'last_latency_ratio', 'last_throughput_log', 'rtt',
] as const;

export function observationSpace(): Box {
  const low = new Array<number>(OBSERVATION_SIZE).fill(0);
  const high = new Array<number>(OBSERVATION_SIZE).fill(1);
  low[1] = -1;
  high[2] = 10; // deadlines up to 10 s
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

/** Writes the observation into `out` at `offset` (no allocation; the vectorised env's hot path). */
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

/** A fresh observation vector. */
export function makeObservation(ctx: DecisionContext, last: LastOutcome | null): Float32Array {
  const out = new Float32Array(OBSERVATION_SIZE);
  writeObservation(out, 0, ctx, last);
  return out;
}
