/**
 * The guard that keeps online learning from leaving a device worse off than its frozen policy:
 * every request it is told the reward the learner earned and the reward the frozen policy
 * earned (or would have earned: a shadow evaluation) on the same request; at the end of each
 * window it compares their means and decides whether the learner's current weights become the
 * new "last good" weights (only when they did better: equal choices prove nothing), are kept
 * on probation, or are rolled back to the last good ones.
 * Pure state machine: it holds no weights and does no I/O (the caller swaps weights and
 * versions them).
 */
import { CoinferError } from '../../common/errors.ts';

export interface RollbackGuardConfig {
  /** Requests per comparison window (integer ≥ 1). */
  readonly windowRequests: number;
  /**
   * Roll back at once when the learner's mean reward over a window trails the frozen policy's
   * by more than this (reward units, ≥ 0).
   */
  readonly marginReward: number;
  /**
   * Roll back when the learner trailed (by any amount) in this many consecutive windows
   * (integer ≥ 1): bounds how long a small deficit below the margin can last.
   */
  readonly patienceWindows: number;
  /**
   * Back-off after rollbacks (integer ≥ 0): after the k-th rollback in a row (no promotion
   * between), training and exploration pause for windowRequests · 2^(k−1) requests, at most
   * this many windows; the device then serves the restored weights as they are. 0 = no pause.
   */
  readonly maxPauseWindows: number;
}

export const DEFAULT_ROLLBACK_GUARD_CONFIG: RollbackGuardConfig = { windowRequests: 100, marginReward: 0.01, patienceWindows: 2, maxPauseWindows: 16 };

/** @throws CoinferError ERR_INVALID_CONFIG naming the field, the expectation and the actual value */
export function resolveRollbackGuardConfig(p: Partial<RollbackGuardConfig> = {}): RollbackGuardConfig {
  const c = { ...DEFAULT_ROLLBACK_GUARD_CONFIG, ...p };
  const bad = (field: string, expected: string, actual: number): never => {
    throw new CoinferError('ERR_INVALID_CONFIG', `Invalid rollback guard config: ${field}: expected ${expected}, actually ${actual}`);
  };
  if (!(Number.isInteger(c.windowRequests) && c.windowRequests >= 1)) bad('windowRequests', 'an integer >= 1', c.windowRequests);
  if (!(c.marginReward >= 0 && Number.isFinite(c.marginReward))) bad('marginReward', 'a finite number >= 0', c.marginReward);
  if (!(Number.isInteger(c.patienceWindows) && c.patienceWindows >= 1)) bad('patienceWindows', 'an integer >= 1', c.patienceWindows);
  if (!(Number.isInteger(c.maxPauseWindows) && c.maxPauseWindows >= 0)) bad('maxPauseWindows', 'an integer >= 0', c.maxPauseWindows);
  return c;
}

/** What the guard decided at the end of a window. */
export interface GuardDecision {
  /**
   * 'promote': the learner did better (mean gap > 0): its current weights become the last good ones;
   * 'hold': it did exactly as well (gap 0: the same choices), or trailed by at most the margin
   *   for fewer than `patienceWindows` windows in a row;
   * 'rollback': it trailed by more than the margin, or for `patienceWindows` windows in a row.
   */
  readonly kind: 'promote' | 'hold' | 'rollback';
  /** Mean (learner − frozen) reward over the window. */
  readonly meanGap: number;
  /** 0-based index of the request that closed the window. */
  readonly requestIndex: number;
}

export class RollbackGuard {
  readonly config: RollbackGuardConfig;
  #sum = 0;
  #n = 0;
  #behind = 0;
  #requests = 0;

  constructor(config: Partial<RollbackGuardConfig> = {}) {
    this.config = resolveRollbackGuardConfig(config);
  }

  /**
   * Folds one request in; returns the decision when it closes a window, else null.
   * @param learnerReward what the learner's action earned
   * @param frozenReward what the frozen policy's action earned (or would have) on the same request
   */
  observe(learnerReward: number, frozenReward: number): GuardDecision | null {
    const requestIndex = this.#requests++;
    this.#sum += learnerReward - frozenReward;
    this.#n++;
    if (this.#n < this.config.windowRequests) return null;
    const meanGap = this.#sum / this.#n;
    this.#sum = 0;
    this.#n = 0;
    let kind: GuardDecision['kind'];
    if (meanGap > 0) {
      kind = 'promote';
      this.#behind = 0;
    } else if (meanGap === 0) {
      // identical choices prove nothing about the new weights: neither promote nor count against them
      kind = 'hold';
    } else {
      this.#behind++;
      kind = meanGap < -this.config.marginReward || this.#behind >= this.config.patienceWindows ? 'rollback' : 'hold';
      if (kind === 'rollback') this.#behind = 0;
    }
    return { kind, meanGap, requestIndex };
  }
}
