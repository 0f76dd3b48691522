/**
 * The world-shift experiment's figures (docs/online.md), pure: rolling means of per-request
 * series, the recovery of the loss against the oracle after a shift, how many requests the
 * recovery takes, and the longest stretch one rolling curve stays below another.
 */

/** Trailing mean over up to `window` values ending at each index (shorter at the start). */
export function rollingMean(xs: ArrayLike<number>, window: number): Float64Array {
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`Expected window an integer >= 1, actually ${window}`);
  const out = new Float64Array(xs.length);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i]!;
    if (i >= window) sum -= xs[i - window]!;
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

const meanOf = (xs: ArrayLike<number>, from: number, to: number): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return s / (to - from);
};

/**
 * Share of the frozen policy's loss against the oracle that the learner regains on
 * requests [from, to): (L̄ − F̄) / (Ō − F̄). Null when the frozen policy loses nothing there
 * (Ō − F̄ ≤ `minGap`): there is no loss to recover.
 */
export function recoveryShare(o: { oracle: ArrayLike<number>; frozen: ArrayLike<number>; learner: ArrayLike<number> }, from: number, to: number, minGap = 1e-6): number | null {
  if (!(from >= 0 && to > from && to <= o.oracle.length && to <= o.frozen.length && to <= o.learner.length)) {
    throw new RangeError(`Expected 0 <= from < to <= series length, actually from ${from}, to ${to}, lengths ${o.oracle.length}/${o.frozen.length}/${o.learner.length}`);
  }
  const f = meanOf(o.frozen, from, to);
  const gap = meanOf(o.oracle, from, to) - f;
  return gap > minGap ? (meanOf(o.learner, from, to) - f) / gap : null;
}

/** Longest run of consecutive indices in [from, a.length) where a[i] < b[i]. */
export function longestBelow(a: ArrayLike<number>, b: ArrayLike<number>, from = 0): number {
  let best = 0, run = 0;
  for (let i = from; i < a.length; i++) {
    run = a[i]! < b[i]! ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

export interface ShiftMetricsOptions {
  /** Per-request rewards on the same stream (equal lengths). */
  readonly oracle: ArrayLike<number>;
  readonly frozen: ArrayLike<number>;
  readonly learner: ArrayLike<number>;
  /** Index of the first request served in the shifted world. */
  readonly shiftAt: number;
  /** Requests after the shift within which recovery is judged (N). */
  readonly horizon: number;
  /** Window of the rolling curves, requests. */
  readonly window: number;
  /** Recovery share that counts as recovered for `requestsToRecover` (the goal's 0.5). */
  readonly target: number;
}

export interface ShiftMetrics {
  /** Recovery over the last `window` requests of the horizon, [shiftAt + horizon − window, shiftAt + horizon); null: no loss. */
  readonly recovery: number | null;
  /** Ō − F̄ over that same window: the loss there was to recover (reward per request). */
  readonly frozenGap: number;
  /** First k ≥ window such that the recovery over requests [shiftAt + k − window, shiftAt + k) reaches `target`; null: never in the stream. */
  readonly requestsToRecover: number | null;
  /** Longest run of requests after the shift where the learner's rolling reward < the frozen policy's. */
  readonly longestBelowFrozen: number;
}

/** The figures of one shift run (one seed). */
export function shiftMetrics(o: ShiftMetricsOptions): ShiftMetrics {
  const n = Math.min(o.oracle.length, o.frozen.length, o.learner.length);
  const end = Math.min(n, o.shiftAt + o.horizon);
  if (!(o.shiftAt >= 0 && end - o.shiftAt >= o.window)) {
    throw new RangeError(`Expected at least window=${o.window} requests after the shift at ${o.shiftAt}, actually ${end - o.shiftAt}`);
  }
  const from = end - o.window;
  const recovery = recoveryShare(o, from, end);
  const frozenGap = meanOf(o.oracle, from, end) - meanOf(o.frozen, from, end);
  let requestsToRecover: number | null = null;
  for (let k = o.window; o.shiftAt + k <= n; k++) {
    const r = recoveryShare(o, o.shiftAt + k - o.window, o.shiftAt + k);
    if (r !== null && r >= o.target) { requestsToRecover = k; break; }
  }
  const longestBelowFrozen = longestBelow(rollingMean(o.learner, o.window), rollingMean(o.frozen, o.window), o.shiftAt);
  return { recovery, frozenGap, requestsToRecover, longestBelowFrozen };
}

/** Mean and population standard deviation of the non-null values (null when none). */
export function meanSpread(xs: readonly (number | null)[]): { mean: number; std: number; n: number } | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), n: v.length };
}
