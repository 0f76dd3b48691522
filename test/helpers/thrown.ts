/** Test helper: the CoinferError a call throws, checked for its code. */
import { expect } from 'vitest';
import { CoinferError, type ErrorCode } from '../../common/errors.ts';

export function thrownCoinferError(fn: () => unknown, code: ErrorCode): CoinferError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe(code);
    return e as CoinferError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}
