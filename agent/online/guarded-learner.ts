/**
 * Online learning under a rollback guard, one request at a time: record the served request's
 * transition, train every `trainEvery` requests and hot-swap the acting weights, and feed the
 * guard the learner's reward beside the frozen policy's on the same request. When the guard
 * promotes, the current weights become the last good ones; when it rolls back, the learner
 * (online and target nets) and the acting copy return to the last good weights. Each promotion
 * and rollback is returned as a version event for the caller to save with its lineage. No I/O.
 */
import type { DqnTrainer } from '../dqn-trainer.ts';
import type { NetworkWeights } from '../q-network.ts';
import type { Transition } from '../transition.ts';
import { RollbackGuard, type GuardDecision, type RollbackGuardConfig } from './rollback-guard.ts';

/** Good versions kept for successive rollbacks (the bottom, the starting weights, is never dropped). */
export const MAX_GOOD_VERSIONS = 8;

/** Why a weight version was made. */
export type VersionReason = 'learned' | 'rollback';

export interface VersionEvent {
  readonly reason: VersionReason;
  /** 0-based index of the request after which the swap happened. */
  readonly requestIndex: number;
  /** The guard's decision that caused it. */
  readonly decision: GuardDecision;
}

/** Where weights go (an ActingPolicy). */
export interface SwapTarget {
  swapWeights(weights: NetworkWeights): void;
}

export interface GuardedLearnerOptions {
  readonly trainer: DqnTrainer;
  readonly acting: SwapTarget;
  /** Requests between train rounds (integer ≥ 1). */
  readonly trainEvery: number;
  /** The guard's settings; null disables the guard (weights are never rolled back or versioned). */
  readonly guard: Partial<RollbackGuardConfig> | null;
}

export class GuardedLearner {
  readonly trainer: DqnTrainer;
  readonly guard: RollbackGuard | null;
  readonly #acting: SwapTarget;
  readonly #trainEvery: number;
  /** Good versions, oldest (the starting weights) first. */
  readonly #good: NetworkWeights[];
  #lastWasRollback = false;
  #rollbacksInARow = 0;
  /** Requests left in the current pause. */
  #pause = 0;
  #requests = 0;
  #rounds = 0;
  #rollbacks = 0;
  #promotions = 0;

  constructor(o: GuardedLearnerOptions) {
    if (!(Number.isInteger(o.trainEvery) && o.trainEvery >= 1)) throw new RangeError(`Expected trainEvery an integer >= 1, actually ${o.trainEvery}`);
    this.trainer = o.trainer;
    this.#acting = o.acting;
    this.#trainEvery = o.trainEvery;
    this.guard = o.guard === null ? null : new RollbackGuard(o.guard);
    this.#good = [o.trainer.getWeights()];
  }

  get trainRounds(): number {
    return this.#rounds;
  }

  get rollbacks(): number {
    return this.#rollbacks;
  }

  get promotions(): number {
    return this.#promotions;
  }

  /** false while the guard's back-off pauses training (callers pause exploration too). */
  get learning(): boolean {
    return this.#pause === 0;
  }

  /** The weights a rollback restores now (at first: the starting weights). */
  get lastGood(): NetworkWeights {
    return this.#good.at(-1)!;
  }

  /** Good versions held, the starting weights included. */
  get goodVersions(): number {
    return this.#good.length;
  }

  /**
   * One served request.
   * @param t its transition, with the reward the learner is trained on
   * @param rewards what the learner's action earned and what the frozen policy's earned (or is
   *   estimated to have earned) on the same request, for the guard
   * @returns the version event when the guard promoted or rolled back, else null
   */
  afterRequest(t: Transition, rewards: { readonly learner: number; readonly frozen: number }): VersionEvent | null {
    const requestIndex = this.#requests++;
    this.trainer.record(t);
    if (this.#pause > 0) this.#pause--;
    else if (this.#requests % this.#trainEvery === 0 && this.trainer.trainRound() !== null) {
      this.#rounds++;
      this.#acting.swapWeights(this.trainer.getWeights());
    }
    const decision = this.guard?.observe(rewards.learner, rewards.frozen) ?? null;
    if (decision === null || decision.kind === 'hold') return null;
    if (decision.kind === 'promote') {
      this.#good.push(this.trainer.getWeights());
      if (this.#good.length > MAX_GOOD_VERSIONS) this.#good.splice(1, 1);
      this.#promotions++;
      this.#lastWasRollback = false;
      this.#rollbacksInARow = 0;
      return { reason: 'learned', requestIndex, decision };
    }
    if (this.#lastWasRollback && this.#good.length > 1) this.#good.pop();
    const restore = this.#good.at(-1)!;
    this.trainer.learner.setWeights(restore);
    this.#acting.swapWeights(restore);
    this.#rollbacks++;
    this.#lastWasRollback = true;
    this.#rollbacksInARow++;
    const c = this.guard!.config;
    this.#pause = c.windowRequests * Math.min(c.maxPauseWindows, 2 ** (this.#rollbacksInARow - 1));
    return { reason: 'rollback', requestIndex, decision };
  }
}
