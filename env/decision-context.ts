/**
 * What a policy is told about the request at hand, beside the normalised observation vector:
 * the same facts, in physical units. Only what a real device can know, except `oracle`, which
 * only the oracle baseline receives (true outcomes of every action for this request).
 */
import type { Action } from '../runtime/action.ts';

/** The true outcome of one action on the current request (for the oracle upper bound). */
export interface ActionOutcome {
  readonly deviceMs: number;
  readonly uplinkMs: number;
  readonly edgeMs: number;
  readonly totalMs: number;
  /** Device energy for this request, millijoules. */
  readonly energyMj: number;
  /** Whether the answering exit classifies this request's image correctly. */
  readonly correct: boolean;
  /** The exit that answers (1-based): the action's exit, or a local one after a fallback. */
  readonly answeredExit: number;
}

export interface OracleView {
  /** The true outcome of `action` for the current request. */
  outcome(action: Action): ActionOutcome;
}

/** How much slower than their profiles the device and the edge were measured to compute (1 = as profiled, 2 = twice as slow). */
export interface MeasuredSpeeds {
  readonly device: number;
  readonly edge: number;
}

export interface DecisionContext {
  /** This request's latency deadline, ms. */
  readonly deadlineMs: number;
  /** The device's current uplink estimate (harmonic mean of recent transfers), Mbps. */
  readonly bandwidthMbps: number;
  /** Recent trend of the estimate, Mbps per second (positive = improving). */
  readonly bandwidthTrendMbpsPerS: number;
  /** Round-trip time to the edge as the device last measured it (its last answered offload), ms. */
  readonly rttMs: number;
  /** Device CPU load in [0, 1] (background work competing with inference). */
  readonly deviceLoad: number;
  /** Edge load in [0, 1] (share of the edge busy with other devices' requests) as the edge last reported it. */
  readonly edgeLoad: number;
  /**
   * How much slower than their profiles the device's own compute and the edge's reported compute
   * have run lately (running averages in log space; 1 = as profiled, 2 = twice as slow).
   * Unclamped, unlike observation entries 9 and 10; absent before anything was measured.
   */
  readonly measuredSpeeds?: MeasuredSpeeds;
  /**
   * The device's recent bandwidth surprises, ln(measured throughput / the estimate it held just
   * before): how far its estimate has lately been off, in either direction (unordered; empty or
   * absent before two throughput samples).
   */
  readonly bandwidthSurprisesLn?: Float64Array;
  /** Valid actions by codec index when some are unavailable (e.g. the edge is unreachable); undefined = all valid. */
  readonly actionMask?: Uint8Array;
  /** Only for the oracle baseline; undefined for every other policy. */
  readonly oracle?: OracleView;
}
