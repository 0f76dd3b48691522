/**
 * Loads the bandwidth traces of one split (train/test, docs/architecture.md §5: splits are by trace file).
 */
import { loadTrace, type BandwidthTrace } from '../runtime/link/trace.ts';
import { listTraces, type TraceSplit } from '../runtime/link/trace-catalog.ts';

export async function loadSplitTraces(opts: { split: TraceSplit | 'all'; dir?: string }): Promise<BandwidthTrace[]> {
  const entries = await listTraces(opts.dir === undefined ? { split: opts.split } : { split: opts.split, dir: opts.dir });
  return Promise.all(entries.map((e) => loadTrace(e.path)));
}
