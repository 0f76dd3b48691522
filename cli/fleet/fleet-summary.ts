/**
 * The figures of a fleet run, from the devices' request outcomes and the edge's counters: pure
 * arithmetic, so it is tested apart from processes and sockets.
 */
import { rankQuantile } from '../../common/rank-quantile.ts';
import type { Action } from '../../runtime/action.ts';

/** What the parent tells one device-host process (JSON on its command line). */
export interface FleetHostConfig {
  readonly edgeUrl: string;
  readonly token: string | null;
  readonly modelDir: string;
  /** Fleet-wide indices of this host's devices (they seed arrivals and trace offsets). */
  readonly deviceIndices: readonly number[];
  readonly seconds: number;
  readonly deadlineMs: number;
  /** Mean Poisson arrivals per device, requests/s. */
  readonly ratePerDevice: number;
  readonly action: Action;
  /** A bandwidth trace CSV for every device's uplink; null = plain loopback. */
  readonly tracePath: string | null;
  /** Device i replays the trace from i × this, s. */
  readonly traceOffsetStepS: number;
  readonly seed: number;
}

/** One request as the fleet counts it. */
export interface FleetOutcome {
  readonly totalMs: number;
  readonly hit: boolean;
  readonly fallback: boolean;
  readonly reason: string | null;
  readonly correct: boolean;
  /** The answer came from the edge (not local, not a fallback). */
  readonly edgeAnswered: boolean;
  /** The device's fallback reserve when the request came, ms. */
  readonly reserveMs: number;
}

/** The edge's counters the summary reads (from its `closed` JSON event). */
export interface FleetEdgeFigures {
  readonly samplesComputed: number;
  readonly samplesWasted: number;
  readonly busy: number;
  readonly expired: number;
  readonly cancels: number;
  readonly batches: number;
  /** CPU time of the whole edge process, ms, and its wall time, s. */
  readonly cpuMs: number;
  readonly uptimeS: number;
  readonly maxRssMB: number;
}

export interface FleetSummary {
  readonly devices: number;
  readonly deadlineMs: number;
  readonly seconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Share of requests answered within their deadline. */
  readonly hitRate: number;
  readonly accuracy: number;
  readonly fallbacks: number;
  readonly misses: number;
  /** Misses of answers that came from the edge. */
  readonly edgeMisses: number;
  /** Misses of local fallbacks. */
  readonly fallbackMisses: number;
  readonly edgeAnswers: number;
  /** Share of the samples the edge computed whose answer no device used: 1 − used / computed. */
  readonly wastedEdgeShare: number;
  readonly edgeBusyReplies: number;
  readonly edgeExpired: number;
  readonly edgeCancels: number;
  readonly edgeMeanBatch: number;
  /** Edge CPU use, cores (CPU time / wall time), and its peak resident memory, MB. */
  readonly edgeCpuCores: number;
  readonly edgeMaxRssMB: number;
  readonly fallbackReasons: Readonly<Record<string, number>>;
  /** The devices' fallback reserve (local exit + timer lateness + margin), median and p99, ms. */
  readonly reserveP50Ms: number;
  readonly reserveP99Ms: number;
}

const round = (x: number, d = 2): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : 0);

export function summarizeFleet(o: { devices: number; deadlineMs: number; seconds: number; outcomes: readonly FleetOutcome[]; edge: FleetEdgeFigures }): FleetSummary {
  const { outcomes, edge } = o;
  const n = outcomes.length;
  const sorted = Float64Array.from(outcomes, (r) => r.totalMs).sort();
  const misses = outcomes.filter((r) => !r.hit);
  const reserves = Float64Array.from(outcomes, (r) => r.reserveMs).sort();
  const edgeAnswers = outcomes.filter((r) => r.edgeAnswered).length;
  const reasons: Record<string, number> = {};
  for (const r of outcomes) if (r.reason !== null) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  return {
    devices: o.devices,
    deadlineMs: o.deadlineMs,
    seconds: o.seconds,
    requests: n,
    requestsPerSecond: round(n / o.seconds, 1),
    p50Ms: round(rankQuantile(sorted, 0.5)),
    p99Ms: round(rankQuantile(sorted, 0.99)),
    hitRate: round(n === 0 ? 0 : (n - misses.length) / n, 4),
    accuracy: round(n === 0 ? 0 : outcomes.filter((r) => r.correct).length / n, 4),
    fallbacks: outcomes.filter((r) => r.fallback).length,
    misses: misses.length,
    edgeMisses: misses.filter((r) => r.edgeAnswered).length,
    fallbackMisses: misses.filter((r) => r.fallback).length,
    edgeAnswers,
    wastedEdgeShare: round(edge.samplesComputed === 0 ? 0 : Math.max(0, 1 - edgeAnswers / edge.samplesComputed), 4),
    edgeBusyReplies: edge.busy,
    edgeExpired: edge.expired,
    edgeCancels: edge.cancels,
    edgeMeanBatch: round(edge.batches === 0 ? 0 : edge.samplesComputed / edge.batches),
    edgeCpuCores: round(edge.uptimeS > 0 ? edge.cpuMs / 1000 / edge.uptimeS : 0),
    edgeMaxRssMB: round(edge.maxRssMB, 0),
    fallbackReasons: reasons,
    reserveP50Ms: round(rankQuantile(reserves, 0.5)),
    reserveP99Ms: round(rankQuantile(reserves, 0.99)),
  };
}
