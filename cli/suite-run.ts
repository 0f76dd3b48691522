/**
 * Runs a suite: every policy on every world, on identical seeded request streams (the same
 * seed in every world and for every policy), over each world's test traces. Collects per
 * request whether it was answered correctly in time, per episode, for the paired intervals
 * (policies/suite-metrics.ts).
 */
import { ActionCodec } from '../env/action-codec.ts';
import { OBSERVATION_SIZE } from '../env/observation.ts';
import { resolveEnvConfig, type EnvConfigInput } from '../env/replay-config.ts';
import { scenarioEnvInput } from '../env/scenario-file.ts';
import { evaluatePolicies } from '../policies/evaluate-policies.ts';
import type { Policy } from '../policies/policy.ts';
import { BASELINE_POLICY, ORACLE_POLICY, suiteWorldRow, type SuiteWorldRow } from '../policies/suite-metrics.ts';
import type { ModelPackage } from '../runtime/model/model-package.ts';
import type { TraceSplit } from '../runtime/link/trace-catalog.ts';
import { loadPolicy, reportOnce } from './load-policy.ts';
import { scenarioComputeTimes, scenarioTraces, type Suite } from './scenario-setup.ts';

export interface RunSuiteOptions {
  readonly suite: Suite;
  readonly pkg: ModelPackage;
  /** Policy specs (as `coinfer eval --policies`); Edgent and the oracle are added when missing. */
  readonly policies: readonly string[];
  readonly episodes: number;
  readonly seed: number;
  /** Trace split the worlds run on (default test). */
  readonly split?: TraceSplit;
  /** Env settings under every world (e.g. the episode length). */
  readonly base?: EnvConfigInput;
  readonly checkpointsRoot: string;
  /** Called after each (world, policy) with the number done so far. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  readonly say?: (line: string) => void;
}

export interface SuiteResult {
  readonly suite: string;
  readonly model: string;
  readonly split: TraceSplit;
  readonly seed: number;
  readonly episodes: number;
  readonly runSeconds: number;
  readonly scenarios: readonly SuiteWorldRow[];
}

/** The specs a suite runs: the given ones, with Edgent (the Δ baseline) and the oracle (the headroom) added when missing. */
export function suitePolicySpecs(specs: readonly string[]): string[] {
  const out = [...specs];
  if (!out.includes(BASELINE_POLICY)) out.push(BASELINE_POLICY);
  if (!out.includes(ORACLE_POLICY)) out.push(ORACLE_POLICY);
  return out;
}

export async function runSuite(opts: RunSuiteOptions): Promise<SuiteResult> {
  const t0 = performance.now();
  const specs = suitePolicySpecs(opts.policies);
  const split = opts.split ?? 'test';
  const total = opts.suite.scenarios.length * specs.length;
  let done = 0;
  const rows: SuiteWorldRow[] = [];
  const report = reportOnce(); // every world loads the same checkpoints again
  for (const world of opts.suite.scenarios) {
    const envInput = scenarioEnvInput(world, { ...opts.base, split });
    const config = resolveEnvConfig(envInput);
    const [traces, times] = await Promise.all([scenarioTraces(world, { split }), scenarioComputeTimes(world, opts.pkg, opts.say)]);
    const codec = new ActionCodec(opts.pkg.manifest, config.encodings);
    const policyDeps = { manifest: opts.pkg.manifest, device: times.device, edge: times.edge, stageProfiles: times.stageProfiles, actionAccuracy: opts.pkg.actionAccuracy, actions: codec.actions, seed: opts.seed };
    const policies: Policy[] = [];
    for (const spec of specs) policies.push((await loadPolicy(spec, { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: opts.checkpointsRoot, report })).policy);
    const n = config.scenario.episodeRequests;
    const perEpisode = new Map<string, number[][]>(specs.map((s) => [s, Array.from({ length: opts.episodes }, () => [] as number[])]));
    const summaries = await evaluatePolicies(policies, {
      manifest: opts.pkg.manifest, actionAccuracy: opts.pkg.actionAccuracy, computeTimes: times.computeTimes, traces, config: envInput, episodes: opts.episodes, seed: opts.seed,
      onOutcome: (policy, o, episode) => { perEpisode.get(policy)![episode]!.push(o.hit && o.correct ? 1 : 0); },
      onPolicyDone: (s) => opts.onProgress?.(++done, total, `${world.name} ${s.policy}`),
    });
    for (const [p, eps] of perEpisode) {
      if (eps.some((e) => e.length !== n)) throw new Error(`internal: policy ${p} in world ${world.name} served episodes of unequal length`);
    }
    rows.push(suiteWorldRow(world, summaries, perEpisode));
  }
  return {
    suite: opts.suite.name, model: opts.pkg.manifest.name, split, seed: opts.seed, episodes: opts.episodes,
    runSeconds: (performance.now() - t0) / 1000, scenarios: rows,
  };
}
