/**
 * Reply status numbers of the wire protocol, and their mapping to CoinferError codes. The
 * number is the index in {@link WIRE_STATUSES}: append only, never reorder or remove, since
 * devices and edges of different builds must agree on it.
 */
import { CoinferError, type ErrorCode } from '../../common/errors.ts';

export const WIRE_STATUSES = [
  'OK', // 0
  'ERR_FRAME_MALFORMED', // 1
  'ERR_FRAME_TRUNCATED', // 2
  'ERR_FRAME_TOO_LARGE', // 3
  'ERR_FRAME_BAD_MAGIC', // 4
  'ERR_FRAME_BAD_VERSION', // 5
  'ERR_FRAME_WRONG_SHAPE', // 6
  'ERR_FRAME_UNKNOWN_MODEL', // 7
  'ERR_FRAME_BAD_ACTION', // 8
  'ERR_TOO_MANY_IN_FLIGHT', // 9
  'ERR_EDGE_INTERNAL', // 10
  'ERR_UNAUTHORIZED', // 11
  'ERR_DEADLINE_EXCEEDED', // 12: the request's deadline passed while it waited in the edge queue
  'ERR_EDGE_BUSY', // 13: admission control: the predicted wait would pass the request's budget
] as const satisfies readonly ('OK' | ErrorCode)[];

export type WireStatus = (typeof WIRE_STATUSES)[number];
/** The error statuses (every status but OK). */
export type WireErrorCode = Exclude<WireStatus, 'OK'>;

/** The wire number of a status. */
export function wireStatusNumber(status: WireStatus): number {
  return WIRE_STATUSES.indexOf(status);
}

/**
 * The status of a wire number; an unknown number (a newer peer) reads as ERR_EDGE_INTERNAL,
 * so that an old device still treats it as a failed request.
 */
export function wireStatusOf(n: number): WireStatus {
  return WIRE_STATUSES[n] ?? 'ERR_EDGE_INTERNAL';
}

/** The wire status to report for a thrown value: its code when it has a wire number, else ERR_EDGE_INTERNAL. */
export function wireStatusForError(e: unknown): WireErrorCode {
  if (e instanceof CoinferError && (WIRE_STATUSES as readonly string[]).includes(e.code) && e.code !== ('OK' as string)) {
    return e.code as WireErrorCode;
  }
  return 'ERR_EDGE_INTERNAL';
}
