/**
 * The bandwidth-trace file formats coinfer reads, besides its own CSV (docs/traces.md):
 *
 * - **mahimahi**: Mahimahi packet-delivery traces (`ravinet/mahimahi` `traces/*.up|down`):
 *   one integer ms timestamp per line, each an opportunity to deliver one 1,500-byte packet;
 *   a repeated timestamp is several packets in that ms. Packets are counted in bins
 *   `[k·binS, (k+1)·binS)`, `mbps = packets · 1500 · 8 / 10⁶ / binS`, `t_s = k·binS`; the last,
 *   partial bin (after `floor(last_ms / binMs)`) is dropped, as in the shipped conversion.
 * - **cooked**: Pensieve-style "cooked" traces, `time_s throughput_Mbps` per line, whitespace
 *   separated (tabs or spaces). Times must increase strictly; they are shifted so the first is
 *   0. Values are taken as they are (the shipped Norway and FCC CSVs are these numbers).
 * - **csv**: `t_s,mbps` with that header (runtime/link/trace.ts parses it).
 *
 * Parsers here return plain rows; runtime/link/trace.ts turns them into a checked
 * `BandwidthTrace`. Every rate must be finite, ≥ 0 and ≤ {@link MAX_TRACE_MBPS}; errors name
 * the trace and the 1-based line.
 */
import { CoinferError } from '../../common/errors.ts';

export const TRACE_FORMATS = ['mahimahi', 'cooked', 'csv'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/**
 * Highest rate a trace may hold, Mbps (100 Gbit/s). Anything above is a unit or parsing
 * mistake (1e308 Mbps once passed and overflowed transfer times later).
 */
export const MAX_TRACE_MBPS = 100_000;

/** Bytes one Mahimahi delivery opportunity carries. */
export const MAHIMAHI_PACKET_BYTES = 1500;

/** Rows of a parsed trace: sample start times (s, first 0) and the rate held from each (Mbps). */
export interface TraceRows {
  readonly timesS: number[];
  readonly mbps: number[];
}

/** Options of {@link parseMahimahi}. */
export interface MahimahiOptions {
  /** Trace name, for messages. */
  readonly name: string;
  /** Bin width, s, > 0 with a whole number of ms; default 1 (the shipped conversion's). */
  readonly binS?: number;
}

const formatError = (name: string, where: string, expected: string, actual: string): CoinferError =>
  new CoinferError('ERR_TRACE_FORMAT', `Trace ${name}, ${where}: expected ${expected}, actually ${actual}`);

/** Strict number parsing: `Number('')` is 0 and `parseFloat('1x')` is 1, neither is wanted. */
export function strictNumber(text: string): number {
  const s = text.trim();
  return s === '' ? NaN : Number(s);
}

/** Checks one rate: finite, ≥ 0, ≤ MAX_TRACE_MBPS. Returns an error message or null. */
export function rateProblem(mbps: number): string | null {
  if (!Number.isFinite(mbps) || mbps < 0) return `mbps finite and >= 0, actually ${mbps}`;
  if (mbps > MAX_TRACE_MBPS) return `mbps <= ${MAX_TRACE_MBPS} (100 Gbit/s; check the unit), actually ${mbps}`;
  return null;
}

const show = (line: string): string => `"${line.slice(0, 60)}"`;

/**
 * Guesses the format from the text: `csv` when the first line is the `t_s,mbps` header,
 * `mahimahi` when the first data lines hold one integer each, `cooked` when they hold two
 * numbers separated by whitespace.
 * @throws CoinferError ERR_TRACE_FORMAT when none fits (names the first line that decided it)
 */
export function detectTraceFormat(text: string, name: string): TraceFormat {
  const lines = text.split(/\r?\n/);
  const first = (lines[0] ?? '').trim().replace(/^\uFEFF/, '');
  if (first === 't_s,mbps') return 'csv';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (fields.length === 1 && /^\d+$/.test(fields[0]!)) return 'mahimahi';
    if (fields.length === 2 && fields.every((f) => Number.isFinite(strictNumber(f)))) return 'cooked';
    throw formatError(name, `line ${i + 1}`, `a known trace format (csv with header "t_s,mbps", mahimahi: one integer ms per line, cooked: "time_s mbps"); pass --format to force one`, show(line));
  }
  throw formatError(name, 'line 1', 'at least one data line', 'an empty file');
}

/**
 * Parses a Mahimahi packet-delivery trace into rates per bin.
 * @throws CoinferError ERR_TRACE_FORMAT naming the line: not an integer ms, decreasing time,
 *   or a trace shorter than one full bin
 */
export function parseMahimahi(text: string, opts: MahimahiOptions): TraceRows {
  const { name } = opts;
  const binS = opts.binS ?? 1;
  const binMs = binS * 1000;
  if (!(Number.isInteger(binMs) && binMs > 0)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected binS > 0 with a whole number of ms, actually ${binS}`);
  const counts: number[] = [];
  let lastMs = -1;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `line ${i + 1}`;
    if (!/^\d+$/.test(line)) throw formatError(name, where, 'one integer timestamp in ms (mahimahi format)', show(line));
    const ms = Number(line);
    if (!Number.isSafeInteger(ms)) throw formatError(name, where, 'a timestamp below 2^53 ms', show(line));
    if (ms < lastMs) throw formatError(name, where, `timestamps in non-decreasing order (>= ${lastMs})`, String(ms));
    lastMs = ms;
    const bin = Math.floor(ms / binMs);
    while (counts.length <= bin) counts.push(0);
    counts[bin]!++;
  }
  if (lastMs < 0) throw formatError(name, 'line 1', 'at least one timestamp', 'none');
  const fullBins = Math.floor(lastMs / binMs);
  if (fullBins === 0) throw formatError(name, `line ${lines.length}`, `a trace longer than one ${binS} s bin (last timestamp >= ${binMs} ms)`, `${lastMs} ms`);
  const bitsPerPacket = MAHIMAHI_PACKET_BYTES * 8;
  const timesS: number[] = [];
  const mbps: number[] = [];
  for (let k = 0; k < fullBins; k++) {
    timesS.push(k * binS);
    mbps.push(((counts[k] ?? 0) * bitsPerPacket) / 1e6 / binS);
  }
  return { timesS, mbps };
}

/**
 * Parses a Pensieve-style cooked trace (`time_s mbps` per line, whitespace separated).
 * @throws CoinferError ERR_TRACE_FORMAT naming the line: field count, non-numbers, times not
 *   strictly increasing, rates out of range
 */
export function parseCooked(text: string, opts: { readonly name: string }): TraceRows {
  const { name } = opts;
  const timesS: number[] = [];
  const mbps: number[] = [];
  let t0 = 0;
  let prev = Number.NEGATIVE_INFINITY;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `line ${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw formatError(name, where, '2 whitespace-separated fields "time_s mbps" (cooked format)', `${fields.length} (${show(line)})`);
    const t = strictNumber(fields[0]!);
    const v = strictNumber(fields[1]!);
    if (!Number.isFinite(t)) throw formatError(name, where, 'a finite time_s', show(fields[0]!));
    if (!(t > prev)) throw formatError(name, where, `time_s strictly increasing (> ${prev})`, String(t));
    const bad = rateProblem(v);
    if (bad !== null) throw new CoinferError('ERR_TRACE_FORMAT', `Trace ${name}, ${where}: expected ${bad}`);
    if (timesS.length === 0) t0 = t;
    prev = t;
    // ms precision, as the shipped CSVs: keeps shifted times free of float noise (0.1 - 0.1 …)
    timesS.push(Math.round((t - t0) * 1000) / 1000);
    mbps.push(v);
  }
  if (timesS.length === 0) throw formatError(name, 'line 1', 'at least one "time_s mbps" line', 'none');
  for (let i = 1; i < timesS.length; i++) {
    if (!(timesS[i]! > timesS[i - 1]!)) throw formatError(name, `data row ${i + 1}`, 'times at least 1 ms apart (they are kept to the ms)', `${timesS[i - 1]} then ${timesS[i]}`);
  }
  return { timesS, mbps };
}

/**
 * The canonical CSV of a trace (`t_s,mbps`, times to the ms, rates to 6 decimals, as the
 * shipped traces). Reading it back gives the same rows.
 */
export function formatTraceCsv(rows: { readonly timesS: ArrayLike<number>; readonly mbps: ArrayLike<number> }): string {
  const out: string[] = ['t_s,mbps'];
  for (let i = 0; i < rows.timesS.length; i++) out.push(`${trimNumber(rows.timesS[i]!, 3)},${trimNumber(rows.mbps[i]!, 6)}`);
  return `${out.join('\n')}\n`;
}

/** `x` to at most `digits` decimals, without trailing zeros (1.5, not 1.500000). */
function trimNumber(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
