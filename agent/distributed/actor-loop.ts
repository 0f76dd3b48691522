/**
 * The actor loop (Ape-X's actor): acts ε-greedily on a vector env with the newest weights it
 * has, turns each vector step into n-step rows and hands them to the publisher; no learning.
 *
 *   each vector step:  take newly arrived weights, if any (a swap between requests, never a wait)
 *                      → ε-greedy actions for all lanes → step → n-step rows → outbox
 *                      → yield to the event loop so broker replies and notifications run
 *
 * Before the first weights arrive it acts uniformly at random (ε = 1, as a fresh single-process
 * run does). ε follows the DqnConfig schedule at the learner's transition count (carried by the
 * weights) plus this actor's steps since those weights.
 */
import type { Rng } from '../../common/rng.ts';
import { ActingPolicy } from '../acting-policy.ts';
import type { DqnConfig } from '../dqn-config.ts';
import type { VectorEnv } from '../env-vector.ts';
import { epsilonAt } from '../epsilon-schedule.ts';
import { uniformValidAction } from '../../common/masked-argmax.ts';
import { VecNStep } from '../vec-n-step.ts';
import type { TransitionPublisher } from './transition-publisher.ts';
import type { WeightsMessage } from './weights-codec.ts';

/** Where new weights come from (a WeightsFollower). */
export interface WeightsSource {
  take(): WeightsMessage | null;
}

export interface ActorProgress {
  readonly steps: number;
  readonly episodes: number;
  /** Mean reward per step since the last record. */
  readonly meanReward: number;
  readonly epsilon: number;
  /** Weights version acted with (0: none yet). */
  readonly weightsVersion: number;
  readonly stepsPerSecond: number;
}

export interface RunActorOptions {
  readonly env: VectorEnv;
  readonly publisher: TransitionPublisher;
  readonly weights: WeightsSource;
  /** ε schedule, n-step and γ (the learner's DqnConfig). */
  readonly config: Pick<DqnConfig, 'epsilonStart' | 'epsilonEnd' | 'epsilonDecaySteps' | 'nStep' | 'gamma'>;
  readonly seed: number;
  readonly rng: Rng;
  /** Env steps to take (over all lanes); null: until `signal` aborts. */
  readonly steps: number | null;
  /** Pace: at most this many env steps per second (a fleet of devices is paced by its requests); null: as fast as it can. */
  readonly maxStepsPerSecond?: number | null;
  readonly signal?: AbortSignal;
  readonly progressEveryMs?: number;
  readonly onProgress?: (p: ActorProgress) => void;
}

export interface ActorResult {
  readonly steps: number;
  readonly episodes: number;
  readonly weightsSwaps: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runActor(o: RunActorOptions): Promise<ActorResult> {
  const { env, publisher, config } = o;
  const { numEnvs: N, observationSize: O, actionCount: A } = env;
  const nStep = new VecNStep({ numEnvs: N, observationSize: O, actionCount: A, nStep: config.nStep, gamma: config.gamma });
  const obs = new Float32Array(N * O);
  const actions = new Int32Array(N);
  const nextObs = new Float32Array(N * O);
  const nextMasks = new Uint8Array(N * A);
  let policy: ActingPolicy | null = null;
  let weightsSteps = 0; // the learner's transition count carried by the weights
  let sinceWeights = 0;
  let swaps = 0;
  let steps = 0;
  let episodes = 0;
  const everyMs = o.progressEveryMs ?? 1000;
  const t0 = performance.now();
  let win = { at: t0, steps: 0, reward: 0 };
  await env.reset(o.seed);
  while ((o.steps === null || steps < o.steps) && !o.signal?.aborted) {
    const w = o.weights.take();
    if (w) {
      if (policy) policy.swapWeights(w.weights);
      else policy = new ActingPolicy(w.weights);
      publisher.weightsVersion = w.version;
      weightsSteps = w.envSteps;
      sinceWeights = 0;
      swaps++;
    }
    const epsilon = policy ? epsilonAt(config, weightsSteps + sinceWeights) : 1;
    obs.set(env.observations);
    if (policy) policy.decideBatch(obs, env.masks, { rows: N, epsilon, rng: o.rng, out: actions });
    else for (let i = 0; i < N; i++) actions[i] = uniformValidAction(env.masks.subarray(i * A, (i + 1) * A), o.rng);
    await env.step(actions);
    nextObs.set(env.observations);
    nextMasks.set(env.masks);
    for (let i = 0; i < N; i++) {
      win.reward += env.rewards[i]!;
      if (env.terminated[i] || env.truncated[i]) {
        nextObs.set(env.finalObservations.subarray(i * O, (i + 1) * O), i * O);
        nextMasks.set((env.finalMasks ?? env.masks).subarray(i * A, (i + 1) * A), i * A);
        episodes++;
      }
    }
    publisher.push(nStep.push({ observations: obs, actions, rewards: env.rewards, nextObservations: nextObs, nextActionMasks: nextMasks, terminated: env.terminated, truncated: env.truncated }));
    steps += N;
    sinceWeights += N;
    win.steps += N;
    const now = performance.now();
    if (now - win.at >= everyMs) {
      o.onProgress?.({ steps, episodes, meanReward: win.reward / win.steps, epsilon, weightsVersion: publisher.weightsVersion, stepsPerSecond: (1000 * win.steps) / (now - win.at) });
      win = { at: now, steps: 0, reward: 0 };
    }
    const pace = o.maxStepsPerSecond ?? null;
    const ahead = pace === null ? 0 : (1000 * steps) / pace - (now - t0);
    if (ahead > 1) await sleep(ahead);
    else await yieldToLoop();
  }
  publisher.flush();
  await publisher.drain();
  return { steps, episodes, weightsSwaps: swaps };
}
