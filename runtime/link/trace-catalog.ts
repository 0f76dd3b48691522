/**
 * The catalogue of bandwidth traces on disk and the fixed train/validation/test split
 * (docs/traces.md).
 *
 * Layout: `<dir>/<source>/<name>.csv`. The split is by trace file, stratified by source:
 * within each shipped source, sorted by name (code-point order), the files at indices 3, 7,
 * 11, … are test (about 25 %), those at indices 1, 9, 17, … validation (about 12 %), the rest
 * train. That rule was applied once to the 55 shipped traces, whose names are frozen below, so
 * adding a file later never moves an existing trace across the split. A trace not in the
 * shipped catalogue (a new file, a synthetic trace) is assigned by its own name alone: FNV-1a
 * 32-bit of `<source>/<name>` mod 8 — 3 or 7 test, 1 validation, else train. Selection
 * (checkpoint scores, hyper-parameters) uses validation only; test is only reported.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoinferError } from '../../common/errors.ts';

/** Absolute path of the shipped traces, `<repo>/data/traces`. */
export const DEFAULT_TRACES_DIR: string = fileURLToPath(new URL('../../data/traces', import.meta.url));

export type TraceSplit = 'train' | 'validation' | 'test';

/** The splits, in the order reports list them. */
export const TRACE_SPLITS: readonly TraceSplit[] = ['train', 'validation', 'test'];

export interface TraceEntry {
  /** File name without `.csv`. */
  readonly name: string;
  /** Directory name, e.g. `norway_hsdpa_3g`. */
  readonly source: string;
  /** Absolute (when `dir` is) path of the CSV file; load it with loadTrace. */
  readonly path: string;
  readonly split: TraceSplit;
}

/**
 * The 55 shipped traces (`<source>/<name>`) as they were when the split was fixed, sorted by
 * source then name. Frozen: the split of these never changes, whatever is added to data/traces.
 */
export const SHIPPED_TRACES: readonly string[] = Object.freeze([
  'fcc_broadband/trace_10322_http---edition.cnn.com',
  'fcc_broadband/trace_10730_http---www.facebook.com',
  'fcc_broadband/trace_207336_http---www.amazon.com',
  'fcc_broadband/trace_215252_http---www.msn.com',
  'fcc_broadband/trace_216826_http---www.amazon.com',
  'fcc_broadband/trace_30637_http---www.amazon.com',
  'fcc_broadband/trace_32551_http---www.amazon.com',
  'fcc_broadband/trace_397686_http---www.facebook.com',
  'fcc_broadband/trace_5642_http---www.youtube.com',
  'fcc_broadband/trace_797700_http---www.yahoo.com',
  'fcc_broadband/trace_799296_http---www.amazon.com',
  'fcc_broadband/trace_799448_http---www.facebook.com',
  'fcc_broadband/trace_8299_http---www.amazon.com',
  'fcc_broadband/trace_849842_http---www.facebook.com',
  'fcc_broadband/trace_925800_http---www.ebay.com',
  'fcc_broadband/trace_939562_http---www.google.com-mobile-',
  'fcc_broadband/trace_939592_http---www.facebook.com',
  'fcc_broadband/trace_939618_http---www.amazon.com',
  'fcc_broadband/trace_940760_http---www.youtube.com',
  'fcc_broadband/trace_941778_http---www.youtube.com',
  'mahimahi_cellular/ATT-LTE-driving-2016.down',
  'mahimahi_cellular/ATT-LTE-driving-2016.up',
  'mahimahi_cellular/ATT-LTE-driving.down',
  'mahimahi_cellular/ATT-LTE-driving.up',
  'mahimahi_cellular/TMobile-LTE-driving.down',
  'mahimahi_cellular/TMobile-LTE-short.down',
  'mahimahi_cellular/TMobile-LTE-short.up',
  'mahimahi_cellular/TMobile-UMTS-driving.down',
  'mahimahi_cellular/TMobile-UMTS-driving.up',
  'mahimahi_cellular/Verizon-EVDO-driving.down',
  'mahimahi_cellular/Verizon-EVDO-driving.up',
  'mahimahi_cellular/Verizon-LTE-short.down',
  'mahimahi_cellular/Verizon-LTE-short.up',
  'norway_hsdpa_3g/bus.ljansbakken-oslo-report.2010-09-28_1407CEST.log',
  'norway_hsdpa_3g/bus.ljansbakken-oslo-report.2010-09-29_1827CEST.log',
  'norway_hsdpa_3g/bus.ljansbakken-oslo-report.2011-01-29_1423CET.log',
  'norway_hsdpa_3g/bus.ljansbakken-oslo-report.2011-01-31_1025CET.log',
  'norway_hsdpa_3g/car.aarnes-elverum-report.2011-02-10_1611CET.log',
  'norway_hsdpa_3g/car.snaroya-smestad-report.2011-02-14_2051CET.log',
  'norway_hsdpa_3g/car.snaroya-smestad-report.2011-02-14_2139CET.log',
  'norway_hsdpa_3g/ferry.nesoddtangen-oslo-report.2010-09-20_1542CEST.log',
  'norway_hsdpa_3g/ferry.nesoddtangen-oslo-report.2010-09-23_1001CEST.log',
  'norway_hsdpa_3g/ferry.nesoddtangen-oslo-report.2011-02-01_0629CET.log',
  'norway_hsdpa_3g/ferry.nesoddtangen-oslo-report.2011-02-01_1639CET.log',
  'norway_hsdpa_3g/metro.kalbakken-jernbanetorget-report.2010-09-13_1003CEST.log',
  'norway_hsdpa_3g/metro.kalbakken-jernbanetorget-report.2010-09-21_0742CEST.log',
  'norway_hsdpa_3g/metro.kalbakken-jernbanetorget-report.2010-11-11_1012CET.log',
  'norway_hsdpa_3g/metro.kalbakken-jernbanetorget-report.2011-02-02_1251CET.log',
  'norway_hsdpa_3g/train.oslo-vestby-report.2011-02-11_1618CET.log',
  'norway_hsdpa_3g/train.vestby-oslo-report.2011-02-11_1530CET.log',
  'norway_hsdpa_3g/train.vestby-oslo-report.2011-02-14_1728CET.log',
  'norway_hsdpa_3g/tram.jernbanetorget-ljabru-report.2010-12-09_1222CET.log',
  'norway_hsdpa_3g/tram.jernbanetorget-universitetssykehuset-report.2010-11-23_1606CET.log',
  'norway_hsdpa_3g/tram.ljabru-jernbanetorget-report.2010-12-22_0849CET.log',
  'norway_hsdpa_3g/tram.ljabru-jernbanetorget-report.2011-02-02_1345CET.log',
]);

/** Every 4th shipped file of a source (indices 3, 7, 11, … in name order) is test. */
const TEST_EVERY = 4;
/** Every 8th shipped file of a source from index 1 (1, 9, 17, …) is validation. */
const VALIDATION_EVERY = 8;

/** The split of position `i` (index in a source's name order, or a name hash). */
function splitOfIndex(i: number): TraceSplit {
  if (i % TEST_EVERY === TEST_EVERY - 1) return 'test';
  return i % VALIDATION_EVERY === 1 ? 'validation' : 'train';
}

/** Split of each shipped trace, by the index rule (built once; immutable afterwards). */
const SHIPPED_SPLIT: ReadonlyMap<string, TraceSplit> = (() => {
  const split = new Map<string, TraceSplit>();
  const indexInSource = new Map<string, number>();
  for (const key of SHIPPED_TRACES) {
    const source = key.slice(0, key.indexOf('/'));
    const index = indexInSource.get(source) ?? 0;
    indexInSource.set(source, index + 1);
    split.set(key, splitOfIndex(index));
  }
  return split;
})();

/** FNV-1a, 32-bit, over UTF-16 code units (stable across platforms). */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Code-point order (not locale order), so the listing is the same on every machine. */
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The fixed split of one trace (docs/traces.md): the index rule for the shipped traces, the
 * name hash for any other (test exactly when it was test under the former train/test rule).
 * @param source directory name, e.g. `fcc_broadband`
 * @param name file name without `.csv`
 */
export function traceSplitOf(source: string, name: string): TraceSplit {
  const key = `${source}/${name}`;
  return SHIPPED_SPLIT.get(key) ?? splitOfIndex(fnv1a32(key) % VALIDATION_EVERY);
}

/**
 * Lists the traces under `dir` (`<dir>/<source>/<name>.csv`), sorted by source then name in
 * code-point order, with their split.
 *
 * @param opts `dir` (default {@link DEFAULT_TRACES_DIR}); `split` to keep (default `all`)
 * @throws CoinferError ERR_TRACE_NOT_FOUND when `dir` cannot be read
 */
export async function listTraces(opts: { dir?: string; split?: TraceSplit | 'all' } = {}): Promise<TraceEntry[]> {
  const dir = opts.dir ?? DEFAULT_TRACES_DIR;
  const want = opts.split ?? 'all';
  if (want !== 'all' && !TRACE_SPLITS.includes(want)) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected split 'train', 'validation', 'test' or 'all', actually ${String(want)}`);
  }
  let sources: string[];
  try {
    sources = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CoinferError('ERR_TRACE_NOT_FOUND', `Cannot read the traces directory ${dir}: ${why}; expected <dir>/<source>/<name>.csv (the shipped ones are in data/traces/)`, { cause: e });
  }
  const entries: TraceEntry[] = [];
  for (const source of sources.sort(compareCodePoints)) {
    const files = (await readdir(join(dir, source), { withFileTypes: true }))
      .filter((f) => f.isFile() && f.name.endsWith('.csv'))
      .map((f) => f.name)
      .sort(compareCodePoints);
    for (const file of files) {
      const name = file.slice(0, -'.csv'.length);
      const split = traceSplitOf(source, name);
      if (want === 'all' || want === split) entries.push({ name, source, path: join(dir, source, file), split });
    }
  }
  return entries;
}
