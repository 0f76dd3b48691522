/**
 * What the device records about one request (one line of `coinfer run --json`, one live-env
 * step's measurements). Times are wall-clock ms measured on the device, except the edge's
 * own queue and compute times, which its reply reports.
 */
import type { Action, Encoding } from '../action.ts';
import type { WireErrorCode } from '../wire/wire-status.ts';

/** Why an offloaded request was answered locally instead. */
export type FallbackReason =
  /** Not connected when the request came, or the connection dropped while waiting. */
  | 'edge-unavailable'
  /** The reply could not arrive in time (link too slow, edge too busy). */
  | 'timeout'
  /** The edge answered with an error status. */
  | WireErrorCode;

export interface RequestRecord {
  /** The device's request id (u32, also on the wire). */
  readonly requestId: number;
  /** The requested action, canonical (see canonicalAction). */
  readonly exit: number;
  readonly partition: number;
  readonly encoding: Encoding;
  /** The exit that produced the answer (≠ exit after a fallback). */
  readonly answeredExit: number;
  readonly predictedClass: number;
  /** The true class when known, else null. */
  readonly label: number | null;
  /** predictedClass === label, or null without a label. */
  readonly correct: boolean | null;
  /** The request's deadline, ms. */
  readonly deadlineMs: number;
  /** Device compute (prefix, local run, fallback run), including an emulated profile's wait, ms. */
  readonly deviceMs: number;
  /** Shaped uplink: link queue + transmission + propagation, ms (until the abort when it gave up). */
  readonly uplinkMs: number;
  /** The link-queue part of uplinkMs, ms. */
  readonly queuedMs: number;
  /** Edge queue + compute as its reply reports, ms (0 without a reply). */
  readonly edgeMs: number;
  readonly edgeQueueMs: number;
  readonly edgeComputeMs: number;
  /** From the real send to the reply (or the give-up), ms: edgeMs + real network and framing. */
  readonly replyWaitMs: number;
  /** From the request's start to its answer, ms. */
  readonly totalMs: number;
  /** Request frame bytes sent (header + tensor); 0 when nothing was sent. */
  readonly bytes: number;
  /** totalMs ≤ deadlineMs. */
  readonly hitDeadline: boolean;
  /** True when an offloaded action was answered by a local exit. */
  readonly fallback: boolean;
  readonly fallbackReason: FallbackReason | null;
  /** True when device compute times are stretched to an Edgent profile. */
  readonly emulated: boolean;
}

/** The device's running tallies of one request, ms and bytes (see RequestRecord for meanings). */
export interface RequestTally {
  deviceMs: number;
  uplinkMs: number;
  queuedMs: number;
  edgeQueueMs: number;
  edgeComputeMs: number;
  replyWaitMs: number;
  bytes: number;
}

/** Folds a finished request's facts into its record. */
export function buildRequestRecord(r: {
  readonly requestId: number;
  /** The requested action, canonical. */
  readonly action: Action;
  readonly answeredExit: number;
  readonly predictedClass: number;
  readonly fallbackReason: FallbackReason | null;
  readonly label: number | null;
  readonly deadlineMs: number;
  readonly totalMs: number;
  readonly tally: Readonly<RequestTally>;
  readonly emulated: boolean;
}): RequestRecord {
  const { action, tally, label, totalMs } = r;
  return {
    requestId: r.requestId,
    exit: action.exit,
    partition: action.partition,
    encoding: action.encoding,
    answeredExit: r.answeredExit,
    predictedClass: r.predictedClass,
    label,
    correct: label === null ? null : r.predictedClass === label,
    deadlineMs: r.deadlineMs,
    deviceMs: tally.deviceMs,
    uplinkMs: tally.uplinkMs,
    queuedMs: tally.queuedMs,
    edgeMs: tally.edgeQueueMs + tally.edgeComputeMs,
    edgeQueueMs: tally.edgeQueueMs,
    edgeComputeMs: tally.edgeComputeMs,
    replyWaitMs: tally.replyWaitMs,
    totalMs,
    bytes: tally.bytes,
    hitDeadline: totalMs <= r.deadlineMs,
    fallback: r.fallbackReason !== null,
    fallbackReason: r.fallbackReason,
    emulated: r.emulated,
  };
}
