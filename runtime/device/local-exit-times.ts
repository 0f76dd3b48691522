/**
 * The device's estimate of how long each exit takes when run entirely locally (input → exit
 * output), used to decide how long an offload may wait and which local exit to answer from
 * when it fails. Pure bookkeeping: measured real times (seeded by calibration, then an
 * exponentially weighted moving average of every local run), floored by the emulated
 * profile's prediction stretched by the load factor.
 */
import type { ModelManifest } from '../model/manifest.ts';

/** Weight of the newest observation in the moving average. */
const EWMA_ALPHA = 0.2;

export class LocalExitTimes {
  readonly #realMs: Float64Array;
  readonly #targetMs: Float64Array;
  /** Exit numbers, best answer first (by accuracy; deeper first when accuracy is unknown). */
  readonly #ranked: number[];

  /**
   * @param manifest the model (for exit accuracies)
   * @param opts.targetMs per exit (index exit − 1), the emulated local time at no load, ms (0 = native)
   */
  constructor(manifest: ModelManifest, opts: { targetMs: readonly number[] }) {
    const n = manifest.exits.length;
    if (opts.targetMs.length !== n) throw new RangeError(`Expected ${n} target times, actually ${opts.targetMs.length}`);
    this.#realMs = new Float64Array(n);
    this.#targetMs = Float64Array.from(opts.targetMs);
    this.#ranked = manifest.exits
      .map((e) => ({ exit: e.index, acc: e.accuracy ?? -1 }))
      .sort((a, b) => b.acc - a.acc || b.exit - a.exit)
      .map((e) => e.exit);
  }

  /** Records one real (unstretched) local run of `exit`, ms. */
  observe(exit: number, realMs: number): void {
    const i = exit - 1;
    const prev = this.#realMs[i]!;
    this.#realMs[i] = prev === 0 ? realMs : prev + EWMA_ALPHA * (realMs - prev);
  }

  /** Estimated local time of `exit`, ms, under a compute-time factor (1 = no load). */
  estimateMs(exit: number, loadFactor = 1): number {
    return Math.max(this.#realMs[exit - 1]!, this.#targetMs[exit - 1]! * loadFactor);
  }

  /** The exit with the smallest estimate. */
  cheapest(loadFactor = 1): number {
    let best = 1;
    for (let e = 2; e <= this.#realMs.length; e++) if (this.estimateMs(e, loadFactor) < this.estimateMs(best, loadFactor)) best = e;
    return best;
  }

  /**
   * The best-ranked exit whose estimate fits in `budgetMs`, or the cheapest when none fits
   * (an answer late is still better than none).
   */
  bestWithin(budgetMs: number, loadFactor = 1): { exit: number; fits: boolean } {
    for (const exit of this.#ranked) if (this.estimateMs(exit, loadFactor) <= budgetMs) return { exit, fits: true };
    return { exit: this.cheapest(loadFactor), fits: false };
  }
}
