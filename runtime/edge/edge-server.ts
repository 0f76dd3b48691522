/**
 * The edge server (DESIGN §3): a WebSocket endpoint that serves many devices at once. Each
 * binary frame is one request; it is decoded (protocol.ts), checked against the model
 * (edge-compute.ts), queued, run, and answered with one reply frame. Requests from all
 * connections share one FIFO compute queue (one edge machine, one inference at a time), so
 * `queueMs` in a reply is the real wait behind other devices' work.
 *
 * Robustness: a bad frame gets an error reply with its stable wire status and is counted; the
 * connection and the server carry on. A frame over maxFrameBytes is refused by ws itself
 * (close code 1009: it never reaches the protocol layer) and counted as ERR_FRAME_TOO_LARGE.
 * A wrong token is refused at the HTTP upgrade with 401.
 *
 * @example
 * const edge = await startEdgeServer({ pkg, config: { port: 0, token: 's3cret' } });
 * console.log(edge.url); // ws://127.0.0.1:40123
 * await edge.close();
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CoinferError } from '../../common/errors.ts';
import type { ModelPackage } from '../model/model-package.ts';
import { decodeRequest, encodeReply, peekRequestId } from '../wire/protocol.ts';
import { WIRE_STATUSES, wireStatusForError, type WireErrorCode, type WireStatus } from '../wire/wire-status.ts';
import { EdgeCompute, type EdgeTask } from './edge-compute.ts';
import { resolveEdgeServerConfig, type EdgeServerConfig } from './edge-server-config.ts';

/** Counters since start. */
export interface EdgeServerStats {
  readonly connectionsAccepted: number;
  readonly connectionsOpen: number;
  /** Upgrades refused with 401. */
  readonly unauthorized: number;
  /** Messages received (good and bad). */
  readonly framesReceived: number;
  readonly repliesOk: number;
  /** Error replies (and ws-level refusals) by wire status. */
  readonly errors: Readonly<Record<WireErrorCode, number>>;
  /** Requests waiting for or in compute now. */
  readonly queueDepth: number;
}

export interface EdgeServer {
  readonly config: EdgeServerConfig;
  /** The bound address (the real port when config.port was 0). */
  readonly host: string;
  readonly port: number;
  /** ws://host:port */
  readonly url: string;
  /** True when compute times are stretched to an Edgent profile. */
  readonly emulated: boolean;
  /** A snapshot of the counters. */
  readonly stats: EdgeServerStats;
  /** Stops accepting, closes connections (1001), drains the queue, releases sessions; idempotent. */
  close(): Promise<void>;
}

function bearerMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer (.+)$/.exec(header);
  if (m === null) return false;
  const got = Buffer.from(m[1]!, 'utf8');
  const want = Buffer.from(token, 'utf8');
  // Constant-time compare, so the token cannot be guessed byte by byte from response times.
  return got.byteLength === want.byteLength && timingSafeEqual(got, want);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

interface Connection {
  inFlight: number;
}

class EdgeServerImpl implements EdgeServer {
  readonly config: EdgeServerConfig;
  readonly #compute: EdgeCompute;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  #tail: Promise<void> = Promise.resolve();
  #queueDepth = 0;
  #closing: Promise<void> | null = null;
  readonly #counts = {
    connectionsAccepted: 0,
    unauthorized: 0,
    framesReceived: 0,
    repliesOk: 0,
    errors: Object.fromEntries(WIRE_STATUSES.filter((s) => s !== 'OK').map((s) => [s, 0])) as Record<WireErrorCode, number>,
  };

  constructor(config: EdgeServerConfig, compute: EdgeCompute) {
    this.config = config;
    this.#compute = compute;
    this.#http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('coinfer edge: connect with a WebSocket\n');
    });
    this.#wss = new WebSocketServer({
      server: this.#http,
      perMessageDeflate: false, // tensors barely compress and deflate costs ms (FEASIBILITY Q6)
      maxPayload: config.maxFrameBytes,
      verifyClient: (info, done) => {
        if (config.token === null || bearerMatches(info.req, config.token)) return done(true);
        this.#counts.unauthorized++;
        this.#counts.errors.ERR_UNAUTHORIZED++;
        done(false, 401, 'Unauthorized: send Authorization: Bearer <token>');
      },
    });
    this.#wss.on('connection', (ws) => this.#onConnection(ws));
    // Errors of the listening socket after start must not crash the process.
    this.#wss.on('error', () => undefined);
  }

  get host(): string {
    return (this.#http.address() as AddressInfo).address;
  }

  get port(): number {
    return (this.#http.address() as AddressInfo).port;
  }

  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${h}:${this.port}`;
  }

  get emulated(): boolean {
    return this.#compute.emulated;
  }

  get stats(): EdgeServerStats {
    const c = this.#counts;
    return { ...c, errors: { ...c.errors }, connectionsOpen: this.#wss.clients.size, queueDepth: this.#queueDepth };
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        reject(new CoinferError('ERR_INVALID_CONFIG', `Cannot listen on ${this.config.host}:${this.config.port} (${e.code ?? e.message}); pick another --port or --host`, { cause: e }));
      };
      this.#http.once('error', onError);
      this.#http.listen(this.config.port, this.config.host, () => {
        this.#http.off('error', onError);
        this.#http.on('error', () => undefined);
        resolve();
      });
    });
  }

  #onConnection(ws: WebSocket): void {
    this.#counts.connectionsAccepted++;
    const conn: Connection = { inFlight: 0 };
    ws.on('message', (data, isBinary) => this.#onMessage(ws, conn, { bytes: toBytes(data), isBinary }));
    ws.on('error', (e: Error & { code?: string }) => {
      // ws has already closed the connection (1009 for oversize, 1002 for protocol errors).
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#counts.errors.ERR_FRAME_TOO_LARGE++;
      else this.#counts.errors.ERR_FRAME_MALFORMED++;
    });
  }

  #onMessage(ws: WebSocket, conn: Connection, msg: { bytes: Uint8Array; isBinary: boolean }): void {
    const receivedMs = performance.now();
    this.#counts.framesReceived++;
    const { bytes } = msg;
    if (!msg.isBinary) {
      this.#fail(ws, { requestId: 0, error: new CoinferError('ERR_FRAME_MALFORMED', 'Expected a binary frame, actually a text frame') });
      return;
    }
    if (conn.inFlight >= this.config.maxInFlight) {
      this.#fail(ws, { requestId: peekRequestId(bytes), error: new CoinferError('ERR_TOO_MANY_IN_FLIGHT', `This connection already has ${conn.inFlight} requests in flight (limit ${this.config.maxInFlight}); wait for replies before sending more`) });
      return;
    }
    let task: EdgeTask;
    try {
      task = this.#compute.validate(decodeRequest(bytes, this.config.maxFrameBytes));
    } catch (e) {
      this.#fail(ws, { requestId: peekRequestId(bytes), error: e });
      return;
    }
    conn.inFlight++;
    this.#queueDepth++;
    this.#tail = this.#tail
      .then(() => this.#serve(ws, { task, receivedMs }))
      .catch(() => undefined) // #serve answers its own errors; never let one break the chain
      .finally(() => {
        conn.inFlight--;
        this.#queueDepth--;
      });
  }

  async #serve(ws: WebSocket, job: { task: EdgeTask; receivedMs: number }): Promise<void> {
    const { task, receivedMs } = job;
    const { requestId, exit, deadlineMs } = task.request;
    if (ws.readyState !== ws.OPEN) return; // the device left: no one to answer
    const queueMs = performance.now() - receivedMs;
    if (deadlineMs > 0 && queueMs >= deadlineMs) {
      this.#fail(ws, { requestId, queueMs, error: new CoinferError('ERR_DEADLINE_EXCEEDED', `The request waited ${queueMs.toFixed(1)} ms in the edge queue, past its ${deadlineMs.toFixed(1)} ms budget; not computed`) });
      return;
    }
    try {
      const r = await this.#compute.run(task);
      this.#counts.repliesOk++;
      this.#send(ws, encodeReply({ requestId, status: 'OK', exit, queueMs, computeMs: r.computeMs, numClasses: r.numClasses, predictedClasses: r.predictedClasses, probabilities: r.probabilities }));
    } catch (e) {
      this.#fail(ws, { requestId, queueMs, error: e });
    }
  }

  #fail(ws: WebSocket, f: { requestId: number; error: unknown; queueMs?: number }): void {
    const status: WireStatus = wireStatusForError(f.error);
    this.#counts.errors[status as WireErrorCode]++;
    const message = f.error instanceof Error ? f.error.message : String(f.error);
    this.#send(ws, encodeReply({ requestId: f.requestId, status, exit: 0, queueMs: f.queueMs ?? 0, computeMs: 0, numClasses: 0, predictedClasses: new Int32Array(0), probabilities: new Float32Array(0), message }));
  }

  #send(ws: WebSocket, frame: Uint8Array): void {
    if (ws.readyState === ws.OPEN) ws.send(frame, { binary: true });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const clients = [...this.#wss.clients];
      const closed = Promise.all(clients.map((ws) => new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
      })));
      const httpClosed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#wss.close();
      for (const ws of clients) ws.close(1001, 'edge shutting down');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.config.closeGraceMs)));
      if ((await Promise.race([closed, grace])) === 'timeout') for (const ws of clients) ws.terminate();
      clearTimeout(timer);
      await closed;
      await this.#tail;
      await this.#compute.close();
      await httpClosed;
    })();
    return this.#closing;
  }
}

/**
 * Starts an edge server for one model package.
 * @param opts.pkg the model to serve (devices must send its modelId)
 * @param opts.config partial config, merged over DEFAULT_EDGE_SERVER_CONFIG
 * @throws (rejects) CoinferError ERR_INVALID_CONFIG on a bad config or a port that cannot be bound
 */
export async function startEdgeServer(opts: { pkg: ModelPackage; config?: Partial<EdgeServerConfig> }): Promise<EdgeServer> {
  const config = resolveEdgeServerConfig(opts.config);
  const compute = new EdgeCompute({ pkg: opts.pkg, profile: config.profile, intraOpNumThreads: config.intraOpNumThreads });
  try {
    if (config.warmSessions) await compute.warmAll();
    const server = new EdgeServerImpl(config, compute);
    await server.listen();
    return server;
  } catch (e) {
    await compute.close();
    throw e;
  }
}
