/**
 * Glue between a stream of single env steps and the learner, for online learning (the offline
 * loop, agent/train-loop.ts, does the same for N env copies at once): env steps → n-step
 * accumulator → replay memory; `trainRound` runs the learner's round once enough is stored.
 */
import type { Rng } from '../common/rng.ts';
import type { DqnLearner, TrainRoundResult } from './dqn-learner.ts';
import { NStepAccumulator } from './n-step.ts';
import type { NetworkWeights } from './q-network.ts';
import { ReplayMemory } from './replay-memory.ts';
import type { Transition } from './transition.ts';

export type { TrainRoundResult } from './dqn-learner.ts';

export interface DqnTrainerOptions {
  /** Replay sampling stream (seeded; not shared with exploration). */
  readonly rng: Rng;
  /** A memory to reuse; by default one is built from the learner's config. */
  readonly memory?: ReplayMemory;
  /** Env steps already recorded before this trainer (a resumed learner state's count; default 0). */
  readonly transitions?: number;
}

export class DqnTrainer {
  readonly learner: DqnLearner;
  readonly memory: ReplayMemory;
  readonly #nStep: NStepAccumulator;
  readonly #rng: Rng;
  #transitions = 0;

  constructor(learner: DqnLearner, options: DqnTrainerOptions) {
    const c = learner.config;
    this.learner = learner;
    this.#rng = options.rng;
    this.memory =
      options.memory ??
      new ReplayMemory({ capacity: c.replayCapacity, observationSize: learner.spec.observationSize, actionCount: learner.spec.actionCount, prioritized: c.prioritized });
    this.#nStep = new NStepAccumulator({ nStep: c.nStep, gamma: c.gamma });
    this.#transitions = options.transitions ?? 0;
  }

  /** The replay sampling stream (its position is saved with the learner state). */
  get rng(): Rng {
    return this.#rng;
  }

  /** Env steps recorded by this trainer. */
  get transitions(): number {
    return this.#transitions;
  }

  /** Whether a train round would take gradient steps now: learningStarts reached and a full batch stored. */
  get ready(): boolean {
    const c = this.learner.config;
    return this.#transitions >= c.learningStarts && this.memory.size >= c.batchSize;
  }

  /** Records one env step (the n-step returns it completes go into the replay memory). */
  record(t: Transition): void {
    for (const rt of this.#nStep.push(t)) this.memory.add(rt);
    this.#transitions++;
  }

  /** Runs one train round (agent/dqn-learner.ts); null (and nothing changes) when not `ready`. */
  trainRound(): TrainRoundResult | null {
    return this.ready ? this.learner.trainRound(this.memory, this.#rng, this.#transitions) : null;
  }

  /** The learner's current online weights (fresh typed arrays). */
  getWeights(): NetworkWeights {
    return this.learner.getWeights();
  }

  /** Drops n-step steps still pending (call when an episode is abandoned mid-way). */
  abandonEpisode(): void {
    this.#nStep.clear();
  }
}
