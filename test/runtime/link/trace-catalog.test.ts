import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRACES_DIR, SHIPPED_TRACES, listTraces, traceSplitOf } from '../../../runtime/link/trace-catalog.ts';

const SOURCES = ['fcc_broadband', 'mahimahi_cellular', 'norway_hsdpa_3g'];

describe('listTraces', () => {
  it('finds all 55 shipped traces, sorted, each under its source', async () => {
    const all = await listTraces();
    expect(all).toHaveLength(55);
    expect(all.map((e) => `${e.source}/${e.name}`)).toEqual([...SHIPPED_TRACES]);
    for (const e of all) expect(e.path).toBe(join(DEFAULT_TRACES_DIR, e.source, `${e.name}.csv`));
    expect(new Set(all.map((e) => e.source))).toEqual(new Set(SOURCES));
  });

  it('splits them train/validation/test with no overlap and every source in every split', async () => {
    const train = await listTraces({ split: 'train' });
    const validation = await listTraces({ split: 'validation' });
    const test = await listTraces({ split: 'test' });
    expect([train.length, validation.length, test.length]).toEqual([34, 8, 13]);
    const paths = [...train, ...validation, ...test].map((e) => e.path);
    expect(new Set(paths).size).toBe(55);
    for (const source of SOURCES) {
      for (const part of [train, validation, test]) expect(part.some((e) => e.source === source), source).toBe(true);
    }
  });

  it('applies the documented index rule: 3, 7, 11, … test; 1, 9, 17, … validation', async () => {
    const all = await listTraces();
    for (const source of SOURCES) {
      const files = all.filter((e) => e.source === source);
      files.forEach((e, i) => expect(e.split, e.name).toBe(i % 4 === 3 ? 'test' : i % 8 === 1 ? 'validation' : 'train'));
    }
  });

  it('matches the test and validation lists written in docs/traces.md', async () => {
    const doc = await readFile(new URL('../../../docs/traces.md', import.meta.url), 'utf8');
    for (const split of ['test', 'validation'] as const) {
      const documented = [...doc.matchAll(new RegExp(`^\\| ${split} \\| \`([^\`]+)\` \\|`, 'gm'))].map((m) => m[1]);
      const listed = (await listTraces({ split })).map((e) => `${e.source}/${e.name}`);
      expect(documented).toEqual(listed);
    }
  });

  it('keeps the shipped split when files are added, and splits new files by name alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coinfer-traces-'));
    try {
      await mkdir(join(dir, 'mahimahi_cellular'));
      await mkdir(join(dir, 'extra'));
      // A name sorting first would shift every index if the rule were applied to the directory.
      for (const f of ['AAA-new.csv', 'ATT-LTE-driving.up.csv', 'Verizon-LTE-short.up.csv', 'README.md']) {
        await writeFile(join(dir, 'mahimahi_cellular', f), 't_s,mbps\n0,1\n');
      }
      await writeFile(join(dir, 'extra', 'x.csv'), 't_s,mbps\n0,1\n');
      const entries = await listTraces({ dir });
      expect(entries.map((e) => `${e.source}/${e.name}`)).toEqual([
        'extra/x',
        'mahimahi_cellular/AAA-new',
        'mahimahi_cellular/ATT-LTE-driving.up',
        'mahimahi_cellular/Verizon-LTE-short.up',
      ]);
      expect(entries.find((e) => e.name === 'ATT-LTE-driving.up')!.split).toBe('test');
      expect(entries.find((e) => e.name === 'Verizon-LTE-short.up')!.split).toBe('train');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a missing directory with ERR_TRACE_NOT_FOUND', async () => {
    await expect(listTraces({ dir: join(tmpdir(), 'coinfer-no-such-dir-xyz') })).rejects.toMatchObject({ name: 'CoinferError', code: 'ERR_TRACE_NOT_FOUND' });
  });
});

describe('traceSplitOf', () => {
  it('is deterministic and, for traces outside the catalogue, spreads about a quarter to test and an eighth to validation', () => {
    expect(traceSplitOf('fcc_broadband', 'trace_215252_http---www.msn.com')).toBe('test');
    expect(traceSplitOf('fcc_broadband', 'trace_10322_http---edition.cnn.com')).toBe('train');
    expect(traceSplitOf('fcc_broadband', 'trace_10730_http---www.facebook.com')).toBe('validation');
    let test = 0, validation = 0;
    for (let i = 0; i < 4000; i++) {
      const split = traceSplitOf('synthetic', `random-walk-${i}`);
      expect(traceSplitOf('synthetic', `random-walk-${i}`)).toBe(split);
      if (split === 'test') test++;
      if (split === 'validation') validation++;
    }
    expect(test / 4000).toBeGreaterThan(0.2);
    expect(test / 4000).toBeLessThan(0.3);
    expect(validation / 4000).toBeGreaterThan(0.09);
    expect(validation / 4000).toBeLessThan(0.16);
  });
});
