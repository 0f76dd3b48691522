import { thrownCoinferError } from '../../helpers/thrown.ts';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { DEFAULT_TRACES_DIR, listTraces } from '../../../runtime/link/trace-catalog.ts';
import { expandTracePaths, loadTraceFiles } from '../../../runtime/link/trace-files.ts';
import { detectTraceFormat, formatTraceCsv, MAX_TRACE_MBPS, parseCooked, parseMahimahi } from '../../../runtime/link/trace-formats.ts';
import { loadTrace, parseTraceText } from '../../../runtime/link/trace.ts';

// Fixtures (test/runtime/link/fixtures/README.md): prefixes of the real raw files the shipped
// CSVs were converted from, so each importer is checked against the shipped conversion.
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const shipped = (source: string, name: string) => join(DEFAULT_TRACES_DIR, source, `${name}.csv`);

const traceError = (fn: () => unknown): CoinferError => thrownCoinferError(fn, 'ERR_TRACE_FORMAT');

async function rejection(p: Promise<unknown>): Promise<CoinferError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(CoinferError);
  return e as CoinferError;
}

describe('Mahimahi importer', () => {
  it('turns the real TMobile-UMTS-driving.up packet trace into the shipped 1 s rates', async () => {
    const t = await loadTrace(join(fixtures, 'TMobile-UMTS-driving.up'));
    const ref = await loadTrace(shipped('mahimahi_cellular', 'TMobile-UMTS-driving.up'));
    // the fixture's last timestamp is 14,988 ms: 14 full windows, the partial one is dropped
    expect(t.timesS.length).toBe(14);
    expect(t.durationS).toBe(14);
    expect(t.name).toBe('TMobile-UMTS-driving.up');
    for (let i = 0; i < 14; i++) {
      expect(t.timesS[i]).toBe(ref.timesS[i]);
      expect(t.mbps[i]).toBeCloseTo(ref.mbps[i]!, 9);
    }
  });

  it('counts repeated timestamps as several packets and bins by binS', () => {
    // 3 packets in [0, 0.5) s, 1 in [0.5, 1), last timestamp 1,000 ms → two 0.5 s bins
    const r = parseMahimahi('0\n0\n499\n500\n1000\n', { name: 'm', binS: 0.5 });
    expect(r.timesS).toEqual([0, 0.5]);
    expect(r.mbps[0]).toBeCloseTo((3 * 12_000) / 1e6 / 0.5, 12);
    expect(r.mbps[1]).toBeCloseTo((1 * 12_000) / 1e6 / 0.5, 12);
  });

  it('rejects bad lines naming them', () => {
    expect(traceError(() => parseMahimahi('0\n5\n3\n2000\n', { name: 'm' })).message).toMatch(/line 3.*non-decreasing/);
    expect(traceError(() => parseMahimahi('0\n1.5\n', { name: 'm' })).message).toMatch(/line 2/);
    expect(traceError(() => parseMahimahi('0\n10\n999\n', { name: 'm' })).message).toMatch(/longer than one 1 s bin/);
    expect(() => parseMahimahi('0\n2000\n', { name: 'm', binS: 0.0005 })).toThrow(CoinferError);
  });
});

describe('cooked importer', () => {
  it.each([
    ['norway-bus-2010-09-28_1407CEST.cooked', 'norway_hsdpa_3g', 'bus.ljansbakken-oslo-report.2010-09-28_1407CEST.log'],
    ['fcc-trace_5642.cooked', 'fcc_broadband', 'trace_5642_http---www.youtube.com'],
  ])('reads the real Pensieve file %s as the shipped CSV (6 decimals)', async (file, source, name) => {
    const t = await loadTrace(join(fixtures, file));
    const ref = await loadTrace(shipped(source, name));
    expect(t.timesS.length).toBe(30);
    for (let i = 0; i < 30; i++) {
      expect(t.timesS[i]).toBe(ref.timesS[i]);
      expect(Math.abs(t.mbps[i]! - ref.mbps[i]!)).toBeLessThanOrEqual(5e-7);
    }
  });

  it('shifts times to start at 0 and accepts spaces or tabs', () => {
    const r = parseCooked('10.5 1\n11.5\t2\n13  0\n', { name: 'c' });
    expect(r.timesS).toEqual([0, 1, 2.5]);
    expect(r.mbps).toEqual([1, 2, 0]);
  });

  it('rejects bad lines naming them', () => {
    expect(traceError(() => parseCooked('0 1\n1 2 3\n', { name: 'c' })).message).toMatch(/line 2.*2 whitespace-separated fields/);
    expect(traceError(() => parseCooked('0 1\n1 -2\n', { name: 'c' })).message).toMatch(/line 2.*>= 0/);
    expect(traceError(() => parseCooked('0 1\n0 2\n', { name: 'c' })).message).toMatch(/line 2.*strictly increasing/);
    expect(traceError(() => parseCooked('0 1\n1 1e308\n', { name: 'c' })).message).toMatch(/line 2.*<= 100000/);
    expect(traceError(() => parseCooked('0 1\n1 x\n', { name: 'c' })).message).toMatch(/line 2/);
  });
});

describe('format detection and validation', () => {
  it('detects csv, mahimahi and cooked, and refuses anything else', () => {
    expect(detectTraceFormat('t_s,mbps\n0,1\n', 'x')).toBe('csv');
    expect(detectTraceFormat('\n12\n13\n', 'x')).toBe('mahimahi');
    expect(detectTraceFormat('0.0\t2.5\n', 'x')).toBe('cooked');
    expect(traceError(() => detectTraceFormat('time,rate\n0,1\n', 'x')).message).toMatch(/line 1/);
    traceError(() => detectTraceFormat('\n\n', 'x'));
  });

  it('a forced format overrides detection', () => {
    expect(() => parseTraceText('0 1\n1 2\n', { name: 'x', format: 'mahimahi' })).toThrow(CoinferError);
    expect(parseTraceText('0 1\n1 2\n', { name: 'x', format: 'cooked' }).mbps[1]).toBe(2);
  });

  it('rejects absurd rates in CSV too (1e308 Mbps once passed and crashed later), naming the line and file', async () => {
    expect(traceError(() => parseTraceText('t_s,mbps\n0,1\n1,1e308\n', { name: 'x' })).message).toMatch(/line 3.*<= 100000/);
    expect(parseTraceText(`t_s,mbps\n0,${MAX_TRACE_MBPS}\n`, { name: 'x' }).mbps[0]).toBe(MAX_TRACE_MBPS);
    const dir = await mkdtemp(join(tmpdir(), 'coinfer-trace-bad-'));
    try {
      const path = join(dir, 'bad.csv');
      await writeFile(path, 't_s,mbps\n0,1\n1,Infinity\n');
      const e = await rejection(loadTrace(path));
      expect(e.code).toBe('ERR_TRACE_FORMAT');
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/line 3/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('round trips', () => {
  it('every shipped CSV comes back byte for byte through load → formatTraceCsv', async () => {
    const entries = await listTraces({ split: 'all' });
    expect(entries.length).toBe(55);
    for (const e of entries) {
      const text = await readFile(e.path, 'utf8');
      expect(formatTraceCsv(await loadTrace(e.path))).toBe(text);
    }
  });

  it('a shipped CSV written back as Mahimahi packets and cooked lines imports to the same rates', async () => {
    const ref = await loadTrace(shipped('mahimahi_cellular', 'Verizon-EVDO-driving.up'));
    // 1 packet/s = 0.012 Mbps; spread each window's packets over its ms
    const lines: string[] = [];
    for (let k = 0; k < ref.timesS.length; k++) {
      const packets = Math.round(ref.mbps[k]! / 0.012);
      for (let p = 0; p < packets; p++) lines.push(String(k * 1000 + Math.floor((p * 1000) / packets)));
    }
    lines.push(String(ref.timesS.length * 1000)); // closes the last full window
    const mm = parseTraceText(`${lines.join('\n')}\n`, { name: 'mm' });
    const cooked = parseTraceText(Array.from(ref.timesS, (t, i) => `${t}\t${ref.mbps[i]}`).join('\n'), { name: 'cooked' });
    expect(Array.from(mm.mbps).map((v) => v.toFixed(6))).toEqual(Array.from(ref.mbps).map((v) => v.toFixed(6)));
    expect(mm.durationS).toBe(ref.durationS);
    expect(formatTraceCsv(cooked)).toBe(formatTraceCsv(ref));
  });
});

describe('trace files from anywhere', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coinfer-trace-files-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'README.md'), '# not a trace\n');
    await writeFile(join(dir, 'a.csv'), 't_s,mbps\n0,1\n1,3\n');
    await writeFile(join(dir, 'sub', 'b.down'), '0\n0\n1000\n');
    await writeFile(join(dir, 'sub', 'c'), '0 2\n1 2\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('expands folders recursively in name order, skipping documentation, and loads every format', async () => {
    const files = await expandTracePaths([dir]);
    expect(files).toEqual([join(dir, 'a.csv'), join(dir, 'sub', 'b.down'), join(dir, 'sub', 'c')]);
    const traces = await loadTraceFiles([dir]);
    expect(traces.map((t) => `${t.source}/${t.name}`)).toEqual([`${dir.split('/').pop()}/a`, 'sub/b.down', 'sub/c']);
    expect(traces[1]!.mbps[0]).toBeCloseTo(0.024, 12);
  });

  it('a missing path is ERR_TRACE_NOT_FOUND', async () => {
    expect((await rejection(expandTracePaths([join(dir, 'nope')]))).code).toBe('ERR_TRACE_NOT_FOUND');
  });
});
