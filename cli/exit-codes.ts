/**
 * The exit codes of `coinfer` (docs/cli.md): one code per kind of failure, so scripts can tell a
 * typo from a dead edge from a crash.
 */
import { CommanderError } from '@commander-js/extra-typings';
import { isCoinferError } from '../common/errors.ts';

export const EXIT_CODES = {
  /** Done (also --help and --version). */
  ok: 0,
  /** The work failed: unreadable files, damaged checkpoints, a failed check, any other error. */
  failure: 1,
  /** Bad arguments: commander's usage errors and every ERR_INVALID_ARGUMENT, all found before work starts. */
  badArguments: 2,
  /** The edge named by --edge is unreachable or refused the token (without --allow-local-only). */
  edgeUnavailable: 3,
} as const;

/** The exit code for an error that ended the program. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.badArguments;
  if (isCoinferError(e, 'ERR_INVALID_ARGUMENT')) return EXIT_CODES.badArguments;
  if (isCoinferError(e, 'ERR_EDGE_UNAVAILABLE') || isCoinferError(e, 'ERR_UNAUTHORIZED')) return EXIT_CODES.edgeUnavailable;
  return EXIT_CODES.failure;
}
