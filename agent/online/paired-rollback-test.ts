/**
 * A rollback test for a policy swapped in whole (e.g. one fine-tuned in a replay of the measured
 * world): every request gives the paired difference d = (new policy's reward) − (frozen policy's
 * reward on the same request); after each window of requests since the swap, roll back when the
 * mean of all d so far is significantly below 0 (its upper 95% bound, mean + z·se, is < 0), and
 * never on a window that merely trails by noise. Repeated looks raise the chance of a false
 * rollback above the single test's 2.5% (the price is only a return to the frozen policy).
 * Pure; O(1) per request.
 */
export class PairedRollbackTest {
  readonly windowRequests: number;
  readonly z: number;
  #n = 0;
  #sum = 0;
  #sumSq = 0;

  /**
   * @param windowRequests requests between tests (≥ 2)
   * @param z the normal quantile of the one-sided bound (default 1.96)
   */
  constructor(windowRequests: number, z = 1.96) {
    if (!(Number.isInteger(windowRequests) && windowRequests >= 2)) throw new RangeError(`Expected windowRequests an integer >= 2, actually ${windowRequests}`);
    if (!(z > 0)) throw new RangeError(`Expected z > 0, actually ${z}`);
    this.windowRequests = windowRequests;
    this.z = z;
  }

  /** Folds one request in; true when this request closes a window and the new policy is significantly behind. */
  observe(newReward: number, frozenReward: number): boolean {
    const d = newReward - frozenReward;
    this.#n++;
    this.#sum += d;
    this.#sumSq += d * d;
    if (this.#n % this.windowRequests !== 0) return false;
    const mean = this.#sum / this.#n;
    const variance = Math.max(0, (this.#sumSq - this.#n * mean * mean) / (this.#n - 1));
    return mean + this.z * Math.sqrt(variance / this.#n) < 0;
  }
}
