/**
 * Bandwidth traces: a step function of throughput over time, read from the shipped CSV files
 * (`t_s,mbps`, data/traces/README.md), from Mahimahi or Pensieve-style cooked traces
 * (runtime/link/trace-formats.ts; loadTrace detects the format), or made synthetically for
 * tests and plain runs.
 *
 * Replay convention (sample-and-hold): row i holds from `timesS[i]` until `timesS[i+1]`; the
 * last row holds for one median sample interval, so `durationS = last t + median interval`
 * (this equals `duration_s` in data/traces/index.json). Replays loop: trace time t maps to
 * `t mod durationS` (see trace-integrate.ts).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { CoinferError } from '../../common/errors.ts';
import { detectTraceFormat, parseCooked, parseMahimahi, rateProblem, strictNumber, type TraceFormat } from './trace-formats.ts';

/** An immutable, validated bandwidth trace. Build it with {@link createTrace} or the parsers. */
export interface BandwidthTrace {
  /** File name without `.csv` (e.g. `ATT-LTE-driving.up`), or a synthetic label. */
  readonly name: string;
  /** Source directory name (e.g. `norway_hsdpa_3g`), or `synthetic`. */
  readonly source: string;
  /** Sample start times, s: first 0, strictly increasing. Do not mutate. */
  readonly timesS: Float64Array;
  /** Throughput held from the matching `timesS` entry, Mbps (10^6 bit/s), finite, ≥ 0, ≤ MAX_TRACE_MBPS. */
  readonly mbps: Float64Array;
  /** Nominal length, s: last t + median sample interval; the replay loops after it. */
  readonly durationS: number;
}

/** Options of {@link createTrace}. */
export interface CreateTraceOptions {
  readonly name: string;
  /** Source label; default `synthetic`. */
  readonly source?: string;
  readonly timesS: ArrayLike<number>;
  readonly mbps: ArrayLike<number>;
  /**
   * Length of the trace, s, > last time. Default: last t + median interval (the shipped
   * convention); for a single row, where no interval exists, 1 s.
   */
  readonly durationS?: number;
}

/** Median of the sample intervals (mean of the two middle ones for an even count). */
function medianIntervalS(timesS: Float64Array): number {
  const n = timesS.length;
  if (n < 2) return 1;
  const dts = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) dts[i - 1] = timesS[i]! - timesS[i - 1]!;
  dts.sort();
  const m = dts.length >> 1;
  return dts.length % 2 === 1 ? dts[m]! : (dts[m - 1]! + dts[m]!) / 2;
}

/**
 * Builds a trace from arrays, checking the format rules (first time 0, strictly increasing,
 * throughput finite, ≥ 0 and ≤ MAX_TRACE_MBPS, at least one row).
 *
 * @throws CoinferError ERR_TRACE_FORMAT naming the offending row (1-based data row).
 * @example createTrace({ name: 'step', timesS: [0, 2], mbps: [8, 0], durationS: 4 })
 */
export function createTrace(opts: CreateTraceOptions): BandwidthTrace {
  const { name } = opts;
  const n = opts.timesS.length;
  if (n === 0) throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${name}: expected at least one row, actually none`);
  if (opts.mbps.length !== n) {
    throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${name}: expected as many mbps as times (${n}), actually ${opts.mbps.length}`);
  }
  const timesS = Float64Array.from(opts.timesS);
  const mbps = Float64Array.from(opts.mbps);
  for (let i = 0; i < n; i++) checkRow({ name, where: `row ${i + 1}`, tS: timesS[i]!, mbps: mbps[i]!, prevS: i === 0 ? null : timesS[i - 1]! });
  const lastS = timesS[n - 1]!;
  const durationS = opts.durationS ?? lastS + medianIntervalS(timesS);
  if (!Number.isFinite(durationS) || durationS <= lastS) {
    throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${name}: expected durationS finite and > last time ${lastS}, actually ${durationS}`);
  }
  return Object.freeze({ name, source: opts.source ?? 'synthetic', timesS, mbps, durationS });
}

/**
 * Largest time a trace may hold (~31 years); rates are bounded by MAX_TRACE_MBPS. Finite but
 * absurd values (1e308 Mbps) overflow to Infinity in the link's bit-time arithmetic and end as NaN sleeps.
 */
export const MAX_TRACE_S = 1e9;
export { MAX_TRACE_MBPS } from './trace-formats.ts';

function checkRow(r: { name: string; where: string; tS: number; mbps: number; prevS: number | null }): void {
  if (!Number.isFinite(r.tS) || r.tS > MAX_TRACE_S) throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${r.name}, ${r.where}: expected a finite t_s <= ${MAX_TRACE_S}, actually ${r.tS}`);
  if (r.prevS === null && r.tS !== 0) {
    throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${r.name}, ${r.where}: expected the first t_s to be 0, actually ${r.tS}`);
  }
  if (r.prevS !== null && !(r.tS > r.prevS)) {
    throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${r.name}, ${r.where}: expected t_s strictly increasing (> ${r.prevS}), actually ${r.tS}; merge or drop duplicate samples`);
  }
  const bad = rateProblem(r.mbps);
  if (bad !== null) throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${r.name}, ${r.where}: expected ${bad}`);
}

const parseField = strictNumber;

/**
 * Parses a trace CSV (`t_s,mbps` header, then one `t,mbps` row per sample; CRLF and a trailing
 * newline are accepted, blank lines are not rows).
 *
 * @param text the file contents
 * @param opts `name` of the trace; `source` label (default `synthetic`)
 * @throws CoinferError ERR_TRACE_FORMAT with the 1-based line number of the first bad line
 */
export function parseTraceCsv(text: string, opts: { name: string; source?: string }): BandwidthTrace {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim().replace(/^\uFEFF/, '');
  if (header !== 't_s,mbps') {
    throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${opts.name}, line 1: expected header "t_s,mbps", actually "${header.slice(0, 60)}"`);
  }
  const timesS: number[] = [];
  const mbps: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `line ${i + 1}`;
    const fields = line.split(',');
    if (fields.length !== 2) {
      throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${opts.name}, ${where}: expected 2 fields "t_s,mbps", actually ${fields.length} ("${line.slice(0, 60)}")`);
    }
    const tS = parseField(fields[0]!);
    const value = parseField(fields[1]!);
    checkRow({ name: opts.name, where, tS, mbps: value, prevS: timesS.length === 0 ? null : timesS[timesS.length - 1]! });
    timesS.push(tS);
    mbps.push(value);
  }
  if (timesS.length === 0) throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${opts.name}: expected at least one data row after the header, actually none`);
  return createTrace({ name: opts.name, source: opts.source ?? 'synthetic', timesS, mbps });
}

/** Options of {@link parseTraceText} and {@link loadTrace}. */
export interface TraceTextOptions {
  /** File format; default `auto` (detectTraceFormat). */
  readonly format?: TraceFormat | 'auto';
  /** Bin width of Mahimahi traces, s; default 1. */
  readonly binS?: number;
}

/**
 * Parses a trace in any supported format (csv, mahimahi, cooked; docs/traces.md).
 * @throws CoinferError ERR_TRACE_FORMAT naming the trace and line
 */
export function parseTraceText(text: string, opts: { name: string; source?: string } & TraceTextOptions): BandwidthTrace {
  const format = opts.format === undefined || opts.format === 'auto' ? detectTraceFormat(text, opts.name) : opts.format;
  if (format === 'csv') return parseTraceCsv(text, opts);
  const rows = format === 'mahimahi' ? parseMahimahi(text, { name: opts.name, ...(opts.binS === undefined ? {} : { binS: opts.binS }) }) : parseCooked(text, { name: opts.name });
  // Mahimahi bins tile the trace exactly: its length is the bins', whatever the median rule says.
  const durationS = format === 'mahimahi' ? rows.timesS.length * (opts.binS ?? 1) : undefined;
  return createTrace({ name: opts.name, source: opts.source ?? 'synthetic', timesS: rows.timesS, mbps: rows.mbps, ...(durationS === undefined ? {} : { durationS }) });
}

/** The trace name of a file: its base name without a `.csv` extension (`x.down.csv` → `x.down`). */
export function traceNameOf(path: string): string {
  return basename(path).replace(/\.csv$/i, '');
}

/**
 * Reads a trace file in any supported format from anywhere. The name is the file name without
 * `.csv`; the source is the name of the directory holding it (the shipped layout is
 * `data/traces/<source>/<name>.csv`).
 *
 * @throws CoinferError ERR_TRACE_NOT_FOUND when the file cannot be read, ERR_TRACE_FORMAT
 */
export async function loadTrace(path: string, opts: TraceTextOptions = {}): Promise<BandwidthTrace> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CoinferError('ERR_TRACE_NOT_FOUND', `Cannot read trace ${path}: ${why}; list the shipped traces with listTraces() (data/traces/) or pass an existing file`, { cause: e });
  }
  try {
    return parseTraceText(text, { ...opts, name: traceNameOf(path), source: basename(dirname(path)) });
  } catch (e) {
    if (e instanceof CoinferError && e.code === 'ERR_TRACE_FORMAT') throw new CoinferError(e.code, `${e.message} (file ${path})`, { cause: e });
    throw e;
  }
}

/**
 * A synthetic trace holding one rate throughout (for tests and for plain runs that still want
 * a modelled link).
 *
 * @param mbps rate, Mbps, finite ≥ 0 (0 = a link that never delivers)
 * @param durationS length before the replay loops, s, > 0; default 60 (irrelevant to timing)
 * @throws CoinferError ERR_TRACE_FORMAT on a bad rate or duration
 */
export function constantTrace(mbps: number, durationS = 60): BandwidthTrace {
  return createTrace({ name: `constant-${mbps}mbps`, source: 'synthetic', timesS: [0], mbps: [mbps], durationS });
}
