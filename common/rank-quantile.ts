/**
 * Nearest-rank order statistics: the value at rank ⌊q·n⌋ of the sorted values (no
 * interpolation), so a quantile is always one of the measurements. For interpolated quantiles
 * of profiling samples see runtime/profile/sample-stats.ts.
 */

/** The q-quantile of sorted values by nearest rank; NaN when empty. */
export function rankQuantile(sorted: ArrayLike<number>, q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The median by nearest rank (the upper middle value for an even count) of unsorted values; NaN when empty. */
export function rankMedian(values: readonly number[]): number {
  return rankQuantile([...values].sort((a, b) => a - b), 0.5);
}
