/**
 * `coinfer actor`: one actor of distributed training (docs/distributed.md). Acts in a scenario's
 * world — the replay env (`--lanes` copies) or the live env (real split inference against its
 * own edge) — with the newest weights the learner published, and sends its transitions to the
 * learner's Redis stream. It never waits on the broker: weights are swapped in between steps
 * when they have arrived, and batches are shed (and counted) when the learner lags. Weights of
 * another objective or observation version are refused. SIGINT/SIGTERM: flush and stop.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, Option } from '@commander-js/extra-typings';
import { runActor } from '../../agent/distributed/actor-loop.ts';
import { DEFAULT_BROKER_CONFIG, DEFAULT_PUBLISHER_CONFIG, resolvePublisherConfig } from '../../agent/distributed/distributed-config.ts';
import { RedisBroker, redactUrl } from '../../agent/distributed/redis-broker.ts';
import { TransitionPublisher } from '../../agent/distributed/transition-publisher.ts';
import { describeObjective } from '../../agent/distributed/weights-codec.ts';
import { WeightsFollower } from '../../agent/distributed/weights-follower.ts';
import { EnvVector, type VectorEnv } from '../../agent/env-vector.ts';
import { createRng } from '../../common/rng.ts';
import { LiveEnv } from '../../env/live-env.ts';
import { OBSERVATION_SIZE, OBSERVATION_VERSION } from '../../env/observation.ts';
import { VecReplayEnv } from '../../env/vec-replay-env.ts';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { brokerFromOptions, distributedDqnConfig, loadDistributedWorld } from '../distributed-world.ts';
import { countArg, intArg, nonNegativeArg, positiveArg } from '../option-parsers.ts';

export function registerActor(program: Command): void {
  program
    .command('actor')
    .description('Run one actor of distributed training: act with the learner\'s newest weights and send transitions to its Redis stream')
    .requiredOption('--broker <url>', 'Redis URL: redis://[user:password@]host:port, rediss:// for TLS')
    .option('--namespace <name>', 'key prefix shared with the learner', DEFAULT_BROKER_CONFIG.namespace)
    .addOption(new Option('--env <kind>', 'environment to act in').choices(['replay', 'live'] as const).default('replay' as const))
    .option('--scenario <name|file>', "the world to act in (the learner's)", 'base')
    .option('--energy-lambda <perJ>', "energy weight λ of the reward (default the scenario's; must match the learner's)", nonNegativeArg('--energy-lambda'))
    .option('--model <dir>', 'model package', DEFAULT_MODEL_DIR)
    .option('--lanes <n>', 'replay env copies acted on together (live: 1)', countArg('--lanes'), 8)
    .option('--steps <n>', 'env steps to take, then stop (default: until stopped)', countArg('--steps'))
    .option('--max-rate <steps/s>', 'at most this many env steps per second', positiveArg('--max-rate'))
    .option('--seed <n>', 'seed of the env and exploration', intArg('--seed'), 1)
    .option('--dqn <json>', "DQN overrides for ε schedule, n-step and γ (the learner's)", '{}')
    .option('--actor-id <name>', 'actor name (a random suffix is added per start)', hostname().slice(0, 40))
    .option('--batch-transitions <n>', 'transitions per stream entry', countArg('--batch-transitions'), DEFAULT_PUBLISHER_CONFIG.batchTransitions)
    .option('--json', 'print progress and the summary as JSON lines')
    .action(async (opts) => {
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
      const config = brokerFromOptions(opts);
      const world = await loadDistributedWorld({ modelDir: opts.model, scenario: opts.scenario, energyLambda: opts.energyLambda, say });
      const dqn = distributedDqnConfig(opts.dqn, opts.seed);
      const actorId = `${opts.actorId}-${process.pid}.${randomBytes(3).toString('hex')}`;
      const broker = await RedisBroker.connect(config); // first: an unreachable broker fails before an env (and its edge) starts
      let env: VectorEnv & { close?: () => Promise<void> };
      try {
        env = opts.env === 'live'
          ? new EnvVector([await LiveEnv.create({ pkg: world.pkg, traces: world.train, config: world.envInput })])
          : new VecReplayEnv({ manifest: world.pkg.manifest, actionAccuracy: world.pkg.actionAccuracy, computeTimes: world.times.computeTimes, traces: world.train, numEnvs: opts.lanes, config: world.envInput });
      } catch (e) {
        await broker.close();
        throw e;
      }
      const publisher = new TransitionPublisher({
        sink: broker, config: resolvePublisherConfig({ batchTransitions: opts.batchTransitions }), actorId,
        observationSize: OBSERVATION_SIZE, actionCount: world.codec.size, observationVersion: OBSERVATION_VERSION, objective: describeObjective(world.objective),
      });
      const follower = new WeightsFollower({
        store: broker, expect: { objective: world.objective, observationVersion: OBSERVATION_VERSION, observationSize: OBSERVATION_SIZE, actionCount: world.codec.size },
        onRefused: (e, v) => (opts.json ? out({ event: 'weights_refused', version: v, message: e.message }) : say(`refused weights v${v}: ${e.message}`)),
      });
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      say(`actor ${actorId} on ${redactUrl(config.url)} (namespace ${config.namespace}): ${opts.env} env, ${env.numEnvs} lane(s), world ${world.world.name}, objective ${describeObjective(world.objective)}`);
      try {
        await follower.start();
        const t0 = performance.now();
        const r = await runActor({
          env, publisher, weights: follower, config: dqn, seed: opts.seed, rng: createRng(opts.seed + 7), steps: opts.steps ?? null,
          maxStepsPerSecond: opts.maxRate ?? null, signal: controller.signal,
          onProgress: (p) => (opts.json ? out({ event: 'progress', ...p, ...publisher.counters }) : say(`${p.steps} steps (${Math.round(p.stepsPerSecond)}/s), ε ${p.epsilon.toFixed(3)}, reward ${p.meanReward.toFixed(3)}, weights v${p.weightsVersion}, sent ${publisher.counters.sent}, dropped ${publisher.counters.droppedInFlight + publisher.counters.droppedLag}`)),
        });
        const c = publisher.counters;
        const summary = { event: 'done', actorId, seconds: (performance.now() - t0) / 1000, steps: r.steps, episodes: r.episodes, weightsSwaps: r.weightsSwaps, weightsRefused: follower.refused, ...c };
        if (opts.json) out(summary);
        else process.stdout.write(`done: ${r.steps} steps, ${c.sent} transitions sent, ${c.droppedInFlight + c.droppedLag} dropped (learner lagging or broker slow), ${c.failed} failed, ${r.weightsSwaps} weight swaps, ${follower.refused} refused\n`);
        if (publisher.lastError && c.failed > 0) say(`last broker error: ${(publisher.lastError as Error).message}`);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await follower.stop();
        await broker.close();
        await env.close?.();
      }
    });
}
