/**
 * Edge load from other devices, for the live env (issue 5): K simulated devices, each with its
 * own WebSocket connection to the edge, send real requests (a real image, the whole model on
 * the edge: partition 0, the last exit) that queue in the edge's one FIFO compute queue ahead
 * of the device's own requests.
 *
 * How edge load maps to a request rate: the scenario's edge load u (in [0, 0.9]) is the share
 * of the edge's time the other devices keep busy. With S the edge's service time of one
 * background request (the median compute time its replies report, measured at start), the
 * active devices together send Poisson arrivals at λ = u / S requests per ms, split equally
 * among them, so the edge is busy with background work a share u of the time. The device's
 * own requests then wait behind that work (an M/D/1-like queue, not the replay's
 * compute / (1 − u) stretch: the two agree on the direction and grow alike as u → 1, but not in
 * every number; calibration measures the gap).
 *
 * @example
 * const load = await EdgeLoad.start({ pkg, url: edge.url, devices: 4, images: samples.images, rng });
 * load.set({ activeDevices: 2, utilisation: 0.3 });
 * await load.close();
 */
import { setMaxListeners } from 'node:events';
import { CoinferError } from '../common/errors.ts';
import type { Rng } from '../common/rng.ts';
import { EdgeClient } from '../runtime/device/edge-client.ts';
import { realClock } from '../runtime/link/clock.ts';
import type { ModelPackage } from '../runtime/model/model-package.ts';
import { encodeRequest } from '../runtime/wire/protocol.ts';
import { rankMedian } from '../common/rank-quantile.ts';
import { MAX_OTHER_DEVICES } from './scenario.ts';

export interface EdgeLoadOptions {
  readonly pkg: ModelPackage;
  /** The edge, ws://host:port. */
  readonly url: string;
  /** Bearer token for the edge; null = none. */
  readonly token?: string | null;
  /** Send all-zero WebSocket masks (loopback or trusted LAN only; see edge-client.ts); default false. */
  readonly zeroMask?: boolean;
  /** Simulated devices (connections), integer in [0, 64]. */
  readonly devices: number;
  /** Raw images the background requests send, [N, C, H, W] uint8 (e.g. the package's samples). */
  readonly images: Uint8Array;
  /** Arrival times and image choices. */
  readonly rng: Rng;
  /** Requests one simulated device keeps in flight, integer ≥ 1 (default 4); further arrivals are dropped and counted. */
  readonly maxInFlight?: number;
  /** Sequential requests timed at start to measure the service time S (default 5). */
  readonly calibrationRequests?: number;
}

export interface EdgeLoadStats {
  readonly sent: number;
  readonly answered: number;
  /** Requests that got an error reply or no reply (edge gone). */
  readonly failed: number;
  /** Arrivals dropped because the device already had maxInFlight requests out. */
  readonly dropped: number;
}

interface SimDevice {
  readonly client: EdgeClient;
  nextId: number;
  inFlight: number;
}


export class EdgeLoad {
  readonly #devices: readonly SimDevice[];
  readonly #pkg: ModelPackage;
  readonly #images: Uint8Array;
  readonly #imageCount: number;
  readonly #rng: Rng;
  readonly #maxInFlight: number;
  /** Arrival rate of each device now, requests per ms (0 = idle). */
  readonly #ratePerMs: Float64Array;
  /** Aborted whenever the rates change (sleeping devices redraw) and on close. */
  #epoch = EdgeLoad.#newEpoch();
  #loops: Promise<void>[] = [];
  #serviceMs = Number.NaN;
  #closed = false;
  readonly #counts = { sent: 0, answered: 0, failed: 0, dropped: 0 };

  private constructor(opts: EdgeLoadOptions, devices: SimDevice[]) {
    this.#pkg = opts.pkg;
    this.#images = opts.images;
    this.#imageCount = Math.floor(opts.images.length / opts.pkg.manifest.input.shape.reduce((a, b) => a * b, 1));
    this.#rng = opts.rng;
    this.#maxInFlight = opts.maxInFlight ?? 4;
    this.#devices = devices;
    this.#ratePerMs = new Float64Array(devices.length);
  }

  /** Edge service time of one background request, ms (the measured median; NaN without devices). */
  get serviceMs(): number {
    return this.#serviceMs;
  }

  /**
   * Connects the simulated devices and measures the service time (idle until `set`).
   * @throws (rejects) CoinferError ERR_INVALID_ARGUMENT on bad options; ERR_EDGE_UNAVAILABLE
   *   when the edge cannot be reached or does not answer the timing requests
   */
  static async start(opts: EdgeLoadOptions): Promise<EdgeLoad> {
    const perImage = opts.pkg.manifest.input.shape.reduce((a, b) => a * b, 1);
    if (!(Number.isInteger(opts.devices) && opts.devices >= 0 && opts.devices <= 64)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected devices an integer in [0, 64], actually ${opts.devices}`);
    if (opts.images.length < perImage || opts.images.length % perImage !== 0) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected images a whole number (≥ 1) of ${perImage}-byte images, actually ${opts.images.length} bytes`);
    const maxInFlight = opts.maxInFlight ?? 4;
    if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected maxInFlight an integer >= 1, actually ${maxInFlight}`);
    const devices: SimDevice[] = Array.from({ length: opts.devices }, () => ({
      client: new EdgeClient({ url: opts.url, token: opts.token ?? null, zeroMask: opts.zeroMask ?? false, connectTimeoutMs: 2000, reconnectDelayMs: 500 }),
      nextId: 1,
      inFlight: 0,
    }));
    const load = new EdgeLoad(opts, devices);
    try {
      const ok = await Promise.all(devices.map((d) => d.client.connect()));
      if (ok.some((c) => !c)) throw new CoinferError('ERR_EDGE_UNAVAILABLE', `The background devices cannot reach the edge at ${opts.url} (${devices.find((d) => !d.client.connected)!.client.lastError})`);
      if (devices.length > 0) load.#serviceMs = await load.#measureServiceMs(devices[0]!, opts.calibrationRequests ?? 5);
      load.#loops = devices.map((d, i) => load.#run(d, i));
      return load;
    } catch (e) {
      await Promise.all(devices.map((d) => d.client.close()));
      throw e;
    }
  }

  async #measureServiceMs(d: SimDevice, n: number): Promise<number> {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const reply = await d.client.request({ ...this.#frame(d), signal: AbortSignal.timeout(5000) });
      if (reply.status !== 'OK') throw new CoinferError('ERR_EDGE_UNAVAILABLE', `The edge answered a timing request with ${reply.status} (${reply.message})`);
      ms.push(reply.computeMs);
    }
    return Math.max(0.05, rankMedian(ms));
  }

  /** A request frame for device `d`, with its next request id. */
  #frame(d: SimDevice): { frame: Uint8Array; requestId: number } {
    const { manifest, modelId } = this.#pkg;
    const perImage = manifest.input.shape.reduce((a, b) => a * b, 1);
    const k = this.#rng.int(this.#imageCount);
    const requestId = d.nextId;
    d.nextId = d.nextId >= 0xffffffff ? 1 : d.nextId + 1;
    const frame = encodeRequest({
      requestId, modelId, partition: 0, exit: manifest.exits.length, encoding: 'uint8',
      dims: [1, ...manifest.input.shape], deadlineMs: 0, scale: 1, zeroPoint: 0,
    }, this.#images.subarray(k * perImage, (k + 1) * perImage));
    return { frame, requestId };
  }

  /**
   * Sets the background load: the first `activeDevices` devices send, together keeping the edge
   * busy a share `utilisation` of the time (see the module comment).
   * @param s.activeDevices integer in [0, devices]
   * @param s.utilisation in [0, 0.95]
   */
  set(s: { readonly activeDevices: number; readonly utilisation: number }): void {
    const n = this.#devices.length;
    if (!(Number.isInteger(s.activeDevices) && s.activeDevices >= 0 && s.activeDevices <= n)) throw new RangeError(`Expected activeDevices an integer in [0, ${n}], actually ${s.activeDevices}`);
    if (!(s.utilisation >= 0 && s.utilisation <= 0.95)) throw new RangeError(`Expected utilisation in [0, 0.95], actually ${s.utilisation}`);
    const each = s.activeDevices === 0 || !(this.#serviceMs > 0) ? 0 : s.utilisation / this.#serviceMs / s.activeDevices;
    let changed = false;
    for (let i = 0; i < n; i++) {
      const r = i < s.activeDevices ? each : 0;
      if (r !== this.#ratePerMs[i]) changed = true;
      this.#ratePerMs[i] = r;
    }
    if (changed && !this.#closed) {
      // Poisson arrivals are memoryless: waking the sleepers to redraw at the new rate is exact.
      this.#epoch.abort();
      this.#epoch = EdgeLoad.#newEpoch();
    }
  }

  /** Every simulated device (up to 30) waits on the epoch's signal at once, a sleep and a send each: not a listener leak. */
  static #newEpoch(): AbortController {
    const c = new AbortController();
    setMaxListeners(4 * MAX_OTHER_DEVICES, c.signal);
    return c;
  }

  async #run(d: SimDevice, i: number): Promise<void> {
    while (!this.#closed) {
      const signal = this.#epoch.signal;
      const rate = this.#ratePerMs[i]!;
      const waitMs = rate > 0 ? -Math.log(1 - this.#rng.next()) / rate : Infinity;
      try {
        await realClock.sleep(waitMs, signal);
      } catch {
        continue; // rates changed or closing: redraw
      }
      if (this.#closed) break;
      if (!d.client.connected) {
        d.client.reconnectSoon();
        this.#counts.failed++;
        continue;
      }
      if (d.inFlight >= this.#maxInFlight) {
        this.#counts.dropped++;
        continue;
      }
      d.inFlight++;
      this.#counts.sent++;
      d.client.request(this.#frame(d)).then(
        (reply) => void (reply.status === 'OK' ? this.#counts.answered++ : this.#counts.failed++),
        () => void this.#counts.failed++,
      ).finally(() => void d.inFlight--);
    }
  }

  /** Counters since start (timing requests excluded). */
  get stats(): EdgeLoadStats {
    return { ...this.#counts };
  }

  /** Simulated devices. */
  get devices(): number {
    return this.#devices.length;
  }

  /** Stops sending and closes the connections (pending replies are abandoned); idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#epoch.abort();
    await Promise.all(this.#loops);
    await Promise.all(this.#devices.map((d) => d.client.close()));
  }
}
