/**
 * Glue between experience and gradient steps, shared by the offline train loop and the online
 * learner: env steps → n-step accumulator → replay memory; a train round = `gradientSteps`
 * sampled batches → learner steps → priority updates → target-net updates on schedule.
 */
import type { Rng } from '../common/rng.ts';
import type { DqnLearner } from './dqn-learner.ts';
import { linearSchedule } from './epsilon-schedule.ts';
import { NStepAccumulator } from './n-step.ts';
import type { NetworkWeights } from './q-network.ts';
import { ReplayMemory } from './replay-memory.ts';
import type { Transition } from './transition.ts';

export interface TrainRoundResult {
  /** Mean batch loss over the round's gradient steps. */
  readonly tdLoss: number;
  /** Mean Q(s, a) of the sampled actions over the round. */
  readonly meanQ: number;
  /** Learner gradient steps in total after this round. */
  readonly gradientSteps: number;
  /** Whether the target net was updated during the round. */
  readonly targetUpdated: boolean;
}

export interface DqnTrainerOptions {
  /** Replay sampling stream (seeded; not shared with exploration). */
  readonly rng: Rng;
  /** A memory to reuse; by default one is built from the learner's config. */
  readonly memory?: ReplayMemory;
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

  /** Runs one train round; null (and nothing changes) when not `ready`. */
  trainRound(): TrainRoundResult | null {
    if (!this.ready) return null;
    const c = this.learner.config;
    const beta = c.prioritized ? linearSchedule({ start: c.prioritized.beta0, end: 1, durationSteps: c.prioritized.betaSteps }, this.#transitions) : 1;
    let tdLoss = 0;
    let meanQ = 0;
    let targetUpdated = false;
    for (let g = 0; g < c.gradientSteps; g++) {
      const batch = this.memory.sample(c.batchSize, this.#rng, { beta });
      const r = this.learner.trainStep(batch);
      this.memory.updatePriorities(batch.indices, r.tdErrors);
      tdLoss += r.tdLoss;
      meanQ += r.meanQ;
      if (this.learner.gradientSteps % c.targetUpdateEvery === 0) {
        this.learner.syncTarget();
        targetUpdated = true;
      }
    }
    return { tdLoss: tdLoss / c.gradientSteps, meanQ: meanQ / c.gradientSteps, gradientSteps: this.learner.gradientSteps, targetUpdated };
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
