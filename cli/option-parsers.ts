/**
 * Parsers for numeric command-line options (commander's argParser): one place that turns
 * option text into a checked number, rejecting with CoinferError ERR_INVALID_ARGUMENT (exit
 * code 2) and saying what was expected.
 */
import { CoinferError } from '../common/errors.ts';

/** A number accepted by `ok`; `expected` completes "Expected <name> …". */
export const numberArg = (name: string, ok: (n: number) => boolean, expected: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${name} ${expected}, actually '${v}'`);
  return n;
};

/** An integer ≥ `min` (any integer when min is omitted). */
export const intArg = (name: string, min?: number) =>
  min === undefined ? numberArg(name, Number.isInteger, 'an integer') : numberArg(name, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`);

/** A finite number. */
export const finiteArg = (name: string) => numberArg(name, Number.isFinite, 'a number');

/** A finite number ≥ 0. */
export const nonNegativeArg = (name: string) => numberArg(name, (n) => Number.isFinite(n) && n >= 0, 'a number >= 0');
