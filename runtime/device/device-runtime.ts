/**
 * The device side of split execution. For one request (an action, a raw image,
 * a deadline) it runs the prefix sub-model, encodes the crossing tensor, paces the frame
 * through the LinkShaper, sends it to the edge and waits for the reply; or runs the whole
 * exit locally when the action says so.
 *
 * Fallback: an offload may use the time left minus a reserve: the cheapest local exit's
 * estimate at a high percentile of the current slowdown (local-exit-times.ts), plus how late
 * this thread's timers fire now (event-loop-lag.ts), plus fallbackMarginMs. So when the edge
 * is gone, frozen, slow, busy or answers with an error, the device still answers from the
 * best local exit that fits the time then left (`fallback: true`). The request tells the edge
 * this give-up budget (not the whole deadline), and a request given up is cancelled there.
 * The fallback reruns that exit from the input: the prefix output is a different tensor than
 * the one its head reads.
 *
 * Device load: `setDeviceLoad(f)` runs real background CPU work (device-load.ts). Under an
 * emulated profile the target times are also stretched by 1/(1 − min(f, 0.95)), the load
 * model of the latency predictor, since the real run is far shorter than the emulated one.
 *
 * @example
 * const device = await DeviceRuntime.create({ pkg, config: { edgeUrl: edge.url }, shaper: new LinkShaper({ trace }) });
 * const rec = await device.infer({ action: { exit: 5, partition: 6, encoding: 'int8' }, image, deadlineMs: 50 });
 * await device.close();
 */
import { CoinferError, isCoinferError } from '../../common/errors.ts';
import type { Action } from '../action.ts';
import { LinkShaper } from '../link/link-shaper.ts';
import { planExecution } from '../model/execution-plan.ts';
import type { ModelPackage } from '../model/model-package.ts';
import { preprocess } from '../model/preprocess.ts';
import { SessionCache } from '../model/session-cache.ts';
import { encodeRequest, type ReplyFrame } from '../wire/protocol.ts';
import { setRequestBudgetMs } from '../wire/request-budget.ts';
import { isJpeg } from '../action.ts';
import { encodeJpegInput } from '../wire/jpeg-input.ts';
import { encodeRawInput, encodeTensor, type EncodedTensor, type FloatEncoding } from '../wire/tensor-codec.ts';
import { argmaxRows } from './argmax-rows.ts';
import { emulatedMs, layersOfRange, profileRegression, runStretched, type TimedRun } from './compute-profile.ts';
import { DeviceLoad } from './device-load.ts';
import { resolveDeviceRuntimeConfig, type DeviceRuntimeConfig } from './device-runtime-config.ts';
import { EdgeClient, type EdgeConnectFailure } from './edge-client.ts';
import { eventLoopLagMs } from './event-loop-lag.ts';
import { offloadBudgetMs } from './offload-budget.ts';
import { LocalExitTimes } from './local-exit-times.ts';
import { buildRequestRecord, type FallbackReason, type RequestRecord, type RequestTally } from './request-record.ts';
import { rankMedian } from '../../common/rank-quantile.ts';

export interface DeviceRequest {
  readonly action: Action;
  /** One raw image, C·H·W uint8 pixels (not preprocessed). */
  readonly image: Uint8Array;
  /** Time budget from now, ms > 0 (Infinity = none). */
  readonly deadlineMs: number;
  /** The true class, when known (for `correct`). */
  readonly label?: number | null;
  /**
   * The uplink for this request only (default the runtime's `shaper`): e.g. a shaper positioned
   * at the request's arrival time in a trace, as the live env uses.
   */
  readonly shaper?: LinkShaper;
}

interface RequestContext {
  readonly req: DeviceRequest;
  readonly action: Action;
  readonly requestId: number;
  readonly startMs: number;
  readonly deadlineAtMs: number;
  readonly tally: RequestTally;
}

export class DeviceRuntime {
  readonly pkg: ModelPackage;
  readonly config: DeviceRuntimeConfig;
  readonly shaper: LinkShaper;
  readonly #sessions: SessionCache;
  readonly #client: EdgeClient | null;
  readonly #times: LocalExitTimes;
  /** Emulated ms at no load: [p] = prefix 1..p; exits by index − 1 for the local runs. */
  readonly #prefixTargetMs: Float64Array;
  readonly #localTargetMs: Float64Array;
  /** Calibrated real ms of each prefix 1..p (index p), to turn prefix runs into slowdowns. */
  readonly #prefixBaseMs: Float64Array;
  #load: DeviceLoad | null = null;
  #loadFraction = 0;
  #nextId = 1;
  #closed = false;

  private constructor(opts: { pkg: ModelPackage; config: DeviceRuntimeConfig; shaper: LinkShaper }) {
    const { pkg, config } = opts;
    const { manifest } = pkg;
    this.pkg = pkg;
    this.config = config;
    this.shaper = opts.shaper;
    this.#sessions = new SessionCache(pkg.onnx, { intraOpNumThreads: config.intraOpNumThreads });
    const reg = profileRegression(config.profile);
    this.#prefixTargetMs = Float64Array.from({ length: manifest.stages.length + 1 }, (_, p) => emulatedMs(reg, layersOfRange(manifest, { afterStage: 0, throughStage: p, exit: null })));
    this.#localTargetMs = Float64Array.from(manifest.exits, (e) => emulatedMs(reg, layersOfRange(manifest, { afterStage: 0, throughStage: e.branchStage, exit: e.index })));
    this.#times = new LocalExitTimes(manifest, { targetMs: [...this.#localTargetMs], percentile: config.reservePercentile });
    this.#prefixBaseMs = new Float64Array(manifest.stages.length + 1);
    this.#client = config.edgeUrl === null ? null : new EdgeClient({ url: config.edgeUrl, token: config.token, zeroMask: config.zeroMask, connectTimeoutMs: config.connectTimeoutMs, reconnectDelayMs: config.reconnectDelayMs });
  }

  /**
   * Creates the sessions, calibrates the local exit times, and connects to the edge. An edge
   * that cannot be reached is not an error: offloaded requests fall back until it is back.
   * @param opts.shaper the uplink (default: plain, unshaped)
   * @throws (rejects) CoinferError ERR_INVALID_CONFIG
   */
  static async create(opts: { pkg: ModelPackage; config?: Partial<DeviceRuntimeConfig>; shaper?: LinkShaper }): Promise<DeviceRuntime> {
    const config = resolveDeviceRuntimeConfig(opts.config);
    const rt = new DeviceRuntime({ pkg: opts.pkg, config, shaper: opts.shaper ?? new LinkShaper({}) });
    eventLoopLagMs(); // starts the lateness monitor, so calibration already gives it history
    try {
      await Promise.all([rt.#calibrate(), rt.#client?.connect()]);
    } catch (e) {
      await rt.close();
      throw e;
    }
    return rt;
  }

  async #calibrate(): Promise<void> {
    const { manifest } = this.pkg;
    const input = manifest.input;
    for (const s of manifest.stages) await this.#sessions.warm(input.name, s.output);
    const image = new Uint8Array(input.shape.reduce((a, b) => a * b, 1)).fill(128);
    const timeRuns = async (to: string): Promise<number> => {
      await this.#sessions.run({ from: input.name, to, input: preprocess(manifest, image), batch: 1, inputShape: input.shape }); // first run allocates
      const ms: number[] = [];
      for (let i = 0; i < this.config.calibrationRuns; i++) {
        const t0 = performance.now();
        await this.#sessions.run({ from: input.name, to, input: preprocess(manifest, image), batch: 1, inputShape: input.shape });
        ms.push(performance.now() - t0);
      }
      return rankMedian(ms);
    };
    for (const [i, s] of manifest.stages.entries()) this.#prefixBaseMs[i + 1] = await timeRuns(s.output);
    for (const ex of manifest.exits) {
      await this.#sessions.warm(input.name, ex.output);
      this.#times.observe(ex.index, await timeRuns(ex.output));
    }
  }

  /** True when device compute is stretched to an Edgent profile. */
  get emulated(): boolean {
    return this.config.profile !== 'native';
  }

  /** True while the edge connection is open. */
  get edgeConnected(): boolean {
    return this.#client?.connected ?? false;
  }

  /**
   * Why the edge is not connected, typed (null while it is, or when there is no edge):
   * ERR_UNAUTHORIZED for a refused token, ERR_EDGE_UNAVAILABLE otherwise. For callers that
   * must fail loudly instead of serving locally.
   */
  get edgeFailure(): EdgeConnectFailure | null {
    return this.#client === null ? null : this.#client.lastFailure;
  }

  /** Why the edge is not connected (null while it is, or when there is no edge). */
  get edgeError(): string | null {
    return this.#client === null || this.#client.connected ? null : this.#client.lastError;
  }

  /**
   * Starts a background reconnection to the edge when it is away (and the reconnect delay has
   * passed). Offloaded requests do this themselves; a caller that only runs local actions while
   * the edge is away calls it to find out when the edge is back.
   */
  reconnectEdge(): void {
    if (!this.#closed) this.#client?.reconnectSoon();
  }

  /** The background load now, in cores. */
  get deviceLoad(): number {
    return this.#loadFraction;
  }

  /** Compute-time factor of the emulated profile under the current load. */
  get #loadFactor(): number {
    return this.emulated ? 1 / (1 - Math.min(this.#loadFraction, 0.95)) : 1;
  }

  /** The current estimate of a whole local run of `exit`, ms (at the reserve percentile). */
  localExitMs(exit: number): number {
    return this.#times.estimateMs(exit, this.#loadFactor);
  }

  /** Time an offload keeps back for a local answer now, ms: cheapest exit + timer lateness + margin. */
  get reserveMs(): number {
    const lf = this.#loadFactor;
    return this.#times.estimateMs(this.#times.cheapest(lf), lf) + eventLoopLagMs(0.999) + this.config.fallbackMarginMs;
  }

  /**
   * Sets the background CPU load (real worker threads, see device-load.ts); 0 stops it.
   * @param fraction busy cores in [0, 8]
   */
  async setDeviceLoad(fraction: number): Promise<void> {
    if (fraction === this.#loadFraction) return;
    const next = new DeviceLoad({ fraction }); // validates before anything stops
    await this.#load?.stop();
    this.#load = next;
    this.#loadFraction = fraction;
    await next.start();
  }

  /**
   * Serves one request. Never rejects for edge or link trouble (that is a fallback).
   * @throws (rejects) CoinferError ERR_INVALID_ACTION; RangeError on a wrong image size or deadline
   */
  async infer(req: DeviceRequest): Promise<RequestRecord> {
    const startMs = performance.now();
    if (this.#closed) throw new CoinferError('ERR_INVALID_ARGUMENT', 'This DeviceRuntime is closed; create a new one');
    const { manifest } = this.pkg;
    const plan = planExecution(manifest, req.action);
    const want = manifest.input.shape.reduce((a, b) => a * b, 1);
    if (req.image.length !== want) throw new RangeError(`Expected one ${manifest.input.shape.join('×')} image (${want} bytes), actually ${req.image.length} bytes`);
    if (!(req.deadlineMs > 0)) throw new RangeError(`Expected deadlineMs > 0, actually ${req.deadlineMs}`);
    const requestId = this.#nextId;
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    const tally: RequestTally = { deviceMs: 0, uplinkMs: 0, queuedMs: 0, edgeQueueMs: 0, edgeComputeMs: 0, replyWaitMs: 0, bytes: 0 };
    const ctx: RequestContext = { req, action: plan.action, requestId, startMs, deadlineAtMs: startMs + req.deadlineMs, tally };
    const a = plan.action;

    if (plan.local) {
      const r = await this.#runLocal(a.exit, req.image);
      tally.deviceMs += r.computeMs;
      return this.#record(ctx, { answeredExit: a.exit, predictedClass: r.value, fallbackReason: null });
    }
    const client = this.#client;
    if (client === null || !client.connected) {
      client?.reconnectSoon();
      return this.#fallback(ctx, 'edge-unavailable');
    }
    let enc: EncodedTensor;
    if (a.partition === 0 && isJpeg(a.encoding)) {
      // The encode is device compute (in deviceMs, so the energy model charges compute power).
      const t0 = performance.now();
      const jpeg = await encodeJpegInput(req.image, manifest.input.shape, a.encoding);
      tally.deviceMs += performance.now() - t0;
      enc = { encoding: a.encoding, elements: req.image.length, bytes: jpeg, scale: 1, zeroPoint: 0 };
    } else if (a.partition === 0) {
      enc = encodeRawInput(req.image); // raw pixels: the edge preprocesses
    } else {
      const r = await this.#runPrefix(a.partition, req.image);
      tally.deviceMs += r.computeMs;
      enc = encodeTensor(r.value, a.encoding as FloatEncoding);
    }
    const leftMs = ctx.deadlineAtMs - performance.now();
    const reserveMs = this.reserveMs;
    const budgetMs = offloadBudgetMs(leftMs, reserveMs);
    if (!(budgetMs > 0)) return this.#fallback(ctx, 'timeout');
    const frame = encodeRequest({
      requestId, modelId: this.pkg.modelId, partition: a.partition, exit: a.exit, encoding: a.encoding,
      dims: [1, ...plan.crossing!.shape], deadlineMs: Number.isFinite(budgetMs) ? budgetMs : 0, scale: enc.scale, zeroPoint: enc.zeroPoint,
    }, enc.bytes);
    const reply = await this.#offload(ctx, { client, frame, budgetMs });
    if (typeof reply === 'string') return this.#fallback(ctx, reply);
    if (reply.status !== 'OK') return this.#fallback(ctx, reply.status);
    return this.#record(ctx, { answeredExit: a.exit, predictedClass: reply.predictedClasses[0]!, fallbackReason: null });
  }

  /** Paces and sends the frame, then waits for the reply, all within `budgetMs`; a string = why it failed. */
  async #offload(ctx: RequestContext, o: { client: EdgeClient; frame: Uint8Array; budgetMs: number }): Promise<ReplyFrame | 'timeout' | 'edge-unavailable'> {
    const { tally } = ctx;
    const ac = new AbortController();
    const timer = Number.isFinite(o.budgetMs)
      ? setTimeout(() => ac.abort(new CoinferError('ERR_DEADLINE_EXCEEDED', `The edge's reply could not arrive within ${o.budgetMs.toFixed(1)} ms`)), o.budgetMs)
      : undefined;
    const upStartMs = performance.now();
    let sentMs: number | null = null;
    try {
      const link = await (ctx.req.shaper ?? this.shaper).transmit(o.frame.byteLength, ac.signal);
      tally.uplinkMs = link.uplinkMs;
      tally.queuedMs = link.queuedMs;
      sentMs = performance.now();
      // The budget left now that the bytes go out (the edge counts it from their arrival), less
      // how late this thread handles events now: a reply that lands just before the give-up
      // timer but is handled after it is edge work wasted.
      if (Number.isFinite(o.budgetMs)) setRequestBudgetMs(o.frame, Math.max(0.001, o.budgetMs - (sentMs - upStartMs) - eventLoopLagMs(0.99)));
      tally.bytes = o.frame.byteLength;
      const reply = await o.client.request({ frame: o.frame, requestId: ctx.requestId, signal: ac.signal });
      tally.replyWaitMs = performance.now() - sentMs;
      tally.edgeQueueMs = reply.queueMs;
      tally.edgeComputeMs = reply.computeMs;
      return reply;
    } catch (e) {
      if (!isCoinferError(e)) throw e; // a bug, not a network condition
      if (sentMs === null) tally.uplinkMs = performance.now() - upStartMs;
      else tally.replyWaitMs = performance.now() - sentMs;
      return e.code === 'ERR_EDGE_UNAVAILABLE' ? 'edge-unavailable' : 'timeout';
    } finally {
      clearTimeout(timer);
    }
  }

  /** Answers from the best local exit that fits the time left. */
  async #fallback(ctx: RequestContext, reason: FallbackReason): Promise<RequestRecord> {
    const leftMs = ctx.deadlineAtMs - performance.now() - this.config.fallbackMarginMs - eventLoopLagMs(0.999);
    const { exit } = this.#times.bestWithin(leftMs, this.#loadFactor);
    const r = await this.#runLocal(exit, ctx.req.image);
    ctx.tally.deviceMs += r.computeMs;
    return this.#record(ctx, { answeredExit: exit, predictedClass: r.value, fallbackReason: reason });
  }

  async #runPrefix(partition: number, image: Uint8Array): Promise<TimedRun<Float32Array>> {
    const { manifest } = this.pkg;
    const input = manifest.input;
    const r = await runStretched(
      () => this.#sessions.run({ from: input.name, to: manifest.stages[partition - 1]!.output, input: preprocess(manifest, image), batch: 1, inputShape: input.shape }),
      { targetMs: this.#prefixTargetMs[partition]! * this.#loadFactor },
    );
    // How much slower than calibrated the device computes now: it moves the fallback reserve.
    this.#times.observeSlowdown(r.realMs / this.#prefixBaseMs[partition]!);
    return r;
  }

  async #runLocal(exit: number, image: Uint8Array): Promise<TimedRun<number>> {
    const { manifest } = this.pkg;
    const input = manifest.input;
    const r = await runStretched(async () => {
      const probs = await this.#sessions.run({ from: input.name, to: manifest.exits[exit - 1]!.output, input: preprocess(manifest, image), batch: 1, inputShape: input.shape });
      return argmaxRows(probs, manifest.architecture.classes)[0]!;
    }, { targetMs: this.#localTargetMs[exit - 1]! * this.#loadFactor });
    this.#times.observe(exit, r.realMs);
    return r;
  }

  #record(ctx: RequestContext, o: { answeredExit: number; predictedClass: number; fallbackReason: FallbackReason | null }): RequestRecord {
    const { req, action } = ctx;
    return buildRequestRecord({
      requestId: ctx.requestId, action, ...o, label: req.label ?? null, deadlineMs: req.deadlineMs,
      totalMs: performance.now() - ctx.startMs, tally: ctx.tally, emulated: this.emulated,
    });
  }

  /** Stops the load, closes the edge connection, releases the sessions; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#load?.stop();
    await this.#client?.close();
    await this.#sessions.close();
  }
}
