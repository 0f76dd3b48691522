/**
 * One training run of `coinfer train`: the scenario's world on its train traces, periodic
 * greedy evaluation on its validation traces (never test), each evaluation saved as a
 * checkpoint recording the objective, the scenario, the evaluated split and the traces the
 * evaluation replayed.
 */
import { replayRatio, resolveDqnConfig, type DqnConfig, type DqnConfigInput } from '../agent/dqn-config.ts';
import type { NetworkWeights } from '../agent/q-network.ts';
import type { LearnerState } from '../agent/learner-state.ts';
import { trainDqn, type Metrics } from '../agent/train-loop.ts';
import { readLearnerState } from '../checkpoints/checkpoint-io.ts';
import { formatBytes } from './resume-learner.ts';
import { loadTf } from '../common/tf-backend.ts';
import { ActionCodec } from '../env/action-codec.ts';
import { LiveEnv } from '../env/live-env.ts';
import { OBSERVATION_SIZE, OBSERVATION_VERSION } from '../env/observation.ts';
import { CoinferError } from '../common/errors.ts';
import { resolveEnvConfig, type EnvConfigInput } from '../env/replay-config.ts';
import { objectiveOf, scenarioEnvInput } from '../env/scenario-file.ts';
import { VecReplayEnv } from '../env/vec-replay-env.ts';
import { loadModelPackage } from '../runtime/model/model-package.ts';
import { DQN_PREFIX, loadPolicy } from './load-policy.ts';
import { createProgress } from './progress.ts';
import { loadScenario, scenarioComputeTimes, scenarioTraces } from './scenario-setup.ts';
import { checkpointOnEvaluation, validationEvaluator, type SavedEvaluation } from './train-callbacks.ts';

/** Seed of the evaluation streams: fixed, so every checkpoint of a run is scored on the same requests. */
export const EVAL_SEED = 10_000;

export interface TrainRunOptions {
  readonly env: 'replay' | 'live';
  readonly scenario: string;
  readonly steps: number;
  /** undefined: the resumed checkpoint's seed (a fresh run always gets one from the CLI). */
  readonly seed: number | undefined;
  readonly out: string;
  readonly modelDir: string;
  readonly resume: string | undefined;
  readonly evalEvery: number;
  readonly evalEpisodes: number;
  readonly dqnDefaults: DqnConfigInput;
  readonly dqnOverrides: DqnConfigInput;
  readonly envDefaults: EnvConfigInput;
  /** undefined: the scenario's λ (0 when it has none). */
  readonly energyLambda: number | undefined;
  readonly json: boolean;
  /** Save replay, Adam and counters with every checkpoint (`--save-learner-state`). */
  readonly saveLearnerState?: boolean;
  readonly log: (o: object) => void;
}

export interface TrainRunResult {
  readonly checkpoint: string;
  readonly step: number;
  readonly metrics: Metrics;
}

/** The DQN config of a run: the resumed one (or the defaults), the overrides, and the seed when given — `--seed` wins over a resumed checkpoint's. */
export function runDqnConfig(base: DqnConfigInput, overrides: DqnConfigInput, seed: number | undefined): DqnConfig {
  return resolveDqnConfig({ ...base, ...overrides, ...(seed === undefined ? {} : { seed }) });
}

export async function trainRun(o: TrainRunOptions): Promise<TrainRunResult> {
  const { tf, backend } = await loadTf();
  const say = (line: string) => { if (!o.json) process.stderr.write(`${line}\n`); };
  const [pkg, world] = await Promise.all([loadModelPackage(o.modelDir), loadScenario(o.scenario)]);
  const lambda = o.energyLambda ?? world.spec.reward?.energyLambdaPerJ ?? 0;
  const trainInput = scenarioEnvInput(world, { ...o.envDefaults, split: 'train' });
  const envInput: EnvConfigInput = { ...trainInput, reward: { ...trainInput.reward, energyLambdaPerJ: lambda } };
  const envConfig = resolveEnvConfig(envInput);
  // Validation scores per-image correctness under the same λ: the objective the run trains for.
  // ... and under the run's deadline mask, which the trained policy keeps when served (cli/load-policy.ts)
  const evalInput: EnvConfigInput = { ...scenarioEnvInput(world, { split: 'validation' }), reward: { energyLambdaPerJ: lambda }, deadlineMaskFactor: envConfig.deadlineMaskFactor };
  const [train, validation, times] = await Promise.all([
    scenarioTraces(world, { split: 'train' }), scenarioTraces(world, { split: 'validation' }), scenarioComputeTimes(world, pkg, say),
  ]);
  const codec = new ActionCodec(pkg.manifest, envConfig.encodings);
  let resumeFrom: { weights: NetworkWeights; step: number; learnerState?: LearnerState } | undefined;
  let parentId: string | null = null;
  let config = runDqnConfig(o.dqnDefaults, o.dqnOverrides, o.seed);
  if (o.resume) {
    const policyDeps = { manifest: pkg.manifest, device: times.device, edge: times.edge, stageProfiles: times.stageProfiles, actionAccuracy: pkg.actionAccuracy, actions: codec.actions };
    const { dqn } = await loadPolicy(`${DQN_PREFIX}${o.resume}`, { codec, observationSize: OBSERVATION_SIZE, policyDeps, checkpointsRoot: o.out, tf });
    const { meta } = dqn!.checkpoint;
    if ((meta.observationVersion ?? 1) !== OBSERVATION_VERSION) {
      throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Checkpoint ${meta.id} was trained on observation version ${meta.observationVersion ?? 1}; this build observes version ${OBSERVATION_VERSION} (docs/environments.md), so resuming would train it on inputs it never had. Start a fresh run (without --resume)`);
    }
    const t0 = performance.now();
    const learnerState = await readLearnerState(dqn!.checkpoint.dir, meta);
    resumeFrom = { weights: dqn!.weights, step: meta.step, ...(learnerState ? { learnerState } : {}) };
    say(learnerState
      ? `resuming ${meta.id} with its learner state: ${learnerState.memory.size} replay transitions, ${learnerState.optimizer.gradientSteps} gradient steps, Adam state (${formatBytes(meta.learnerState!.bytes)}, read in ${Math.round(performance.now() - t0)} ms)`
      : `resuming ${meta.id} from its weights only (no learner state saved: replay starts empty, Adam fresh, β from its start; ε continues from step ${meta.step})`);
    parentId = meta.id;
    config = runDqnConfig(meta.dqnConfig, o.dqnOverrides, o.seed);
  }
  // The live env serves every step with real split inference (its own edge on 127.0.0.1, the
  // trace replayed in real time): slow per step, one lane, meant for fine-tuning a
  // replay-trained checkpoint (`--resume`) or short runs; evaluation always uses the replay
  // validation traces. The replay env runs config.numEnvs lanes.
  if (o.env === 'live') config = { ...config, numEnvs: 1 };
  const env = o.env === 'live'
    ? await LiveEnv.create({ pkg, traces: train, config: envInput })
    : new VecReplayEnv({ manifest: pkg.manifest, actionAccuracy: pkg.actionAccuracy, computeTimes: times.computeTimes, traces: train, numEnvs: config.numEnvs, config: envInput });
  say(`training DQN (seed ${config.seed}) on the ${o.env} env (${config.numEnvs} lanes, replay ratio ${replayRatio(config)} samples per env step) in world ${world.name}: ${train.length} train traces, ${validation.length} validation traces, ${codec.size} actions, backend ${backend}, ${times.computeTimes.source}`);
  const startStep = resumeFrom?.step ?? 0;
  const bar = createProgress({ total: o.steps, format: 'train |{bar}| {value}/{total} steps | eps {eps} | reward {reward} | eval {evalReward} | {sps} steps/s | eta {eta_formatted}', quiet: o.json });
  let lastEvalReward = '-';
  const saved: SavedEvaluation[] = [];
  const evaluator = validationEvaluator({ manifest: pkg.manifest, actionAccuracy: pkg.actionAccuracy, computeTimes: times.computeTimes, traces: validation, config: evalInput, codec, episodes: o.evalEpisodes, seed: EVAL_SEED });
  const checkpoints = checkpointOnEvaluation(tf, {
    root: o.out, dqnConfig: config, parentId, envConfig: JSON.parse(JSON.stringify(envConfig)), actionLabels: codec.labels,
    traceSplit: { train: train.map((t) => t.name), validation: validation.map((t) => t.name), test: [] },
    objective: objectiveOf(envConfig.reward), scenario: world.name, evalSplit: 'validation',
  }, {
    evalTraces: evaluator.lastTraces,
    saveLearnerState: o.saveLearnerState ?? false,
    onSaved: (ck) => {
      saved.push(ck);
      lastEvalReward = ck.metrics['eval/mean_reward']!.toFixed(4);
      o.log({ event: 'eval', step: ck.step, seed: config.seed, checkpoint: ck.id, ...ck.metrics });
      say(`\n[step ${ck.step}] eval on ${o.evalEpisodes} validation episodes: reward ${lastEvalReward}, accuracy ${ck.metrics['eval/accuracy']!.toFixed(4)}, hit rate ${ck.metrics['eval/hit_rate']!.toFixed(4)} → checkpoint ${ck.id}`);
      if (ck.learnerState) {
        o.log({ event: 'learner_state', step: ck.step, checkpoint: ck.id, bytes: ck.learnerState.bytes, replaySize: ck.learnerState.replaySize, saveMs: Math.round(ck.learnerState.saveMs) });
        say(`  learner state saved with it: ${formatBytes(ck.learnerState.bytes)} (${ck.learnerState.replaySize} replay transitions) in ${Math.round(ck.learnerState.saveMs)} ms`);
      }
    },
  });
  const progressLog = {
    onProgress: (r: { step: number; metrics: Metrics }) => {
      const m = r.metrics;
      if (m['charts/epsilon'] === undefined) return; // an evaluation record: reported by the checkpoint callback
      bar.update(r.step - startStep, { eps: m['charts/epsilon'].toFixed(3), reward: (m['charts/mean_reward'] ?? 0).toFixed(3), evalReward: lastEvalReward, sps: Math.round(m['charts/sps'] ?? 0) });
      o.log({ event: 'progress', step: r.step, ...m });
    },
  };
  let result;
  try {
    result = await trainDqn(tf, {
      env, config, steps: o.steps, evalEvery: o.evalEvery, progressEvery: o.env === 'live' ? 10 : 10_000,
      ...(resumeFrom ? { resumeFrom } : {}),
      evaluate: evaluator.evaluate,
      callbacks: [progressLog, checkpoints],
    });
  } finally {
    if (env instanceof LiveEnv) await env.close();
  }
  bar.stop();
  result.learner.dispose();
  const last = saved.at(-1)!;
  o.log({ event: 'done', step: result.step, seed: config.seed, checkpoint: last.id, ...last.metrics });
  if (!o.json) process.stdout.write(`done: ${result.step} steps (seed ${config.seed}); last checkpoint ${last.id} (validation reward ${last.metrics['eval/mean_reward']!.toFixed(4)}) in ${o.out}\n`);
  return { checkpoint: last.id, step: result.step, metrics: last.metrics };
}
