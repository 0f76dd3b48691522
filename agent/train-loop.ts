/**
 * The offline DQN training loop over any single env (CleanRL's `dqn.py` main loop): ε-greedy
 * acting, n-step replay, a train round every `trainEvery` steps once `learningStarts` steps are
 * in, target updates on schedule, periodic evaluation and namespaced metrics (docs/dqn.md).
 */
import { CoinferError } from '../common/errors.ts';
import { createRng } from '../common/rng.ts';
import type { Tf } from '../common/tf-backend.ts';
import type { Env, MaskedInfo } from '../env/env.ts';
import { Discrete } from '../env/spaces.ts';
import { ActingPolicy } from './acting-policy.ts';
import type { DqnConfig } from './dqn-config.ts';
import { DqnLearner } from './dqn-learner.ts';
import { DqnTrainer } from './dqn-trainer.ts';
import { epsilonAt } from './epsilon-schedule.ts';
import type { NetworkWeights } from './q-network.ts';

/** Metric values keyed by namespaced names (`train/td_loss`, `charts/epsilon`, …). */
export type Metrics = Readonly<Record<string, number>>;

/** Metrics at one global step. */
export interface MetricsRecord {
  /** Global environment step (resumed steps included). */
  readonly step: number;
  readonly metrics: Metrics;
}

export interface TrainDqnOptions {
  readonly env: Env<Float32Array, number, MaskedInfo>;
  readonly config: DqnConfig;
  /** Environment steps to take in this call. Integer ≥ 1. */
  readonly steps: number;
  /** Steps between evaluations (default: only at the end, when `evaluate` is given). */
  readonly evalEvery?: number;
  /** Evaluates the learner (e.g. greedy episodes on the test split); keys should be namespaced (`eval/…`). */
  readonly evaluate?: (learner: DqnLearner, step: number) => Promise<Metrics>;
  /** Steps between progress records (default 1000). */
  readonly progressEvery?: number;
  /** Receives every progress and evaluation record. */
  readonly onProgress?: (record: MetricsRecord) => void;
  /** Continue from these weights at this global step (ε continues; the replay memory starts empty). */
  readonly resumeFrom?: { readonly weights: NetworkWeights; readonly step: number };
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
}

/**
 * Trains a DQN learner on `env` for `options.steps` steps and resolves with it.
 * @throws CoinferError ERR_INVALID_ARGUMENT when the env's action space is not Discrete or `steps` is not a positive integer.
 * @example const { learner, history } = await trainDqn(tf, { env, config: resolveDqnConfig(), steps: 10_000 });
 */
export async function trainDqn(tf: Tf, options: TrainDqnOptions): Promise<TrainDqnResult> {
  const { env, config, steps } = options;
  if (!(env.actionSpace instanceof Discrete)) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected an env with a Discrete action space, actually another space');
  if (!Number.isInteger(steps) || steps < 1) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected steps a positive integer, actually ${steps}`);
  const progressEvery = options.progressEvery ?? 1000;
  const startStep = options.resumeFrom?.step ?? 0;
  const root = createRng(config.seed + startStep); // a resumed run draws a fresh stream, not a replay of the first
  const actRng = root.fork();
  const sampleRng = root.fork();

  let reset = await env.reset({ seed: config.seed + startStep });
  let observation = reset.observation;
  let mask = reset.info.actionMask;
  const learner = new DqnLearner(tf, {
    config,
    observationSize: observation.length,
    actionCount: env.actionSpace.n,
    ...(options.resumeFrom ? { initialWeights: options.resumeFrom.weights } : {}),
  });
  const trainer = new DqnTrainer(learner, { rng: sampleRng });
  // Acting runs on a plain-JS copy of the online net (a tf forward pass per step costs ~10-50×
  // more on wasm for these small MLPs); the copy is refreshed after every train round.
  const policy = new ActingPolicy(learner.getWeights());
  const history: MetricsRecord[] = [];
  let lastEval: Metrics | null = null;
  let win = new Window();
  let episodeReturn = 0;
  let episodeLength = 0;
  let windowStart = performance.now();

  const emit = (record: MetricsRecord): void => {
    history.push(record);
    options.onProgress?.(record);
  };
  const progress = (step: number): void => {
    const seconds = (performance.now() - windowStart) / 1000;
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
    m['train/replay_size'] = trainer.memory.size;
    emit({ step, metrics: m });
    win = new Window();
    windowStart = performance.now();
  };

  try {
    let i = 0;
    let lastProgress = 0;
    while (i < steps && !options.signal?.aborted) {
      const step = startStep + i;
      const action = policy.decide(observation, mask, { epsilon: epsilonAt(config, step), rng: actRng });
      const r = await env.step(action);
      trainer.record({ observation, action, reward: r.reward, nextObservation: r.observation, terminated: r.terminated, truncated: r.truncated, nextActionMask: r.info.actionMask });
      episodeReturn += r.reward;
      episodeLength++;
      win.rewardSum += r.reward;
      win.steps++;
      if (r.terminated || r.truncated) {
        win.episodes++;
        win.returnSum += episodeReturn;
        win.lengthSum += episodeLength;
        episodeReturn = 0;
        episodeLength = 0;
        reset = await env.reset();
        observation = reset.observation;
        mask = reset.info.actionMask;
      } else {
        observation = r.observation;
        mask = r.info.actionMask;
      }
      i++;
      if (i % config.trainEvery === 0) {
        const round = trainer.trainRound();
        if (round) {
          policy.swapWeights(learner.getWeights());
          win.rounds++;
          win.lossSum += round.tdLoss;
          win.qSum += round.meanQ;
        }
      }
      if (i % progressEvery === 0) {
        progress(startStep + i);
        lastProgress = i;
        // Let timers and signal handlers run: a fast env's awaits are only microtasks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (options.evaluate && options.evalEvery !== undefined && i % options.evalEvery === 0 && i < steps) {
        lastEval = await options.evaluate(learner, startStep + i);
        emit({ step: startStep + i, metrics: lastEval });
      }
    }
    if (lastProgress !== i) progress(startStep + i);
    if (options.evaluate) {
      lastEval = await options.evaluate(learner, startStep + i);
      emit({ step: startStep + i, metrics: lastEval });
    }
    return { learner, step: startStep + i, history, lastEval };
  } catch (e) {
    learner.dispose();
    throw e;
  }
}
