/**
 * Compute profiles of the device and the edge (docs/architecture.md §4). `native` runs at this machine's
 * speed. An Edgent profile *emulates* a slower (or differently shaped) machine: the sub-model
 * really runs, then the caller waits until the profile's predicted time for the layers it ran
 * if the real run was faster (a real run slower than the prediction is reported as it was).
 * Shared by the device runner and the edge server, which both say "emulated" when it applies.
 */
import type { LayerManifest, ModelManifest } from '../model/manifest.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../profile/edgent-profiles.ts';
import { predictLayersMs, type LayerRegressionProfile } from '../profile/layer-regression.ts';
import { realClock, type Clock } from '../link/clock.ts';

export const DEVICE_COMPUTE_PROFILES = ['native', 'edgent-rpi3b'] as const;
export type DeviceComputeProfile = (typeof DEVICE_COMPUTE_PROFILES)[number];
export const EDGE_COMPUTE_PROFILES = ['native', 'edgent-desktop'] as const;
export type EdgeComputeProfile = (typeof EDGE_COMPUTE_PROFILES)[number];

/** The regression behind a profile; null for `native` (no emulation). */
export function profileRegression(name: DeviceComputeProfile | EdgeComputeProfile): LayerRegressionProfile | null {
  switch (name) {
    case 'native':
      return null;
    case 'edgent-rpi3b':
      return EDGENT_RPI3B;
    case 'edgent-desktop':
      return EDGENT_DESKTOP;
  }
}

/** Which layers a sub-model run covers. */
export interface LayerRange {
  /** Backbone stages already done before this run (0 = starts at the input). */
  readonly afterStage: number;
  /** Last backbone stage this run computes (≥ afterStage). */
  readonly throughStage: number;
  /** 1-based exit whose head this run also computes, or null (the run ends at a stage output). */
  readonly exit: number | null;
}

/** The manifest layers of a range, in execution order. @throws RangeError on an impossible range */
export function layersOfRange(manifest: ModelManifest, r: LayerRange): LayerManifest[] {
  const n = manifest.stages.length;
  if (!Number.isInteger(r.afterStage) || !Number.isInteger(r.throughStage) || r.afterStage < 0 || r.throughStage < r.afterStage || r.throughStage > n) {
    throw new RangeError(`Expected 0 <= afterStage <= throughStage <= ${n}, actually ${r.afterStage}, ${r.throughStage}`);
  }
  const layers = manifest.stages.slice(r.afterStage, r.throughStage).flatMap((s) => s.layers);
  if (r.exit !== null) {
    const ex = manifest.exits[r.exit - 1];
    if (ex === undefined) throw new RangeError(`Expected exit in [1, ${manifest.exits.length}], actually ${r.exit}`);
    layers.push(...ex.layers);
  }
  return layers;
}

/**
 * The emulated time of a range for `batch` samples: Edgent's fits are per image, so a batch
 * costs batch × the per-image prediction. 0 for `native`.
 */
export function emulatedMs(profile: LayerRegressionProfile | null, layers: readonly LayerManifest[], batch = 1): number {
  return profile === null ? 0 : batch * predictLayersMs(profile, layers);
}

/** The outcome of one timed (possibly emulated) run. */
export interface TimedRun<T> {
  readonly value: T;
  /** Wall time of the real computation, ms. */
  readonly realMs: number;
  /** Reported compute time: max(realMs, target) under emulation, else realMs. */
  readonly computeMs: number;
}

/**
 * Runs `work`, then sleeps until `targetMs` has passed since it started (no wait when the run
 * was slower or the target is 0).
 * @param opts.targetMs the emulated duration, ms ≥ 0 (0 = native)
 * @param opts.clock time source (default the real clock)
 */
export async function runStretched<T>(work: () => Promise<T>, opts: { targetMs: number; clock?: Clock }): Promise<TimedRun<T>> {
  const clock = opts.clock ?? realClock;
  const t0 = clock.now();
  const value = await work();
  const realMs = clock.now() - t0;
  if (opts.targetMs > realMs) await clock.sleep(t0 + opts.targetMs - clock.now());
  return { value, realMs, computeMs: clock.now() - t0 };
}
