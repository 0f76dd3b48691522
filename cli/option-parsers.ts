/**
 * Parsers for command-line option values (commander's argParser): one place that turns option
 * text into a checked value, rejecting with CoinferError ERR_INVALID_ARGUMENT (exit code 2,
 * cli/exit-codes.ts) and saying what was expected. The rules are listed in docs/cli.md.
 */
import { CoinferError } from '../common/errors.ts';

/** Node timers hold a signed 32-bit ms count; a longer delay fires after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A number accepted by `ok`; `expected` completes "Expected <name> …". */
export const numberArg = (name: string, ok: (n: number) => boolean, expected: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${name} ${expected}, actually '${v}'`);
  return n;
};

/**
 * An integer ≥ `min` (any integer when min is omitted), at most `max` when given. Safe
 * integers only: `Number.isInteger(1e300)` is true, but such a count is never meant.
 */
export const intArg = (name: string, min?: number, max?: number) => {
  const range = min === undefined ? (max === undefined ? '' : ` <= ${max}`) : max === undefined ? ` >= ${min}` : ` in [${min}, ${max}]`;
  return numberArg(name, (n) => Number.isSafeInteger(n) && (min === undefined || n >= min) && (max === undefined || n <= max), `an integer${range}`);
};

/** A positive count (integer ≥ 1): requests, episodes, steps, limits. */
export const countArg = (name: string) => intArg(name, 1);

/** A TCP port in [0, 65535] (0 = any free port). */
export const portArg = (name: string) => intArg(name, 0, 65535);

/** A finite number. */
export const finiteArg = (name: string) => numberArg(name, Number.isFinite, 'a number');

/** A finite number ≥ 0. */
export const nonNegativeArg = (name: string) => numberArg(name, (n) => Number.isFinite(n) && n >= 0, 'a number >= 0');

/** A finite number > 0. */
export const positiveArg = (name: string) => numberArg(name, (n) => Number.isFinite(n) && n > 0, 'a number > 0');

/** A number in [min, max]. */
export const rangeArg = (name: string, min: number, max: number) => numberArg(name, (n) => n >= min && n <= max, `a number in [${min}, ${max}]`);

/** A duration in ms that a Node timer can wait for: in (0, 2^31 − 1]. */
export const timerMsArg = (name: string) => numberArg(name, (n) => n > 0 && n <= MAX_TIMER_MS, `a number of ms in (0, ${MAX_TIMER_MS}] (Node timers overflow beyond)`);

/** A non-empty secret: an empty token would silently mean "no authentication". */
export const tokenArg = (name: string) => (v: string): string => {
  if (v === '') throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${name} a non-empty secret, actually ''; omit ${name} (and COINFER_TOKEN) to connect without a token`);
  return v;
};

/**
 * The bearer token from the option, else from COINFER_TOKEN, else null. An empty
 * COINFER_TOKEN is refused like an empty --token: it is a mistake, not a request for no token.
 * @throws CoinferError ERR_INVALID_ARGUMENT
 */
export function resolveToken(option: string | undefined, envValue: string | undefined): string | null {
  if (option !== undefined) return tokenArg('--token')(option);
  if (envValue === undefined) return null;
  if (envValue === '') throw new CoinferError('ERR_INVALID_ARGUMENT', "Expected COINFER_TOKEN a non-empty secret, actually ''; unset it to connect without a token");
  return envValue;
}
