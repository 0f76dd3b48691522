/**
 * What a device measures about itself, the edge and the link over recent requests (observation
 * version 3): its compute speed against its profile, the edge's reported compute speed and
 * queue time, the spread and minimum of its recent throughput samples, when it last sent
 * anything, and how often it recently missed or fell back. One mutable record per episode,
 * folded in place from each served request (no allocation); the replay and live envs fold
 * the same fields with the same functions (env/request-stream.ts).
 */
import type { ActionProfile } from './action-profile.ts';

/** Weight of the newest request in the speed and queue averages (≈ the last 4 requests). */
export const SPEED_EWMA_ALPHA = 0.25;
/** Weight of the newest request in the miss and fallback rates (≈ the last 10 requests). */
export const OUTCOME_EWMA_ALPHA = 0.1;
/** Bandwidth surprises kept (≈ the last 30 s of requests at the default 1 s interval). */
export const SURPRISE_WINDOW = 32;
/** Below this predicted compute, ms, a request tells nothing about speed (e.g. raw-input offloads). */
const MIN_PREDICTED_MS = 0.05;

export interface DeviceTelemetry {
  /** EWMA of log2(measured / predicted device compute), the known load's stretch included in the prediction; 0 = as profiled. */
  deviceSpeedLog2: number;
  /** EWMA of log2(reported / predicted edge compute) over answered offloads. */
  edgeSpeedLog2: number;
  /** Speed samples folded so far (device, edge): the first ones average instead of shrinking to the prior. */
  deviceSpeedSamples: number;
  edgeSpeedSamples: number;
  /** EWMA of the queue time the edge reported, ms. */
  edgeQueueMs: number;
  /** The last `window` throughput samples' log10 Mbps (ring). */
  readonly throughputLog10: Float64Array;
  /** Samples in the ring, 0..window. */
  samples: number;
  next: number;
  /** Device clock (trace time) of the last throughput sample, ms; NaN before any. */
  lastSampleAtMs: number;
  /** EWMA of deadline misses (1 = missed). */
  missRate: number;
  /** EWMA of fallbacks (an offload answered by a local exit). */
  fallbackRate: number;
  /**
   * The last SURPRISE_WINDOW bandwidth surprises (ring): ln(measured throughput / the estimate the
   * device held just before measuring it). How wrong its own estimate has lately been, which is
   * what a risk-aware planner needs (policies/risk-aware-planner.ts).
   */
  readonly bandwidthSurpriseLn: Float64Array;
  surpriseSamples: number;
  surpriseNext: number;
}

export function newTelemetry(window: number): DeviceTelemetry {
  return {
    deviceSpeedLog2: 0, edgeSpeedLog2: 0, deviceSpeedSamples: 0, edgeSpeedSamples: 0, edgeQueueMs: 0, throughputLog10: new Float64Array(Math.max(1, window)),
    samples: 0, next: 0, lastSampleAtMs: Number.NaN, missRate: 0, fallbackRate: 0,
    bandwidthSurpriseLn: new Float64Array(SURPRISE_WINDOW), surpriseSamples: 0, surpriseNext: 0,
  };
}

/** Records how a throughput sample compares with the estimate held before it (both Mbps > 0). */
export function recordBandwidthSurprise(t: DeviceTelemetry, measuredMbps: number, estimateMbps: number): void {
  if (!(measuredMbps > 0 && estimateMbps > 0) || !Number.isFinite(measuredMbps) || !Number.isFinite(estimateMbps)) return;
  t.bandwidthSurpriseLn[t.surpriseNext] = Math.log(measuredMbps / estimateMbps);
  t.surpriseNext = (t.surpriseNext + 1) % t.bandwidthSurpriseLn.length;
  t.surpriseSamples = Math.min(t.surpriseSamples + 1, t.bandwidthSurpriseLn.length);
}

/** Records a throughput sample (a transfer or a probe) taken at `atMs` on the device clock. */
export function recordThroughput(t: DeviceTelemetry, mbps: number, atMs: number): void {
  if (!(mbps > 0) || !Number.isFinite(mbps)) return;
  t.throughputLog10[t.next] = Math.log10(mbps);
  t.next = (t.next + 1) % t.throughputLog10.length;
  t.samples = Math.min(t.samples + 1, t.throughputLog10.length);
  t.lastSampleAtMs = atMs;
}

/** Min and standard deviation of the ring's log10 Mbps (NaN, 0 without samples). */
export function throughputSpread(t: DeviceTelemetry): { readonly minLog10: number; readonly stdLog10: number } {
  if (t.samples === 0) return { minLog10: Number.NaN, stdLog10: 0 };
  let min = Infinity, sum = 0, sq = 0;
  for (let i = 0; i < t.samples; i++) {
    const v = t.throughputLog10[i]!;
    if (v < min) min = v;
    sum += v;
    sq += v * v;
  }
  const mean = sum / t.samples;
  return { minLog10: min, stdLog10: Math.sqrt(Math.max(0, sq / t.samples - mean * mean)) };
}

/** What the device measured on one served request (times as its runtime and the edge's reply report them). */
export interface ServedTelemetry {
  /** The chosen action's codec index. */
  readonly actionIndex: number;
  /** The exit that answered after a fallback (1-based), or 0 when there was none. */
  readonly fallbackExit: number;
  /** Device compute, ms (the fallback's local run included). */
  readonly deviceMs: number;
  /** Device load the request ran under, in [0, 1) (known to the device). */
  readonly deviceLoad: number;
  /** The edge's reported compute and queue times, ms (NaN without a reply). */
  readonly edgeComputeMs: number;
  readonly edgeQueueMs: number;
  readonly hit: boolean;
}

const ewma = (old: number, x: number, alpha: number): number => old + alpha * (x - old);
/**
 * Weight of the n-th speed sample: the mean of the samples so far until there are 1/α of them,
 * then the EWMA's α. The profile's word (0) is a prior, not a measurement: shrinking the first
 * samples toward it left a 4× slower device planning as a 1.4× slower one on its first request.
 */
const speedWeight = (n: number): number => Math.max(SPEED_EWMA_ALPHA, 1 / n);

/** Folds one served request into the telemetry. */
export function recordServed(t: DeviceTelemetry, p: ActionProfile, s: ServedTelemetry): void {
  let predicted = p.deviceMs[s.actionIndex]!;
  if (s.fallbackExit > 0) predicted += p.deviceMs[p.localOfExit[s.fallbackExit - 1]!]!;
  predicted /= 1 - Math.min(0.99, Math.max(0, s.deviceLoad));
  if (predicted >= MIN_PREDICTED_MS && s.deviceMs > 0) {
    t.deviceSpeedLog2 = ewma(t.deviceSpeedLog2, Math.log2(s.deviceMs / predicted), speedWeight(++t.deviceSpeedSamples));
  }
  const edgePredicted = p.edgeMs[s.actionIndex]!;
  if (Number.isFinite(s.edgeComputeMs) && s.edgeComputeMs > 0 && edgePredicted >= MIN_PREDICTED_MS) {
    t.edgeSpeedLog2 = ewma(t.edgeSpeedLog2, Math.log2(s.edgeComputeMs / edgePredicted), speedWeight(++t.edgeSpeedSamples));
  }
  if (Number.isFinite(s.edgeQueueMs) && s.edgeQueueMs >= 0) t.edgeQueueMs = ewma(t.edgeQueueMs, s.edgeQueueMs, SPEED_EWMA_ALPHA);
  t.missRate = ewma(t.missRate, s.hit ? 0 : 1, OUTCOME_EWMA_ALPHA);
  t.fallbackRate = ewma(t.fallbackRate, s.fallbackExit > 0 ? 1 : 0, OUTCOME_EWMA_ALPHA);
}
