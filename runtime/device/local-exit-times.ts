/**
 * The device's estimate of how long each exit takes when run entirely locally (input → exit
 * output), used to decide how long an offload may wait and which local exit to answer from
 * when it fails. Pure bookkeeping.
 *
 * Each exit has a base time (its first observation: the calibration median). Every later
 * device computation (local exits and prefixes) records its slowdown, real ms / that
 * sub-model's base; the estimate is base × the `percentile` slowdown of the recent window,
 * floored by the emulated profile's prediction stretched by the load factor. A high
 * percentile of the current slowdown, not an average of past exit runs, keeps the reserve
 * honest when the CPU gets busy: the device that mostly offloads rarely runs an exit, but its
 * prefixes slow down just the same.
 */
import type { ModelManifest } from '../model/manifest.ts';
import { rankQuantile } from '../../common/rank-quantile.ts';

/** Recent slowdowns kept: enough for a stable 99th percentile, short enough to follow load changes. */
const WINDOW = 128;

export class LocalExitTimes {
  readonly #baseMs: Float64Array;
  readonly #targetMs: Float64Array;
  readonly #percentile: number;
  readonly #ratios = new Float64Array(WINDOW);
  #ratioCount = 0;
  #ratioNext = 0;
  #slowdown: number | null = 1;
  /** Exit numbers, best answer first (by accuracy; deeper first when accuracy is unknown). */
  readonly #ranked: number[];

  /**
   * @param manifest the model (for exit accuracies)
   * @param opts.targetMs per exit (index exit − 1), the emulated local time at no load, ms (0 = native)
   * @param opts.percentile of recent slowdowns used for estimates, in (0, 1] (default 0.99)
   */
  constructor(manifest: ModelManifest, opts: { targetMs: readonly number[]; percentile?: number }) {
    const n = manifest.exits.length;
    if (opts.targetMs.length !== n) throw new RangeError(`Expected ${n} target times, actually ${opts.targetMs.length}`);
    const p = opts.percentile ?? 0.99;
    if (!(p > 0 && p <= 1)) throw new RangeError(`Expected percentile in (0, 1], actually ${p}`);
    this.#percentile = p;
    this.#baseMs = new Float64Array(n);
    this.#targetMs = Float64Array.from(opts.targetMs);
    this.#ranked = manifest.exits
      .map((e) => ({ exit: e.index, acc: e.accuracy ?? -1 }))
      .sort((a, b) => b.acc - a.acc || b.exit - a.exit)
      .map((e) => e.exit);
  }

  /** Records one real (unstretched) local run of `exit`, ms: the base on the first call, then a slowdown. */
  observe(exit: number, realMs: number): void {
    const base = this.#baseMs[exit - 1]!;
    if (base === 0) this.#baseMs[exit - 1] = realMs;
    else this.observeSlowdown(realMs / base);
  }

  /** Records the slowdown of any device computation against its calibrated time (real / base). */
  observeSlowdown(ratio: number): void {
    if (!(ratio > 0) || !Number.isFinite(ratio)) return;
    this.#ratios[this.#ratioNext] = ratio;
    this.#ratioNext = (this.#ratioNext + 1) % WINDOW;
    this.#ratioCount = Math.min(WINDOW, this.#ratioCount + 1);
    this.#slowdown = null;
  }

  /** The `percentile` slowdown of the recent window (1 before any). */
  get slowdown(): number {
    if (this.#slowdown === null) {
      const sorted = this.#ratios.slice(0, this.#ratioCount).sort();
      this.#slowdown = Math.max(1, rankQuantile(sorted, this.#percentile));
    }
    return this.#slowdown;
  }

  /** Estimated local time of `exit`, ms, under a compute-time factor (1 = no load). */
  estimateMs(exit: number, loadFactor = 1): number {
    return Math.max(this.#baseMs[exit - 1]! * this.slowdown, this.#targetMs[exit - 1]! * loadFactor);
  }

  /** The exit with the smallest estimate. */
  cheapest(loadFactor = 1): number {
    let best = 1;
    for (let e = 2; e <= this.#baseMs.length; e++) if (this.estimateMs(e, loadFactor) < this.estimateMs(best, loadFactor)) best = e;
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
