/**
 * The per-request scenario logic shared by the replay and live envs (issue 5): which trace an
 * episode replays and from where, each request's deadline, test image, compute jitter draws and
 * device/edge load, how trace time advances between requests, and what the device knows
 * (bandwidth estimate from its own transfers plus a background probe, and its last outcome).
 *
 * Both envs draw from one `RequestStream` in the same order, so the same seed gives the same
 * request stream (deadlines, images, loads, trace positions) whatever the actions and however
 * the requests were served: the scenario's random draws never depend on outcomes.
 *
 * What the device knows of the edge is what the edge told it: the edge load and the RTT in the
 * observation are those of the last offload the edge answered (at episode start, those of the
 * connection set-up: the true load and the nominal RTT), stale until the next reply. The true
 * current load (`trueEdgeLoad`) drives the replay's queue model and the live env's background
 * devices and is never observed. The live env
 * draws the replay's jitter indices too and ignores them (its jitter is real), keeping the RNG
 * consumption identical.
 *
 * Hot path: lanes are mutable records updated in place; a lane doubles as the DecisionContext
 * that `writeObservation` reads, and its last outcome is a reused record, so a step allocates
 * nothing here (the bandwidth estimator's own update aside).
 */
import type { Rng } from '../common/rng.ts';
import { HarmonicMeanEstimator } from '../runtime/link/bandwidth-estimator.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import { transferMs } from '../runtime/link/trace-integrate.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import type { DecisionContext } from './decision-context.ts';
import { writeMeasuredFeatures, writeObservation, type LastOutcome } from './observation.ts';
import type { ActionProfile } from './action-profile.ts';
import { writeDeadlineMask } from './deadline-mask.ts';
import { newTelemetry, recordBandwidthSurprise, recordServed, recordThroughput, type DeviceTelemetry } from './device-telemetry.ts';
import type { EnvConfig } from './replay-config.ts';
import { advanceScenario, deviceLoadOf, edgeLoadOf, initialScenarioState, sampleDeadlineMs, type ScenarioState } from './scenario.ts';
import { sampleEpisodeWorld, type EpisodeWorld } from './episode-world.ts';
import { scaleTrace } from './scale-trace.ts';

/** The last outcome as a reusable mutable record. */
type MutableLastOutcome = { -readonly [K in keyof LastOutcome]: LastOutcome[K] };

/**
 * One scenario's mutable state (one env lane). Its context fields describe the request now
 * waiting for a decision; treat them as read-only outside this module.
 */
export interface RequestLane {
  rng: Rng;
  /** This episode's world (scenario values, slowdowns, rate scale drawn at its start). */
  world: EpisodeWorld;
  /** The episode's trace, its rates already × `world.rateScale`. */
  trace: BandwidthTrace;
  /** Trace time at this request's arrival, s (not wrapped; replays loop). */
  traceTimeS: number;
  /** Requests served in this episode. */
  requestsDone: number;
  scenario: ScenarioState;
  estimator: HarmonicMeanEstimator;
  /** Whether `last` holds an outcome yet (false before the episode's first request is served). */
  hasLast: boolean;
  readonly last: MutableLastOutcome;
  /** What the device measured over this episode's requests so far (observation version 3). */
  readonly telemetry: DeviceTelemetry;
  // the request waiting for a decision (DecisionContext fields, physical units)
  deadlineMs: number;
  bandwidthMbps: number;
  bandwidthTrendMbpsPerS: number;
  /** RTT the device measured on the last offload the edge answered, ms. */
  rttMs: number;
  deviceLoad: number;
  /** Edge load as the edge last reported it (with its last reply), in [0, 1]. */
  edgeLoad: number;
  /** The edge's true current load from other devices, in [0, 1] (not observed). */
  trueEdgeLoad: number;
  /** Index of this request's image among the first `imagePool` evaluation samples. */
  imageIndex: number;
  /** Replay jitter draws (multiplicative, median ≈ 1); the live env ignores them. */
  deviceJitter: number;
  edgeJitter: number;
}

/** What the stream needs to know about a served request. */
export interface ServedRequest {
  /** The chosen action runs entirely on the device (the device then probes the link instead). */
  local: boolean;
  /** Bytes of the request's transfer (when one completed). */
  bytes: number;
  /** Serialisation time of the transfer, ms; NaN or ≤ 0 when nothing crossed the link in full. */
  transmitMs: number;
  /** Device compute before the transfer started, ms (the transfer's start on the trace clock). */
  deviceMs: number;
  totalMs: number;
  hit: boolean;
  /** The edge answered this request (an offload that was not abandoned): its reply reports its load. */
  edgeReplied: boolean;
  /** RTT the device measured on this request, ms (NaN without a reply). */
  measuredRttMs: number;
  /** The chosen action's codec index. */
  actionIndex: number;
  /** The exit that answered after a fallback (1-based), 0 without one. */
  fallbackExit: number;
  /** The edge's reported compute and queue times, ms (NaN without a reply). */
  edgeComputeMs: number;
  edgeQueueMs: number;
}

export interface RequestStreamOptions {
  readonly manifest: ModelManifest;
  readonly config: EnvConfig;
  /** The traces episodes draw from (already filtered to the configured split). */
  readonly traces: readonly BandwidthTrace[];
  /** Jitter sample tables the replay draws from (the live env passes any; only their lengths matter to the RNG). */
  readonly deviceJitter: Float64Array;
  readonly edgeJitter: Float64Array;
  /** The device's profile: what its speed estimates compare against and its planner predicts with. */
  readonly profile: ActionProfile;
}

/**
 * Images a request draws from: `config.imagePool` when set (capped by the evaluation set when
 * the manifest has one), else the whole evaluation set.
 */
export function imagePoolOf(manifest: ModelManifest, imagePool: number): number {
  const evalSamples = Math.max(0, ...manifest.exits.map((e) => e.evalSamples));
  if (imagePool > 0) return evalSamples > 0 ? Math.min(imagePool, evalSamples) : imagePool;
  return Math.max(1, evalSamples);
}

export class RequestStream {
  readonly config: EnvConfig;
  readonly imagePool: number;
  readonly #traces: readonly BandwidthTrace[];
  readonly #deviceJitter: Float64Array;
  readonly #edgeJitter: Float64Array;
  readonly #profile: ActionProfile;
  readonly #accuracyRange: readonly [number, number];

  constructor(opts: RequestStreamOptions) {
    if (opts.traces.length === 0) throw new RangeError('Expected at least one bandwidth trace');
    if (opts.deviceJitter.length === 0 || opts.edgeJitter.length === 0) throw new RangeError('Expected non-empty jitter tables');
    this.config = opts.config;
    this.#traces = opts.traces;
    this.#deviceJitter = opts.deviceJitter;
    this.#edgeJitter = opts.edgeJitter;
    this.#profile = opts.profile;
    this.#accuracyRange = [Math.min(...opts.profile.accuracy), Math.max(...opts.profile.accuracy)];
    this.imagePool = imagePoolOf(opts.manifest, opts.config.imagePool);
  }

  /**
   * Starts an episode on `rng` (a lane's own stream): trace, start time, scenario, first request.
   * @param startS start here in the trace instead of the drawn time, s ≥ 0 (the draw is still
   *   made, so the rest of the stream is unchanged)
   */
  newLane(rng: Rng, startS?: number): RequestLane {
    const recorded = this.#traces[rng.int(this.#traces.length)]!;
    const drawnS = rng.next() * recorded.durationS;
    const world = sampleEpisodeWorld(this.config.scenario, this.config.variation, rng);
    const lane: RequestLane = {
      rng,
      world,
      trace: scaleTrace(recorded, world.rateScale),
      traceTimeS: startS ?? drawnS,
      requestsDone: 0,
      scenario: initialScenarioState(world.scenario, rng),
      estimator: new HarmonicMeanEstimator({ window: this.config.estimatorWindow, initialMbps: 1 }),
      hasLast: false,
      last: { hit: true, latencyMs: 0, deadlineMs: 1, throughputMbps: Number.NaN },
      telemetry: newTelemetry(this.config.estimatorWindow),
      deadlineMs: 0, bandwidthMbps: 1, bandwidthTrendMbpsPerS: 0, rttMs: world.scenario.rttMs,
      deviceLoad: 0, edgeLoad: 0, trueEdgeLoad: 0, imageIndex: 0, deviceJitter: 1, edgeJitter: 1,
    };
    // The device learns the link before its first request: one probe (as a real device would
    // from connection set-up), so the first estimate is not a blind prior.
    this.#probe(lane);
    this.#drawRequest(lane);
    lane.edgeLoad = lane.trueEdgeLoad; // reported at connection set-up
    return lane;
  }

  /**
   * The background probe: `probeBytes` sent at the current trace time. Its serialisation time
   * is computed from the trace (what a shaper positioned there reports) and charged to no request.
   */
  #probe(lane: RequestLane): void {
    const bytes = Math.max(1, this.config.probeBytes);
    const ms = transferMs(lane.trace, { startS: lane.traceTimeS, bytes });
    if (Number.isFinite(ms) && ms > 0) this.#learn(lane, bytes, ms, lane.traceTimeS * 1000);
  }

  #learn(lane: RequestLane, bytes: number, transmitMs: number, atMs: number): void {
    // the first sample has no estimate of the device's own to surprise (only the blind prior)
    if (lane.telemetry.samples > 0) recordBandwidthSurprise(lane.telemetry, (bytes * 8) / (transmitMs * 1000), lane.bandwidthMbps);
    const est = lane.estimator.add({ bytes, transmitMs, atMs });
    lane.bandwidthMbps = est.mbps;
    lane.bandwidthTrendMbpsPerS = est.trendMbpsPerS;
    recordThroughput(lane.telemetry, (bytes * 8) / (transmitMs * 1000), atMs);
  }

  #drawRequest(lane: RequestLane): void {
    const sc = lane.world.scenario;
    const dj = this.#deviceJitter, ej = this.#edgeJitter;
    lane.deadlineMs = sampleDeadlineMs(sc.deadline, lane.rng);
    lane.imageIndex = lane.rng.int(this.imagePool);
    lane.deviceJitter = dj[lane.rng.int(dj.length)]!;
    lane.edgeJitter = ej[lane.rng.int(ej.length)]!;
    lane.deviceLoad = deviceLoadOf(sc, lane.scenario);
    lane.trueEdgeLoad = edgeLoadOf(sc, lane.scenario);
  }

  /**
   * Folds a served request into the lane (estimator, last outcome, trace time, probe, scenario)
   * and draws the next request.
   * @returns whether the episode reached its request limit (the caller truncates)
   */
  finishRequest(lane: RequestLane, served: ServedRequest): boolean {
    const { transmitMs } = served;
    const transferred = !served.local && Number.isFinite(transmitMs) && transmitMs > 0;
    // the device learns from its own transfer, or from a background probe when it sent nothing
    if (transferred) this.#learn(lane, served.bytes, transmitMs, lane.traceTimeS * 1000 + served.deviceMs);
    const last = lane.last;
    last.hit = served.hit;
    last.latencyMs = Math.min(served.totalMs, lane.deadlineMs * 2);
    last.deadlineMs = lane.deadlineMs;
    last.throughputMbps = transferred ? (served.bytes * 8) / (transmitMs * 1000) : Number.NaN;
    lane.hasLast = true;
    recordServed(lane.telemetry, this.#profile, {
      actionIndex: served.actionIndex, fallbackExit: served.fallbackExit, deviceMs: served.deviceMs, deviceLoad: lane.deviceLoad,
      edgeComputeMs: served.edgeReplied ? served.edgeComputeMs : Number.NaN, edgeQueueMs: served.edgeReplied ? served.edgeQueueMs : Number.NaN, hit: served.hit,
    });
    if (served.edgeReplied) {
      // the reply carries the load the edge served this request under, and times the round trip
      lane.edgeLoad = lane.trueEdgeLoad;
      if (Number.isFinite(served.measuredRttMs) && served.measuredRttMs >= 0) lane.rttMs = served.measuredRttMs;
    }
    // the device abandons a request at its deadline; the next one arrives on the fixed interval
    const busyMs = Math.min(served.totalMs, lane.deadlineMs);
    lane.traceTimeS += Math.max(lane.world.scenario.requestIntervalMs, busyMs) / 1000;
    lane.requestsDone++;
    if (served.local && this.config.probeBytes > 0) this.#probe(lane);
    advanceScenario(lane.world.scenario, lane.scenario, lane.rng);
    this.#drawRequest(lane);
    return lane.requestsDone >= this.config.scenario.episodeRequests;
  }

  /** The device's profile the stream's features and masks rest on. */
  get profile(): ActionProfile {
    return this.#profile;
  }

  /**
   * Writes the lane's deadline mask (config.deadlineMaskFactor) from its observation, already
   * written at `obsOffset`; all valid when the config has no factor.
   */
  writeMask(out: Uint8Array, outOffset: number, lane: RequestLane, observation: Float32Array, obsOffset: number): void {
    const f = this.config.deadlineMaskFactor;
    if (f === null) out.fill(1, outOffset, outOffset + this.#profile.size);
    else writeDeadlineMask(out, outOffset, this.#profile, lane, observation, obsOffset, f);
  }

  /** Writes the lane's observation into `out` at `offset` (no allocation). */
  writeObservation(out: Float32Array, offset: number, lane: RequestLane): void {
    writeObservation(out, offset, lane, lane.hasLast ? lane.last : null);
    writeMeasuredFeatures(out, offset, lane, { telemetry: lane.telemetry, nowMs: lane.traceTimeS * 1000, profile: this.#profile, accuracyRange: this.#accuracyRange });
  }

  /** A snapshot of the lane's decision context (a fresh object; no oracle view, no mask). */
  context(lane: RequestLane): DecisionContext {
    return {
      deadlineMs: lane.deadlineMs,
      bandwidthMbps: lane.bandwidthMbps,
      bandwidthTrendMbpsPerS: lane.bandwidthTrendMbpsPerS,
      rttMs: lane.rttMs,
      deviceLoad: lane.deviceLoad,
      edgeLoad: lane.edgeLoad,
      measuredSpeeds: { device: 2 ** lane.telemetry.deviceSpeedLog2, edge: 2 ** lane.telemetry.edgeSpeedLog2 },
      bandwidthSurprisesLn: lane.telemetry.bandwidthSurpriseLn.slice(0, lane.telemetry.surpriseSamples),
    };
  }
}
