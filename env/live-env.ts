/**
 * The live env (docs/architecture.md §5, issue 5): the replay env's contract, observation, actions, reward and
 * config, but every step is a real inference of a real test image (the model package's samples)
 * through the real runtime: a DeviceRuntime (profile `edgent-rpi3b` by default: real runs
 * stretched to the Pi's predicted times, "emulated"), a LinkShaper replaying the episode's trace,
 * an edge server over WebSocket, real background CPU load on the device (the scenario's device
 * load, DeviceRuntime.setDeviceLoad) and real requests from other devices to the same edge (the
 * scenario's edge load, env/edge-load.ts).
 *
 * The request stream is the replay env's (env/request-stream.ts): same seed, same trace, start
 * time, deadlines, images and loads. What differs is how each request is served.
 *
 * Time scaling: the trace clock advances between requests as in the replay env (the fixed
 * arrival interval), but the idle gap between requests is skipped in wall time. Each request's
 * link replay starts at its arrival time in the trace: a fresh LinkShaper positioned at the
 * request's trace time (timeScale 1), so its transfer meets the bandwidth the replay env
 * integrates over. The bandwidth probe sent when a request used no link is computed from the
 * trace, as the replay does (the shaper would report the same time; it is charged to no request).
 *
 * RTT: the shaper delays each request by the full scenario RTT (the reply path over loopback is
 * not shaped); outcomes report uplinkMs with the request direction's RTT/2 only, as the replay
 * env does, and the other half stays in totalMs.
 *
 * The edge: `edgeUrl` connects to a running edge (`coinfer edge`); without it the env starts
 * its own edge in this process on 127.0.0.1, port 0 (profile `edgent-desktop` by default) and
 * closes it in close(). When the edge cannot be reached, the action mask offers local actions
 * only and the device keeps trying to reconnect in the background.
 *
 * @example
 * const env = await LiveEnv.create({ pkg, traces: await loadSplitTraces({ split: 'test' }) });
 * env.outcomes$.subscribe((o) => console.log(o.totalMs, o.hit));
 * let { observation, info } = await env.reset({ seed: 1 });
 * const r = await env.step(policyIndex(observation, info.context));
 * await env.close();
 */
import { Subject, type Observable } from 'rxjs';
import { CoinferError } from '../common/errors.ts';
import { createRng } from '../common/rng.ts';
import type { DeviceComputeProfile, EdgeComputeProfile } from '../runtime/device/compute-profile.ts';
import { DeviceRuntime } from '../runtime/device/device-runtime.ts';
import { profileRegression } from '../runtime/device/compute-profile.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../runtime/profile/edgent-profiles.ts';
import { createLatencyTable } from '../runtime/profile/latency-predictor.ts';
import { profileFromLatencyTable, type ActionProfile } from './action-profile.ts';
import type { RequestRecord } from '../runtime/device/request-record.ts';
import { startEdgeServer, type EdgeServer } from '../runtime/edge/edge-server.ts';
import { LinkShaper } from '../runtime/link/link-shaper.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import type { ModelPackage } from '../runtime/model/model-package.ts';
import { loadSamples, type SampleSet } from '../runtime/model/samples.ts';
import { deviceEnergyMj } from '../runtime/profile/energy-model.ts';
import { ActionCodec } from './action-codec.ts';
import { exitAccuracies } from './action-table.ts';
import { actionAccuracyOf, jpegInputEncodings } from '../runtime/model/action-accuracy.ts';
import type { DecisionContext } from './decision-context.ts';
import { EdgeLoad, type EdgeLoadStats } from './edge-load.ts';
import type { Env, ResetResult, StepResult } from './env.ts';
import { OBSERVATION_SIZE, observationSpace } from './observation.ts';
import { resolveEnvConfig, type EnvConfig, type EnvConfigInput } from './replay-config.ts';
import { RequestStream, type RequestLane } from './request-stream.ts';
import { computeReward } from './reward.ts';
import { Discrete, type Box } from './spaces.ts';
import type { CoinferInfo, RequestOutcome } from './step-info.ts';

export interface LiveEnvOptions {
  readonly pkg: ModelPackage;
  /** The traces episodes draw from (already filtered to the configured split). */
  readonly traces: readonly BandwidthTrace[];
  /** The replay env's config; imagePool is capped to the package's sample count. */
  readonly config?: EnvConfigInput;
  /** Device compute profile (default 'edgent-rpi3b', emulated). */
  readonly deviceProfile?: DeviceComputeProfile;
  /** A running edge, ws://host:port; default: the env starts its own on 127.0.0.1:0. */
  readonly edgeUrl?: string;
  /** Bearer token for the edge (and the own edge requires it when set); default none. */
  readonly token?: string | null;
  /** Compute profile of the env's own edge (default 'edgent-desktop'; ignored with edgeUrl). */
  readonly edgeProfile?: EdgeComputeProfile;
  /**
   * Apply the scenario's device load (default true): real worker threads, and the emulated
   * profile's 1/(1 − load) stretch. false (fast tests) serves every request unloaded while the
   * observation still reports the scenario's load, so it no longer matches the replay env.
   */
  readonly deviceLoad?: boolean;
  /** Apply the scenario's edge load with other devices' real requests (default true; false: an idle edge). */
  readonly edgeLoad?: boolean;
  /** The test images (default: the package's samples). */
  readonly samples?: SampleSet;
  /** Start every episode at this trace time, s ≥ 0, instead of a seeded random one (e.g. `device --offset-s`). */
  readonly traceOffsetS?: number;
  /** Limit of one edge connection attempt, ms (default 2000). */
  readonly connectTimeoutMs?: number;
  /**
   * The device's fallback safety margin, ms (default 3, the replay env assumes 1): real timers
   * fire late (the give-up timer and the emulation's wait, about 1–2 ms together here), so with
   * 1 ms a fallback that uses the whole budget answers just after its deadline.
   */
  readonly fallbackMarginMs?: number;
  /**
   * What the device believes each action costs (its speed estimates and planner features rest
   * on it); default: the latency regressions of `deviceProfile` and `edgeProfile` (Edgent's
   * Raspberry Pi 3B and desktop for `native`, which has no regression of its own).
   */
  readonly actionProfile?: ActionProfile;
}

/** Default fallback margin of the live device, ms (see LiveEnvOptions.fallbackMarginMs). */
export const LIVE_FALLBACK_MARGIN_MS = 3;

/** One served request, as the outcome stream emits it: the outcome plus its transition fields. */
export interface LiveOutcome extends RequestOutcome {
  /** The observation the action was chosen in. */
  readonly observation: Float32Array;
  readonly reward: number;
  /** The observation after the step (the final one when truncated). */
  readonly nextObservation: Float32Array;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly nextActionMask: Uint8Array;
  /** The device runtime's full record of the request. */
  readonly record: RequestRecord;
}

export class LiveEnv implements Env<Float32Array, number, CoinferInfo> {
  readonly observationSpace: Box = observationSpace();
  readonly actionSpace: Discrete;
  readonly codec: ActionCodec;
  readonly config: EnvConfig;
  readonly samples: SampleSet;
  /** The device runtime serving the requests. */
  readonly device: DeviceRuntime;
  /** The edge's address. */
  readonly edgeUrl: string;
  /**
   * Every served request with its transition fields, emitted when its step resolves; completes
   * on close(). Hot: subscribers see the requests served after they subscribed.
   */
  readonly outcomes$: Observable<LiveOutcome>;
  readonly #stream: RequestStream;
  readonly #pkg: ModelPackage;
  readonly #edge: EdgeServer | null;
  readonly #edgeLoad: EdgeLoad | null;
  readonly #outcomes = new Subject<LiveOutcome>();
  readonly #exitAccuracy: readonly number[];
  readonly #actionAccuracy: Float64Array;
  readonly #accuracyRange: readonly [number, number];
  readonly #deviceLoadOn: boolean;
  readonly #startS: number | undefined;
  #lane: RequestLane | null = null;
  #observation = new Float32Array(OBSERVATION_SIZE);
  #mask: Uint8Array;
  #state: 'new' | 'running' | 'closed' = 'new';
  #closing: Promise<void> | null = null;

  private constructor(o: { opts: LiveEnvOptions; config: EnvConfig; samples: SampleSet; device: DeviceRuntime; edge: EdgeServer | null; edgeUrl: string; edgeLoad: EdgeLoad | null }) {
    const { pkg } = o.opts;
    this.#pkg = pkg;
    this.config = o.config;
    this.samples = o.samples;
    this.device = o.device;
    this.#edge = o.edge;
    this.edgeUrl = o.edgeUrl;
    this.#edgeLoad = o.edgeLoad;
    this.#deviceLoadOn = o.opts.deviceLoad ?? true;
    this.#startS = o.opts.traceOffsetS;
    this.codec = new ActionCodec(pkg.manifest, o.config.encodings);
    this.actionSpace = new Discrete(this.codec.size);
    this.#exitAccuracy = exitAccuracies(pkg.manifest);
    this.#actionAccuracy = Float64Array.from(this.codec.actions, (a) => actionAccuracyOf(pkg.manifest, pkg.actionAccuracy, a).accuracy ?? this.#exitAccuracy[a.exit - 1]!);
    this.#accuracyRange = [Math.min(...this.#exitAccuracy), Math.max(...this.#exitAccuracy)];
    // Jitter is real here: one-entry tables keep the replay's RNG consumption (one draw each).
    const one = Float64Array.of(1);
    const profile = o.opts.actionProfile ?? defaultActionProfile(pkg, this.codec, this.#actionAccuracy, o.opts);
    this.#stream = new RequestStream({ manifest: pkg.manifest, config: o.config, traces: o.opts.traces, deviceJitter: one, edgeJitter: one, profile });
    this.#mask = this.codec.fullMask();
    this.outcomes$ = this.#outcomes.asObservable();
  }

  /**
   * Starts the runtime parts (own edge unless `edgeUrl`, device runtime, background devices).
   * An unreachable edge is not an error: the mask then offers local actions only.
   * @throws (rejects) CoinferError ERR_DATASET_NOT_FOUND (package without samples), ERR_INVALID_CONFIG
   */
  static async create(opts: LiveEnvOptions): Promise<LiveEnv> {
    if (opts.traces.length === 0) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected at least one bandwidth trace');
    if (opts.traceOffsetS !== undefined && !(opts.traceOffsetS >= 0 && Number.isFinite(opts.traceOffsetS))) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected traceOffsetS a finite number of seconds >= 0, actually ${opts.traceOffsetS}`);
    const samples = opts.samples ?? (await loadSamples(opts.pkg));
    const given = resolveEnvConfig(opts.config);
    const config = resolveEnvConfig({ ...opts.config, imagePool: given.imagePool > 0 ? Math.min(given.imagePool, samples.count) : samples.count });
    const token = opts.token ?? null;
    let edge: EdgeServer | null = null;
    let device: DeviceRuntime | null = null;
    let edgeLoad: EdgeLoad | null = null;
    try {
      if (opts.edgeUrl === undefined) edge = await startEdgeServer({ pkg: opts.pkg, config: { port: 0, host: '127.0.0.1', token, profile: opts.edgeProfile ?? 'edgent-desktop' } });
      const edgeUrl = opts.edgeUrl ?? edge!.url;
      const own = edge !== null; // loopback to our own edge: zero masks are safe (edge-client.ts)
      device = await DeviceRuntime.create({
        pkg: opts.pkg,
        config: {
          edgeUrl, token, profile: opts.deviceProfile ?? 'edgent-rpi3b', zeroMask: own,
          connectTimeoutMs: opts.connectTimeoutMs ?? 2000, fallbackMarginMs: opts.fallbackMarginMs ?? LIVE_FALLBACK_MARGIN_MS,
        },
      });
      if ((opts.edgeLoad ?? true) && config.scenario.otherDevices > 0 && device.edgeConnected) {
        edgeLoad = await EdgeLoad.start({ pkg: opts.pkg, url: edgeUrl, token, devices: config.scenario.otherDevices, images: samples.images, rng: createRng(0x5eed), zeroMask: own });
      }
      return new LiveEnv({ opts, config, samples, device, edge, edgeUrl, edgeLoad });
    } catch (e) {
      await edgeLoad?.close();
      await device?.close();
      await edge?.close();
      throw e;
    }
  }

  /** Background devices sending to the edge (0 when edge load is off or the edge was unreachable at start). */
  get backgroundDevices(): number {
    return this.#edgeLoad?.devices ?? 0;
  }

  /** The background devices' counters (null without them). */
  get edgeLoadStats(): EdgeLoadStats | null {
    return this.#edgeLoad?.stats ?? null;
  }

  /** The mask of `observation`'s request: local-only while the edge is away, and the deadline mask when configured. */
  #refreshMask(observation: Float32Array): void {
    if (this.device.edgeConnected) {
      this.#mask = this.codec.fullMask();
    } else {
      this.#mask = this.codec.localOnlyMask();
      this.device.reconnectEdge();
    }
    if (this.config.deadlineMaskFactor !== null && this.#lane !== null) {
      const deadline = new Uint8Array(this.codec.size);
      this.#stream.writeMask(deadline, 0, this.#lane, observation, 0);
      const both = this.#mask.map((m, a) => m & deadline[a]!);
      // the edge being away wins: a local action stays when the deadline mask left only offloads
      if (both.includes(1)) this.#mask = both;
    }
  }

  /** The decision context of the waiting request (with the local-only mask when the edge is away). */
  context(): DecisionContext {
    const ctx = this.#stream.context(this.#laneOrThrow());
    return this.device.edgeConnected && this.config.deadlineMaskFactor === null ? ctx : { ...ctx, actionMask: this.#mask.slice() };
  }

  #laneOrThrow(): RequestLane {
    if (this.#lane === null) throw new CoinferError('ERR_RESET_NEEDED', 'No request is waiting: call reset() first');
    return this.#lane;
  }

  #info(outcome: RequestOutcome | null): CoinferInfo {
    return { actionMask: this.#mask.slice(), context: this.context(), outcome, requestsDone: this.#lane!.requestsDone };
  }

  async reset(opts: { readonly seed?: number } = {}): Promise<ResetResult<Float32Array, CoinferInfo>> {
    if (this.#state === 'closed') throw new CoinferError('ERR_ENV_CLOSED', 'reset() on a closed env: create a new env');
    // As ReplayEnv: a seed (or the first reset) re-seeds; otherwise the lane's stream continues.
    const rng = opts.seed !== undefined || this.#lane === null ? createRng(opts.seed ?? 0).fork() : this.#lane.rng;
    this.#lane = this.#stream.newLane(rng, this.#startS);
    this.#observation = new Float32Array(OBSERVATION_SIZE);
    this.#stream.writeObservation(this.#observation, 0, this.#lane);
    this.#refreshMask(this.#observation);
    this.#state = 'running';
    return { observation: this.#observation.slice(), info: this.#info(null) };
  }

  async step(action: number): Promise<StepResult<Float32Array, CoinferInfo>> {
    if (this.#state === 'closed') throw new CoinferError('ERR_ENV_CLOSED', 'step() on a closed env: create a new env');
    if (this.#state === 'new') throw new CoinferError('ERR_RESET_NEEDED', 'Cannot call step() before reset()');
    if (!this.actionSpace.contains(action)) throw new CoinferError('ERR_INVALID_ACTION', `Expected an action index in [0, ${this.actionSpace.n - 1}], actually ${action}`);
    const lane = this.#lane!;
    const observation = this.#observation;
    const rttMs = lane.world.scenario.rttMs;
    await this.device.setDeviceLoad(this.#deviceLoadOn ? lane.deviceLoad : 0);
    this.#edgeLoad?.set({ activeDevices: popcount(lane.scenario.activeDevices), utilisation: lane.trueEdgeLoad });
    const k = lane.imageIndex;
    const pixels = this.samples.shape.reduce((a, b) => a * b, 1);
    // A shaper positioned at this request's arrival in the trace (the idle gap is skipped).
    const shaper = new LinkShaper({ trace: lane.trace, offsetS: lane.traceTimeS, propagationDelayMs: rttMs });
    const typed = this.codec.decode(action);
    const record = await this.device.infer({ action: typed, image: this.samples.images.subarray(k * pixels, (k + 1) * pixels), deadlineMs: lane.deadlineMs, label: this.samples.labels[k]!, shaper });
    const sent = record.bytes > 0;
    const uplinkMs = sent ? Math.max(0, record.uplinkMs - rttMs / 2) : record.uplinkMs;
    const edgeMs = record.fallback ? 0 : record.edgeMs;
    const energyMj = deviceEnergyMj({ deviceMs: record.deviceMs, uplinkMs, waitMs: Math.max(0, record.totalMs - record.deviceMs - uplinkMs) });
    const hit = record.hitDeadline;
    const correct = record.correct === true;
    const outcome: RequestOutcome = {
      action: typed, actionIndex: action, deadlineMs: lane.deadlineMs,
      deviceMs: record.deviceMs, uplinkMs, edgeMs, totalMs: record.totalMs, bytes: record.bytes, energyMj, hit, correct,
      fallback: record.fallback, answeredExit: record.answeredExit, imageIndex: k, traceName: lane.trace.name, traceTimeS: lane.traceTimeS,
    };
    // The answering action's true accuracy (lossy encodings measured), a fallback's local exit's.
    const answeredAccuracy = record.fallback ? this.#exitAccuracy[record.answeredExit - 1]! : this.#actionAccuracy[action]!;
    const reward = computeReward(this.config.reward, { hit, correct, exitAccuracy: answeredAccuracy, accuracyRange: this.#accuracyRange, energyMj });
    // The reply reports the edge's queue and compute times, not a load figure: the device takes the
    // load the edge served this request under. Its RTT is the shaped propagation plus the real
    // return path (reply wait beyond the edge's own time).
    const edgeReplied = sent && !record.fallback;
    const done = this.#stream.finishRequest(lane, {
      local: this.codec.isLocal(action), bytes: record.bytes,
      transmitMs: sent ? record.uplinkMs - record.queuedMs - rttMs : Number.NaN,
      deviceMs: record.deviceMs, totalMs: record.totalMs, hit,
      edgeReplied, measuredRttMs: edgeReplied ? rttMs + Math.max(0, record.replyWaitMs - record.edgeMs) : Number.NaN,
      actionIndex: action, fallbackExit: record.fallback ? record.answeredExit : 0,
      edgeComputeMs: edgeReplied ? record.edgeComputeMs : Number.NaN, edgeQueueMs: edgeReplied ? record.edgeQueueMs : Number.NaN,
    });
    const next = new Float32Array(OBSERVATION_SIZE);
    this.#stream.writeObservation(next, 0, lane);
    this.#refreshMask(next);
    if (done) {
      // As VecReplayEnv: the lane starts its next episode at once; reset() then starts another.
      this.#lane = this.#stream.newLane(lane.rng, this.#startS);
      this.#state = 'new';
    } else {
      this.#observation = next;
    }
    const info = done ? { actionMask: this.#mask.slice(), context: this.#stream.context(lane), outcome, requestsDone: lane.requestsDone } : this.#info(outcome);
    this.#outcomes.next({ ...outcome, observation, reward, nextObservation: next.slice(), terminated: false, truncated: done, nextActionMask: this.#mask.slice(), record });
    return { observation: next, reward, terminated: false, truncated: done, info };
  }

  /** Stops the background devices and load, closes the device runtime and the own edge, completes outcomes$; idempotent. */
  close(): Promise<void> {
    this.#state = 'closed';
    this.#closing ??= (async () => {
      this.#outcomes.complete();
      await this.#edgeLoad?.close();
      await this.device.close();
      await this.#edge?.close();
    })();
    return this.#closing;
  }

  get manifest(): ModelPackage['manifest'] {
    return this.#pkg.manifest;
  }
}

/** The regressions the device runtime and the edge emulate, with the package's measured JPEG figures. */
function defaultActionProfile(pkg: ModelPackage, codec: ActionCodec, accuracy: Float64Array, opts: LiveEnvOptions): ActionProfile {
  const device = profileRegression(opts.deviceProfile ?? 'edgent-rpi3b') ?? EDGENT_RPI3B;
  const edge = profileRegression(opts.edgeProfile ?? 'edgent-desktop') ?? EDGENT_DESKTOP;
  return profileFromLatencyTable({ ...createLatencyTable(pkg.manifest, device, edge), inputEncodings: jpegInputEncodings(pkg.actionAccuracy) }, codec.actions, accuracy);
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v; v &= v - 1) n++;
  return n;
}
