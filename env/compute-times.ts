/**
 * Compute-time tables for the replay env: per backbone stage and per exit head, on each side,
 * a base time in ms plus a distribution of multiplicative jitter drawn from real repeated
 * measurements (sample / median), so that replayed latencies carry the measured spread and
 * not just the regression mean.
 */
import type { LayerRegressionProfile } from '../runtime/profile/layer-regression.ts';
import { predictLayersMs } from '../runtime/profile/layer-regression.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import type { StageLatencyProfile } from '../runtime/profile/stage-fit.ts';

export interface SideTimes {
  /** stageMs[i] = time of backbone stage i+1, ms. */
  readonly stageMs: readonly number[];
  /** headMs[j] = time of exit j+1's head, ms. */
  readonly headMs: readonly number[];
  /** Multiplicative jitter samples (median ≈ 1) drawn per request. */
  readonly jitter: Float64Array;
  /** Fixed per-request overhead on this side (session run calls, encoding), ms. */
  readonly overheadMs: number;
}

export interface ComputeTimes {
  readonly device: SideTimes;
  readonly edge: SideTimes;
  /** Where the numbers come from, for reports. */
  readonly source: string;
}

/** Per-stage and per-head times predicted by a regression profile (no jitter). */
export function sideTimesFromRegression(manifest: ModelManifest, profile: LayerRegressionProfile, jitter?: Float64Array, overheadMs = 0): SideTimes {
  return {
    stageMs: manifest.stages.map((s) => predictLayersMs(profile, s.layers)),
    headMs: manifest.exits.map((e) => predictLayersMs(profile, e.layers)),
    jitter: jitter ?? Float64Array.of(1),
    overheadMs,
  };
}

/** Sum of stage times for stages (from, to] (1-based, inclusive of `to`). */
export function stagesMs(t: SideTimes, fromStage: number, toStage: number): number {
  let ms = 0;
  for (let i = fromStage; i < toStage; i++) ms += t.stageMs[i]!;
  return ms;
}

/**
 * The replay world's compute times as the fused per-stage profiles the calibrated planner plans
 * with: the same stage and head times and per-side overhead, without the jitter (the planner
 * predicts the median).
 */
export function stageProfilesOf(manifest: ModelManifest, times: ComputeTimes): { device: StageLatencyProfile; edge: StageLatencyProfile } {
  const of = (side: 'device' | 'edge', t: SideTimes): StageLatencyProfile => ({
    kind: 'stage-fit', name: `replay-${side}`, side, description: `replay compute times (${times.source})`, modelSha256: manifest.onnxSha256,
    stageMs: [...t.stageMs], headMs: [...t.headMs], callOverheadMs: t.overheadMs,
  });
  return { device: of('device', times.device), edge: of('edge', times.edge) };
}
