/**
 * Configuration of the edge server (DESIGN §3): where it listens, who may connect, how much a
 * device may send, and how fast the edge computes.
 */
import { CoinferError } from '../../common/errors.ts';
import { EDGE_COMPUTE_PROFILES, type EdgeComputeProfile } from '../device/compute-profile.ts';

export interface EdgeServerConfig {
  /** TCP port, integer in [0, 65535]; 0 = any free port (read it back from EdgeServer.port). */
  readonly port: number;
  /** Interface to bind, e.g. '127.0.0.1' (loopback only) or '0.0.0.0' (every interface). */
  readonly host: string;
  /**
   * Shared secret devices present as `Authorization: Bearer <token>` at the WebSocket upgrade;
   * null = no authentication (loopback experiments only). A wrong or missing token gets HTTP 401.
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
  /** ORT intra-op threads per session, integer ≥ 1 (1 when device and edge share the cores). */
  readonly intraOpNumThreads: number;
  /** Create every suffix session at start (so the first requests do not pay ~2 ms each). */
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
  intraOpNumThreads: 1,
  warmSessions: true,
  closeGraceMs: 1000,
});

function invalid(field: string, expected: string, actual: unknown): CoinferError {
  return new CoinferError('ERR_INVALID_CONFIG', `EdgeServerConfig.${field}: expected ${expected}, actually ${JSON.stringify(actual)}`);
}

const isInt = (v: unknown, lo: number, hi: number): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/**
 * Merges `partial` over the defaults and validates.
 * @throws CoinferError ERR_INVALID_CONFIG naming the field, expected vs actual
 */
export function resolveEdgeServerConfig(partial: Partial<EdgeServerConfig> = {}): EdgeServerConfig {
  const c: EdgeServerConfig = { ...DEFAULT_EDGE_SERVER_CONFIG, ...partial };
  if (!isInt(c.port, 0, 65535)) throw invalid('port', 'an integer in [0, 65535]', c.port);
  if (typeof c.host !== 'string' || c.host.length === 0) throw invalid('host', 'a host name or IP address', c.host);
  if (c.token !== null && (typeof c.token !== 'string' || c.token.length === 0)) throw invalid('token', 'null or a non-empty string', c.token);
  if (!(EDGE_COMPUTE_PROFILES as readonly string[]).includes(c.profile)) throw invalid('profile', EDGE_COMPUTE_PROFILES.join(' | '), c.profile);
  if (!isInt(c.maxFrameBytes, 64, 2 ** 30)) throw invalid('maxFrameBytes', 'an integer in [64, 2^30]', c.maxFrameBytes);
  if (!isInt(c.maxInFlight, 1, 1_000_000)) throw invalid('maxInFlight', 'an integer >= 1', c.maxInFlight);
  if (!isInt(c.intraOpNumThreads, 1, 64)) throw invalid('intraOpNumThreads', 'an integer in [1, 64]', c.intraOpNumThreads);
  if (typeof c.warmSessions !== 'boolean') throw invalid('warmSessions', 'a boolean', c.warmSessions);
  if (!(c.closeGraceMs >= 0) || !Number.isFinite(c.closeGraceMs)) throw invalid('closeGraceMs', 'a finite number of ms >= 0', c.closeGraceMs);
  return Object.freeze(c);
}
