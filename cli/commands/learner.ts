/**
 * `coinfer learner`: the one learner of a distributed run (docs/distributed.md). Consumes the
 * transitions actors publish to a Redis stream, trains the DQN at the `coinfer train` cadence,
 * publishes versioned weights with the objective and observation version, and checkpoints with
 * its learner state; entries are acknowledged once a checkpoint holds them. `--resume latest`
 * after a crash continues from the last checkpoint and re-reads the unacknowledged entries.
 * SIGINT/SIGTERM stop it after a final checkpoint. Composition only.
 */
import { Command } from '@commander-js/extra-typings';
import { DEFAULT_BROKER_CONFIG, resolveLearnerLoopConfig } from '../../agent/distributed/distributed-config.ts';
import { describeObjective } from '../../agent/distributed/weights-codec.ts';
import { redactUrl } from '../../agent/distributed/redis-broker.ts';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { DEFAULT_TRAIN_SEED } from './train.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { brokerFromOptions, loadDistributedWorld } from '../distributed-world.ts';
import { learnerRun } from '../learner-run.ts';
import { countArg, intArg, nonNegativeArg, positiveArg } from '../option-parsers.ts';

export function registerLearner(program: Command): void {
  program
    .command('learner')
    .description('Run the learner of distributed training: consume actors\' transitions from a Redis stream, train, publish weights, checkpoint')
    .requiredOption('--broker <url>', 'Redis URL: redis://[user:password@]host:port, rediss:// for TLS')
    .option('--namespace <name>', 'key prefix shared by the learner and its actors', DEFAULT_BROKER_CONFIG.namespace)
    .option('--max-stream-entries <n>', 'cap of the transition stream in entries (oldest trimmed beyond)', countArg('--max-stream-entries'))
    .option('--scenario <name|file>', 'the world the actors act in (its reward and λ form the objective)', 'base')
    .option('--energy-lambda <perJ>', "energy weight λ of the reward (default the scenario's)", nonNegativeArg('--energy-lambda'))
    .option('--model <dir>', 'model package', DEFAULT_MODEL_DIR)
    .option('--out <dir>', 'checkpoint registry root', DEFAULT_CHECKPOINT_ROOT)
    .option('--resume <ref>', 'continue a learner run from its checkpoint (id, latest or a path) and the stream\'s pending entries')
    .option('--seed <n>', `seed of the network and replay sampling (default ${DEFAULT_TRAIN_SEED}; with --resume, the checkpoint's unless given)`, intArg('--seed'))
    .option('--dqn <json>', 'DQN config overrides as JSON (see docs/dqn.md)', '{}')
    .option('--max-transitions <n>', 'stop after learning this many transitions (and the train rounds they owe)', countArg('--max-transitions'))
    .option('--idle-exit-s <s>', 'stop when no transition arrived for this long', positiveArg('--idle-exit-s'))
    .option('--checkpoint-every <n>', 'transitions between checkpoints (the unacknowledged window)', countArg('--checkpoint-every'), 100_000)
    .option('--eval-episodes <n>', 'validation episodes scored at each checkpoint (0: none)', intArg('--eval-episodes', 0), 4)
    .option('--consumer <name>', 'consumer name in the group (default host-pid)')
    .option('--progress-every <ms>', 'milliseconds between progress records', positiveArg('--progress-every'), 1000)
    .option('--json', 'print progress and checkpoints as JSON lines')
    .action(async (opts) => {
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
      const broker = brokerFromOptions(opts);
      const loop = resolveLearnerLoopConfig({
        checkpointEveryTransitions: opts.checkpointEvery, progressEveryMs: opts.progressEvery, maxTransitions: opts.maxTransitions ?? null, idleExitMs: opts.idleExitS === undefined ? null : opts.idleExitS * 1000,
      });
      const world = await loadDistributedWorld({ modelDir: opts.model, scenario: opts.scenario, energyLambda: opts.energyLambda, say });
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      say(`learner on ${redactUrl(broker.url)} (namespace ${broker.namespace}), world ${world.world.name}, objective ${describeObjective(world.objective)}`);
      try {
        const r = await learnerRun({
          world, broker, loop, dqnJson: opts.dqn, seed: opts.seed, out: opts.out, resume: opts.resume, evalEpisodes: opts.evalEpisodes, consumer: opts.consumer, signal: controller.signal, say,
          onProgress: (p) => (opts.json ? out({ event: 'progress', ...p }) : say(`learned ${p.ingested} transitions (${Math.round(p.ingestPerSecond)}/s), ${p.gradientSteps} gradient steps (${p.updatesPerSecond.toFixed(1)}/s), replay ${p.replaySize}, unacked ${p.unacked}, duplicates ${p.duplicates}, weights v${p.weightsVersion}`)),
          onCheckpoint: (c) => (opts.json ? out({ event: 'checkpoint', ...c }) : say(`checkpoint ${c.id} at ${c.ingested} transitions${c.metrics['eval/mean_reward'] === undefined ? '' : `, validation reward ${c.metrics['eval/mean_reward'].toFixed(4)}`}`)),
        });
        const s = r.state;
        const summary = { event: 'done', runId: s.runId, ingested: s.ingested, gradientSteps: r.gradientSteps, duplicates: s.dedupe.duplicates, missing: s.dedupe.missing, rejected: s.rejected, trimmedPending: s.trimmedPending, skippedRounds: s.skippedRounds, weightsVersion: s.weightsVersion };
        if (opts.json) out(summary);
        else process.stdout.write(`done: ${s.ingested} transitions learned, ${r.gradientSteps} gradient steps, ${s.dedupe.duplicates} redelivered batches refused, ${s.dedupe.missing} batches never arrived\n`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
