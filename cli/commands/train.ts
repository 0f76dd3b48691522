/**
 * `coinfer train`: trains the DQN agent against the replay env (real traces of the train split,
 * calibrated compute times, per-sample correctness) or the live env, with periodic greedy
 * evaluation on the held-out test traces; every evaluation is saved as a checkpoint (lowdb
 * registry). Resumable from any checkpoint (`--resume latest`).
 */
import { Command, Option } from '@commander-js/extra-typings';
import { resolveDqnConfig, type DqnConfigInput } from '../../agent/dqn-config.ts';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import type { NetworkWeights } from '../../agent/q-network.ts';
import { trainDqn, type Metrics } from '../../agent/train-loop.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CoinferError } from '../../common/errors.ts';
import { loadTf } from '../../common/tf-backend.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import { resolveEnvConfig, type EnvConfigInput } from '../../env/replay-config.ts';
import { ReplayEnv } from '../../env/replay-env.ts';
import { LiveEnv } from '../../env/live-env.ts';
import { createDqnPolicy } from '../../policies/dqn-policy.ts';
import { evaluatePolicies } from '../../policies/evaluate-policies.ts';
import { DEFAULT_MODEL_DIR } from '../../runtime/model/model-package.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { createProgress } from '../progress.ts';
import { loadReplaySetup } from '../replay-setup.ts';
import { DQN_PREFIX, loadPolicy } from '../load-policy.ts';
import type { Env } from '../../env/env.ts';
import type { CoinferInfo } from '../../env/step-info.ts';
import { intArg, nonNegativeArg } from '../option-parsers.ts';

/**
 * DQN settings for this problem (docs/dqn.md): an action barely changes what comes next (the
 * next request's deadline, loads and bandwidth do not depend on it), so a short horizon
 * (γ = 0.5, 1-step) learns faster and with less bootstrapping noise than Atari-style settings.
 */
export const TRAIN_DQN_DEFAULTS: DqnConfigInput = {
  hidden: [128, 128],
  gamma: 0.5,
  nStep: 1,
  learningRate: 5e-4,
  batchSize: 64,
  replayCapacity: 100_000,
  learningStarts: 2_000,
  trainEvery: 2,
  targetUpdateEvery: 500,
  epsilonDecaySteps: 40_000,
  epsilonEnd: 0.02,
};

/**
 * The training env: Edgent's objective with the answering exit's accuracy, rescaled between the
 * worst and the best exit, as the reward when the deadline is met — the expectation of the
 * per-image correctness (far less variance), with the few points of accuracy between exits
 * stretched to [0, 1] so the Q-network can rank them. Evaluation still scores per-image
 * correctness.
 */
export const TRAIN_ENV_DEFAULTS: EnvConfigInput = { reward: { signal: 'normalized-accuracy' }, split: 'train' };

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train the DQN agent against the replay env (or the live env) with periodic evaluation on held-out traces')
    .addOption(new Option('--env <kind>', 'environment to train against').choices(['replay', 'live'] as const).default('replay' as const))
    .option('--steps <n>', 'environment steps to take', intArg('--steps', 1), 150_000)
    .option('--seed <n>', 'seed of the env, the network and exploration', intArg('--seed'), 1)
    .option('--out <dir>', 'checkpoint registry root', DEFAULT_CHECKPOINT_ROOT)
    .option('--model <dir>', 'model package', DEFAULT_MODEL_DIR)
    .option('--resume <ref>', 'continue from a checkpoint (id, latest, best or a path)')
    .option('--eval-every <n>', 'steps between evaluations (each saves a checkpoint)', intArg('--eval-every', 1), 25_000)
    .option('--eval-episodes <n>', 'test-trace episodes per evaluation', intArg('--eval-episodes', 1), 12)
    .option('--dqn <json>', 'DQN config overrides as JSON (see docs/dqn.md)', '{}')
    .option('--energy-lambda <perJ>', 'energy-aware reward: subtract this much per joule of device energy (0 = Edgent\'s objective)', nonNegativeArg('--energy-lambda'), 0)
    .option('--json', 'print progress and the result as JSON lines')
    .action(async (opts) => {
      let overrides: DqnConfigInput;
      try {
        overrides = JSON.parse(opts.dqn) as DqnConfigInput;
      } catch (e) {
        throw new CoinferError('ERR_INVALID_ARGUMENT', `--dqn must be a JSON object, e.g. '{"gamma":0.9}': ${(e as Error).message}`);
      }
      const { tf, backend } = await loadTf();
      const setup = await loadReplaySetup({ modelDir: opts.model });
      const envConfig = resolveEnvConfig({ ...TRAIN_ENV_DEFAULTS, reward: { ...TRAIN_ENV_DEFAULTS.reward, energyLambdaPerJ: opts.energyLambda } });
      const codec = new ActionCodec(setup.pkg.manifest, envConfig.encodings);
      let resumeFrom: { weights: NetworkWeights; step: number } | undefined;
      let parentId: string | null = null;
      let config = resolveDqnConfig({ ...TRAIN_DQN_DEFAULTS, seed: opts.seed, ...overrides });
      if (opts.resume) {
        const policyDeps = { manifest: setup.pkg.manifest, device: setup.device, edge: setup.edge, actions: codec.actions };
        const { dqn } = await loadPolicy(`${DQN_PREFIX}${opts.resume}`, { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: opts.out, tf });
        const { meta } = dqn!.checkpoint;
        resumeFrom = { weights: dqn!.weights, step: meta.step };
        parentId = meta.id;
        config = resolveDqnConfig({ ...meta.dqnConfig, ...overrides });
      }
      // The live env serves every step with real split inference (its own edge on 127.0.0.1,
      // the trace replayed in real time): slow per step, meant for fine-tuning a replay-trained
      // checkpoint (`--resume`) or short runs; evaluation always uses the replay test traces.
      const env: Env<Float32Array, number, CoinferInfo> = opts.env === 'live'
        ? await LiveEnv.create({ pkg: setup.pkg, traces: setup.train, config: envConfig })
        : new ReplayEnv({ manifest: setup.pkg.manifest, computeTimes: setup.computeTimes, traces: setup.train, config: envConfig });
      const log = (o: object) => (opts.json ? process.stdout.write(`${JSON.stringify(o)}\n`) : undefined);
      if (!opts.json) {
        process.stderr.write(`training DQN on the ${opts.env} env: ${setup.train.length} train traces, ${codec.size} actions, backend ${backend}, ${setup.computeTimes.source}\n`);
      }
      const startStep = resumeFrom?.step ?? 0;
      const bar = createProgress({ total: opts.steps, format: 'train |{bar}| {value}/{total} steps | eps {eps} | reward {reward} | eval {evalReward} | {sps} steps/s | eta {eta_formatted}', quiet: !!opts.json });
      let lastEvalReward = '-';
      const saved: { id: string; step: number; metrics: Metrics }[] = [];
      const evaluate = async (learner: { getWeights(): NetworkWeights; onlineNet: import('@tensorflow/tfjs').LayersModel }, step: number): Promise<Metrics> => {
        const policy = createDqnPolicy({ name: 'dqn', acting: new ActingPolicy(learner.getWeights()), codec });
        const [s] = await evaluatePolicies([policy], {
          manifest: setup.pkg.manifest, computeTimes: setup.computeTimes, traces: setup.test,
          config: { ...TRAIN_ENV_DEFAULTS, split: 'test', reward: {} }, episodes: opts.evalEpisodes, seed: 10_000,
        });
        const metrics: Metrics = {
          'eval/mean_reward': s!.meanReward, 'eval/accuracy': s!.accuracy, 'eval/hit_rate': s!.hitRate,
          'eval/mean_latency_ms': s!.meanLatencyMs, 'eval/p95_latency_ms': s!.p95LatencyMs, 'eval/energy_mj': s!.energyMjPerRequest,
        };
        const ck = await saveCheckpoint(tf, {
          root: opts.out, model: learner.onlineNet, step, dqnConfig: config, parentId: saved.at(-1)?.id ?? parentId,
          envConfig: JSON.parse(JSON.stringify(envConfig)), evalMetrics: metrics, actionLabels: codec.labels,
          traceSplit: { train: setup.train.map((t) => t.name), test: setup.test.map((t) => t.name) },
        });
        saved.push({ id: ck.id, step, metrics });
        lastEvalReward = s!.meanReward.toFixed(4);
        log({ event: 'eval', step, checkpoint: ck.id, ...metrics });
        if (!opts.json) process.stderr.write(`\n[step ${step}] eval on ${opts.evalEpisodes} test episodes: reward ${s!.meanReward.toFixed(4)}, accuracy ${s!.accuracy.toFixed(4)}, hit rate ${s!.hitRate.toFixed(4)} → checkpoint ${ck.id}\n`);
        return metrics;
      };
      const result = await trainDqn(tf, {
        env, config, steps: opts.steps, evalEvery: opts.evalEvery, progressEvery: opts.env === 'live' ? 10 : 1000,
        ...(resumeFrom ? { resumeFrom } : {}),
        evaluate,
        onProgress: (r) => {
          const m = r.metrics;
          if (m['charts/epsilon'] !== undefined) {
            bar.update(r.step - startStep, { eps: m['charts/epsilon'].toFixed(3), reward: (m['charts/mean_reward'] ?? 0).toFixed(3), evalReward: lastEvalReward, sps: Math.round(m['charts/sps'] ?? 0) });
            log({ event: 'progress', step: r.step, ...m });
          }
        },
      });
      bar.stop();
      if (saved.at(-1)?.step !== result.step) await evaluate(result.learner, result.step);
      result.learner.dispose();
      await env.close();
      const last = saved.at(-1)!;
      if (opts.json) log({ event: 'done', step: result.step, checkpoint: last.id, ...last.metrics });
      else process.stdout.write(`done: ${result.step} steps; last checkpoint ${last.id} (eval reward ${last.metrics['eval/mean_reward']!.toFixed(4)}) in ${opts.out}\n`);
    });
}
