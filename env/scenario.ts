/**
 * The request scenario (issue 5): deadlines from a configurable distribution, device load from
 * a Markov chain, edge load from other devices' requests. Pure state machines over a seeded
 * Rng, shared by the live and replay envs so both see the same scenario for the same seed.
 */
import { z } from 'zod';
import type { Rng } from '../common/rng.ts';
import { parseWith } from '../common/schema.ts';

export type DeadlineDistribution =
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'choice'; readonly valuesMs: readonly number[] };

export interface ScenarioConfig {
  /** Per-request deadline distribution; default uniform 100–1000 ms, as in Edgent's experiments. */
  readonly deadline: DeadlineDistribution;
  /** Device load levels (share of a core busy with background work), each in [0, 0.95]. */
  readonly deviceLoadLevels: readonly number[];
  /** Probability that the device load stays at its level from one request to the next. */
  readonly deviceLoadStay: number;
  /** Number of other devices sharing the edge. */
  readonly otherDevices: number;
  /** Probability that another device is active at a given request (each flips independently). */
  readonly otherDeviceActiveProb: number;
  /** Edge load contributed by one active device, in [0, 1]; total clamped to 0.9. */
  readonly edgeLoadPerDevice: number;
  /** Time between request arrivals on the trace clock, ms. */
  readonly requestIntervalMs: number;
  /** Round-trip propagation time to the edge, ms. */
  readonly rttMs: number;
  /** Requests per episode (the TimeLimit; episodes end truncated). */
  readonly episodeRequests: number;
}

export const DEFAULT_SCENARIO_CONFIG: ScenarioConfig = {
  deadline: { kind: 'uniform', minMs: 100, maxMs: 1000 },
  deviceLoadLevels: [0, 0.25, 0.5, 0.75],
  deviceLoadStay: 0.9,
  otherDevices: 4,
  otherDeviceActiveProb: 0.3,
  edgeLoadPerDevice: 0.15,
  requestIntervalMs: 1000,
  rttMs: 20,
  episodeRequests: 200,
};

const positiveMs = z.number().positive();

/** The zod schema of a deadline distribution. */
export const deadlineSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('uniform'), minMs: positiveMs, maxMs: positiveMs }).refine((d) => d.minMs <= d.maxMs, { message: 'expected minMs <= maxMs', path: ['maxMs'] }),
  z.strictObject({ kind: z.literal('choice'), valuesMs: z.array(positiveMs).min(1) }),
]);

/** At most this many other devices (their activity is a bit mask in a 32-bit integer). */
export const MAX_OTHER_DEVICES = 30;

/** The zod schema of a whole ScenarioConfig. */
export const scenarioConfigSchema = z.strictObject({
  deadline: deadlineSchema,
  deviceLoadLevels: z.array(z.number().min(0).max(0.95)).min(1),
  deviceLoadStay: z.number().min(0).max(1),
  otherDevices: z.number().int().min(0).max(MAX_OTHER_DEVICES),
  otherDeviceActiveProb: z.number().min(0).max(1),
  edgeLoadPerDevice: z.number().min(0).max(1),
  requestIntervalMs: z.number().positive(),
  rttMs: z.number().min(0),
  episodeRequests: z.number().int().positive(),
});

/** @throws CoinferError ERR_INVALID_CONFIG naming the field, the expectation and the actual value */
export function resolveScenarioConfig(p: Partial<ScenarioConfig> = {}): ScenarioConfig {
  return parseWith(scenarioConfigSchema, { ...DEFAULT_SCENARIO_CONFIG, ...p }, 'scenario config') as ScenarioConfig;
}

/** Draws one deadline, ms. */
export function sampleDeadlineMs(d: DeadlineDistribution, rng: Rng): number {
  return d.kind === 'uniform' ? d.minMs + rng.next() * (d.maxMs - d.minMs) : d.valuesMs[rng.int(d.valuesMs.length)]!;
}

/** Mutable scenario state of one episode (device load level, active other devices). */
export interface ScenarioState {
  deviceLoadLevel: number;
  /** Bit i = other device i active. */
  activeDevices: number;
}

export function initialScenarioState(c: ScenarioConfig, rng: Rng): ScenarioState {
  let active = 0;
  for (let i = 0; i < c.otherDevices; i++) if (rng.next() < c.otherDeviceActiveProb) active |= 1 << i;
  return { deviceLoadLevel: rng.int(c.deviceLoadLevels.length), activeDevices: active };
}

/** Advances the Markov processes by one request. */
export function advanceScenario(c: ScenarioConfig, s: ScenarioState, rng: Rng): void {
  if (rng.next() >= c.deviceLoadStay && c.deviceLoadLevels.length > 1) {
    // move to a neighbouring level (load changes gradually)
    const up = rng.next() < 0.5;
    const n = c.deviceLoadLevels.length;
    s.deviceLoadLevel = Math.min(n - 1, Math.max(0, s.deviceLoadLevel + (up ? 1 : -1)));
  }
  for (let i = 0; i < c.otherDevices; i++) {
    // each other device toggles with a probability that keeps its stationary activity at otherDeviceActiveProb
    const on = (s.activeDevices >> i) & 1;
    const p = c.otherDeviceActiveProb;
    const flip = on ? 0.2 * (1 - p) : 0.2 * p;
    if (rng.next() < flip) s.activeDevices ^= 1 << i;
  }
}

export function deviceLoadOf(c: ScenarioConfig, s: ScenarioState): number {
  return c.deviceLoadLevels[s.deviceLoadLevel]!;
}

export function edgeLoadOf(c: ScenarioConfig, s: ScenarioState): number {
  let n = 0;
  for (let x = s.activeDevices; x; x &= x - 1) n++;
  return Math.min(0.9, n * c.edgeLoadPerDevice);
}
