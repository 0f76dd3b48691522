/**
 * Pure maths on a bandwidth trace: the rate at a time, when a transfer of some bytes ends, and
 * the mean rate over an interval.
 *
 * Conventions:
 * - Sample-and-hold: row i holds on [timesS[i], timesS[i+1]); the last row holds until
 *   `durationS`.
 * - The replay loops: trace time t (any real number, also negative or beyond the end) reads
 *   the trace at `t mod durationS` (the positive remainder). A long run thus cycles through the
 *   trace again; choose an offset and horizon inside `durationS` to avoid repeats.
 * - Megabits: 1 Mbps × 1 s = 10^6 bit = 125 000 bytes.
 *
 * Everything works on the cumulative capacity C(t) (megabits deliverable from trace time 0 to
 * t), kept as per-row prefix sums, so each call is a binary search: O(log rows).
 */
import type { BandwidthTrace } from './trace.ts';

interface Prefix {
  /** megabitsAt[i] = capacity delivered from 0 to timesS[i]; index n = one whole loop. */
  readonly megabitsAt: Float64Array;
  /** Capacity of one loop, megabits. */
  readonly loopMegabits: number;
}

// Memo of prefix sums per trace object. Traces are immutable, and the cache is invisible to
// callers (a pure function's memo, keyed weakly so traces are still garbage-collected).
const prefixes = new WeakMap<BandwidthTrace, Prefix>();

function prefixOf(trace: BandwidthTrace): Prefix {
  let p = prefixes.get(trace);
  if (p === undefined) {
    const n = trace.timesS.length;
    const megabitsAt = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const endS = i + 1 < n ? trace.timesS[i + 1]! : trace.durationS;
      megabitsAt[i + 1] = megabitsAt[i]! + trace.mbps[i]! * (endS - trace.timesS[i]!);
    }
    p = { megabitsAt, loopMegabits: megabitsAt[n]! };
    prefixes.set(trace, p);
  }
  return p;
}

function checkFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`Expected ${name} a finite number, actually ${value}`);
}

/** Splits trace time into a whole number of loops and the position inside the loop. */
function wrap(trace: BandwidthTrace, tS: number): { loops: number; withinS: number } {
  const d = trace.durationS;
  let loops = Math.floor(tS / d);
  let withinS = tS - loops * d;
  // Rounding can land exactly on (or a hair past) either end of the loop.
  if (withinS >= d) {
    loops += 1;
    withinS -= d;
  }
  if (withinS < 0) withinS = 0;
  return { loops, withinS };
}

/** Index of the row holding at `withinS` ∈ [0, durationS): the last i with timesS[i] ≤ withinS. */
function rowAt(trace: BandwidthTrace, withinS: number): number {
  const t = trace.timesS;
  let lo = 0;
  let hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid]! <= withinS) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** C(t): megabits the trace delivers from trace time 0 to `tS` (negative for tS < 0). */
function cumulativeMegabits(trace: BandwidthTrace, tS: number): number {
  const p = prefixOf(trace);
  const { loops, withinS } = wrap(trace, tS);
  const i = rowAt(trace, withinS);
  return loops * p.loopMegabits + p.megabitsAt[i]! + trace.mbps[i]! * (withinS - trace.timesS[i]!);
}

/**
 * The trace's rate at trace time `tS` (looping), Mbps.
 *
 * @param tS trace time, s, any finite number
 * @throws RangeError when tS is not finite
 * @example bandwidthAt(createTrace({ name: 'x', timesS: [0, 1], mbps: [4, 2] }), 1.5) // 2
 */
export function bandwidthAt(trace: BandwidthTrace, tS: number): number {
  checkFinite('tS', tS);
  return trace.mbps[rowAt(trace, wrap(trace, tS).withinS)]!;
}

/**
 * When a transfer of `bytes` that starts at trace time `startS` has fully crossed the link:
 * the earliest t with C(t) − C(startS) ≥ bytes·8/10^6. A transfer spanning rate changes is
 * integrated across them; a zero-Mbps stretch delivers nothing (the transfer stalls and resumes
 * after it); the trace loops as often as needed.
 *
 * @param opts `startS` trace time, s (finite); `bytes` ≥ 0
 * @returns end trace time, s (`startS` for 0 bytes; `Infinity` when the trace is all zero)
 * @throws RangeError on a non-finite start or negative / non-finite bytes
 * @example transferEndS(constantTrace(8), { startS: 0, bytes: 1e6 }) // 1 (8 Mbit at 8 Mbps)
 */
export function transferEndS(trace: BandwidthTrace, opts: { readonly startS: number; readonly bytes: number }): number {
  const { startS, bytes } = opts;
  checkFinite('startS', startS);
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`Expected bytes finite and >= 0, actually ${bytes}`);
  if (bytes === 0) return startS;
  const p = prefixOf(trace);
  if (!(p.loopMegabits > 0)) return Infinity;
  const target = cumulativeMegabits(trace, startS) + (bytes * 8) / 1e6;
  // The smallest t with C(t) ≥ target. Pick the loop where the target is reached with a
  // remainder r in (0, loopMegabits], so a target met exactly at a loop boundary ends at the
  // last delivering row of the earlier loop, not after any trailing zero stretch.
  let loops = Math.ceil(target / p.loopMegabits) - 1;
  let r = target - loops * p.loopMegabits;
  if (r <= 0) {
    loops -= 1;
    r += p.loopMegabits;
  } else if (r > p.loopMegabits) {
    loops += 1;
    r -= p.loopMegabits;
  }
  // The first row boundary j (1..n) with megabitsAt[j] ≥ r; row j−1 then delivers at a rate
  // > 0 (its prefix strictly increases) and contains the end.
  const m = p.megabitsAt;
  let lo = 1;
  let hi = m.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (m[mid]! >= r) hi = mid;
    else lo = mid + 1;
  }
  const i = lo - 1;
  const rowEndS = i + 1 < trace.timesS.length ? trace.timesS[i + 1]! : trace.durationS;
  const withinS = Math.min(rowEndS, trace.timesS[i]! + (r - m[i]!) / trace.mbps[i]!);
  // Rounding in C(startS) must never move the end before the start.
  return Math.max(startS, loops * trace.durationS + withinS);
}

/**
 * Serialisation time of `bytes` started at trace time `startS`, ms (trace time, not scaled).
 * `Infinity` when the trace is all zero.
 *
 * @example transferMs(constantTrace(1), { startS: 0, bytes: 125_000 }) // 1000
 */
export function transferMs(trace: BandwidthTrace, opts: { readonly startS: number; readonly bytes: number }): number {
  return (transferEndS(trace, opts) - opts.startS) * 1000;
}

/**
 * Time-weighted mean rate on [fromS, toS] (looping), Mbps; the rate at `fromS` when the
 * interval is empty.
 *
 * @throws RangeError when a bound is not finite or toS < fromS
 */
export function meanMbps(trace: BandwidthTrace, fromS: number, toS: number): number {
  checkFinite('fromS', fromS);
  checkFinite('toS', toS);
  if (toS < fromS) throw new RangeError(`Expected toS >= fromS (${fromS}), actually ${toS}`);
  if (toS === fromS) return bandwidthAt(trace, fromS);
  return (cumulativeMegabits(trace, toS) - cumulativeMegabits(trace, fromS)) / (toS - fromS);
}
