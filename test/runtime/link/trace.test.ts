import { thrownCoinferError } from '../../helpers/thrown.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { constantTrace, createTrace, loadTrace, parseTraceCsv } from '../../../runtime/link/trace.ts';
import { DEFAULT_TRACES_DIR, listTraces } from '../../../runtime/link/trace-catalog.ts';

const formatError = (fn: () => unknown): CoinferError => thrownCoinferError(fn, 'ERR_TRACE_FORMAT');

describe('parseTraceCsv', () => {
  it('reads rows, sample-and-hold duration = last t + median interval', () => {
    const t = parseTraceCsv('t_s,mbps\r\n0,2.5\r\n1,0\r\n2.5,4\r\n3.5,1\r\n', { name: 'x', source: 'unit' });
    expect(Array.from(t.timesS)).toEqual([0, 1, 2.5, 3.5]);
    expect(Array.from(t.mbps)).toEqual([2.5, 0, 4, 1]);
    // intervals 1, 1.5, 1 → median 1
    expect(t.durationS).toBe(4.5);
    expect(t.name).toBe('x');
    expect(t.source).toBe('unit');
  });

  it('uses the mean of the two middle intervals for an even count and 1 s for one row', () => {
    expect(parseTraceCsv('t_s,mbps\n0,1\n1,1\n3,1\n', { name: 'even' }).durationS).toBe(3 + 1.5);
    const one = parseTraceCsv('t_s,mbps\n0,3\n', { name: 'one' });
    expect(one.durationS).toBe(1);
    expect(one.source).toBe('synthetic');
  });

  it('rejects a bad header on line 1', () => {
    expect(formatError(() => parseTraceCsv('time,mbps\n0,1\n', { name: 'h' })).message).toMatch(/line 1/);
    formatError(() => parseTraceCsv('', { name: 'empty' }));
  });

  it('rejects non-monotonic time with its line number', () => {
    expect(formatError(() => parseTraceCsv('t_s,mbps\n0,1\n2,1\n2,1\n', { name: 'm' })).message).toMatch(/line 4/);
    formatError(() => parseTraceCsv('t_s,mbps\n0,1\n2,1\n1,1\n', { name: 'm' }));
  });

  it('rejects negative or non-numeric mbps, a first time other than 0, wrong field counts, no rows', () => {
    expect(formatError(() => parseTraceCsv('t_s,mbps\n0,1\n1,-0.5\n', { name: 'n' })).message).toMatch(/line 3/);
    formatError(() => parseTraceCsv('t_s,mbps\n0,abc\n', { name: 'n' }));
    formatError(() => parseTraceCsv('t_s,mbps\n0,\n', { name: 'n' }));
    formatError(() => parseTraceCsv('t_s,mbps\n0,Infinity\n', { name: 'n' }));
    formatError(() => parseTraceCsv('t_s,mbps\n0.5,1\n', { name: 'n' }));
    formatError(() => parseTraceCsv('t_s,mbps\n0,1,2\n', { name: 'n' }));
    formatError(() => parseTraceCsv('t_s,mbps\n\n', { name: 'n' }));
  });
});

describe('createTrace / constantTrace', () => {
  it('builds synthetic traces with an explicit duration', () => {
    const t = createTrace({ name: 'step', timesS: [0, 2], mbps: [8, 0], durationS: 4 });
    expect(t.durationS).toBe(4);
    expect(t.source).toBe('synthetic');
    const c = constantTrace(5);
    expect(Array.from(c.mbps)).toEqual([5]);
    expect(c.durationS).toBe(60);
  });

  it('rejects a duration not past the last time and bad rates', () => {
    formatError(() => createTrace({ name: 'd', timesS: [0, 2], mbps: [1, 1], durationS: 2 }));
    formatError(() => createTrace({ name: 'd', timesS: [0, 1], mbps: [1] }));
    formatError(() => constantTrace(-1));
    formatError(() => constantTrace(1, 0));
  });
});

describe('loadTrace', () => {
  it('names the trace after its file and its source after the directory', async () => {
    const path = join(DEFAULT_TRACES_DIR, 'mahimahi_cellular', 'Verizon-LTE-short.up.csv');
    const t = await loadTrace(path);
    expect(t.name).toBe('Verizon-LTE-short.up');
    expect(t.source).toBe('mahimahi_cellular');
    expect(t.timesS[0]).toBe(0);
  });

  it('rejects a missing file with ERR_TRACE_NOT_FOUND', async () => {
    await expect(loadTrace(join(DEFAULT_TRACES_DIR, 'nope', 'missing.csv'))).rejects.toMatchObject({ name: 'CoinferError', code: 'ERR_TRACE_NOT_FOUND' });
  });

  it('parses every shipped trace with the duration recorded in index.json', async () => {
    const index = JSON.parse(await readFile(join(DEFAULT_TRACES_DIR, 'index.json'), 'utf8')) as {
      traces: { file: string; duration_s: number; samples: number }[];
    };
    const entries = await listTraces();
    expect(entries).toHaveLength(index.traces.length);
    for (const row of index.traces) {
      const t = await loadTrace(join(DEFAULT_TRACES_DIR, row.file));
      expect(t.timesS.length, row.file).toBe(row.samples);
      expect(t.durationS, row.file).toBeCloseTo(row.duration_s, 6);
    }
  });
});
