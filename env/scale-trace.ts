/**
 * A bandwidth trace with every rate multiplied by a factor (a world's `rateScale`). Scaled
 * copies are cached per trace and factor, so worlds with a fixed or listed scale allocate once;
 * a scale drawn from a continuous range allocates one rate array per episode.
 */
import type { BandwidthTrace } from '../runtime/link/trace.ts';

const cache = new WeakMap<BandwidthTrace, Map<number, BandwidthTrace>>();
/** Distinct factors kept per trace (continuous draws would otherwise grow the cache forever). */
const MAX_CACHED_FACTORS = 16;

/**
 * @param factor > 0; 1 returns `trace` itself
 * @throws RangeError when factor is not a positive finite number
 */
export function scaleTrace(trace: BandwidthTrace, factor: number): BandwidthTrace {
  if (factor === 1) return trace;
  if (!(factor > 0 && Number.isFinite(factor))) throw new RangeError(`Expected a positive rate scale, actually ${factor}`);
  let byFactor = cache.get(trace);
  const hit = byFactor?.get(factor);
  if (hit) return hit;
  const scaled: BandwidthTrace = { ...trace, mbps: trace.mbps.map((r) => r * factor) };
  if (!byFactor) cache.set(trace, (byFactor = new Map()));
  if (byFactor.size < MAX_CACHED_FACTORS) byFactor.set(factor, scaled);
  return scaled;
}
