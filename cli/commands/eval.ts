/**
 * `coinfer eval`: compares policies (the DQN checkpoints and the baselines) on identical seeded
 * request streams, and prints one row per policy: accuracy (correct and on time), deadline hit
 * rate, mean and p95 latency, device energy per request, mean reward, and reward as a fraction
 * of the oracle's. `--scenario` picks the world (docs/scenarios.md), `--traces` a split or trace
 * files; `--suite` runs every policy on every world of a suite (cli/eval-suite.ts).
 */
import { Command, Option } from '@commander-js/extra-typings';
import { CoinferError } from '../../common/errors.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { scenarioEnvInput } from '../../env/scenario-file.ts';
import { evaluatePolicies, summarizeOutcomes, type PolicySummary } from '../../policies/evaluate-policies.ts';
import { LiveEnv } from '../../env/live-env.ts';
import { createProgress } from '../progress.ts';
import { serveLive, type LiveServed } from '../serve-live.ts';
import type { Policy } from '../../policies/policy.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { TRACE_SPLITS, type TraceSplit } from '../../runtime/link/trace-catalog.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { formatTable } from '../format-table.ts';
import { loadPolicy } from '../load-policy.ts';
import { intArg } from '../option-parsers.ts';
import { loadScenario, scenarioComputeTimes, scenarioTraces } from '../scenario-setup.ts';
import { evalSuite } from '../eval-suite.ts';
import { BASELINE_NAMES } from '../../policies/registry.ts';

/** The shipped policy and every baseline, in the registry's report order. */
export const DEFAULT_EVAL_POLICIES = ['dqn', ...BASELINE_NAMES].join(',');
/** Episodes per policy when neither --episodes nor the suite says. */
export const DEFAULT_EVAL_EPISODES = 40;

/** Human rendering of the comparison. */
export function formatSummaries(rows: readonly PolicySummary[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return formatTable(
    ['policy', 'accuracy', 'hit rate', 'mean ms', 'p95 ms', 'energy mJ', 'reward', 'vs oracle'],
    rows.map((r) => [
      r.policy, pct(r.accuracy), pct(r.hitRate), r.meanLatencyMs.toFixed(1), r.p95LatencyMs.toFixed(1),
      r.energyMjPerRequest.toFixed(0), r.meanReward.toFixed(4), r.rewardVsOracle === null ? '-' : pct(r.rewardVsOracle),
    ]),
  );
}

/** `--traces` values: one split name, or trace files / directories / `*` patterns. */
export function parseTracesOption(values: readonly string[] | undefined): { split: TraceSplit; files: readonly string[] } {
  if (!values || values.length === 0) return { split: 'test', files: [] };
  if (values.length === 1 && (TRACE_SPLITS as readonly string[]).includes(values[0]!)) return { split: values[0] as TraceSplit, files: [] };
  const split = values.find((v) => (TRACE_SPLITS as readonly string[]).includes(v));
  if (split) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --traces to be one split (${TRACE_SPLITS.join('|')}) or trace paths, actually a mix: ${values.join(' ')}`);
  return { split: 'test', files: values };
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Compare policies on identical seeded request streams over real bandwidth traces, in one world (--scenario) or a suite of worlds (--suite)')
    .option('--policies <list>', `comma-separated: dqn (shipped), dqn:<checkpoint>, dqn:<checkpoint>+<planner>@<margin>, ${BASELINE_NAMES.join(', ')}`, DEFAULT_EVAL_POLICIES)
    .addOption(new Option('--env <kind>', 'environment').choices(['replay', 'live'] as const).default('replay' as const))
    .option('--scenario <name|file>', 'the world: a name from `coinfer scenarios list` or a scenario JSON file', 'base')
    .option('--suite [name|file]', 'run every policy on every world of a suite (default suite: default); prints Δ vs Edgent with 95% CIs')
    .option('--traces <split|paths...>', `a trace split (${TRACE_SPLITS.join('|')}, default test) or trace files, directories or * patterns used as given`)
    .option('--episodes <n>', `episodes per policy (and world); default the suite's, else ${DEFAULT_EVAL_EPISODES}`, intArg('--episodes', 1))
    .option('--episode-requests <n>', "requests per episode (default the scenario's, 200)", intArg('--episode-requests', 1))
    .option('--seed <n>', 'seed of the request streams', intArg('--seed'), 2024)
    .option('--model <dir>', 'model package', DEFAULT_MODEL_DIR)
    .option('--checkpoints <dir>', 'checkpoint registry root for dqn:<ref>', DEFAULT_CHECKPOINT_ROOT)
    .option('--json', 'print JSON: an array with one object per policy; with --suite the suite object (docs/scenarios.md)')
    .option('--markdown <file>', 'with --suite: also write the tables as markdown')
    .option('--html <file>', 'with --suite: also write an HTML page with plots')
    .action(async (opts) => {
      const specs = opts.policies.split(',').map((s) => s.trim()).filter(Boolean);
      if (specs.length === 0) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --policies to name at least one policy');
      const traces = parseTracesOption(opts.traces);
      const say = (line: string) => { if (!opts.json) process.stderr.write(`${line}\n`); };
      const base = opts.episodeRequests === undefined ? {} : { scenario: { episodeRequests: opts.episodeRequests } };
      if (opts.suite !== undefined) {
        if (opts.env === 'live') throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --env replay with --suite: the suite compares against the oracle, which only the replay env can give');
        if (traces.files.length > 0) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected a split, not trace files, for --traces with --suite: each world names its own traces');
        await evalSuite({ suiteRef: opts.suite === true ? undefined : opts.suite, specs, split: traces.split, base, episodes: opts.episodes, seed: opts.seed, modelDir: opts.model, checkpointsRoot: opts.checkpoints, json: !!opts.json, markdown: opts.markdown, html: opts.html, say });
        return;
      }
      const episodes = opts.episodes ?? DEFAULT_EVAL_EPISODES;
      const [pkg, world] = await Promise.all([loadModelPackage(opts.model), loadScenario(opts.scenario)]);
      const envInput = scenarioEnvInput(world, { ...base, split: traces.split });
      const config = resolveEnvConfig(envInput);
      const [traceList, times] = await Promise.all([scenarioTraces(world, { split: traces.split, override: traces.files }), scenarioComputeTimes(world, pkg, say)]);
      const codec = new ActionCodec(pkg.manifest, config.encodings);
      const policyDeps = { manifest: pkg.manifest, device: times.device, edge: times.edge, stageProfiles: times.stageProfiles, actionAccuracy: pkg.actionAccuracy, actions: codec.actions, seed: opts.seed };
      const policies: Policy[] = [];
      for (const spec of specs) {
        policies.push((await loadPolicy(spec, { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: opts.checkpoints })).policy);
      }
      const traceText = traces.files.length > 0 ? `${traceList.length} given traces` : `${traceList.length} ${traces.split} traces`;
      let rows: PolicySummary[];
      if (opts.env === 'live') {
        if (specs.includes('oracle')) throw new CoinferError('ERR_POLICY_UNKNOWN', "The oracle needs every action's true outcome, which only the replay env can give; drop it from --policies for --env live");
        say(`serving ${specs.length} policies × ${episodes} episodes × ${config.scenario.episodeRequests} live requests in world ${world.name} (real split inference, own edge on 127.0.0.1, ${traceText})`);
        rows = [];
        for (const policy of policies) {
          const env = await LiveEnv.create({ pkg, traces: traceList, config: envInput });
          const bar = createProgress({ total: episodes * config.scenario.episodeRequests, format: `${policy.name.padEnd(12)} |{bar}| {value}/{total} live requests`, quiet: !!opts.json });
          const served: LiveServed[] = [];
          let k = 0;
          try {
            for (let ep = 0; ep < episodes; ep++) {
              served.push(...(await serveLive({ policy, env, requests: config.scenario.episodeRequests, seed: opts.seed + ep, onStep: () => bar.update(++k) })));
            }
          } finally {
            bar.stop();
            await env.close();
          }
          rows.push(summarizeOutcomes(policy.name, served));
        }
      } else {
        say(`evaluating ${specs.length} policies × ${episodes} episodes × ${config.scenario.episodeRequests} requests in world ${world.name} on ${traceText} (${times.computeTimes.source})`);
        rows = await evaluatePolicies(policies, {
          manifest: pkg.manifest, actionAccuracy: pkg.actionAccuracy, computeTimes: times.computeTimes, traces: traceList, config: envInput,
          episodes, seed: opts.seed,
          onPolicyDone: (s) => say(`  ${s.policy}: done`),
        });
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(rows.map(({ actionCounts, ...r }) => ({ ...r, actionCounts })))}\n`);
      else process.stdout.write(`${formatSummaries(rows)}\n`);
    });
}
