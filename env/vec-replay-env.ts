/**
 * The replay env, vectorised: N independent scenarios stepped together over real bandwidth
 * traces, measured compute-time distributions and the model's per-sample correctness vectors.
 * Hot path: typed arrays, no allocation per step. Episodes auto-reset (Gymnasium vector-env
 * semantics: after a truncated step, `observations` already hold the next episode's first
 * observation). The per-request scenario (trace, deadlines, images, loads, estimator, last
 * outcome) comes from env/request-stream.ts, shared with the live env: same seed, same stream.
 */
import type { ActionAccuracyFile } from '../runtime/model/action-accuracy.ts';
import { createRng } from '../common/rng.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import { transferMs } from '../runtime/link/trace-integrate.ts';
import { offloadBudgetMs } from '../runtime/device/offload-budget.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { deviceEnergyMj } from '../runtime/profile/energy-model.ts';
import { ActionCodec } from './action-codec.ts';
import { profileFromActionTable } from './action-profile.ts';
import { buildActionTable, exitAccuracies, type ActionTable } from './action-table.ts';
import type { ComputeTimes } from './compute-times.ts';
import type { ActionOutcome, DecisionContext } from './decision-context.ts';
import { OBSERVATION_SIZE } from './observation.ts';
import { resolveEnvConfig, type EnvConfig, type EnvConfigInput } from './replay-config.ts';
import { RequestStream, type RequestLane, type ServedRequest } from './request-stream.ts';
import { computeReward } from './reward.ts';
import { measuredRttMs } from './rtt-measurement.ts';
import type { RequestOutcome } from './step-info.ts';

export interface VecReplayEnvOptions {
  readonly manifest: ModelManifest;
  readonly computeTimes: ComputeTimes;
  /** The traces episodes draw from (already filtered to the configured split). */
  readonly traces: readonly BandwidthTrace[];
  readonly numEnvs: number;
  readonly config?: EnvConfigInput;
  /** Measured accuracy of lossy actions (the package's `actionAccuracy`); absent: exits' accuracy. */
  readonly actionAccuracy?: ActionAccuracyFile | null;
}

/**
 * Safety margin the simulated device keeps before its deadline when it falls back, ms. A real
 * device keeps more (runtime default 2, the live env 3: its timers fire late), which replay does
 * not model.
 */
export const FALLBACK_MARGIN_MS = 1;

/** The simulated outcome of one action (a reused scratch record on the hot path). */
interface SimOutcome {
  deviceMs: number;
  uplinkMs: number;
  edgeMs: number;
  /** The edge's compute and queue parts of edgeMs, as its reply reports them, ms. */
  edgeComputeMs: number;
  edgeQueueMs: number;
  totalMs: number;
  energyMj: number;
  correct: boolean;
  /** Serialisation time of the transfer, ms (NaN when the transfer was cut short). */
  transmitMs: number;
  fallback: boolean;
  /** 1-based exit that answered. */
  answeredExit: number;
}

const newSim = (): SimOutcome => ({ deviceMs: 0, uplinkMs: 0, edgeMs: 0, edgeComputeMs: 0, edgeQueueMs: 0, totalMs: 0, energyMj: 0, correct: false, transmitMs: 0, fallback: false, answeredExit: 1 });

export class VecReplayEnv {
  readonly numEnvs: number;
  readonly observationSize = OBSERVATION_SIZE;
  readonly codec: ActionCodec;
  readonly actionCount: number;
  readonly config: EnvConfig;
  readonly table: ActionTable;
  /** Current observations, numEnvs × observationSize. */
  readonly observations: Float32Array;
  /**
   * Current action masks, numEnvs × actionCount: all valid (the replayed edge never goes away)
   * unless config.deadlineMaskFactor masks actions predicted to miss by far.
   */
  readonly masks: Uint8Array;
  /** For lanes truncated by the last step: the observation that ended the episode. */
  readonly finalObservations: Float32Array;
  /** For lanes truncated by the last step: the mask of that final observation. */
  readonly finalMasks: Uint8Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** Per-lane outcome arrays of the last step (hot-path friendly). */
  readonly lastTotalMs: Float64Array;
  readonly lastHit: Uint8Array;
  readonly lastCorrect: Uint8Array;
  readonly lastEnergyMj: Float64Array;

  readonly #manifest: ModelManifest;
  readonly #stream: RequestStream;
  readonly #exitAccuracy: readonly number[];
  readonly #accuracyRange: readonly [number, number];
  /** Per exit (0-based): the codec index of its local action. */
  readonly #localActionOfExit: Int32Array;
  /** Exits (0-based) from most to least accurate (ties: deeper first), as the runtime ranks them. */
  readonly #exitsByAccuracy: readonly number[];
  readonly #cheapestExit: number;
  readonly #cheapestLocalMs: number;
  /** Edge service time of another device's request (a raw image through the whole model), ms. */
  readonly #backgroundServiceMs: number;
  #lanes: RequestLane[] = [];
  /** Per lane: the episode the last step ended (its final context), or null when it did not end one. */
  #finalLanes: (RequestLane | null)[] = [];
  /** Hot-path scratch records (reused every step). */
  readonly #sim: SimOutcome = newSim();
  readonly #served: ServedRequest = {
    local: false, bytes: 0, transmitMs: 0, deviceMs: 0, totalMs: 0, hit: false, edgeReplied: false, measuredRttMs: Number.NaN,
    actionIndex: 0, fallbackExit: 0, edgeComputeMs: Number.NaN, edgeQueueMs: Number.NaN,
  };

  constructor(opts: VecReplayEnvOptions) {
    if (!Number.isInteger(opts.numEnvs) || opts.numEnvs <= 0) throw new RangeError(`Expected numEnvs a positive integer, actually ${opts.numEnvs}`);
    if (opts.traces.length === 0) throw new RangeError('Expected at least one bandwidth trace');
    this.config = resolveEnvConfig(opts.config);
    this.numEnvs = opts.numEnvs;
    this.#manifest = opts.manifest;
    this.codec = new ActionCodec(opts.manifest, this.config.encodings);
    this.actionCount = this.codec.size;
    this.table = buildActionTable(opts.manifest, this.codec, opts.computeTimes, opts.actionAccuracy ?? null);
    this.#stream = new RequestStream({
      manifest: opts.manifest, config: this.config, traces: opts.traces, deviceJitter: opts.computeTimes.device.jitter, edgeJitter: opts.computeTimes.edge.jitter,
      profile: profileFromActionTable(this.table),
    });
    this.#exitAccuracy = exitAccuracies(opts.manifest);
    this.#accuracyRange = [Math.min(...this.#exitAccuracy), Math.max(...this.#exitAccuracy)];
    this.#localActionOfExit = Int32Array.from(opts.manifest.exits, (e) => this.codec.encode({ exit: e.index, partition: e.branchStage, encoding: 'f32' }));
    this.#exitsByAccuracy = opts.manifest.exits
      .map((e, i) => ({ i, acc: e.accuracy ?? -1 }))
      .sort((x, y) => y.acc - x.acc || y.i - x.i)
      .map((e) => e.i);
    const localMs = Array.from(this.#localActionOfExit, (a) => this.table.deviceBaseMs[a]!);
    this.#cheapestExit = localMs.indexOf(Math.min(...localMs));
    this.#cheapestLocalMs = localMs[this.#cheapestExit]!;
    const finalExit = opts.manifest.exits.length;
    this.#backgroundServiceMs = this.table.edgeBaseMs[this.codec.encode({ exit: finalExit, partition: 0, encoding: 'uint8' })]!;
    this.observations = new Float32Array(this.numEnvs * OBSERVATION_SIZE);
    this.finalObservations = new Float32Array(this.numEnvs * OBSERVATION_SIZE);
    this.masks = new Uint8Array(this.numEnvs * this.actionCount).fill(1);
    this.finalMasks = new Uint8Array(this.numEnvs * this.actionCount).fill(1);
    this.rewards = new Float32Array(this.numEnvs);
    this.terminated = new Uint8Array(this.numEnvs);
    this.truncated = new Uint8Array(this.numEnvs);
    this.lastTotalMs = new Float64Array(this.numEnvs);
    this.lastHit = new Uint8Array(this.numEnvs);
    this.lastCorrect = new Uint8Array(this.numEnvs);
    this.lastEnergyMj = new Float64Array(this.numEnvs);
  }

  /** Reseeds every lane (lane i gets a generator forked from `seed`) and starts new episodes. */
  reset(seed: number): void {
    const root = createRng(seed);
    this.#lanes = [];
    this.#finalLanes = new Array<RequestLane | null>(this.numEnvs).fill(null);
    for (let i = 0; i < this.numEnvs; i++) {
      const lane = this.#stream.newLane(root.fork());
      this.#lanes.push(lane);
      this.#writeObs(i);
    }
  }

  #writeObs(i: number): void {
    const lane = this.#lanes[i]!;
    this.#stream.writeObservation(this.observations, i * OBSERVATION_SIZE, lane);
    if (this.config.deadlineMaskFactor !== null) this.#stream.writeMask(this.masks, i * this.actionCount, lane, this.observations, i * OBSERVATION_SIZE);
  }

  /** The decision context of lane i's waiting request (no oracle view). */
  context(i: number): DecisionContext {
    const ctx = this.#stream.context(this.#laneAt(i));
    return this.config.deadlineMaskFactor === null ? ctx : { ...ctx, actionMask: this.masks.slice(i * this.actionCount, (i + 1) * this.actionCount) };
  }

  /** The context with an oracle view of lane i's waiting request (true outcomes of every action). */
  oracleContext(i: number): DecisionContext {
    const lane = this.#laneAt(i);
    return {
      ...this.context(i),
      oracle: {
        outcome: (a) => {
          const o = this.#simulate(lane, this.codec.encode(a), newSim());
          return { deviceMs: o.deviceMs, uplinkMs: o.uplinkMs, edgeMs: o.edgeMs, totalMs: o.totalMs, energyMj: o.energyMj, correct: o.correct, answeredExit: o.answeredExit };
        },
      },
    };
  }

  #laneAt(i: number): RequestLane {
    const lane = this.#lanes[i];
    if (!lane) throw new RangeError(`Expected a lane index in [0, ${this.numEnvs - 1}] after reset, actually ${i}`);
    return lane;
  }

  /**
   * The true outcome of action index `a` for the lane's waiting request (pure: no state
   * change). Mirrors the device runtime (runtime/device/device-runtime.ts): an offload may use
   * the time left minus a reserve for the cheapest local exit; when its reply cannot arrive
   * within that budget the device answers from the most accurate local exit that still fits.
   */
  #simulate(lane: RequestLane, a: number, out: SimOutcome): SimOutcome {
    const t = this.table;
    // the episode's true propagation time (lane.rttMs is only what the device last measured)
    const rtt = lane.world.scenario.rttMs;
    // the device's slowdown acts like load: every local time (and the fallback reserve) stretches
    const loadFactor = lane.world.deviceSlowdown / (1 - lane.deviceLoad);
    const deviceMs = t.deviceBaseMs[a]! * lane.deviceJitter * loadFactor;
    const exitIdx = t.exitIndex[a]!;
    out.fallback = false;
    out.answeredExit = exitIdx + 1;
    out.edgeComputeMs = out.edgeQueueMs = Number.NaN;
    if (t.local[a]) {
      out.deviceMs = out.totalMs = deviceMs;
      out.uplinkMs = out.edgeMs = out.transmitMs = 0;
      out.energyMj = deviceEnergyMj({ deviceMs, uplinkMs: 0, waitMs: 0 });
      out.correct = this.#isCorrect(lane, a);
      return out;
    }
    const transmitMs = transferMs(lane.trace, { startS: lane.traceTimeS + deviceMs / 1000, bytes: t.bytes[a]! });
    const uplinkMs = transmitMs + rtt / 2;
    // Other devices keep the edge busy a share u of the time with requests of service time S:
    // an M/D/1 queue, mean wait u·S / (2(1 − u)) before this request runs (env/edge-load.ts
    // generates that load for real in the live env).
    const u = lane.trueEdgeLoad;
    const edgeComputeMs = lane.world.edgeSlowdown * t.edgeBaseMs[a]! * lane.edgeJitter;
    const edgeQueueMs = (lane.world.edgeSlowdown * u * this.#backgroundServiceMs) / (2 * (1 - u));
    const edgeMs = edgeComputeMs + edgeQueueMs;
    const replyMs = uplinkMs + edgeMs + rtt / 2;
    const leftMs = lane.deadlineMs - deviceMs;
    const reserveMs = this.#cheapestLocalMs * loadFactor + FALLBACK_MARGIN_MS;
    const budgetMs = offloadBudgetMs(leftMs, reserveMs);
    if (budgetMs > 0 && replyMs <= budgetMs) {
      out.deviceMs = deviceMs;
      out.uplinkMs = uplinkMs;
      out.edgeMs = edgeMs;
      out.edgeComputeMs = edgeComputeMs;
      out.edgeQueueMs = edgeQueueMs;
      out.totalMs = deviceMs + replyMs;
      out.energyMj = deviceEnergyMj({ deviceMs, uplinkMs, waitMs: edgeMs + rtt / 2 });
      out.correct = this.#isCorrect(lane, a);
      out.transmitMs = transmitMs;
      return out;
    }
    // fallback: give up on the edge when the budget runs out, answer locally
    const waitedMs = Math.max(0, budgetMs);
    const sentMs = Math.min(uplinkMs, waitedMs);
    const fb = this.#bestLocalWithin(lane.deadlineMs - deviceMs - waitedMs - FALLBACK_MARGIN_MS, loadFactor);
    const fbMs = t.deviceBaseMs[this.#localActionOfExit[fb]!]! * lane.deviceJitter * loadFactor;
    out.deviceMs = deviceMs + fbMs;
    out.uplinkMs = sentMs;
    out.edgeMs = 0;
    out.totalMs = deviceMs + waitedMs + fbMs;
    out.energyMj = deviceEnergyMj({ deviceMs: deviceMs + fbMs, uplinkMs: sentMs, waitMs: waitedMs - sentMs });
    out.correct = this.#isCorrect(lane, this.#localActionOfExit[fb]!);
    out.transmitMs = sentMs >= uplinkMs ? transmitMs : Number.NaN;
    out.fallback = true;
    out.answeredExit = fb + 1;
    return out;
  }

  /** The most accurate exit whose local run (estimated, without jitter) fits `budgetMs`, else the cheapest (0-based). */
  #bestLocalWithin(budgetMs: number, loadFactor: number): number {
    for (const e of this.#exitsByAccuracy) {
      if (this.table.deviceBaseMs[this.#localActionOfExit[e]!]! * loadFactor <= budgetMs) return e;
    }
    return this.#cheapestExit;
  }

  /** Whether action `a` answers this lane's image correctly (its own encoding's correctness). */
  #isCorrect(lane: RequestLane, a: number): boolean {
    const bits = this.table.correct[a]!;
    if (bits.length > 0) return bits[lane.imageIndex] === 1;
    // no correctness vector (untrained model): a deterministic per-image draw at the exit's accuracy
    const exitIndex = this.table.exitIndex[a]!;
    const h = Math.imul(lane.imageIndex + 1, 0x9e3779b1) ^ Math.imul(exitIndex + 1, 0x85ebca6b);
    return (h >>> 0) / 4294967296 < this.#exitAccuracy[exitIndex]!;
  }

  /**
   * Steps every lane with its action index. Fills rewards/terminated/truncated and the last*
   * arrays; observations and masks then describe the next requests. `outcomes`, when given,
   * receives each lane's full RequestOutcome (allocates; for the single env and evaluation).
   */
  step(actions: Int32Array | readonly number[], outcomes?: RequestOutcome[]): void {
    if (this.#lanes.length === 0) throw new RangeError('VecReplayEnv.step called before reset');
    for (let i = 0; i < this.numEnvs; i++) {
      const a = actions[i]!;
      if (!(a >= 0 && a < this.actionCount) || !Number.isInteger(a)) {
        throw new RangeError(`Expected actions[${i}] an integer in [0, ${this.actionCount - 1}], actually ${a}`);
      }
      const lane = this.#lanes[i]!;
      const o = this.#simulate(lane, a, this.#sim);
      const hit = o.totalMs <= lane.deadlineMs;
      // the answering action's true accuracy: a fallback answers with its local exit (f32)
      const answeredAccuracy = o.fallback ? this.#exitAccuracy[o.answeredExit - 1]! : this.table.accuracy[a]!;
      this.rewards[i] = computeReward(this.config.reward, { hit, correct: o.correct, exitAccuracy: answeredAccuracy, accuracyRange: this.#accuracyRange, energyMj: o.energyMj });
      this.lastTotalMs[i] = o.totalMs;
      this.lastHit[i] = hit ? 1 : 0;
      this.lastCorrect[i] = o.correct ? 1 : 0;
      this.lastEnergyMj[i] = o.energyMj;
      if (outcomes) {
        outcomes[i] = {
          action: this.codec.actions[a]!, actionIndex: a, deadlineMs: lane.deadlineMs,
          deviceMs: o.deviceMs, uplinkMs: o.uplinkMs, edgeMs: o.edgeMs, totalMs: o.totalMs,
          bytes: this.table.bytes[a]!, energyMj: o.energyMj, hit, correct: o.correct, fallback: o.fallback,
          answeredExit: o.answeredExit, imageIndex: lane.imageIndex, traceName: lane.trace.name, traceTimeS: lane.traceTimeS,
        };
      }
      const served = this.#served;
      served.local = this.table.local[a] === 1;
      served.bytes = this.table.bytes[a]!;
      served.transmitMs = o.transmitMs;
      served.deviceMs = o.deviceMs;
      served.totalMs = o.totalMs;
      served.hit = hit;
      served.edgeReplied = !served.local && !o.fallback;
      served.actionIndex = a;
      served.fallbackExit = o.fallback ? o.answeredExit : 0;
      served.edgeComputeMs = o.edgeComputeMs;
      served.edgeQueueMs = o.edgeQueueMs;
      served.measuredRttMs = served.edgeReplied ? measuredRttMs(lane.world.scenario.rttMs, { imageIndex: lane.imageIndex, requestIndex: lane.requestsDone, traceTimeS: lane.traceTimeS }) : Number.NaN;
      const episodeDone = this.#stream.finishRequest(lane, served);
      this.terminated[i] = 0;
      this.#writeObs(i);
      if (episodeDone) {
        // TimeLimit: keep the true next observation for bootstrapping, then auto-reset
        this.truncated[i] = 1;
        const o0 = i * OBSERVATION_SIZE;
        for (let k = 0; k < OBSERVATION_SIZE; k++) this.finalObservations[o0 + k] = this.observations[o0 + k]!;
        const m0 = i * this.actionCount;
        this.finalMasks.set(this.masks.subarray(m0, m0 + this.actionCount), m0);
        this.#finalLanes[i] = lane;
        this.#lanes[i] = this.#stream.newLane(lane.rng);
        this.#writeObs(i);
      } else {
        this.truncated[i] = 0;
        this.#finalLanes[i] = null;
      }
    }
  }

  /** Starts a new episode in lane i, continuing its RNG stream (reset without a seed). */
  restart(i: number): void {
    this.#lanes[i] = this.#stream.newLane(this.#laneAt(i).rng);
    this.#finalLanes[i] = null;
    this.#writeObs(i);
  }

  /**
   * For a lane the last step truncated: the context and request count of the episode that
   * ended (what `finalObservations` describe); null otherwise. `context(i)` and
   * `requestsDone(i)` already describe the next episode then.
   */
  finalState(i: number): { readonly context: DecisionContext; readonly requestsDone: number } | null {
    this.#laneAt(i);
    const lane = this.#finalLanes[i];
    return lane ? { context: this.#stream.context(lane), requestsDone: lane.requestsDone } : null;
  }

  /** Requests served so far in lane i's episode. */
  requestsDone(i: number): number {
    return this.#laneAt(i).requestsDone;
  }

  /** Name and trace time of lane i (for reports). */
  position(i: number): { traceName: string; traceTimeS: number } {
    const lane = this.#laneAt(i);
    return { traceName: lane.trace.name, traceTimeS: lane.traceTimeS };
  }

  get manifest(): ModelManifest {
    return this.#manifest;
  }
}
