/**
 * Summary statistics of bandwidth traces, time-weighted under the replay convention
 * (sample-and-hold: row i holds from `timesS[i]` to `timesS[i+1]`, the last row until
 * `durationS`). Pure functions; `coinfer traces stats` prints them.
 */

/** What `coinfer traces stats` reports for one trace or a group of traces. */
export interface TraceStats {
  /** Total length, s (sum of durations for a group). */
  readonly durationS: number;
  /** Time-weighted mean rate, Mbps. */
  readonly meanMbps: number;
  /** Time-weighted percentiles, Mbps: the lowest rate held for at least q of the time. */
  readonly p5Mbps: number;
  readonly p50Mbps: number;
  readonly p95Mbps: number;
  /** Share of the time the rate is below {@link LOW_RATE_MBPS}, in [0, 1]. */
  readonly shareBelowLow: number;
  /** Rows (samples) summarised. */
  readonly rows: number;
}

/** The "outage" threshold of the stats, Mbps (a 10 kB tensor then takes about a second). */
export const LOW_RATE_MBPS = 0.1;

interface Held {
  readonly mbps: number;
  readonly s: number;
}

function heldRows(t: { readonly timesS: ArrayLike<number>; readonly mbps: ArrayLike<number>; readonly durationS: number }): Held[] {
  const n = t.timesS.length;
  const out: Held[] = [];
  for (let i = 0; i < n; i++) {
    const end = i + 1 < n ? t.timesS[i + 1]! : t.durationS;
    out.push({ mbps: t.mbps[i]!, s: end - t.timesS[i]! });
  }
  return out;
}

/**
 * Time-weighted nearest-rank quantile: the smallest rate r whose rows hold for at least
 * q of the total time at rates ≤ r. `rows` must be sorted by rate.
 */
function weightedQuantile(rows: readonly Held[], totalS: number, q: number): number {
  const target = q * totalS;
  let acc = 0;
  for (const r of rows) {
    acc += r.s;
    if (acc >= target - 1e-9 * totalS) return r.mbps;
  }
  return rows[rows.length - 1]!.mbps;
}

/**
 * Statistics of one trace or of several taken together (their time adds up; a group's mean
 * and percentiles weight every trace by its duration).
 * @throws RangeError on an empty list
 * @example traceStats([constantTrace(2)]).meanMbps // 2
 */
export function traceStats(traces: readonly { readonly timesS: ArrayLike<number>; readonly mbps: ArrayLike<number>; readonly durationS: number }[]): TraceStats {
  if (traces.length === 0) throw new RangeError('Expected at least one trace to summarise');
  const rows = traces.flatMap(heldRows).sort((a, b) => a.mbps - b.mbps);
  let totalS = 0;
  let bits = 0;
  let lowS = 0;
  for (const r of rows) {
    totalS += r.s;
    bits += r.mbps * r.s;
    if (r.mbps < LOW_RATE_MBPS) lowS += r.s;
  }
  return {
    durationS: totalS,
    meanMbps: bits / totalS,
    p5Mbps: weightedQuantile(rows, totalS, 0.05),
    p50Mbps: weightedQuantile(rows, totalS, 0.5),
    p95Mbps: weightedQuantile(rows, totalS, 0.95),
    shareBelowLow: lowS / totalS,
    rows: rows.length,
  };
}
