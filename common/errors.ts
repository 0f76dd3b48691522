/**
 * The one error catalog of coinfer. Every error we raise on purpose is a `CoinferError` with a
 * stable `code`; tests assert the class and the code, never message text. Messages say what
 * was expected, what was found, and what to do.
 */

/** Stable error codes. Append new codes here (one place), never rename an existing one. */
export const ERROR_CODES = [
  // configuration and input validation
  'ERR_INVALID_CONFIG',
  'ERR_INVALID_ARGUMENT',
  // model package and ONNX
  'ERR_MODEL_NOT_FOUND',
  'ERR_MODEL_MANIFEST',
  'ERR_ONNX_DECODE',
  'ERR_ONNX_GRAPH',
  'ERR_SPLIT_MULTI_TENSOR_CUT',
  'ERR_SPLIT_UNKNOWN_TENSOR',
  'ERR_INVALID_ACTION',
  // wire protocol (edge replies carry these codes too)
  'ERR_FRAME_MALFORMED',
  'ERR_FRAME_TRUNCATED',
  'ERR_FRAME_TOO_LARGE',
  'ERR_FRAME_BAD_MAGIC',
  'ERR_FRAME_BAD_VERSION',
  'ERR_FRAME_WRONG_SHAPE',
  'ERR_FRAME_UNKNOWN_MODEL',
  'ERR_FRAME_BAD_ACTION',
  'ERR_TOO_MANY_IN_FLIGHT',
  'ERR_EDGE_INTERNAL',
  'ERR_EDGE_UNAVAILABLE',
  'ERR_DEADLINE_EXCEEDED',
  'ERR_UNAUTHORIZED',
  'ERR_EDGE_BUSY',
  // traces and link
  'ERR_TRACE_FORMAT',
  'ERR_TRACE_NOT_FOUND',
  // datasets and training
  'ERR_DATASET_NOT_FOUND',
  'ERR_DATASET_CORRUPT',
  'ERR_BACKEND',
  // profiling and latency models
  'ERR_PROFILE_NOT_FOUND',
  'ERR_REGRESSION',
  // environments
  'ERR_RESET_NEEDED',
  'ERR_ENV_CLOSED',
  'ERR_ENV_CHECK',
  // agent and checkpoints
  'ERR_CHECKPOINT_NOT_FOUND',
  'ERR_CHECKPOINT_CORRUPT',
  'ERR_CHECKPOINT_INCOMPATIBLE',
  'ERR_POLICY_UNKNOWN',
  'ERR_REGISTRY_LOCKED',
  // distributed training (agent/distributed/)
  'ERR_BROKER',
  'ERR_WEIGHTS_INCOMPATIBLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error class of coinfer: `code` is stable, `message` is for people. */
export class CoinferError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoinferError';
    this.code = code;
  }
}

/** Narrowing helper: is `e` a CoinferError (optionally with this code)? */
export function isCoinferError(e: unknown, code?: ErrorCode): e is CoinferError {
  return e instanceof CoinferError && (code === undefined || e.code === code);
}

/** Describes any thrown value in one line (for logs and CLI output). */
export function describeError(e: unknown): string {
  if (e instanceof CoinferError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
