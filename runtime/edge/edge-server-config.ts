/**
 * Configuration of the edge server: where it listens, who may connect, how much a device may
 * send, how much work it admits, how it batches, and how fast it computes.
 */
import { z } from 'zod';
import { parseWith } from '../../common/schema.ts';
import { EDGE_COMPUTE_PROFILES, type EdgeComputeProfile } from '../device/compute-profile.ts';

export interface EdgeServerConfig {
  /** TCP port, integer in [0, 65535]; 0 = any free port (read it back from EdgeServer.port). */
  readonly port: number;
  /** Interface to bind, e.g. '127.0.0.1' (loopback only) or '0.0.0.0' (every interface). */
  readonly host: string;
  /**
   * Shared secret devices present as `Authorization: Bearer <token>` at the WebSocket upgrade;
   * null = no authentication (loopback experiments only). Never empty: an empty secret would
   * look like protection and be none. A wrong or missing token gets HTTP 401.
   */
  readonly token: string | null;
  /** Compute profile: `native` (this machine's speed) or `edgent-desktop` (emulated). */
  readonly profile: EdgeComputeProfile;
  /**
   * Largest request frame accepted, bytes, in [64, 2^30]. It is also ws's maxPayload: a frame
   * larger than this never reaches the protocol layer, ws closes the connection with 1009.
   * Headers declaring a larger tensor get an ERR_FRAME_TOO_LARGE reply.
   */
  readonly maxFrameBytes: number;
  /** Requests one connection may have queued or running at once, integer ≥ 1; more get ERR_TOO_MANY_IN_FLIGHT. */
  readonly maxInFlight: number;
  /**
   * Largest batch dimension (dims[0]) of one request, integer in [1, 4096]; more get
   * ERR_FRAME_TOO_LARGE at once, so no single frame can hold a worker for long.
   */
  readonly maxRequestBatch: number;
  /** Most samples the edge runs in one micro-batch, integer in [1, 4096]. */
  readonly maxBatchSamples: number;
  /**
   * How long the oldest queued request may wait for same (partition, exit) company before its
   * batch starts on an idle worker, ms in [0, 100]; 0 = batch only what is already queued.
   */
  readonly batchWaitMs: number;
  /**
   * Admission bound for requests without a deadline, ms > 0: one whose predicted wait (queued
   * work / workers, from measured service times) exceeds this gets ERR_EDGE_BUSY at once.
   * Requests with a deadline are bounded by their own budget instead.
   */
  readonly maxQueueWaitMs: number;
  /** ORT worker threads, integer in [1, 64]: batches that run at once (one per core the edge may use). */
  readonly workers: number;
  /** ORT intra-op threads per session, integer ≥ 1 (1 when device and edge share the cores). */
  readonly intraOpNumThreads: number;
  /** Create and time every suffix session at start (seeds the service-time estimates). */
  readonly warmSessions: boolean;
  /** On close, how long open connections may take to close cleanly before they are cut, ms ≥ 0. */
  readonly closeGraceMs: number;
}

export const DEFAULT_EDGE_SERVER_CONFIG: EdgeServerConfig = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  token: null,
  profile: 'native',
  maxFrameBytes: 8 * 1024 * 1024,
  maxInFlight: 8,
  maxRequestBatch: 64,
  maxBatchSamples: 32,
  batchWaitMs: 1,
  maxQueueWaitMs: 1000,
  workers: 2,
  intraOpNumThreads: 1,
  warmSessions: true,
  closeGraceMs: 1000,
});

const int = (lo: number, hi: number): z.ZodNumber => z.number().int().min(lo).max(hi);

const EDGE_SERVER_CONFIG_SCHEMA = z.strictObject({
  port: int(0, 65535),
  host: z.string().min(1, 'expected a host name or IP address'),
  token: z.string().min(1, 'expected null or a non-empty token (omit the token to serve without authentication)').nullable(),
  profile: z.enum(EDGE_COMPUTE_PROFILES),
  maxFrameBytes: int(64, 2 ** 30),
  maxInFlight: int(1, 1_000_000),
  maxRequestBatch: int(1, 4096),
  maxBatchSamples: int(1, 4096),
  batchWaitMs: z.number().min(0).max(100),
  maxQueueWaitMs: z.number().positive().finite(),
  workers: int(1, 64),
  intraOpNumThreads: int(1, 64),
  warmSessions: z.boolean(),
  closeGraceMs: z.number().min(0).finite(),
});

/**
 * Merges `partial` over the defaults and validates.
 * @throws CoinferError ERR_INVALID_CONFIG naming the field, expected vs actual
 */
export function resolveEdgeServerConfig(partial: Partial<EdgeServerConfig> = {}): EdgeServerConfig {
  return Object.freeze(parseWith(EDGE_SERVER_CONFIG_SCHEMA, { ...DEFAULT_EDGE_SERVER_CONFIG, ...partial }, 'EdgeServerConfig'));
}
