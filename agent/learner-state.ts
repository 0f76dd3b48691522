/**
 * Everything a DQN learner needs beyond its network weights to continue exactly where it
 * stopped: the replay memory (rows, write position, PER priorities), Adam's moments and step
 * count, the counters (env steps for ε and β, gradient steps for the target-sync schedule) and
 * the positions of the random streams. Capturing and applying are pure over the learner and
 * memory; agent/learner-state-codec.ts turns the record into bytes, checkpoints/ writes them.
 */
import { CoinferError } from '../common/errors.ts';
import { restoreRng, type Rng, type RngState } from '../common/rng.ts';
import type { PrioritizedReplayConfig } from './dqn-config.ts';
import type { DqnLearner, OptimizerState } from './dqn-learner.ts';
import { readWeights, type NetworkWeights } from './q-network.ts';
import type { ReplayMemory, ReplayMemoryState } from './replay-memory.ts';

/** The saved state of one learner (what `--save-learner-state` writes). */
export interface LearnerState {
  readonly observationSize: number;
  readonly actionCount: number;
  /** Replay ring capacity, in transitions. */
  readonly replayCapacity: number;
  /** PER's α, ε, or null for uniform replay (β comes from `betaSteps`). */
  readonly prioritized: Pick<PrioritizedReplayConfig, 'alpha' | 'eps'> | null;
  /** Env steps taken (global): the ε-schedule position. */
  readonly envSteps: number;
  /** Env steps the β schedule has advanced by (the value passed to the last train round). */
  readonly betaSteps: number;
  /** Train rounds owed by the loop's `trainEvery` cadence (offline loop; 0 for online learning). */
  readonly roundsDue: number;
  /** Named random streams (`sample`, `act`, …) at their current positions. */
  readonly rngs: Readonly<Record<string, RngState>>;
  readonly memory: ReplayMemoryState;
  /** The target net's weights (it lags the online net between syncs). */
  readonly targetWeights: NetworkWeights;
  /** Adam state and gradient steps (the target-sync position is gradientSteps mod targetUpdateEvery). */
  readonly optimizer: OptimizerState;
}

export interface CaptureOptions {
  readonly learner: DqnLearner;
  readonly memory: ReplayMemory;
  readonly envSteps: number;
  readonly betaSteps: number;
  readonly roundsDue?: number;
  /** Streams to save; each must come from `createRng`/`restoreRng` (they expose `state()`). */
  readonly rngs: Readonly<Record<string, Rng>>;
}

/**
 * Captures the learner's state. The memory rows are views of the ring: encode them before the
 * memory changes again.
 * @throws CoinferError ERR_INVALID_ARGUMENT when a stream cannot report its position.
 */
export async function captureLearnerState(o: CaptureOptions): Promise<LearnerState> {
  const rngs: Record<string, RngState> = {};
  for (const [name, rng] of Object.entries(o.rngs)) {
    if (!rng.state) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected random stream '${name}' from createRng (with state()), actually a generator without it: pass a seeded coinfer Rng`);
    rngs[name] = rng.state();
  }
  const per = o.learner.config.prioritized;
  return {
    observationSize: o.memory.observationSize,
    actionCount: o.memory.actionCount,
    replayCapacity: o.memory.capacity,
    prioritized: per ? { alpha: per.alpha, eps: per.eps } : null,
    envSteps: o.envSteps,
    betaSteps: o.betaSteps,
    roundsDue: o.roundsDue ?? 0,
    rngs,
    memory: o.memory.exportState(),
    targetWeights: readWeights(o.learner.targetNet),
    optimizer: await o.learner.exportOptimizerState(),
  };
}

/** What applying a state hands back to the loop that resumes. */
export interface AppliedLearnerState {
  readonly envSteps: number;
  readonly betaSteps: number;
  readonly roundsDue: number;
  /** The saved streams, continuing where they stopped. */
  readonly rngs: Readonly<Record<string, Rng>>;
}

/**
 * Loads a saved state into a learner (already holding the checkpoint's weights) and a memory
 * built from the resumed config.
 * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE naming the first mismatch (sizes, replay
 *   capacity or kind, PER α/ε, network shapes).
 */
export async function applyLearnerState(state: LearnerState, target: { readonly learner: DqnLearner; readonly memory: ReplayMemory }): Promise<AppliedLearnerState> {
  const { learner, memory } = target;
  const per = learner.config.prioritized;
  const mine = { observationSize: memory.observationSize, actionCount: memory.actionCount, replayCapacity: memory.capacity, prioritized: per ? { alpha: per.alpha, eps: per.eps } : null };
  const saved = { observationSize: state.observationSize, actionCount: state.actionCount, replayCapacity: state.replayCapacity, prioritized: state.prioritized };
  for (const key of Object.keys(mine) as (keyof typeof mine)[]) {
    if (JSON.stringify(mine[key]) !== JSON.stringify(saved[key])) {
      throw new CoinferError(
        'ERR_CHECKPOINT_INCOMPATIBLE',
        `Learner state: expected ${key} ${JSON.stringify(mine[key])} (this run), actually ${JSON.stringify(saved[key])} (saved): resume with the settings it was saved with, or drop the learner state to load the weights only`,
      );
    }
  }
  const shapes = learner.targetNet.weights.map((w) => w.shape.join('×'));
  const savedShapes = state.targetWeights.map((w) => w.shape.join('×'));
  if (shapes.join(',') !== savedShapes.join(',')) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Learner state: expected target-net weights of shapes [${shapes.join(', ')}], actually [${savedShapes.join(', ')}]: the state belongs to another network`);
  }
  memory.importState(state.memory);
  learner.setTargetWeights(state.targetWeights);
  await learner.importOptimizerState(state.optimizer);
  const rngs: Record<string, Rng> = {};
  for (const [name, s] of Object.entries(state.rngs)) rngs[name] = restoreRng(s);
  return { envSteps: state.envSteps, betaSteps: state.betaSteps, roundsDue: state.roundsDue, rngs };
}
