/**
 * The typed `info` of the co-inference envs: the full breakdown of the request just served
 * (docs/architecture.md §5) and the decision context of the next one. Never an untyped bag.
 */
import type { Action } from '../runtime/action.ts';
import type { DecisionContext } from './decision-context.ts';
import type { MaskedInfo } from './env.ts';

/** What happened to one request. */
export interface RequestOutcome {
  readonly action: Action;
  readonly actionIndex: number;
  readonly deadlineMs: number;
  readonly deviceMs: number;
  readonly uplinkMs: number;
  readonly edgeMs: number;
  readonly totalMs: number;
  /** Bytes sent over the uplink (0 when local). */
  readonly bytes: number;
  /** Device energy, millijoules. */
  readonly energyMj: number;
  readonly hit: boolean;
  /** Whether the answering exit classified the image correctly. */
  readonly correct: boolean;
  /** The device answered from a local exit because the edge could not answer in time. */
  readonly fallback: boolean;
  /** The exit that actually answered (differs from action.exit on fallback). */
  readonly answeredExit: number;
  readonly imageIndex: number;
  readonly traceName: string;
  /** Trace time at the request's arrival, s. */
  readonly traceTimeS: number;
}

export interface CoinferInfo extends MaskedInfo {
  /** The context of the request now waiting for a decision. */
  readonly context: DecisionContext;
  /** The request just served (null after reset). */
  readonly outcome: RequestOutcome | null;
  /** Requests served in this episode. */
  readonly requestsDone: number;
}
