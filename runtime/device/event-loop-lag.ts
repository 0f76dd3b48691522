/**
 * How late this thread's timers fire right now: a high percentile of the event-loop delay over
 * the last few seconds (perf_hooks' histogram, swapped every `WINDOW_MS`). The device adds it
 * to its fallback reserve, since giving up on the edge is itself a timer: when many device
 * runtimes share a thread, or ORT runs hold it, the give-up fires late and a fallback that
 * would have fitted misses. One monitor per thread, started on first use.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const WINDOW_MS = 2000;
/** Sampling interval, ms: the histogram records whole intervals, so this is subtracted. */
const RESOLUTION_MS = 5;

let current: IntervalHistogram | null = null;
let previousP = new Map<number, number>();

/** How much later than scheduled the sampling timer fired, at percentile p, ms. */
function lateMs(h: IntervalHistogram, p: number): number {
  return h.count > 0 ? Math.max(0, h.percentile(p * 100) / 1e6 - RESOLUTION_MS) : 0;
}

function monitor(): IntervalHistogram {
  if (current === null) {
    current = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    current.enable();
    const swap = setInterval(() => {
      const h = current!;
      previousP = new Map([0.9, 0.99, 0.999].map((p) => [p, lateMs(h, p)]));
      h.reset();
    }, WINDOW_MS);
    swap.unref();
  }
  return current;
}

/**
 * The event-loop delay at percentile `p` (0.9, 0.99 or 0.999), ms: the larger of the current
 * and the previous window's, so the figure does not drop to zero right after a swap.
 */
export function eventLoopLagMs(p: 0.9 | 0.99 | 0.999 = 0.99): number {
  const h = monitor();
  const now = lateMs(h, p);
  return Math.max(now, previousP.get(p) ?? 0);
}
