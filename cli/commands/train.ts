/**
 * `coinfer train`: trains the DQN agent against the replay env (real traces of the train split
 * of a scenario's world, calibrated compute times, per-sample correctness) or the live env,
 * with periodic greedy evaluation on the **validation** traces; every evaluation is saved as a
 * checkpoint (lowdb registry) with its objective and scenario. Test traces are never read here:
 * checkpoint scores and `best` rest on validation only (docs/traces.md). Resumable from any
 * checkpoint (`--resume latest`); `--seeds 1,2,3` trains one run per seed and reports the
 * mean ± 95% CI of their final validation metrics.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { type DqnConfigInput } from '../../agent/dqn-config.ts';
import { TRAIN_DQN_DEFAULTS, TRAIN_ENV_DEFAULTS, TRAIN_RUN_DEFAULTS } from '../../agent/train-defaults.ts';
import { CoinferError } from '../../common/errors.ts';
import { clusterMeanCi } from '../../policies/paired-ci.ts';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { intArg, nonNegativeArg } from '../option-parsers.ts';
import { trainRun, type TrainRunResult } from '../train-run.ts';

/** The seed of a run when neither --seed nor --seeds nor a resumed checkpoint gives one. */
export const DEFAULT_TRAIN_SEED = 1;

/** `--seeds 1,2,3`: distinct integers. */
export function parseSeeds(v: string): number[] {
  const seeds = v.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)) || new Set(seeds).size !== seeds.length) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --seeds a comma-separated list of distinct integers (e.g. 1,2,3), actually '${v}'`);
  }
  return seeds;
}

const SUMMARY_METRICS = ['eval/mean_reward', 'eval/accuracy', 'eval/hit_rate'] as const;

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train the DQN agent against the replay env (or the live env) in a scenario\'s world, scoring checkpoints on validation traces')
    .addOption(new Option('--env <kind>', 'environment to train against').choices(['replay', 'live'] as const).default('replay' as const))
    .option('--scenario <name|file>', 'the world to train in: a name from `coinfer scenarios list` or a scenario JSON file (ranges are drawn per episode)', 'base')
    .option('--steps <n>', 'environment steps to take (over all lanes, rounded up to whole vector steps)', intArg('--steps', 1), TRAIN_RUN_DEFAULTS.steps)
    .option('--seed <n>', `seed of the env, the network and exploration (default ${DEFAULT_TRAIN_SEED}; with --resume, the checkpoint's unless given)`, intArg('--seed'))
    .option('--seeds <list>', 'train one run per seed (e.g. 1,2,3) and report mean ± 95% CI of their final validation metrics', parseSeeds)
    .option('--out <dir>', 'checkpoint registry root', DEFAULT_CHECKPOINT_ROOT)
    .option('--model <dir>', 'model package', DEFAULT_MODEL_DIR)
    .option('--resume <ref>', 'continue from a checkpoint (id, latest, best or a path)')
    .option('--eval-every <n>', 'steps between evaluations (each saves a checkpoint)', intArg('--eval-every', 1), TRAIN_RUN_DEFAULTS.evalEvery)
    .option('--eval-episodes <n>', 'validation-trace episodes per evaluation', intArg('--eval-episodes', 1), TRAIN_RUN_DEFAULTS.evalEpisodes)
    .option('--dqn <json>', 'DQN config overrides as JSON (see docs/dqn.md)', '{}')
    .option('--energy-lambda <perJ>', "energy-aware reward: subtract this much per joule of device energy (default the scenario's, 0 = Edgent's objective)", nonNegativeArg('--energy-lambda'))
    .option('--deadline-mask <factor>', 'mask actions the planner predicts to take more than factor × the deadline at the measured speeds (≥ 1; env/deadline-mask.ts); the policy keeps the mask when served', nonNegativeArg('--deadline-mask'))
    .option('--save-learner-state', 'also save the replay memory, Adam state and counters with every checkpoint, so --resume continues exactly (tens of MB at the default replay capacity)')
    .option('--json', 'print progress and the result as JSON lines')
    .action(async (opts) => {
      let overrides: DqnConfigInput;
      try {
        overrides = JSON.parse(opts.dqn) as DqnConfigInput;
      } catch (e) {
        throw new CoinferError('ERR_INVALID_ARGUMENT', `--dqn must be a JSON object, e.g. '{"gamma":0.9}': ${(e as Error).message}`);
      }
      if (opts.seeds && opts.seed !== undefined) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected either --seed or --seeds, not both');
      if (opts.seeds && opts.resume) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --seeds without --resume: each seed starts its own run');
      const log = (o: object) => (opts.json ? process.stdout.write(`${JSON.stringify(o)}\n`) : undefined);
      const common = {
        env: opts.env, scenario: opts.scenario, steps: opts.steps, out: opts.out, modelDir: opts.model, resume: opts.resume,
        evalEvery: opts.evalEvery, evalEpisodes: opts.evalEpisodes, dqnDefaults: TRAIN_DQN_DEFAULTS, dqnOverrides: overrides,
        envDefaults: opts.deadlineMask === undefined ? TRAIN_ENV_DEFAULTS : { ...TRAIN_ENV_DEFAULTS, deadlineMaskFactor: opts.deadlineMask }, energyLambda: opts.energyLambda, json: !!opts.json, saveLearnerState: !!opts.saveLearnerState, log,
      };
      const seeds: (number | undefined)[] = opts.seeds ?? [opts.seed ?? (opts.resume ? undefined : DEFAULT_TRAIN_SEED)];
      const results: TrainRunResult[] = [];
      for (const seed of seeds) results.push(await trainRun({ ...common, seed }));
      if (seeds.length > 1) {
        const summary = Object.fromEntries(SUMMARY_METRICS.map((m) => [m, clusterMeanCi(results.map((r) => r.metrics[m]!))]));
        log({ event: 'seeds', seeds, checkpoints: results.map((r) => r.checkpoint), ...summary });
        if (!opts.json) {
          process.stdout.write(`${seeds.length} seeds (${seeds.join(', ')}), final validation metrics, mean [95% CI over seeds]:\n`);
          for (const m of SUMMARY_METRICS) {
            const ci = summary[m]!;
            process.stdout.write(`  ${m}: ${ci.mean.toFixed(4)} [${ci.lo.toFixed(4)}, ${ci.hi.toFixed(4)}]\n`);
          }
        }
      }
    });
}
