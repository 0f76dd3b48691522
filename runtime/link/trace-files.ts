/**
 * Trace files from anywhere: expands a list of files and folders (recursively, sorted) into
 * the trace files they hold and loads them in any supported format (runtime/link/trace.ts).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CoinferError } from '../../common/errors.ts';
import { loadTrace, type BandwidthTrace, type TraceTextOptions } from './trace.ts';

/** Files inside folders that are never traces: documentation, indexes, hidden files. */
const NOT_A_TRACE = /^\.|\.(md|json)$|^(README|LICENSE|COPYING|Makefile)(\..*)?$/i;

/**
 * The trace files named by `paths`: a file as given (whatever its name), a folder as every
 * file below it except documentation and hidden files, in code-point order.
 * @throws CoinferError ERR_TRACE_NOT_FOUND for a path that does not exist or a folder without files
 */
export async function expandTracePaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let s;
    try {
      s = await stat(p);
    } catch (e) {
      throw new CoinferError('ERR_TRACE_NOT_FOUND', `Cannot read trace path ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; expected an existing trace file or folder`, { cause: e });
    }
    if (!s.isDirectory()) {
      out.push(p);
      continue;
    }
    const found = await walk(p);
    if (found.length === 0) throw new CoinferError('ERR_TRACE_NOT_FOUND', `Folder ${p} holds no trace files; expected csv, mahimahi or cooked traces in it`);
    out.push(...found);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (NOT_A_TRACE.test(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Loads every trace named by `paths` (files or folders; any supported format).
 * @throws CoinferError ERR_TRACE_NOT_FOUND, ERR_TRACE_FORMAT naming the file and line
 */
export async function loadTraceFiles(paths: readonly string[], opts: TraceTextOptions = {}): Promise<BandwidthTrace[]> {
  const files = await expandTracePaths(paths);
  return Promise.all(files.map((f) => loadTrace(f, opts)));
}
