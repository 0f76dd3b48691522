/**
 * The edge server: a WebSocket endpoint that serves many devices at once. Each binary frame is
 * one request (or a cancel); a request is decoded (protocol.ts), checked against the model
 * (edge-compute.ts), admitted or refused as busy, queued, micro-batched onto the ORT worker
 * threads and answered with one reply frame (edge-scheduler.ts). Requests from all connections
 * share one queue, so `queueMs` in a reply is the real wait behind other devices' work. A
 * request's budget (header f32) is counted from its arrival here: it is relative since the
 * clocks differ, and the edge then errs by the one-way transit time in the device's favour.
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
import { isJpeg } from '../action.ts';
import { decodeJpegInput } from '../wire/jpeg-input.ts';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CoinferError } from '../../common/errors.ts';
import type { ModelPackage } from '../model/model-package.ts';
import { decodeCancel, frameKind } from '../wire/cancel-frame.ts';
import { decodeRequest, encodeReply, peekRequestId } from '../wire/protocol.ts';
import { WIRE_STATUSES, wireStatusForError, type WireErrorCode, type WireStatus } from '../wire/wire-status.ts';
import { EdgeCompute, type EdgeTask } from './edge-compute.ts';
import { EdgeScheduler, type EdgeJob, type EdgeSchedulerStats, type JobOutcome } from './edge-scheduler.ts';
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
  /** Cancel frames received (for a request still known or not). */
  readonly cancels: number;
  /** Admission, expiry, batching and waste counters of the queue. */
  readonly scheduler: EdgeSchedulerStats;
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
  readonly ws: WebSocket;
  /** Requests admitted and not yet answered or cancelled, by request id. */
  readonly jobs: Map<number, EdgeJob<Connection>>;
}

class EdgeServerImpl implements EdgeServer {
  readonly config: EdgeServerConfig;
  readonly #compute: EdgeCompute;
  readonly #scheduler: EdgeScheduler<Connection>;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  #queueDepth = 0;
  #closing: Promise<void> | null = null;
  readonly #counts = {
    connectionsAccepted: 0,
    unauthorized: 0,
    framesReceived: 0,
    repliesOk: 0,
    cancels: 0,
    errors: Object.fromEntries(WIRE_STATUSES.filter((s) => s !== 'OK').map((s) => [s, 0])) as Record<WireErrorCode, number>,
  };

  constructor(config: EdgeServerConfig, compute: EdgeCompute, seedMs: ReadonlyMap<string, number>) {
    this.config = config;
    this.#compute = compute;
    this.#scheduler = new EdgeScheduler<Connection>({ compute, config, seedMs, onOutcome: (job, outcome) => this.#answer(job, outcome) });
    this.#http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('coinfer edge: connect with a WebSocket\n');
    });
    this.#wss = new WebSocketServer({
      server: this.#http,
      perMessageDeflate: false, // tensors barely compress and deflate costs ms per frame
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
    return { ...c, errors: { ...c.errors }, connectionsOpen: this.#wss.clients.size, queueDepth: this.#queueDepth, scheduler: this.#scheduler.stats };
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
    const conn: Connection = { ws, jobs: new Map() };
    ws.on('message', (data, isBinary) => this.#onMessage(conn, { bytes: toBytes(data), isBinary }));
    ws.on('error', (e: Error & { code?: string }) => {
      // ws has already closed the connection (1009 for oversize, 1002 for protocol errors).
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#counts.errors.ERR_FRAME_TOO_LARGE++;
      else this.#counts.errors.ERR_FRAME_MALFORMED++;
    });
    // Nobody is left to read the answers: drop this connection's queued work.
    ws.on('close', () => {
      for (const job of conn.jobs.values()) this.#scheduler.cancel(job);
      this.#queueDepth -= conn.jobs.size;
      conn.jobs.clear();
    });
  }

  #onMessage(conn: Connection, msg: { bytes: Uint8Array; isBinary: boolean }): void {
    const receivedMs = performance.now();
    this.#counts.framesReceived++;
    const { bytes } = msg;
    const { ws } = conn;
    if (!msg.isBinary) {
      this.#fail(ws, { requestId: 0, error: new CoinferError('ERR_FRAME_MALFORMED', 'Expected a binary frame, actually a text frame') });
      return;
    }
    if (frameKind(bytes) === 'cancel') {
      this.#onCancel(conn, bytes);
      return;
    }
    if (conn.jobs.size >= this.config.maxInFlight) {
      this.#fail(ws, { requestId: peekRequestId(bytes), error: new CoinferError('ERR_TOO_MANY_IN_FLIGHT', `This connection already has ${conn.jobs.size} requests in flight (limit ${this.config.maxInFlight}); wait for replies before sending more`) });
      return;
    }
    let task: EdgeTask;
    try {
      task = this.#compute.validate(decodeRequest(bytes, this.config.maxFrameBytes));
      if (task.batch > this.config.maxRequestBatch) {
        throw new CoinferError('ERR_FRAME_TOO_LARGE', `Expected a batch of at most ${this.config.maxRequestBatch} samples per request, actually ${task.batch}; split it into several requests`);
      }
    } catch (e) {
      this.#fail(ws, { requestId: peekRequestId(bytes), error: e });
      return;
    }
    const { requestId, deadlineMs } = task.request;
    if (conn.jobs.has(requestId)) {
      this.#fail(ws, { requestId, error: new CoinferError('ERR_FRAME_MALFORMED', `Request id ${requestId} is already in flight on this connection; use a fresh id per request`) });
      return;
    }
    const job: EdgeJob<Connection> = { owner: conn, task, receivedMs, giveUpAtMs: deadlineMs > 0 ? receivedMs + deadlineMs : Infinity, cancelled: false };
    if (isJpeg(task.request.encoding)) {
      void this.#admitJpeg(conn, job);
      return;
    }
    this.#admit(conn, job);
  }

  /**
   * Decodes a JPEG request's image before it is queued (async: sharp). The id is held in
   * `conn.jobs` meanwhile, so it counts as in flight and a cancel or a disconnect reaches it.
   */
  async #admitJpeg(conn: Connection, job: EdgeJob<Connection>): Promise<void> {
    const { requestId } = job.task.request;
    conn.jobs.set(requestId, job);
    this.#queueDepth++;
    let pixels: Uint8Array | null = null;
    let error: unknown = null;
    try {
      pixels = await decodeJpegInput(job.task.request.payload, job.task.plan.crossing!.shape);
    } catch (e) {
      error = e;
    }
    if (job.cancelled || conn.jobs.get(requestId) !== job) return; // cancelled or gone meanwhile
    conn.jobs.delete(requestId);
    this.#queueDepth--;
    if (pixels === null) {
      this.#fail(conn.ws, { requestId, error });
      return;
    }
    this.#admit(conn, { ...job, task: { ...job.task, pixels } });
  }

  /** Queues a checked job, or replies with the scheduler's refusal. */
  #admit(conn: Connection, job: EdgeJob<Connection>): void {
    const { requestId } = job.task.request;
    const refused = this.#scheduler.submit(job);
    if (refused !== null) {
      this.#fail(conn.ws, { requestId, error: refused });
      return;
    }
    conn.jobs.set(requestId, job);
    this.#queueDepth++;
  }

  #onCancel(conn: Connection, bytes: Uint8Array): void {
    let requestId: number;
    try {
      requestId = decodeCancel(bytes).requestId;
    } catch (e) {
      this.#fail(conn.ws, { requestId: peekRequestId(bytes), error: e });
      return;
    }
    this.#counts.cancels++;
    const job = conn.jobs.get(requestId);
    if (job === undefined) return; // already answered: the cancel crossed the reply
    this.#scheduler.cancel(job);
    conn.jobs.delete(requestId);
    this.#queueDepth--;
  }

  /** Sends a job's one reply, unless it was cancelled or its connection is gone. */
  #answer(job: EdgeJob<Connection>, outcome: JobOutcome): void {
    const conn = job.owner;
    const { requestId, exit } = job.task.request;
    if (conn.jobs.get(requestId) !== job) return;
    conn.jobs.delete(requestId);
    this.#queueDepth--;
    if (!outcome.ok) {
      this.#fail(conn.ws, { requestId, queueMs: outcome.queueMs, error: outcome.error });
      return;
    }
    const r = outcome.result;
    this.#counts.repliesOk++;
    this.#send(conn.ws, encodeReply({ requestId, status: 'OK', exit, queueMs: outcome.queueMs, computeMs: r.computeMs, numClasses: r.numClasses, predictedClasses: r.predictedClasses, probabilities: r.probabilities }));
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
      await this.#scheduler.close();
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
  const compute = await EdgeCompute.create({ pkg: opts.pkg, profile: config.profile, workers: config.workers, intraOpNumThreads: config.intraOpNumThreads });
  try {
    const seedMs = config.warmSessions ? await compute.warmAll() : new Map<string, number>();
    const server = new EdgeServerImpl(config, compute, seedMs);
    await server.listen();
    return server;
  } catch (e) {
    await compute.close();
    throw e;
  }
}
