/**
 * What a device can tell of its world's speeds from its own telemetry: the geometric mean of
 * the measured device and edge slowness (DecisionContext.measuredSpeeds) over a window of
 * requests, and whether it has moved away from the speeds a policy was tuned for. Pure.
 */
import type { DecisionContext, MeasuredSpeeds } from './decision-context.ts';

/**
 * The geometric mean of the contexts' measured speeds (those without a measurement skipped).
 * @returns null when none carried one
 */
export function estimateSpeeds(contexts: readonly DecisionContext[]): MeasuredSpeeds | null {
  let n = 0, d = 0, e = 0;
  for (const c of contexts) {
    const s = c.measuredSpeeds;
    if (!s || !(s.device > 0) || !(s.edge > 0)) continue;
    d += Math.log2(s.device);
    e += Math.log2(s.edge);
    n++;
  }
  return n === 0 ? null : { device: 2 ** (d / n), edge: 2 ** (e / n) };
}

/**
 * Whether either side's speed differs from `reference` by more than the factor `tolerance`
 * (e.g. 1.25: moved when 25% slower or 20% faster).
 */
export function speedsMoved(estimate: MeasuredSpeeds, reference: MeasuredSpeeds, tolerance: number): boolean {
  const limit = Math.log2(tolerance);
  return Math.abs(Math.log2(estimate.device / reference.device)) > limit || Math.abs(Math.log2(estimate.edge / reference.edge)) > limit;
}
