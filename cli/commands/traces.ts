/**
 * `coinfer traces import|stats`: bring bandwidth traces of any supported format (Mahimahi,
 * Pensieve-style cooked, `t_s,mbps` CSV) into coinfer's CSV, and summarise traces.
 * Composition only: the formats live in runtime/link/trace-formats.ts, the statistics in
 * runtime/link/trace-stats.ts (docs/traces.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { CoinferError } from '../../common/errors.ts';
import { expandTracePaths } from '../../runtime/link/trace-files.ts';
import { formatTraceCsv, TRACE_FORMATS } from '../../runtime/link/trace-formats.ts';
import { traceStats, LOW_RATE_MBPS, type TraceStats } from '../../runtime/link/trace-stats.ts';
import { loadTrace, type BandwidthTrace } from '../../runtime/link/trace.ts';
import { formatTable } from '../format-table.ts';
import { numberArg } from '../option-parsers.ts';

/** One row of `traces stats --json`. */
export interface TraceStatsRow extends TraceStats {
  /** The file, or `all` for the files taken together. */
  readonly trace: string;
}

/** Per-file rows, plus an `all` row when there is more than one file. */
export function statsRows(files: readonly string[], traces: readonly BandwidthTrace[]): TraceStatsRow[] {
  const rows = traces.map((t, i) => ({ trace: files[i]!, ...traceStats([t]) }));
  if (traces.length > 1) rows.push({ trace: 'all', ...traceStats(traces) });
  return rows;
}

export function formatStatsTable(rows: readonly TraceStatsRow[]): string {
  const f = (x: number) => (x === 0 ? '0' : x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(3) : x.toPrecision(3));
  return formatTable(
    ['duration s', 'mean Mbps', 'p5', 'p50', 'p95', `< ${LOW_RATE_MBPS} Mbps`, 'trace'],
    rows.map((r) => [r.durationS.toFixed(1), f(r.meanMbps), f(r.p5Mbps), f(r.p50Mbps), f(r.p95Mbps), `${(100 * r.shareBelowLow).toFixed(1)}%`, r.trace]),
  );
}

const formatOption = () => new Option('--format <format>', 'input format').choices(['auto', ...TRACE_FORMATS] as const).default('auto' as const);
const binOption = () => new Option('--bin-s <s>', 'bin width of Mahimahi traces, s').argParser(numberArg('--bin-s', (n) => n > 0 && Number.isInteger(n * 1000), 'a number of seconds > 0 with whole ms')).default(1);

export function registerTraces(program: Command): void {
  const cmd = program.command('traces').description('Import bandwidth traces (Mahimahi, cooked, CSV) and summarise them');

  cmd
    .command('import')
    .description('Convert trace files (Mahimahi packet traces, Pensieve cooked "time_s mbps", t_s,mbps CSV) to coinfer CSV in --out')
    .argument('<paths...>', 'trace files or folders (recursively)')
    .requiredOption('--out <dir>', 'folder the CSV files are written to (<name>.csv)')
    .addOption(formatOption())
    .addOption(binOption())
    .action(async (paths, opts) => {
      const files = await expandTracePaths(paths);
      const traces = await Promise.all(files.map((f) => loadTrace(f, { format: opts.format, binS: opts.binS })));
      const seen = new Map<string, string>();
      traces.forEach((t, i) => {
        const other = seen.get(t.name);
        if (other !== undefined) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected distinct trace names (each becomes <name>.csv in --out), actually ${other} and ${files[i]} are both '${t.name}'; import them into separate folders`);
        seen.set(t.name, files[i]!);
      });
      await mkdir(opts.out, { recursive: true });
      const written: string[] = [];
      for (const t of traces) {
        const path = join(opts.out, `${t.name}.csv`);
        await writeFile(path, formatTraceCsv(t));
        written.push(path);
      }
      const rows = statsRows(written, traces);
      process.stdout.write(`Wrote ${written.length} trace(s) to ${opts.out}\n${formatStatsTable(rows)}\n`);
    });

  cmd
    .command('stats')
    .description(`Duration, time-weighted mean, p5/p50/p95 and share of time below ${LOW_RATE_MBPS} Mbps of trace files (any supported format)`)
    .argument('<paths...>', 'trace files or folders (recursively)')
    .addOption(formatOption())
    .addOption(binOption())
    .option('--json', 'print a JSON array: one object per file, then one for all of them')
    .action(async (paths, opts) => {
      const files = await expandTracePaths(paths);
      const traces = await Promise.all(files.map((f) => loadTrace(f, { format: opts.format, binS: opts.binS })));
      const rows = statsRows(files, traces);
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatStatsTable(rows)}\n`);
    });
}
