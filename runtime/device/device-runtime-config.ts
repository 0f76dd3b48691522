/**
 * Configuration of the device runner (device-runtime.ts).
 */
import { z } from 'zod';
import { parseWith } from '../../common/schema.ts';
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
   * falls to (cheapest local exit's estimate + timer lateness + this margin).
   */
  readonly fallbackMarginMs: number;
  /**
   * Percentile of the recent compute slowdown the local-exit estimates use, in [0.5, 1]: high,
   * so that a fallback started at the reserve still fits when the CPU is busy.
   */
  readonly reservePercentile: number;
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
  fallbackMarginMs: 2,
  reservePercentile: 0.99,
  calibrationRuns: 5,
});

const DEVICE_RUNTIME_CONFIG_SCHEMA = z.strictObject({
  edgeUrl: z.string().regex(/^wss?:\/\/[^\s]+$/, 'expected null or ws://host:port').nullable(),
  token: z.string().min(1, 'expected null or a non-empty token').nullable(),
  profile: z.enum(DEVICE_COMPUTE_PROFILES),
  intraOpNumThreads: z.number().int().min(1).max(64),
  zeroMask: z.boolean(),
  connectTimeoutMs: z.number().positive().finite(),
  reconnectDelayMs: z.number().min(0).finite(),
  fallbackMarginMs: z.number().min(0).finite(),
  reservePercentile: z.number().min(0.5).max(1),
  calibrationRuns: z.number().int().min(1).max(1000),
});

/**
 * Merges `partial` over the defaults and validates.
 * @throws CoinferError ERR_INVALID_CONFIG naming the field, expected vs actual
 */
export function resolveDeviceRuntimeConfig(partial: Partial<DeviceRuntimeConfig> = {}): DeviceRuntimeConfig {
  return Object.freeze(parseWith(DEVICE_RUNTIME_CONFIG_SCHEMA, { ...DEFAULT_DEVICE_RUNTIME_CONFIG, ...partial }, 'DeviceRuntimeConfig'));
}
