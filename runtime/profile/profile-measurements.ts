/**
 * The record of one profiling run (layer-profiler.ts writes it, profile-store.ts keeps it,
 * regression-fit.ts fits on it). Plain JSON-serialisable data: every measured quantity keeps
 * its per-repetition samples, so fits and held-out evaluations can be redone from the store.
 */
import type { LayerType } from '../model/architecture.ts';
import type { SampleSummary } from './sample-stats.ts';

/** Which machine role a profile describes. */
export type ProfileSide = 'device' | 'edge';

/** One measured quantity: its repetitions (ms, in measurement order) and their summary. */
export interface MeasuredItem {
  readonly name: string;
  readonly samplesMs: readonly number[];
  readonly summary: SampleSummary;
}

/** One layer run alone as a single-layer sub-model. */
export interface LayerMeasurement extends MeasuredItem {
  readonly type: LayerType;
  /** Edgent's regression variables of the layer (from the manifest). */
  readonly vars: readonly number[];
  /** Where the layer sits: a backbone stage or an exit head, 1-based. */
  readonly owner: { readonly kind: 'stage' | 'exit'; readonly index: number };
}

/**
 * A whole compute path of actions on this side, run as one sub-model: the device's prefix
 * (stages 1..p, plus the exit head when the exit is local) or the edge's suffix (stages p+1..
 * and the exit head).
 */
export interface PathMeasurement extends MeasuredItem {
  readonly partition: number;
  /**
   * The exits whose action at this partition runs exactly this path on this side (a device
   * prefix serves every exit that branches after p; every other path serves one exit).
   */
  readonly exits: readonly number[];
  /** The layers the path runs, in order (names as in the manifest). */
  readonly layerNames: readonly string[];
}

/** Session creation from the bytes of one sub-model (Edgent's "model loading"). */
export interface LoadMeasurement extends MeasuredItem {
  readonly bytes: number;
  readonly kind: 'prefix' | 'suffix';
}

/** The machine a profile was measured on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly platform: string;
  readonly arch: string;
  readonly totalMemBytes: number;
}

/**
 * Repetition counts and session settings of a profiling run; repeated in the record so the run
 * can be reproduced.
 */
export interface MeasurementSettings {
  /** Timed runs per compute sub-model, integer ≥ 2 (split into fit/held-out halves later). */
  readonly reps: number;
  /** Untimed runs before them, integer ≥ 0 (first runs allocate and are slow). */
  readonly warmup: number;
  /** Timed session creations per loading sub-model, integer ≥ 2. */
  readonly loadReps: number;
  /** ORT intra-op threads, integer in [1, 64] (1: on two shared cores more threads spin and inflate the tail). */
  readonly intraOpThreads: number;
  /**
   * Rounds the repetitions are interleaved in, integer ≥ 1 (capped at reps): each round runs
   * every sub-model reps/rounds times, so machine-wide slow phases spread over all items.
   */
  readonly rounds: number;
  /** Seed of the random input tensors. */
  readonly seed: number;
  /**
   * How long the whole model runs before anything is timed, ms (≥ 0). Without it the first
   * sub-model measured in a process came out ~2–3× slower than the same layer inside its
   * stage (first-use allocations, thread-pool start, CPU frequency ramp-up), beyond what the
   * per-item warm-up fixed.
   */
  readonly processWarmupMs: number;
}

export interface ProfileMeasurements {
  readonly side: ProfileSide;
  /** 'native' or the name of the published profile that was emulated. */
  readonly profile: string;
  /** True when times were stretched to a published profile (max(real, predicted)). */
  readonly emulated: boolean;
  readonly modelName: string;
  readonly modelSha256: string;
  readonly machine: MachineInfo;
  readonly settings: MeasurementSettings;
  /** ISO date of the run. */
  readonly date: string;
  readonly layers: readonly LayerMeasurement[];
  /** Each backbone stage as one sub-model; name = stage name. */
  readonly stages: readonly MeasuredItem[];
  /** Each exit head as one sub-model; name = exit name. */
  readonly exits: readonly MeasuredItem[];
  readonly paths: readonly PathMeasurement[];
  readonly loading: readonly LoadMeasurement[];
}
