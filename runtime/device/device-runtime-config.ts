/**
 * Configuration of the device runner (device-runtime.ts).
 */
import { CoinferError } from '../../common/errors.ts';
import { DEVICE_COMPUTE_PROFILES, type DeviceComputeProfile } from './compute-profile.ts';

export interface DeviceRuntimeConfig {
  /** The edge, ws://host:port; null = no edge (every offloaded action falls back to a local exit). */
  readonly edgeUrl: string | null;
  /** Bearer token for the edge's upgrade check; null = none. */
  readonly token: string | null;
  /** Compute profile: `native`, or `edgent-rpi3b` (emulated: real run, then wait to the Pi's predicted time). */
  readonly profile: DeviceComputeProfile;
  /** ORT intra-op threads, integer ≥ 1 (1: the device and the edge share this machine's cores). */
  readonly intraOpNumThreads: number;
  /** Send all-zero WebSocket masks (loopback / trusted LAN only; see edge-client.ts). */
  readonly zeroMask: boolean;
  /** One connection attempt's limit, ms > 0. */
  readonly connectTimeoutMs: number;
  /** Wait between reconnection attempts while the edge is away, ms ≥ 0. */
  readonly reconnectDelayMs: number;
  /**
   * Safety margin kept for a local fallback, ms ≥ 0: an offload gives up when the time left
   * falls to (cheapest local exit's estimate + this margin).
   */
  readonly fallbackMarginMs: number;
  /** Timed runs per local exit at start, integer ≥ 1, whose median seeds the local-time estimates. */
  readonly calibrationRuns: number;
}

export const DEFAULT_DEVICE_RUNTIME_CONFIG: DeviceRuntimeConfig = Object.freeze({
  edgeUrl: null,
  token: null,
  profile: 'native',
  intraOpNumThreads: 1,
  zeroMask: false,
  connectTimeoutMs: 2000,
  reconnectDelayMs: 500,
  fallbackMarginMs: 1,
  calibrationRuns: 5,
});

function invalid(field: string, expected: string, actual: unknown): CoinferError {
  return new CoinferError('ERR_INVALID_CONFIG', `DeviceRuntimeConfig.${field}: expected ${expected}, actually ${JSON.stringify(actual)}`);
}

/**
 * Merges `partial` over the defaults and validates.
 * @throws CoinferError ERR_INVALID_CONFIG naming the field
 */
export function resolveDeviceRuntimeConfig(partial: Partial<DeviceRuntimeConfig> = {}): DeviceRuntimeConfig {
  const c: DeviceRuntimeConfig = { ...DEFAULT_DEVICE_RUNTIME_CONFIG, ...partial };
  if (c.edgeUrl !== null && !/^wss?:\/\/[^\s]+$/.test(String(c.edgeUrl))) throw invalid('edgeUrl', 'null or ws://host:port', c.edgeUrl);
  if (c.token !== null && (typeof c.token !== 'string' || c.token.length === 0)) throw invalid('token', 'null or a non-empty string', c.token);
  if (!(DEVICE_COMPUTE_PROFILES as readonly string[]).includes(c.profile)) throw invalid('profile', DEVICE_COMPUTE_PROFILES.join(' | '), c.profile);
  if (!Number.isInteger(c.intraOpNumThreads) || c.intraOpNumThreads < 1 || c.intraOpNumThreads > 64) throw invalid('intraOpNumThreads', 'an integer in [1, 64]', c.intraOpNumThreads);
  if (typeof c.zeroMask !== 'boolean') throw invalid('zeroMask', 'a boolean', c.zeroMask);
  if (!(c.connectTimeoutMs > 0) || !Number.isFinite(c.connectTimeoutMs)) throw invalid('connectTimeoutMs', 'a finite number of ms > 0', c.connectTimeoutMs);
  if (!(c.reconnectDelayMs >= 0) || !Number.isFinite(c.reconnectDelayMs)) throw invalid('reconnectDelayMs', 'a finite number of ms >= 0', c.reconnectDelayMs);
  if (!(c.fallbackMarginMs >= 0) || !Number.isFinite(c.fallbackMarginMs)) throw invalid('fallbackMarginMs', 'a finite number of ms >= 0', c.fallbackMarginMs);
  if (!Number.isInteger(c.calibrationRuns) || c.calibrationRuns < 1 || c.calibrationRuns > 1000) throw invalid('calibrationRuns', 'an integer in [1, 1000]', c.calibrationRuns);
  return Object.freeze(c);
}
