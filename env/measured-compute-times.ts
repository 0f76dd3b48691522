/**
 * Compute-time tables for the replay env measured against the live runtime: the emulated
 * profiles' regression times (Edgent's Pi 3b device and desktop edge) plus, per side, a fixed
 * overhead and a multiplicative jitter measured from a short warm-up run of real requests.
 *
 * Each warm-up request runs over an unshaped link with no load and no deadline. Its measured
 * minus predicted time is one overhead sample:
 * - device: the device's compute time (prefix, or the whole local exit) minus the profile's
 *   prediction — timer lateness of the emulation wait, session-run and preprocessing costs;
 * - edge: everything after the device part (encoding, the real WebSocket round trip, the edge's
 *   queue and compute, the reply's decoding) minus the edge profile's prediction, so replayed
 *   totals carry the real transport and framing costs too.
 * The overhead is the median residual. The residuals' spread is mostly additive (timer lateness,
 * transport), while the replay applies jitter as a factor on (predicted + overhead): each
 * sample becomes 1 + (residual − overhead) / (typical + overhead), with `typical` the median
 * predicted time of the side's actions, so the factor carries the measured spread in ms at the
 * typical action's size (a plain measured / predicted ratio from a 0.4 ms edge suffix would
 * inflate a 6 ms one's spread fifteenfold).
 *
 * @example
 * const m = await measureComputeTimes({ device: live.device, samples: live.samples, codec: live.codec, rng: createRng(1) });
 * new ReplayEnv({ manifest, computeTimes: m.times, traces });
 */
import type { Rng } from '../common/rng.ts';
import type { DeviceRuntime } from '../runtime/device/device-runtime.ts';
import { LinkShaper } from '../runtime/link/link-shaper.ts';
import type { SampleSet } from '../runtime/model/samples.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../runtime/profile/edgent-profiles.ts';
import type { LayerRegressionProfile } from '../runtime/profile/layer-regression.ts';
import type { ActionCodec } from './action-codec.ts';
import { buildActionTable } from './action-table.ts';
import { sideTimesFromRegression, type ComputeTimes } from './compute-times.ts';
import { rankMedian } from '../common/rank-quantile.ts';

export interface MeasureComputeTimesOptions {
  /** The live device runtime (connected to its edge; its load is set to 0 for the run). */
  readonly device: DeviceRuntime;
  readonly samples: SampleSet;
  /** The actions the env offers (the warm-up times each local exit and a spread of offloads). */
  readonly codec: ActionCodec;
  /** Picks images and offloaded actions. */
  readonly rng: Rng;
  /** Warm-up requests, integer ≥ 2 (default 30): every local exit once, the rest offloads. */
  readonly requests?: number;
  /** The device runtime's emulated profile (default Edgent's Pi 3b). */
  readonly deviceProfile?: LayerRegressionProfile;
  /** The edge's emulated profile (default Edgent's desktop). */
  readonly edgeProfile?: LayerRegressionProfile;
}

/** One side's measured overhead and jitter. */
export interface SideCalibration {
  /** Median measured − predicted, ms. */
  readonly overheadMs: number;
  /** Multiplicative jitter per sample (median 1), see the module comment. */
  readonly jitter: readonly number[];
  /** Residuals (measured − predicted), ms, one per sample. */
  readonly residualsMs: readonly number[];
}

export interface MeasuredComputeTimes {
  readonly times: ComputeTimes;
  readonly device: SideCalibration;
  readonly edge: SideCalibration;
  /** Warm-up requests run. */
  readonly requests: number;
}

/** Median by nearest rank; 0 when there is nothing to take it of. */
const median = (xs: readonly number[]): number => (xs.length === 0 ? 0 : rankMedian(xs));

/**
 * Overhead and jitter from (measured, predicted) pairs.
 * @param typicalMs the side's typical predicted time, ms > 0 (default: the pairs' median prediction)
 */
export function sideCalibration(pairs: readonly { readonly measuredMs: number; readonly predictedMs: number }[], typicalMs?: number): SideCalibration {
  const residualsMs = pairs.map((p) => p.measuredMs - p.predictedMs);
  const overheadMs = Math.max(0, median(residualsMs));
  const scaleMs = (typicalMs ?? median(pairs.map((p) => p.predictedMs))) + overheadMs;
  const jitter = residualsMs.map((r) => (scaleMs > 0 ? Math.max(0.05, 1 + (r - overheadMs) / scaleMs) : 1));
  return { overheadMs, jitter: jitter.length > 0 ? jitter : [1], residualsMs };
}

/**
 * Runs the warm-up and builds the replay's compute times.
 * @throws (rejects) RangeError on a bad request count
 */
export async function measureComputeTimes(opts: MeasureComputeTimesOptions): Promise<MeasuredComputeTimes> {
  const { device, samples, codec, rng } = opts;
  const requests = opts.requests ?? 30;
  if (!(Number.isInteger(requests) && requests >= 2)) throw new RangeError(`Expected requests an integer >= 2, actually ${requests}`);
  const manifest = device.pkg.manifest;
  const deviceProfile = opts.deviceProfile ?? EDGENT_RPI3B;
  const edgeProfile = opts.edgeProfile ?? EDGENT_DESKTOP;
  const predicted = buildActionTable(manifest, codec, {
    device: sideTimesFromRegression(manifest, deviceProfile),
    edge: sideTimesFromRegression(manifest, edgeProfile),
    source: 'regression, no overhead',
  });
  const locals = codec.actions.map((_, i) => i).filter((i) => codec.isLocal(i));
  const offloads = codec.actions.map((_, i) => i).filter((i) => !codec.isLocal(i));
  const plan = Array.from({ length: requests }, (_, k) => (k < locals.length || offloads.length === 0 ? locals[k % locals.length]! : offloads[rng.int(offloads.length)]!));
  const pixels = samples.shape.reduce((a, b) => a * b, 1);
  const plain = new LinkShaper({});
  const devicePairs: { measuredMs: number; predictedMs: number }[] = [];
  const edgePairs: { measuredMs: number; predictedMs: number }[] = [];
  await device.setDeviceLoad(0);
  for (const a of plan) {
    const k = rng.int(samples.count);
    const r = await device.infer({ action: codec.decode(a), image: samples.images.subarray(k * pixels, (k + 1) * pixels), deadlineMs: Infinity, label: samples.labels[k]!, shaper: plain });
    if (r.fallback) continue; // the edge went away: not a compute-time sample
    if (predicted.deviceBaseMs[a]! > 0) devicePairs.push({ measuredMs: r.deviceMs, predictedMs: predicted.deviceBaseMs[a]! });
    if (!codec.isLocal(a)) edgePairs.push({ measuredMs: r.totalMs - r.deviceMs - r.uplinkMs, predictedMs: predicted.edgeBaseMs[a]! });
  }
  const typical = (xs: Float64Array, keep: (i: number) => boolean) => median(Array.from(xs).filter((_, i) => keep(i)));
  const dev = sideCalibration(devicePairs, typical(predicted.deviceBaseMs, (i) => predicted.deviceBaseMs[i]! > 0));
  const edge = sideCalibration(edgePairs, typical(predicted.edgeBaseMs, (i) => !codec.isLocal(i)));
  return {
    times: {
      device: sideTimesFromRegression(manifest, deviceProfile, Float64Array.from(dev.jitter), dev.overheadMs),
      edge: sideTimesFromRegression(manifest, edgeProfile, Float64Array.from(edge.jitter), edge.overheadMs),
      source: `edgent-rpi3b/edgent-desktop regressions + overhead and jitter measured on ${devicePairs.length}/${edgePairs.length} live device/edge samples`,
    },
    device: dev,
    edge,
    requests: plan.length,
  };
}
