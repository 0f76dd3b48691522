/**
 * `coinfer eval --suite`: loads the suite and the model, runs it with a progress bar and prints
 * the table (or the JSON), writing markdown and HTML when asked.
 */
import { writeFile } from 'node:fs/promises';
import type { EnvConfigInput } from '../env/replay-config.ts';
import type { TraceSplit } from '../runtime/link/trace-catalog.ts';
import { loadModelPackage } from '../runtime/model/model-package.ts';
import { createProgress } from './progress.ts';
import { formatSuiteMarkdown, formatSuiteTable, renderSuiteHtml, suiteJson } from './report/suite-report.ts';
import { loadSuite } from './scenario-setup.ts';
import { runSuite, suitePolicySpecs } from './suite-run.ts';

export interface EvalSuiteOptions {
  readonly suiteRef: string | undefined;
  readonly specs: readonly string[];
  readonly split: TraceSplit;
  readonly base: EnvConfigInput;
  /** Overrides the suite's episode count. */
  readonly episodes: number | undefined;
  readonly seed: number;
  readonly modelDir: string;
  readonly checkpointsRoot: string;
  readonly json: boolean;
  readonly markdown: string | undefined;
  readonly html: string | undefined;
  readonly say: (line: string) => void;
}

/** Episodes per world when neither the suite nor --episodes says. */
const FALLBACK_EPISODES = 40;

export async function evalSuite(o: EvalSuiteOptions): Promise<void> {
  const [suite, pkg] = await Promise.all([loadSuite(o.suiteRef), loadModelPackage(o.modelDir)]);
  const episodes = o.episodes ?? suite.episodes ?? FALLBACK_EPISODES;
  const specs = suitePolicySpecs(o.specs);
  o.say(`suite ${suite.name}: ${suite.scenarios.length} worlds × ${specs.length} policies × ${episodes} episodes on ${o.split} traces, seed ${o.seed}`);
  const bar = createProgress({ total: suite.scenarios.length * specs.length, format: 'suite |{bar}| {value}/{total} world×policy | {label} | eta {eta_formatted}', quiet: o.json });
  let result;
  try {
    result = await runSuite({
      suite, pkg, policies: o.specs, episodes, seed: o.seed, split: o.split, base: o.base, checkpointsRoot: o.checkpointsRoot, say: o.say,
      onProgress: (done, _total, label) => bar.update(done, { label }),
    });
  } finally {
    bar.stop();
  }
  if (o.markdown) await writeFile(o.markdown, formatSuiteMarkdown(result));
  if (o.html) await writeFile(o.html, renderSuiteHtml(result));
  if (o.json) process.stdout.write(`${JSON.stringify(suiteJson(result))}\n`);
  else {
    process.stdout.write(`${formatSuiteTable(result)}\n`);
    for (const f of [o.markdown, o.html]) if (f) o.say(`wrote ${f}`);
  }
}
