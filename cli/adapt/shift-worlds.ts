/**
 * The world shifts `coinfer adapt` runs: each a world before and a world after the shift, by
 * shipped scenario name (scenarios/*.json), and what a replay env of each needs (env config
 * under the checkpoint's reward, test traces, compute times, the planners' latency profiles).
 */
import type { EnvConfigInput } from '../../env/replay-config.ts';
import type { RewardConfig } from '../../env/reward.ts';
import { scenarioEnvInput } from '../../env/scenario-file.ts';
import type { ComputeTimes } from '../../env/compute-times.ts';
import type { BandwidthTrace } from '../../runtime/link/trace.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { CoinferError } from '../../common/errors.ts';
import { loadScenario, scenarioComputeTimes, scenarioTraces, type WorldTimes } from '../scenario-setup.ts';

export interface WorldShift {
  /** Name in reports and in `--shifts`. */
  readonly name: string;
  /** One line: what changes. */
  readonly description: string;
  /** Scenario of the world before the shift. */
  readonly before: string;
  /** Scenario of the world after it. */
  readonly after: string;
}

/** The three shifts of the experiment (docs/online.md). */
export const DEFAULT_SHIFTS: readonly WorldShift[] = [
  { name: 'device-2x-slower', description: 'the device becomes twice as slow (throttling)', before: 'base', after: 'device-2x-slower' },
  { name: 'edge-contention', description: 'edge contention starts (24 other devices, mean edge load ≈ 0.7)', before: 'base', after: 'edge-contention' },
  { name: 'wifi-to-3g', description: 'the link moves from broadband (FCC) to 3G (Norway HSDPA) traces', before: 'fcc-broadband', after: 'norway-hsdpa' },
];

/** The shifts named in a comma list (all by default). @throws CoinferError ERR_INVALID_ARGUMENT for an unknown name */
export function selectShifts(names: readonly string[] | undefined): WorldShift[] {
  if (!names || names.length === 0) return [...DEFAULT_SHIFTS];
  return names.map((n) => {
    const s = DEFAULT_SHIFTS.find((x) => x.name === n);
    if (!s) throw new CoinferError('ERR_INVALID_ARGUMENT', `Unknown shift '${n}': expected one of ${DEFAULT_SHIFTS.map((x) => x.name).join(', ')}`);
    return s;
  });
}

/** Everything a replay env of one world needs. */
export interface WorldSetup {
  readonly name: string;
  readonly config: EnvConfigInput;
  readonly traces: readonly BandwidthTrace[];
  readonly computeTimes: ComputeTimes;
  readonly times: WorldTimes;
}

/**
 * A world's replay setup on the test traces (or `split`), one episode of `requests` (the stream is never cut),
 * scored with `reward` (the checkpoint's objective, so every policy is measured in its units).
 */
export async function worldSetup(scenario: string, o: { readonly pkg: ModelPackage; readonly reward: RewardConfig; readonly requests: number; readonly say?: (line: string) => void; readonly split?: 'train' | 'test' }): Promise<WorldSetup> {
  const world = await loadScenario(scenario);
  const split = o.split ?? 'test';
  const input = scenarioEnvInput(world, { split, scenario: { episodeRequests: o.requests } });
  const config: EnvConfigInput = { ...input, reward: o.reward };
  const [traces, times] = await Promise.all([scenarioTraces(world, { split }), scenarioComputeTimes(world, o.pkg, o.say)]);
  return { name: world.name, config, traces, computeTimes: times.computeTimes, times };
}
