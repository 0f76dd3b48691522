/**
 * The device's WebSocket connection to one edge: sends request frames, matches replies to
 * requests by id, and reconnects in the background after the edge goes away (the device
 * answers locally meanwhile, see device-runtime.ts).
 *
 * Masking: client→server frames must be masked (RFC 6455). `bufferutil` (a dependency) does
 * it natively; `zeroMask` sends an all-zero mask instead, which ws then skips on both ends.
 * Masking only protects shared HTTP proxies from cache poisoning, so a zero mask is acceptable
 * on loopback or a trusted LAN, not across the Internet.
 *
 * Giving up: when a request's signal aborts, the client sends a cancel frame (protocol v2) so
 * the edge drops the request instead of computing an answer nobody reads.
 */
import { WebSocket } from 'ws';
import { CoinferError } from '../../common/errors.ts';
import { encodeCancel } from '../wire/cancel-frame.ts';
import { decodeReply, type ReplyFrame } from '../wire/protocol.ts';

export interface EdgeClientConfig {
  /** The edge's address, ws://host:port. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` at the upgrade; null = none. */
  readonly token: string | null;
  /** Send all-zero masks (loopback / trusted LAN only; see the module comment). */
  readonly zeroMask: boolean;
  /** How long one connection attempt may take, ms > 0. */
  readonly connectTimeoutMs: number;
  /** Wait between reconnection attempts while the edge is away, ms ≥ 0. */
  readonly reconnectDelayMs: number;
}

interface Pending {
  resolve(r: ReplyFrame): void;
  reject(e: unknown): void;
}

/**
 * Why the last connection attempt failed, as a typed error for callers that must fail loudly:
 * ERR_UNAUTHORIZED when the edge refused the token (HTTP 401), ERR_EDGE_UNAVAILABLE otherwise.
 */
export type EdgeConnectFailure = CoinferError & { readonly code: 'ERR_UNAUTHORIZED' | 'ERR_EDGE_UNAVAILABLE' };

const unavailable = (why: string): CoinferError => new CoinferError('ERR_EDGE_UNAVAILABLE', `The edge is unavailable (${why}); the device answers locally until it is back`);

export class EdgeClient {
  readonly config: EdgeClientConfig;
  #ws: WebSocket | null = null;
  #connecting: Promise<boolean> | null = null;
  #lastAttemptMs = -Infinity;
  #lastError = 'not connected yet';
  #lastFailure: EdgeConnectFailure | null = null;
  #closed = false;
  readonly #pending = new Map<number, Pending>();

  constructor(config: EdgeClientConfig) {
    this.config = config;
  }

  /** True while the connection is open. */
  get connected(): boolean {
    return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN;
  }

  /** Why the edge is not connected (the last connection error or close). */
  get lastError(): string {
    return this.#lastError;
  }

  /** The last connection failure as a typed error (null before any, and while connected). */
  get lastFailure(): EdgeConnectFailure | null {
    return this.connected ? null : this.#lastFailure;
  }

  /**
   * Connects (or joins the attempt under way). Never rejects: resolves false when the edge
   * could not be reached, with the reason in `lastError`.
   */
  connect(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.connected) return Promise.resolve(true);
    this.#connecting ??= this.#attempt().finally(() => (this.#connecting = null));
    return this.#connecting;
  }

  /** Starts a background reconnection when the edge is away and the reconnect delay has passed. */
  reconnectSoon(): void {
    if (!this.connected && this.#connecting === null && performance.now() - this.#lastAttemptMs >= this.config.reconnectDelayMs) void this.connect();
  }

  #attempt(): Promise<boolean> {
    this.#lastAttemptMs = performance.now();
    const { url, token, zeroMask, connectTimeoutMs } = this.config;
    return new Promise<boolean>((resolve) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        handshakeTimeout: connectTimeoutMs,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
        ...(zeroMask ? { generateMask: (mask: Buffer) => void mask.fill(0) } : {}),
      });
      let settled = false;
      const done = (ok: boolean, why?: string): void => {
        if (settled) return;
        settled = true;
        if (why !== undefined) this.#lastError = why;
        resolve(ok);
      };
      ws.on('unexpected-response', (_req, res) => {
        const why = `HTTP ${res.statusCode} at the upgrade${res.statusCode === 401 ? ': wrong or missing token' : ''}`;
        this.#lastFailure = (res.statusCode === 401
          ? new CoinferError('ERR_UNAUTHORIZED', `The edge at ${url} refused the token (HTTP 401); give the edge's --token (or COINFER_TOKEN)`)
          : unavailable(`${why} from ${url}`)) as EdgeConnectFailure;
        done(false, why);
        ws.terminate();
      });
      ws.on('error', (e) => {
        if (!settled) this.#lastFailure = unavailable(`${e.message} at ${url}`) as EdgeConnectFailure;
        done(false, e.message);
      });
      ws.on('open', () => {
        this.#ws = ws;
        done(true);
      });
      ws.on('message', (data) => this.#onMessage(data as Buffer));
      ws.on('close', (code) => {
        const wasOpen = this.#ws === ws;
        if (wasOpen) this.#ws = null;
        const why = code === 1009 ? 'it refused a frame as too large (1009)' : `connection closed, code ${code}`;
        // A refused upgrade also ends in a close (1006): keep its more telling reason.
        if (wasOpen) this.#lastError = why;
        done(false, why);
        for (const p of this.#pending.values()) p.reject(unavailable(why));
        this.#pending.clear();
      });
    });
  }

  #onMessage(data: Buffer): void {
    let reply: ReplyFrame;
    try {
      reply = decodeReply(data);
    } catch {
      return; // not a reply we can match to a request; its request times out or falls back
    }
    const p = this.#pending.get(reply.requestId);
    if (p === undefined) return; // a late reply to a request that already gave up
    this.#pending.delete(reply.requestId);
    p.resolve(reply);
  }

  /**
   * Sends one request frame and waits for its reply.
   * @param r.frame the encoded request; r.requestId its id (unique among those in flight)
   * @param r.signal gives up waiting (the reply, if it comes later, is dropped)
   * @throws (rejects) CoinferError ERR_EDGE_UNAVAILABLE when not connected or the connection
   *   closes first; the signal's reason when it aborts
   */
  request(r: { frame: Uint8Array; requestId: number; signal?: AbortSignal }): Promise<ReplyFrame> {
    const ws = this.#ws;
    if (ws === null || !this.connected) return Promise.reject(unavailable(this.#lastError));
    const { requestId, signal } = r;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ReplyFrame>((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(requestId);
        // Tell the edge not to spend compute on it (it may be queued there still).
        if (ws.readyState === WebSocket.OPEN) ws.send(encodeCancel(requestId), { binary: true });
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(requestId, {
        resolve: (reply) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reply);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      ws.send(r.frame, { binary: true });
    });
  }

  /** Closes the connection and stops reconnecting; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting;
    const ws = this.#ws;
    if (ws === null || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      // An edge that never answers the closing handshake is cut after a second.
      const timer = setTimeout(() => ws.terminate(), 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000);
    });
  }
}
