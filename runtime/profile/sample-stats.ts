/**
 * Robust summary statistics of repeated latency measurements: median, p10/p90 and the median
 * absolute deviation. Pure; the input array is never modified.
 */

/** Summary of one measured quantity over its repetitions (all in ms). */
export interface SampleSummary {
  /** Number of repetitions. */
  readonly n: number;
  readonly medianMs: number;
  /** 10th percentile (linear interpolation between order statistics). */
  readonly p10Ms: number;
  /** 90th percentile. */
  readonly p90Ms: number;
  /** Median absolute deviation from the median (unscaled). */
  readonly madMs: number;
  readonly meanMs: number;
}

/**
 * The q-quantile of already-sorted values, linear interpolation between order statistics
 * (numpy's default, "type 7").
 * @throws RangeError on an empty array or q outside [0, 1].
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('Expected at least one value, actually none');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Expected q in [0, 1], actually ${q}`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median of the values. @throws RangeError when empty. */
export function median(values: readonly number[]): number {
  return quantileSorted(Float64Array.from(values).sort(), 0.5);
}

/** Median, p10, p90, MAD and mean of repeated measurements. @throws RangeError when empty. */
export function summarizeSamples(samplesMs: readonly number[]): SampleSummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const med = quantileSorted(sorted, 0.5);
  const dev = Float64Array.from(samplesMs, (x) => Math.abs(x - med)).sort();
  let sum = 0;
  for (const x of samplesMs) sum += x;
  return {
    n: samplesMs.length,
    medianMs: med,
    p10Ms: quantileSorted(sorted, 0.1),
    p90Ms: quantileSorted(sorted, 0.9),
    madMs: quantileSorted(dev, 0.5),
    meanMs: sum / samplesMs.length,
  };
}

/**
 * Drops outliers above median + k·max(MAD, 1 % of the median) (GC pauses, scheduler
 * preemption on a shared machine), keeping the order of the rest. The 1 % floor matters for
 * emulated runs, where most samples equal the profile's prediction (MAD 0) and only the
 * spikes differ. One-sided on purpose: latency noise only ever adds time.
 */
export function trimHighOutliers(samplesMs: readonly number[], k = 5): number[] {
  if (samplesMs.length === 0) return [];
  const s = summarizeSamples(samplesMs);
  const limit = s.medianMs + k * Math.max(s.madMs, 0.01 * Math.abs(s.medianMs));
  return samplesMs.filter((x) => x <= limit);
}
