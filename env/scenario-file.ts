/**
 * Scenario files: one JSON document describing a world — traces, RTT, deadlines, the device
 * (latency profile, slowdown, load process), the edge (profile, slowdown, other devices and
 * their load), encodings and the reward. Validated with zod (unknown keys rejected, every issue
 * naming the key, the expectation and the actual value). Every numeric field except the
 * per-request deadline distribution and the episode length may be a number or a range drawn
 * per episode (env/number-spec.ts). Reference: docs/scenarios.md.
 *
 * Pure: `parseScenario` validates a parsed document; `scenarioEnvInput` turns it into the env's
 * config. Reading files and traces is cli/scenario-setup.ts's job.
 */
import { z } from 'zod';
import { parseWith } from '../common/schema.ts';
import { DEFAULT_EPISODE_VARIATION } from './episode-world.ts';
import { isFixed, nominalValue, numberSpec, type NumberSpec } from './number-spec.ts';
import type { EnvConfigInput } from './replay-config.ts';
import { MAX_OTHER_DEVICES, type DeadlineDistribution, type ScenarioConfig } from './scenario.ts';

const deadlineSpec = z.union([
  z.number().positive(),
  z.strictObject({ uniform: z.tuple([z.number().positive(), z.number().positive()]).refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' }) }),
  z.strictObject({ choice: z.array(z.number().positive()).min(1) }),
]);

/** A latency profile: a published name, `native` (measured on this machine) or a profile JSON file. */
const profileRef = z.string().min(1);

/** The zod schema of a scenario file. Every field is optional: absent = the base world. */
export const scenarioFileSchema = z.strictObject({
  /** Short name (default: the file name without `.json`). */
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'expected lower-case letters, digits, dots and dashes').optional(),
  /** One line shown by `coinfer scenarios list`. */
  description: z.string().optional(),
  traces: z.strictObject({
    /** Trace files, directories or `*` patterns (relative to the scenario file); default the shipped traces. */
    files: z.array(z.string().min(1)).min(1).optional(),
    /** Keep only traces of these sources (directory names, e.g. `norway_hsdpa_3g`). */
    sources: z.array(z.string().min(1)).min(1).optional(),
    /** Every rate × this (0.1 = a tenth of the recorded bandwidth). */
    rateScale: numberSpec(1e-4, 1000).optional(),
  }).optional(),
  /** Round-trip propagation time to the edge, ms. */
  rttMs: numberSpec(0, 60_000).optional(),
  /** Per-request deadline, ms: a number, or a uniform / choice distribution drawn per request. */
  deadlineMs: deadlineSpec.optional(),
  /** Time between request arrivals, ms. */
  requestIntervalMs: numberSpec(1e-3, 3_600_000).optional(),
  /** Requests per episode. */
  episodeRequests: z.number().int().positive().optional(),
  device: z.strictObject({
    profile: profileRef.optional(),
    /** Compute times × this against the profile (2 = twice as slow). */
    slowdown: numberSpec(0.01, 1000).optional(),
    load: z.strictObject({
      /** Load levels (share of a core busy with other work) the Markov chain moves between. */
      levels: z.array(z.number().min(0).max(0.95)).min(1).optional(),
      /** Probability the load stays at its level from one request to the next. */
      stay: numberSpec(0, 1).optional(),
    }).optional(),
  }).optional(),
  edge: z.strictObject({
    profile: profileRef.optional(),
    slowdown: numberSpec(0.01, 1000).optional(),
    /** Other devices sharing the edge. */
    otherDevices: numberSpec(0, MAX_OTHER_DEVICES, { int: true }).optional(),
    /** Probability another device is active at a request. */
    activeProb: numberSpec(0, 1).optional(),
    /** Edge load one active device adds, in [0, 1] (total clamped to 0.9). */
    loadPerDevice: numberSpec(0, 1).optional(),
  }).optional(),
  encodings: z.array(z.enum(['f32', 'f16', 'int8', 'jpeg90', 'jpeg50'])).min(1).optional(),
  reward: z.strictObject({
    kind: z.enum(['correctness', 'accuracy', 'normalized-accuracy']).optional(),
    missPenalty: z.number().max(0).optional(),
    energyLambdaPerJ: z.number().min(0).optional(),
  }).optional(),
});

export type ScenarioFile = z.output<typeof scenarioFileSchema>;

/** A validated scenario with its resolved name. */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly spec: ScenarioFile;
}

/** The profiles a scenario uses when it names none. */
export const DEFAULT_DEVICE_PROFILE = 'edgent-rpi3b';
export const DEFAULT_EDGE_PROFILE = 'edgent-desktop';

/**
 * Validates a parsed scenario document.
 * @param fallbackName used when the document has no `name` (the file name)
 * @param what names the source in errors (e.g. the path)
 * @throws CoinferError ERR_INVALID_CONFIG listing every issue
 */
export function parseScenario(raw: unknown, fallbackName: string, what: string): Scenario {
  const spec = parseWith(scenarioFileSchema, raw, `scenario ${what}`);
  return { name: spec.name ?? fallbackName, description: spec.description ?? '', spec };
}

function toDeadline(d: NonNullable<ScenarioFile['deadlineMs']>): DeadlineDistribution {
  if (typeof d === 'number') return { kind: 'choice', valuesMs: [d] };
  return 'uniform' in d ? { kind: 'uniform', minMs: d.uniform[0], maxMs: d.uniform[1] } : { kind: 'choice', valuesMs: [...d.choice] };
}

/**
 * The env config a scenario describes (on top of the defaults). Ranged fields get their
 * nominal value in `scenario` (what the live env uses) and their range in `variation`.
 * @param base env settings the scenario does not describe (split, episode length from the CLI, …)
 */
export function scenarioEnvInput(s: Scenario, base: EnvConfigInput = {}): EnvConfigInput {
  const f = s.spec;
  const scenario: Partial<Record<keyof ScenarioConfig, unknown>> = { ...base.scenario };
  const sampled: Record<string, NumberSpec> = {};
  const put = (key: 'rttMs' | 'requestIntervalMs' | 'deviceLoadStay' | 'otherDevices' | 'otherDeviceActiveProb' | 'edgeLoadPerDevice', v: NumberSpec | undefined): void => {
    if (v === undefined) return;
    const nominal = nominalValue(v);
    scenario[key] = key === 'otherDevices' ? Math.round(nominal) : nominal;
    if (!isFixed(v)) sampled[key] = v;
  };
  put('rttMs', f.rttMs);
  put('requestIntervalMs', f.requestIntervalMs);
  put('deviceLoadStay', f.device?.load?.stay);
  put('otherDevices', f.edge?.otherDevices);
  put('otherDeviceActiveProb', f.edge?.activeProb);
  put('edgeLoadPerDevice', f.edge?.loadPerDevice);
  if (f.deadlineMs !== undefined) scenario.deadline = toDeadline(f.deadlineMs);
  if (f.device?.load?.levels) scenario.deviceLoadLevels = f.device.load.levels;
  if (f.episodeRequests !== undefined) scenario.episodeRequests = f.episodeRequests;
  const reward = {
    ...base.reward,
    ...(f.reward?.kind !== undefined ? { signal: f.reward.kind } : {}),
    ...(f.reward?.missPenalty !== undefined ? { missPenalty: f.reward.missPenalty } : {}),
    ...(f.reward?.energyLambdaPerJ !== undefined ? { energyLambdaPerJ: f.reward.energyLambdaPerJ } : {}),
  };
  return {
    ...base,
    scenario: scenario as Partial<ScenarioConfig>,
    reward,
    variation: {
      ...DEFAULT_EPISODE_VARIATION,
      ...base.variation,
      deviceSlowdown: f.device?.slowdown ?? 1,
      edgeSlowdown: f.edge?.slowdown ?? 1,
      rateScale: f.traces?.rateScale ?? 1,
      scenario: sampled,
    },
    ...(f.encodings ? { encodings: f.encodings } : {}),
  };
}

/** The scenario's objective, as checkpoints record it (reward kind and energy λ). */
export function objectiveOf(reward: { readonly signal: string; readonly energyLambdaPerJ: number }): { readonly rewardKind: string; readonly energyLambdaPerJ: number } {
  return { rewardKind: reward.signal, energyLambdaPerJ: reward.energyLambdaPerJ };
}
