/**
 * Everything a replay env needs, assembled from files: the model package, the bandwidth traces
 * of the fixed train/test split, and the compute-time tables of the emulated device and edge
 * (Edgent's published Pi 3b / desktop regressions, with the per-side overhead and jitter
 * measured from the live runtime by `coinfer env calibrate --save` when available).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sideTimesFromRegression, stageProfilesOf, type ComputeTimes } from '../env/compute-times.ts';
import type { StageLatencyProfile } from '../runtime/profile/stage-fit.ts';
import { loadSplitTraces } from '../env/load-traces.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import { loadModelPackage, type ModelPackage } from '../runtime/model/model-package.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../runtime/profile/edgent-profiles.ts';
import type { LayerRegressionProfile } from '../runtime/profile/layer-regression.ts';

/** File in a model package where `env calibrate --save` stores measured overheads and jitter. */
export const CALIBRATION_FILE = 'replay-calibration.json';

export interface ReplayCalibration {
  readonly device: { readonly overheadMs: number; readonly jitter: readonly number[] };
  readonly edge: { readonly overheadMs: number; readonly jitter: readonly number[] };
  readonly measuredAt: string;
  readonly requests: number;
}

export interface ReplaySetup {
  readonly pkg: ModelPackage;
  readonly train: readonly BandwidthTrace[];
  readonly test: readonly BandwidthTrace[];
  readonly computeTimes: ComputeTimes;
  readonly device: LayerRegressionProfile;
  readonly edge: LayerRegressionProfile;
  /** The replay world's compute times as stage profiles (the calibrated planner's model). */
  readonly stageProfiles: { readonly device: StageLatencyProfile; readonly edge: StageLatencyProfile };
}

export async function readCalibration(dir: string): Promise<ReplayCalibration | null> {
  try {
    return JSON.parse(await readFile(join(dir, CALIBRATION_FILE), 'utf8')) as ReplayCalibration;
  } catch {
    return null;
  }
}

/** Builds the emulated compute times of a package (calibrated when the package has a calibration). */
export async function emulatedComputeTimes(pkg: ModelPackage): Promise<ComputeTimes> {
  const cal = await readCalibration(pkg.dir);
  const side = (profile: LayerRegressionProfile, c: ReplayCalibration['device'] | undefined) =>
    sideTimesFromRegression(pkg.manifest, profile, c ? Float64Array.from(c.jitter) : undefined, c?.overheadMs ?? 0);
  return {
    device: side(EDGENT_RPI3B, cal?.device),
    edge: side(EDGENT_DESKTOP, cal?.edge),
    source: cal ? `edgent-rpi3b/edgent-desktop, calibrated on ${cal.requests} live requests (${cal.measuredAt})` : 'edgent-rpi3b/edgent-desktop regressions (uncalibrated)',
  };
}

export async function loadReplaySetup(opts: { modelDir: string }): Promise<ReplaySetup> {
  const pkg = await loadModelPackage(opts.modelDir);
  const [train, test, computeTimes] = await Promise.all([loadSplitTraces({ split: 'train' }), loadSplitTraces({ split: 'test' }), emulatedComputeTimes(pkg)]);
  return { pkg, train, test, computeTimes, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, stageProfiles: stageProfilesOf(pkg.manifest, computeTimes) };
}
