import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { MAX_TRACE_MBPS, MAX_TRACE_S, createTrace, parseTraceCsv } from '../../../runtime/link/trace.ts';
import { transferMs } from '../../../runtime/link/trace-integrate.ts';

const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof CoinferError ? e.code : 'not a CoinferError';
  }
};

describe('trace bounds (absurd but finite values overflow the link arithmetic)', () => {
  it('refuses a rate above the bound (100 Gbit/s), such as 1e308 Mbps', () => {
    expect(code(() => parseTraceCsv('t_s,mbps\n0,1e308\n', { name: 'huge' }))).toBe('ERR_TRACE_FORMAT');
    expect(code(() => createTrace({ name: 'huge', timesS: [0], mbps: [MAX_TRACE_MBPS * 2] }))).toBe('ERR_TRACE_FORMAT');
  });

  it('refuses a time past the bound', () => {
    expect(code(() => parseTraceCsv(`t_s,mbps\n0,1\n${MAX_TRACE_S * 10},1\n`, { name: 'long' }))).toBe('ERR_TRACE_FORMAT');
  });

  it('accepts the largest rate and gives a finite, positive transfer time with it', () => {
    const t = parseTraceCsv(`t_s,mbps\n0,${MAX_TRACE_MBPS}\n`, { name: 'fast' });
    const ms = transferMs(t, { startS: 0, bytes: 1e6 });
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
  });
});
