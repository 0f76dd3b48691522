/**
 * The offline DQN training loop, vectorised (CleanRL's `dqn.py` main loop over N env copies):
 *
 *   each vector step:  ε-greedy actions for all N lanes from one batched forward pass
 *                      → step every lane → n-step rows per lane into replay, in bulk
 *                      → one train round per `trainEvery` env steps (agent/dqn-learner.ts)
 *                      → progress records and evaluations on schedule, passed to callbacks.
 *
 * Steps, ε, `learningStarts` and `trainEvery` count env steps over all lanes, so a config means
 * the same for 1 or N lanes. Metric names are namespaced (docs/dqn.md).
 */
import { CoinferError } from '../common/errors.ts';
import { createRng } from '../common/rng.ts';
import type { Tf } from '../common/tf-backend.ts';
import type { Env, MaskedInfo } from '../env/env.ts';
import { ActingPolicy } from './acting-policy.ts';
import { replayRatio, type DqnConfig } from './dqn-config.ts';
import { DqnLearner, type TrainRoundResult } from './dqn-learner.ts';
import { EnvVector, type VectorEnv } from './env-vector.ts';
import { epsilonAt } from './epsilon-schedule.ts';
import type { NetworkWeights } from './q-network.ts';
import { applyLearnerState, captureLearnerState, type LearnerState } from './learner-state.ts';
import { ReplayMemory } from './replay-memory.ts';
import { VecNStep } from './vec-n-step.ts';

/** Metric values keyed by namespaced names (`train/td_loss`, `charts/epsilon`, …). */
export type Metrics = Readonly<Record<string, number>>;

/** Metrics at one global step. */
export interface MetricsRecord {
  /** Global environment step (resumed steps included). */
  readonly step: number;
  readonly metrics: Metrics;
}

/** Hooks into the loop (SB3's callbacks): progress logging, checkpointing after evaluations, … */
export interface TrainCallback {
  /** Receives every progress and evaluation record. */
  onProgress?(record: MetricsRecord): void;
  /** Runs (awaited) after each evaluation with its metrics, e.g. to save a checkpoint. */
  onEvaluation?(event: EvaluationEvent): Promise<void> | void;
}

/** What `onEvaluation` receives. */
export interface EvaluationEvent {
  readonly learner: DqnLearner;
  readonly step: number;
  readonly metrics: Metrics;
  /** The learner state at this step (replay, Adam, counters, streams), for `--save-learner-state`; encode it before the loop goes on. */
  captureLearnerState(): Promise<LearnerState>;
}

export interface TrainDqnOptions {
  /** N env copies (config.numEnvs must equal N), or one single env (config.numEnvs 1). */
  readonly env: VectorEnv | Env<Float32Array, number, MaskedInfo>;
  readonly config: DqnConfig;
  /** Environment steps to take in this call, over all lanes (rounded up to whole vector steps). Integer ≥ 1. */
  readonly steps: number;
  /** Env steps between evaluations (default: only at the end, when `evaluate` is given). */
  readonly evalEvery?: number;
  /** Evaluates the learner (e.g. greedy episodes on validation traces); keys `eval/…`. */
  readonly evaluate?: (learner: DqnLearner, step: number) => Promise<Metrics>;
  /** Env steps between progress records (default 1000). */
  readonly progressEvery?: number;
  readonly callbacks?: readonly TrainCallback[];
  /**
   * Continue from these weights at this global step. ε continues; without `learnerState` the
   * replay memory starts empty, Adam fresh and β from its start. With it, replay, Adam, the
   * target net, counters and random streams continue too (the env itself restarts from a reset).
   */
  readonly resumeFrom?: { readonly weights: NetworkWeights; readonly step: number; readonly learnerState?: LearnerState };
  /** Stops the loop at the next progress boundary; the result covers the steps taken. */
  readonly signal?: AbortSignal;
}

export interface TrainDqnResult {
  /** The trained learner (caller disposes). */
  readonly learner: DqnLearner;
  /** Global step reached. */
  readonly step: number;
  readonly history: readonly MetricsRecord[];
  /** Metrics of the last evaluation, or null when none ran. */
  readonly lastEval: Metrics | null;
}

/** Running sums between two progress records. */
class Window {
  episodes = 0;
  returnSum = 0;
  lengthSum = 0;
  rewardSum = 0;
  steps = 0;
  rounds = 0;
  lossSum = 0;
  qSum = 0;
  readonly startMs = performance.now();
}

const isVectorEnv = (env: TrainDqnOptions['env']): env is VectorEnv => 'numEnvs' in env;
const crossed = (every: number, before: number, after: number): boolean => Math.floor(after / every) > Math.floor(before / every);

/**
 * Trains a DQN learner for `options.steps` env steps and resolves with it.
 * @throws CoinferError ERR_INVALID_ARGUMENT when `steps` is not a positive integer, the env's
 *   lane count differs from `config.numEnvs`, or a single env's action space is not Discrete.
 * @example const { learner } = await trainDqn(tf, { env: vecReplayEnv, config: resolveDqnConfig({ numEnvs: 32 }), steps: 1_000_000 });
 */
export async function trainDqn(tf: Tf, options: TrainDqnOptions): Promise<TrainDqnResult> {
  const { config, steps } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected steps a positive integer, actually ${steps}`);
  const env = isVectorEnv(options.env) ? options.env : new EnvVector([options.env]);
  const { numEnvs: N, observationSize: O, actionCount: A } = env;
  if (N !== config.numEnvs) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an env with config.numEnvs = ${config.numEnvs} lanes, actually ${N}: build the env with numEnvs from the config`);
  const callbacks = options.callbacks ?? [];
  const progressEvery = options.progressEvery ?? 1000;
  const startStep = options.resumeFrom?.step ?? 0;
  const root = createRng(config.seed + startStep); // a resumed run draws a fresh stream, not a replay of the first
  let actRng = root.fork();
  let sampleRng = root.fork();

  await env.reset(config.seed + startStep);
  const learner = new DqnLearner(tf, { config, observationSize: O, actionCount: A, ...(options.resumeFrom ? { initialWeights: options.resumeFrom.weights } : {}) });
  const memory = new ReplayMemory({ capacity: config.replayCapacity, observationSize: O, actionCount: A, prioritized: config.prioritized });
  // Counters for β, learningStarts and trainEvery: per call without a learner state (as before
  // learner states existed), global with one, so the resumed run keeps the uninterrupted cadence.
  let stepBase = 0;
  let roundsDue = 0;
  const saved = options.resumeFrom?.learnerState;
  if (saved) {
    try {
      const applied = await applyLearnerState(saved, { learner, memory });
      actRng = applied.rngs['act'] ?? actRng;
      sampleRng = applied.rngs['sample'] ?? sampleRng;
      stepBase = startStep;
      roundsDue = applied.roundsDue;
    } catch (e) {
      learner.dispose();
      throw e;
    }
  }
  let taken = 0; // env steps in this call
  const nStep = new VecNStep({ numEnvs: N, observationSize: O, actionCount: A, nStep: config.nStep, gamma: config.gamma });
  // Acting runs on a plain-JS copy of the online net, refreshed after every train round (a tf
  // forward per vector step costs more on wasm than the JS pass for these small MLPs).
  const policy = new ActingPolicy(learner.getWeights());
  const obs = new Float32Array(N * O);
  const actions = new Int32Array(N);
  const nextObs = new Float32Array(N * O);
  const nextMasks = new Uint8Array(N * A);
  const episodeReturn = new Float64Array(N);
  const episodeLength = new Int32Array(N);
  const history: MetricsRecord[] = [];
  let lastEval: Metrics | null = null;
  let win = new Window();

  const emit = (record: MetricsRecord): void => {
    history.push(record);
    for (const cb of callbacks) cb.onProgress?.(record);
  };
  const progress = (step: number): void => {
    const seconds = (performance.now() - win.startMs) / 1000;
    const m: Record<string, number> = { 'charts/epsilon': epsilonAt(config, step), 'charts/sps': seconds > 0 ? win.steps / seconds : 0 };
    if (win.steps > 0) m['charts/mean_reward'] = win.rewardSum / win.steps;
    if (win.episodes > 0) {
      m['charts/episodic_return'] = win.returnSum / win.episodes;
      m['charts/episodic_length'] = win.lengthSum / win.episodes;
    }
    if (win.rounds > 0) {
      m['train/td_loss'] = win.lossSum / win.rounds;
      m['train/mean_q'] = win.qSum / win.rounds;
    }
    m['train/gradient_steps'] = learner.gradientSteps;
    m['train/replay_size'] = memory.size;
    m['train/replay_ratio'] = replayRatio(config);
    emit({ step, metrics: m });
    win = new Window();
  };
  const evaluation = async (step: number): Promise<void> => {
    lastEval = await options.evaluate!(learner, step);
    emit({ step, metrics: lastEval });
    const capture = () => captureLearnerState({ learner, memory, envSteps: startStep + taken, betaSteps: stepBase + taken, roundsDue, rngs: { act: actRng, sample: sampleRng } });
    for (const cb of callbacks) await cb.onEvaluation?.({ learner, step, metrics: lastEval, captureLearnerState: capture });
  };

  try {
    while (taken < steps && !options.signal?.aborted) {
      const step = startStep + taken;
      // 1. act: ε-greedy for every lane from one batched forward pass
      obs.set(env.observations);
      policy.decideBatch(obs, env.masks, { rows: N, epsilon: epsilonAt(config, step), rng: actRng, out: actions });
      // 2. step every lane (finished lanes auto-reset)
      await env.step(actions);
      // 3. store: n-step rows per lane, in bulk; a finished lane bootstraps from its final observation
      nextObs.set(env.observations);
      nextMasks.set(env.masks);
      for (let i = 0; i < N; i++) {
        episodeReturn[i]! += env.rewards[i]!;
        episodeLength[i]!++;
        win.rewardSum += env.rewards[i]!;
        if (env.terminated[i] || env.truncated[i]) {
          nextObs.set(env.finalObservations.subarray(i * O, (i + 1) * O), i * O);
          nextMasks.set((env.finalMasks ?? env.masks).subarray(i * A, (i + 1) * A), i * A);
          win.episodes++;
          win.returnSum += episodeReturn[i]!;
          win.lengthSum += episodeLength[i]!;
          episodeReturn[i] = 0;
          episodeLength[i] = 0;
        }
      }
      memory.addRows(nStep.push({ observations: obs, actions, rewards: env.rewards, nextObservations: nextObs, nextActionMasks: nextMasks, terminated: env.terminated, truncated: env.truncated }));
      const before = taken;
      taken += N;
      win.steps += N;
      // 4. learn: one round per `trainEvery` env steps, once learningStarts steps and a batch are in
      const due = Math.floor((stepBase + taken) / config.trainEvery) - roundsDue;
      roundsDue += due;
      if (due > 0 && stepBase + taken >= config.learningStarts && memory.size >= config.batchSize) {
        for (let k = 0; k < due; k++) addRound(win, learner.trainRound(memory, sampleRng, stepBase + taken));
        policy.swapWeights(learner.getWeights());
      }
      // 5. report and evaluate on schedule
      if (crossed(progressEvery, before, taken) || taken >= steps) {
        progress(startStep + taken);
        await new Promise<void>((resolve) => setImmediate(resolve)); // let timers and signal handlers run
      }
      if (options.evaluate && options.evalEvery !== undefined && crossed(options.evalEvery, before, taken) && taken < steps) await evaluation(startStep + taken);
    }
    if (win.steps > 0) progress(startStep + taken); // aborted between boundaries
    if (options.evaluate) await evaluation(startStep + taken);
    return { learner, step: startStep + taken, history, lastEval };
  } catch (e) {
    learner.dispose();
    throw e;
  }
}

function addRound(win: Window, r: TrainRoundResult): void {
  win.rounds++;
  win.lossSum += r.tdLoss;
  win.qSum += r.meanQ;
}
