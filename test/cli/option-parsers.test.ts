import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, countArg, intArg, portArg, rangeArg, resolveToken, timerMsArg, tokenArg } from '../../cli/option-parsers.ts';
import { CoinferError } from '../../common/errors.ts';

const rejects = (parse: (v: string) => unknown, v: string): void => {
  try {
    parse(v);
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe('ERR_INVALID_ARGUMENT');
    return;
  }
  throw new Error(`expected '${v}' to be rejected`);
};

describe('option parsers', () => {
  it('counts are safe integers >= 1', () => {
    expect(countArg('--n')('3')).toBe(3);
    for (const v of ['0', '-1', '1.5', '', ' ', 'abc', '1e300', 'Infinity', String(2 ** 53)]) rejects(countArg('--n'), v);
  });

  it('ports are integers in [0, 65535]', () => {
    expect(portArg('--port')('0')).toBe(0);
    expect(portArg('--port')('65535')).toBe(65535);
    for (const v of ['-1', '65536', '70000', '80.5']) rejects(portArg('--port'), v);
  });

  it('timer durations stay below 2^31 ms, where Node timers overflow to 1 ms', () => {
    expect(timerMsArg('--deadline-ms')(String(MAX_TIMER_MS))).toBe(MAX_TIMER_MS);
    expect(timerMsArg('--deadline-ms')('0.5')).toBe(0.5);
    for (const v of [String(2 ** 31), '0', '-5', 'NaN', '1e308']) rejects(timerMsArg('--deadline-ms'), v);
  });

  it('ranges and bounded integers include their ends', () => {
    expect(rangeArg('--e', 0, 1)('1')).toBe(1);
    rejects(rangeArg('--e', 0, 1), '1.01');
    expect(intArg('--k', 0, 12)('12')).toBe(12);
    rejects(intArg('--k', 0, 12), '13');
  });

  it('tokens are never empty, from the option or COINFER_TOKEN', () => {
    rejects(tokenArg('--token'), '');
    expect(resolveToken(undefined, undefined)).toBeNull();
    expect(resolveToken('a', 'b')).toBe('a');
    expect(resolveToken(undefined, 'b')).toBe('b');
    expect(() => resolveToken(undefined, '')).toThrow(CoinferError);
    expect(() => resolveToken('', 'b')).toThrow(CoinferError);
  });
});
