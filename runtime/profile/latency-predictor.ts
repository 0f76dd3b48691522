/**
 * Predicted latency, bytes and device energy of any action (exit, partition, encoding) from
 * two regression profiles (docs/architecture.md §1, §4). Pure and fast: `createLatencyTable` precomputes the
 * per-stage and per-head times and the crossing tensor sizes of one model once; each
 * prediction is then a handful of additions (the replay env and the Edgent search call it for
 * every action of every request).
 *
 * The model, exactly:
 * - deviceMs = (Σ predicted layer ms of stages 1..p, plus the exit head when local, plus the
 *              profile's per-call overhead when the device runs anything) / (1 − deviceLoad)
 * - bytes    = payload of the tensor at partition p in the action's encoding + the request frame
 *              header (0 when local: nothing is sent)
 * - uplinkMs = bytes·8 / (bandwidthMbps·10⁶) s + RTT/2   (transmission, then the request's
 *              one-way propagation; 0 when local)
 * - edgeMs   = (Σ predicted ms of stages p+1..branchStage and the exit head + per-call
 *              overhead) / (1 − edgeLoad)
 * - downlinkMs = RTT/2 (the reply is tiny: its transmission time is neglected; 0 when local)
 * - totalMs  = deviceMs + uplinkMs + edgeMs + downlinkMs
 * - energyMj = deviceEnergyMj({deviceMs, uplinkMs, waitMs: edgeMs + downlinkMs})
 * Load model (an assumption, not measured): background work leaves a share (1 − load) of the
 * processor to inference, so compute time scales by 1/(1 − load); load = 1 means never.
 */
import { CoinferError } from '../../common/errors.ts';
import { isJpeg, type Action } from '../action.ts';
import type { FixedSizeEncoding } from '../wire/tensor-codec.ts';
import type { ModelManifest } from '../model/manifest.ts';
import { DEFAULT_DEVICE_POWER, deviceEnergyMj, type DevicePowerConfig } from './energy-model.ts';
import { predictLayersMs, type LayerRegressionProfile } from './layer-regression.ts';
import { jpegPayloadBytes, payloadBytes } from './payload-estimate.ts';
import type { StageLatencyProfile } from './stage-fit.ts';

/** Per-model constants behind every prediction (typed arrays indexed as documented). */
export interface LatencyTable {
  readonly manifest: ModelManifest;
  /** What the times come from: per-layer regressions (Edgent) or fused per-stage fits (calibrated). */
  readonly device: LayerRegressionProfile | StageLatencyProfile;
  readonly edge: LayerRegressionProfile | StageLatencyProfile;
  /** [p] = device ms of stages 1..p (length stages + 1, [0] = 0). */
  readonly deviceCumMs: Float64Array;
  /** [p] = edge ms of stages 1..p (length stages + 1). */
  readonly edgeCumMs: Float64Array;
  /** [e−1] = device ms of exit e's head. */
  readonly deviceHeadMs: Float64Array;
  /** [e−1] = edge ms of exit e's head. */
  readonly edgeHeadMs: Float64Array;
  /** Per-call overhead of each side's one inference call, ms (0 for published profiles). */
  readonly deviceCallMs: number;
  readonly edgeCallMs: number;
  /** [p] = elements of the tensor that crosses at partition p ([0] = the raw input). */
  readonly crossingElements: Float64Array;
  /** [p] = rank of that tensor per sample (without the batch dimension). */
  readonly crossingRank: Int32Array;
  /**
   * Measured JPEG input encodings by encoding name (jpeg90, …): mean bytes and median encode
   * ms (the package's action-accuracy.json); absent = JPEG actions cannot be predicted.
   */
  readonly inputEncodings?: ReadonlyMap<string, { readonly meanBytes: number; readonly encodeMsMedian: number }>;
}

/** Elements and rank of the tensor crossing at every partition ([0] = the raw input). */
function crossingSizes(manifest: ModelManifest): { crossingElements: Float64Array; crossingRank: Int32Array } {
  const shapes = [manifest.input.shape, ...manifest.stages.map((s) => s.outputShape)];
  return {
    crossingElements: Float64Array.from(shapes, (sh) => sh.reduce((a, b) => a * b, 1)),
    crossingRank: Int32Array.from(shapes, (sh) => sh.length),
  };
}

/** Running sums: [p] = Σ ms[0..p−1] (length ms.length + 1). */
function cumulative(ms: readonly number[]): Float64Array {
  const c = new Float64Array(ms.length + 1);
  ms.forEach((v, i) => (c[i + 1] = c[i]! + v));
  return c;
}

/** Precomputes the per-stage and per-head times and crossing sizes of one model. */
export function createLatencyTable(manifest: ModelManifest, device: LayerRegressionProfile, edge: LayerRegressionProfile): LatencyTable {
  return {
    manifest, device, edge, ...crossingSizes(manifest),
    deviceCumMs: cumulative(manifest.stages.map((s) => predictLayersMs(device, s.layers))),
    edgeCumMs: cumulative(manifest.stages.map((s) => predictLayersMs(edge, s.layers))),
    deviceCallMs: device.callOverheadMs ?? 0, edgeCallMs: edge.callOverheadMs ?? 0,
    deviceHeadMs: Float64Array.from(manifest.exits, (e) => predictLayersMs(device, e.layers)),
    edgeHeadMs: Float64Array.from(manifest.exits, (e) => predictLayersMs(edge, e.layers)),
  };
}

/**
 * The same table from fused per-stage fits (runtime/profile/stage-fit.ts): what the calibrated
 * planner predicts with.
 * @throws CoinferError ERR_PROFILE_NOT_FOUND when a profile has another model's stage count
 */
export function createLatencyTableFromStages(manifest: ModelManifest, device: StageLatencyProfile, edge: StageLatencyProfile): LatencyTable {
  const n = manifest.stages.length;
  for (const p of [device, edge]) {
    if (p.stageMs.length !== n || p.headMs.length !== manifest.exits.length) {
      throw new CoinferError('ERR_PROFILE_NOT_FOUND', `Stage profile ${p.name} has ${p.stageMs.length} stages and ${p.headMs.length} heads, the model ${manifest.name} ${n} and ${manifest.exits.length}; profile this model (coinfer profile --model …)`);
    }
  }
  return {
    manifest, device, edge, ...crossingSizes(manifest),
    deviceCumMs: cumulative(device.stageMs), edgeCumMs: cumulative(edge.stageMs),
    deviceHeadMs: Float64Array.from(device.headMs), edgeHeadMs: Float64Array.from(edge.headMs),
    deviceCallMs: device.callOverheadMs, edgeCallMs: edge.callOverheadMs,
  };
}

/** Conditions of one prediction. */
export interface PredictConditions {
  readonly action: Action;
  /** Uplink bandwidth, Mbps (≥ 0; 0 = outage: offloading never finishes). */
  readonly bandwidthMbps: number;
  /** Round-trip propagation time device ↔ edge, ms (≥ 0). */
  readonly rttMs: number;
  /** Device CPU load in [0, 1]; default 0. */
  readonly deviceLoad?: number;
  /** Edge load in [0, 1]; default 0. */
  readonly edgeLoad?: number;
  /**
   * Device and edge compute × these (> 0) on top of the load: how much slower than its profile
   * a side has been measured to run (2 = twice as slow); default 1.
   */
  readonly deviceSpeed?: number;
  readonly edgeSpeed?: number;
  /** Power constants for the energy; default DEFAULT_DEVICE_POWER. */
  readonly power?: DevicePowerConfig;
}

export interface LatencyPrediction {
  readonly deviceMs: number;
  readonly uplinkMs: number;
  readonly edgeMs: number;
  /** The reply's way back (RTT/2), ms; 0 when local. */
  readonly downlinkMs: number;
  readonly totalMs: number;
  /** Uplink bytes (payload + frame header); 0 when local. */
  readonly bytes: number;
  readonly energyMj: number;
  /** True when the device finishes alone (partition ≥ the exit's branch stage). */
  readonly local: boolean;
}

const loadFactor = (load: number, name: string): number => {
  if (!(load >= 0 && load <= 1)) throw new RangeError(`Expected ${name} in [0, 1], actually ${load}`);
  return load === 1 ? Number.POSITIVE_INFINITY : 1 / (1 - load);
};

function speedFactor(speed: number | undefined, name: string): number {
  if (speed === undefined) return 1;
  if (!(speed > 0 && Number.isFinite(speed))) throw new RangeError(`Expected ${name} > 0, actually ${speed}`);
  return speed;
}

/**
 * Predicts one action from a precomputed table (the hot path).
 * @throws CoinferError ERR_INVALID_ACTION for an exit or partition out of range;
 *   RangeError for a negative bandwidth or RTT or a load outside [0, 1].
 */
export function predictFromTable(table: LatencyTable, c: PredictConditions): LatencyPrediction {
  const { action } = c;
  const exits = table.manifest.exits;
  const ex = exits[action.exit - 1];
  if (!ex) throw new CoinferError('ERR_INVALID_ACTION', `Expected exit in [1, ${exits.length}], actually ${action.exit}`);
  const p = action.partition;
  if (!Number.isInteger(p) || p < 0 || p >= table.deviceCumMs.length) {
    throw new CoinferError('ERR_INVALID_ACTION', `Expected partition in [0, ${table.deviceCumMs.length - 1}], actually ${p}`);
  }
  if (!(c.bandwidthMbps >= 0)) throw new RangeError(`Expected bandwidthMbps >= 0, actually ${c.bandwidthMbps}`);
  if (!(c.rttMs >= 0)) throw new RangeError(`Expected rttMs >= 0, actually ${c.rttMs}`);
  const dev = loadFactor(c.deviceLoad ?? 0, 'deviceLoad') * speedFactor(c.deviceSpeed, 'deviceSpeed');
  const edg = loadFactor(c.edgeLoad ?? 0, 'edgeLoad') * speedFactor(c.edgeSpeed, 'edgeSpeed');
  const power = c.power ?? DEFAULT_DEVICE_POWER;
  const e = action.exit - 1;
  const branch = ex.branchStage;
  if (p >= branch) {
    const deviceMs = (table.deviceCumMs[branch]! + table.deviceHeadMs[e]! + table.deviceCallMs) * dev;
    return { deviceMs, uplinkMs: 0, edgeMs: 0, downlinkMs: 0, totalMs: deviceMs, bytes: 0, energyMj: power.computePowerW * deviceMs, local: true };
  }
  const rank = table.crossingRank[p]! + 1; // + the batch dimension
  let bytes: number;
  let deviceMs: number;
  if (p === 0 && isJpeg(action.encoding)) {
    // The encode is device compute (energy at compute power), its size the measured mean.
    const m = table.inputEncodings?.get(action.encoding);
    if (m === undefined) throw new CoinferError('ERR_INVALID_ACTION', `Encoding ${action.encoding} has no measured JPEG figures in this latency table; pass the package's action accuracies (coinfer model accuracy) or do not offer it`);
    bytes = jpegPayloadBytes(m.meanBytes, rank);
    deviceMs = m.encodeMsMedian * dev;
  } else {
    const encoding: FixedSizeEncoding = p === 0 ? 'uint8' : (action.encoding as FixedSizeEncoding);
    bytes = payloadBytes({ elements: table.crossingElements[p]!, encoding, rank });
    deviceMs = p === 0 ? 0 : (table.deviceCumMs[p]! + table.deviceCallMs) * dev;
  }
  const transmitMs = c.bandwidthMbps > 0 ? (bytes * 8) / (c.bandwidthMbps * 1000) : Number.POSITIVE_INFINITY;
  const uplinkMs = transmitMs + c.rttMs / 2;
  const edgeMs = (table.edgeCumMs[branch]! - table.edgeCumMs[p]! + table.edgeHeadMs[e]! + table.edgeCallMs) * edg;
  const downlinkMs = c.rttMs / 2;
  const totalMs = deviceMs + uplinkMs + edgeMs + downlinkMs;
  const energyMj = Number.isFinite(totalMs)
    ? deviceEnergyMj({ deviceMs, uplinkMs, waitMs: edgeMs + downlinkMs }, power)
    : Number.POSITIVE_INFINITY;
  return { deviceMs, uplinkMs, edgeMs, downlinkMs, totalMs, bytes, energyMj, local: false };
}

/** One-off prediction (builds the table each call: use createLatencyTable + predictFromTable in loops). */
export interface PredictLatencyInput extends PredictConditions {
  readonly manifest: ModelManifest;
  readonly device: LayerRegressionProfile;
  readonly edge: LayerRegressionProfile;
}

/** Predicts one action; see the module comment for the exact model. */
export function predictLatency(input: PredictLatencyInput): LatencyPrediction {
  return predictFromTable(createLatencyTable(input.manifest, input.device, input.edge), input);
}
