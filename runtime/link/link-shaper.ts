/**
 * Paces real uplink bytes through a bandwidth trace (docs/architecture.md §6). Before the device really
 * sends a request's bytes, it awaits `transmit(bytes)`: the shaper holds it for as long as the
 * trace's link would take to carry them, then for the propagation delay.
 *
 * Model: one FIFO link. A transfer starts when it is called or when the earlier transfers have
 * left the link, whichever is later; its serialisation time integrates the trace from that
 * trace time (transferEndS: rate changes, zero-Mbps stalls, looping); the link is free again
 * at its end; the propagation delay then follows without holding the link (pipelined).
 * Trace time runs at `timeScale` trace seconds per wall second from `offsetS`, starting when
 * the shaper is built. Scheduling uses the computed times, not the moments timers actually
 * fired, so timer lateness does not accumulate over back-to-back transfers.
 */
import { CoinferError } from '../../common/errors.ts';
import { realClock, type Clock } from './clock.ts';
import type { BandwidthTrace } from './trace.ts';
import { bandwidthAt, transferEndS } from './trace-integrate.ts';

export { realClock, ManualClock, type Clock } from './clock.ts';

export interface LinkShaperConfig {
  /** The uplink's bandwidth over time; null = plain mode: real network, no shaping. */
  readonly trace: BandwidthTrace | null;
  /** Where replay starts in the trace, s, ≥ 0 (values past the end loop). */
  readonly offsetS: number;
  /** One-way propagation delay added to each transfer, wall ms, ≥ 0 (not scaled). */
  readonly propagationDelayMs: number;
  /** Trace seconds per wall-clock second, > 0 (1 = real time; 10 = the trace plays 10× faster). */
  readonly timeScale: number;
}

export const DEFAULT_LINK_SHAPER_CONFIG: LinkShaperConfig = Object.freeze({
  trace: null,
  offsetS: 0,
  propagationDelayMs: 0,
  timeScale: 1,
});

function invalid(field: string, expected: string, actual: unknown): CoinferError {
  return new CoinferError('ERR_INVALID_CONFIG', `LinkShaperConfig.${field}: expected ${expected}, actually ${String(actual)}`);
}

/**
 * Merges `p` over the defaults and validates.
 * @throws CoinferError ERR_INVALID_CONFIG naming the field
 */
export function resolveLinkShaperConfig(p: Partial<LinkShaperConfig>): LinkShaperConfig {
  const c: LinkShaperConfig = { ...DEFAULT_LINK_SHAPER_CONFIG, ...p };
  if (c.trace !== null && !(typeof c.trace === 'object' && c.trace.timesS instanceof Float64Array && c.trace.mbps instanceof Float64Array)) {
    throw invalid('trace', 'null or a BandwidthTrace (loadTrace, parseTraceCsv, constantTrace)', c.trace);
  }
  if (!Number.isFinite(c.offsetS) || c.offsetS < 0) throw invalid('offsetS', 'a finite number of seconds >= 0', c.offsetS);
  if (!Number.isFinite(c.propagationDelayMs) || c.propagationDelayMs < 0) {
    throw invalid('propagationDelayMs', 'a finite number of ms >= 0', c.propagationDelayMs);
  }
  if (!Number.isFinite(c.timeScale) || c.timeScale <= 0) throw invalid('timeScale', 'a finite number > 0', c.timeScale);
  return Object.freeze(c);
}

/** How one transfer went. All durations are wall-clock ms as scheduled by the shaper. */
export interface TransferTiming {
  readonly bytes: number;
  /** Wait for the link to be free (FIFO behind earlier transfers), ms. */
  readonly queuedMs: number;
  /** Serialisation through the trace, ms. */
  readonly transmitMs: number;
  readonly propagationMs: number;
  /** queued + transmit + propagation. */
  readonly uplinkMs: number;
  /** Trace time when this transfer started, s (0 in plain mode). */
  readonly traceStartS: number;
}

/** Resolves with `promise`, or rejects with the signal's reason if it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export class LinkShaper {
  readonly config: LinkShaperConfig;
  readonly #clock: Clock;
  /** Wall ms at which trace time was `offsetS`. */
  readonly #originMs: number;
  /** Resolves with the wall ms at which the last transfer queued so far leaves the link free. */
  #linkFreeAt: Promise<number> = Promise.resolve(-Infinity);

  /**
   * @param config partial config, merged over {@link DEFAULT_LINK_SHAPER_CONFIG}
   * @param clock time source (default the real clock; tests pass a ManualClock)
   * @throws CoinferError ERR_INVALID_CONFIG
   * @example
   * const shaper = new LinkShaper({ trace: await loadTrace(path), offsetS: 30, propagationDelayMs: 10 });
   * const timing = await shaper.transmit(payload.byteLength, AbortSignal.timeout(deadlineMs));
   * socket.send(payload);
   */
  constructor(config: Partial<LinkShaperConfig>, clock: Clock = realClock) {
    this.config = resolveLinkShaperConfig(config);
    this.#clock = clock;
    this.#originMs = clock.now();
  }

  /** Current trace time, s (offset + elapsed·timeScale; not wrapped). */
  traceTimeS(): number {
    return this.#traceTimeAt(this.#clock.now());
  }

  /** Bandwidth now per the trace, Mbps (Infinity in plain mode). */
  currentMbps(): number {
    return this.config.trace === null ? Infinity : bandwidthAt(this.config.trace, this.traceTimeS());
  }

  /**
   * Predicts the transmit ms for `bytes` if started now, ignoring any queue (0 in plain mode,
   * Infinity on an all-zero trace). No side effect.
   */
  predictTransmitMs(bytes: number): number {
    const trace = this.config.trace;
    if (trace === null) return 0;
    const startS = this.traceTimeS();
    return ((transferEndS(trace, { startS, bytes }) - startS) * 1000) / this.config.timeScale;
  }

  /**
   * Resolves once `bytes` have crossed the shaped link (FIFO: transfers are serialised), then
   * the caller actually sends them. Plain mode resolves at once with zeros.
   *
   * An aborted transfer frees the link: at the abort if it was on the link, or as soon as its
   * predecessor leaves if it was still queued.
   *
   * @param bytes payload size, finite ≥ 0
   * @param signal aborts the wait (e.g. the request's deadline)
   * @throws rejects with the signal's reason when aborted; RangeError on bad bytes;
   *   CoinferError ERR_DEADLINE_EXCEEDED when the trace is all zero and no signal could end the
   *   endless stall
   */
  async transmit(bytes: number, signal?: AbortSignal): Promise<TransferTiming> {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`Expected bytes finite and >= 0, actually ${bytes}`);
    signal?.throwIfAborted();
    const trace = this.config.trace;
    if (trace === null) return { bytes, queuedMs: 0, transmitMs: 0, propagationMs: 0, uplinkMs: 0, traceStartS: 0 };

    const clock = this.#clock;
    const enqueuedMs = clock.now();
    const predecessorFreeAt = this.#linkFreeAt;
    let release!: (freeAtMs: number) => void;
    this.#linkFreeAt = new Promise<number>((resolve) => (release = resolve));
    let onLink = false;
    let startMs: number;
    let endMs: number;
    let traceStartS: number;
    try {
      startMs = Math.max(enqueuedMs, await untilAborted(predecessorFreeAt, signal));
      onLink = true;
      traceStartS = this.#traceTimeAt(startMs);
      const endS = transferEndS(trace, { startS: traceStartS, bytes });
      if (endS === Infinity && signal === undefined) {
        throw new CoinferError('ERR_DEADLINE_EXCEEDED', `Trace ${trace.source}/${trace.name} delivers 0 Mbps throughout, so ${bytes} bytes can never cross the link; pass an AbortSignal (the deadline) or use a trace with capacity`);
      }
      endMs = startMs + ((endS - traceStartS) * 1000) / this.config.timeScale;
      await clock.sleep(endMs - clock.now(), signal);
      release(endMs);
    } catch (e) {
      // Queued: the link frees when the predecessor leaves. On the link: it frees now.
      if (onLink) release(clock.now());
      else void predecessorFreeAt.then(release);
      throw e;
    }
    const propagationMs = this.config.propagationDelayMs;
    await clock.sleep(endMs + propagationMs - clock.now(), signal);
    const queuedMs = startMs - enqueuedMs;
    const transmitMs = endMs - startMs;
    return { bytes, queuedMs, transmitMs, propagationMs, uplinkMs: queuedMs + transmitMs + propagationMs, traceStartS };
  }

  #traceTimeAt(wallMs: number): number {
    return this.config.offsetS + ((wallMs - this.#originMs) / 1000) * this.config.timeScale;
  }
}
