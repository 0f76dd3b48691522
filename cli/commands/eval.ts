/**
 * `coinfer eval`: compares policies (the DQN checkpoints and the baselines) on identical seeded
 * request streams over the held-out (or training) traces, and prints one row per policy:
 * accuracy (correct and on time), deadline hit rate, mean and p95 latency, device energy per
 * request, mean reward, and reward as a fraction of the oracle's.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { CoinferError } from '../../common/errors.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { evaluatePolicies, summarizeOutcomes, type PolicySummary } from '../../policies/evaluate-policies.ts';
import { LiveEnv } from '../../env/live-env.ts';
import { createProgress } from '../progress.ts';
import { serveLive, type LiveServed } from '../serve-live.ts';
import type { Policy } from '../../policies/policy.ts';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { formatTable } from '../format-table.ts';
import { loadPolicy } from '../load-policy.ts';
import { loadReplaySetup } from '../replay-setup.ts';
import { intArg } from '../option-parsers.ts';

export const DEFAULT_EVAL_POLICIES = 'dqn,edgent,device-only,edge-only,neurosurgeon,branchynet,random,oracle';

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

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Compare policies on identical seeded request streams over real bandwidth traces')
    .option('--policies <list>', 'comma-separated: dqn (shipped), dqn:<checkpoint>, edgent, device-only, edge-only, neurosurgeon, branchynet, random, oracle', DEFAULT_EVAL_POLICIES)
    .addOption(new Option('--env <kind>', 'environment').choices(['replay', 'live'] as const).default('replay' as const))
    .addOption(new Option('--traces <split>', 'trace split').choices(['test', 'train'] as const).default('test' as const))
    .option('--episodes <n>', 'episodes per policy', intArg('--episodes', 1), 40)
    .option('--episode-requests <n>', 'requests per episode', intArg('--episode-requests', 1), 200)
    .option('--seed <n>', 'seed of the request streams', intArg('--seed'), 2024)
    .option('--model <dir>', 'model package', DEFAULT_MODEL_DIR)
    .option('--checkpoints <dir>', 'checkpoint registry root for dqn:<ref>', DEFAULT_CHECKPOINT_ROOT)
    .option('--json', 'print a JSON array with one object per policy')
    .action(async (opts) => {
      const setup = await loadReplaySetup({ modelDir: opts.model });
      const envInput = { split: opts.traces, scenario: { episodeRequests: opts.episodeRequests } } as const;
      const config = resolveEnvConfig(envInput);
      const codec = new ActionCodec(setup.pkg.manifest, config.encodings);
      const policyDeps = { manifest: setup.pkg.manifest, device: setup.device, edge: setup.edge, stageProfiles: setup.stageProfiles, actions: codec.actions, seed: opts.seed };
      const specs = opts.policies.split(',').map((s) => s.trim()).filter(Boolean);
      if (specs.length === 0) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --policies to name at least one policy');
      const policies: Policy[] = [];
      for (const spec of specs) {
        policies.push((await loadPolicy(spec, { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: opts.checkpoints })).policy);
      }
      const traces = opts.traces === 'test' ? setup.test : setup.train;
      const say = (line: string) => { if (!opts.json) process.stderr.write(`${line}\n`); };
      let rows: PolicySummary[];
      if (opts.env === 'live') {
        if (specs.includes('oracle')) throw new CoinferError('ERR_POLICY_UNKNOWN', "The oracle needs every action's true outcome, which only the replay env can give; drop it from --policies for --env live");
        say(`serving ${specs.length} policies × ${opts.episodes} episodes × ${config.scenario.episodeRequests} live requests (real split inference, own edge on 127.0.0.1, ${traces.length} ${opts.traces} traces)`);
        rows = [];
        for (const policy of policies) {
          const env = await LiveEnv.create({ pkg: setup.pkg, traces, config: envInput });
          const bar = createProgress({ total: opts.episodes * config.scenario.episodeRequests, format: `${policy.name.padEnd(12)} |{bar}| {value}/{total} live requests`, quiet: !!opts.json });
          const served: LiveServed[] = [];
          let k = 0;
          try {
            for (let ep = 0; ep < opts.episodes; ep++) {
              served.push(...(await serveLive({ policy, env, requests: config.scenario.episodeRequests, seed: opts.seed + ep, onStep: () => bar.update(++k) })));
            }
          } finally {
            bar.stop();
            await env.close();
          }
          rows.push(summarizeOutcomes(policy.name, served));
        }
      } else {
        say(`evaluating ${specs.length} policies × ${opts.episodes} episodes × ${config.scenario.episodeRequests} requests on ${traces.length} ${opts.traces} traces (${setup.computeTimes.source})`);
        rows = await evaluatePolicies(policies, {
          manifest: setup.pkg.manifest, computeTimes: setup.computeTimes, traces, config: envInput,
          episodes: opts.episodes, seed: opts.seed,
          onPolicyDone: (s) => say(`  ${s.policy}: done`),
        });
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(rows.map(({ actionCounts, ...r }) => ({ ...r, actionCounts })))}\n`);
      else process.stdout.write(`${formatSummaries(rows)}\n`);
    });
}
