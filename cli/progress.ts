/**
 * Progress bars for long CLI work, on stderr so stdout stays clean for `--json`. Quiet (no bar)
 * when stderr is not a terminal or when `quiet` is set; the work itself is unaffected.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Readonly<Record<string, string | number>>): void;
  stop(): void;
}

export function createProgress(opts: { total: number; format: string; quiet?: boolean }): Progress {
  if (opts.quiet || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: opts.format, hideCursor: true, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
  bar.start(opts.total, 0);
  return { update: (v, p) => bar.update(v, p ?? {}), stop: () => bar.stop() };
}
