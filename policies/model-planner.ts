/**
 * What the model-based baselines share: the candidate actions, a precomputed latency table
 * (runtime/profile/latency-predictor.ts) and Edgent's notion of "better exit". Predictions use
 * the context's bandwidth estimate and RTT, and (when `loadAware`) its device and edge loads.
 */
import type { DecisionContext, MeasuredSpeeds } from '../env/decision-context.ts';
import { enumerateActions, type Action } from '../runtime/action.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import type { DevicePowerConfig } from '../runtime/profile/energy-model.ts';
import type { LayerRegressionProfile } from '../runtime/profile/layer-regression.ts';
import { createLatencyTable, predictFromTable, type LatencyPrediction, type LatencyTable } from '../runtime/profile/latency-predictor.ts';
import type { StageLatencyProfile } from '../runtime/profile/stage-fit.ts';
import { actionAccuracyOf, jpegInputEncodings, type ActionAccuracyFile } from '../runtime/model/action-accuracy.ts';

/** What `createPolicy` gives a baseline. */
export interface PolicyDeps {
  readonly manifest: ModelManifest;
  /** Device latency profile the model-based baselines plan with (e.g. EDGENT_RPI3B or a fitted one). */
  readonly device: LayerRegressionProfile;
  /** Edge latency profile. */
  readonly edge: LayerRegressionProfile;
  /**
   * Candidate actions (canonical); default every action of enumerateActions(manifest). Pass
   * the env codec's actions when it offers fewer encodings.
   */
  readonly actions?: readonly Action[];
  /** Plan with the context's device/edge loads (compute / (1 − load)); default true. */
  readonly loadAware?: boolean;
  /** Seed of the random baseline; default 0. */
  readonly seed?: number;
  /** Power constants for predicted energy; default DEFAULT_DEVICE_POWER. */
  readonly power?: DevicePowerConfig;
  /**
   * Fused per-stage latency fits of this model's device and edge (what the runtime really
   * executes); the calibrated planner plans with them. Absent: that planner is unavailable.
   */
  readonly stageProfiles?: { readonly device: StageLatencyProfile; readonly edge: StageLatencyProfile };
  /** Measured accuracy of lossy actions (the package's); absent: every action scores as its exit. */
  readonly actionAccuracy?: ActionAccuracyFile | null;
}

/**
 * Exit preference scores, higher = better: the measured accuracies when every exit has one,
 * otherwise the exit depth (Edgent's premise: a deeper exit is more accurate).
 */
export function exitScores(manifest: ModelManifest): number[] {
  const acc = manifest.exits.map((e) => e.accuracy);
  return acc.every((a): a is number => a !== null) ? acc : manifest.exits.map((e) => e.index);
}

/**
 * Preference score of each action (index-aligned with `actions`), higher = better: its measured
 * accuracy when its encoding is lossy and measured, else its exit's score.
 */
export function actionScores(manifest: ModelManifest, actions: readonly Action[], actionAccuracy: ActionAccuracyFile | null = null): Float64Array {
  const exits = exitScores(manifest);
  const measured = exits.every((_, i) => manifest.exits[i]!.accuracy !== null);
  return Float64Array.from(actions, (a) => {
    const acc = measured ? actionAccuracyOf(manifest, actionAccuracy, a).accuracy : null;
    return acc ?? exits[a.exit - 1]!;
  });
}

export interface Planner {
  readonly manifest: ModelManifest;
  readonly table: LatencyTable;
  readonly actions: readonly Action[];
  /** actionScore[i] for actions[i]: its true accuracy (see actionScores). */
  readonly actionScore: Float64Array;
  /**
   * Predicted outcome of every candidate action under this context (index-aligned with
   * `actions`), the compute terms × `speeds` when given (measured slowness against the profile).
   */
  predictAll(context: DecisionContext, speeds?: MeasuredSpeeds): LatencyPrediction[];
  predict(action: Action, context: DecisionContext, speeds?: MeasuredSpeeds): LatencyPrediction;
}

/** The table plus the package's measured JPEG input encodings (bytes, encode time), if any. */
function withInputEncodings(table: LatencyTable, file: ActionAccuracyFile | null): LatencyTable {
  if (file === null || table.inputEncodings !== undefined) return table;
  return { ...table, inputEncodings: jpegInputEncodings(file) };
}

/**
 * A planner over `deps`' candidate actions. Its latency table defaults to Edgent's per-layer
 * regressions (`deps.device`, `deps.edge`); the calibrated planner passes a stage-fit table.
 */
export function createPlanner(deps: PolicyDeps, baseTable: LatencyTable = createLatencyTable(deps.manifest, deps.device, deps.edge)): Planner {
  const table = withInputEncodings(baseTable, deps.actionAccuracy ?? null);
  const actions = deps.actions ?? enumerateActions(deps.manifest);
  const loadAware = deps.loadAware ?? true;
  const predict = (action: Action, ctx: DecisionContext, speeds?: MeasuredSpeeds): LatencyPrediction => predictFromTable(table, {
    action,
    bandwidthMbps: ctx.bandwidthMbps,
    rttMs: ctx.rttMs,
    deviceLoad: loadAware ? ctx.deviceLoad : 0,
    edgeLoad: loadAware ? ctx.edgeLoad : 0,
    ...(speeds ? { deviceSpeed: speeds.device, edgeSpeed: speeds.edge } : {}),
    ...(deps.power ? { power: deps.power } : {}),
  });
  return {
    manifest: deps.manifest, table, actions, actionScore: actionScores(deps.manifest, actions, deps.actionAccuracy ?? null),
    predict,
    predictAll: (ctx, speeds) => actions.map((a) => predict(a, ctx, speeds)),
  };
}

/** Index of the minimum of `key` over the indices where `keep` holds (first on ties); −1 if none. */
export function argmin(n: number, key: (i: number) => number, keep: (i: number) => boolean = () => true): number {
  let best = -1, bestKey = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    const k = key(i);
    if (best === -1 || k < bestKey) { best = i; bestKey = k; }
  }
  return best;
}

/** "e5/p3/int8: predicted 182.4 ms (device 20.1 + uplink 150.2 + edge 12.1 ms)". */
export function describePrediction(label: string, p: LatencyPrediction): string {
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '∞');
  return p.local
    ? `${label}: predicted ${f(p.totalMs)} ms on the device`
    : `${label}: predicted ${f(p.totalMs)} ms (device ${f(p.deviceMs)} + uplink ${f(p.uplinkMs)} for ${p.bytes} B + edge ${f(p.edgeMs)} + reply ${f(p.downlinkMs)} ms)`;
}
