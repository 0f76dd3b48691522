/**
 * `coinfer checkpoints list|show|rebuild`: the checkpoint registry from the command line.
 * Composition only: the work lives in checkpoints/. Loads no tfjs.
 */
import { formatBytes } from '../resume-learner.ts';
import { relative } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { CheckpointRegistry, rebuildRegistry, type RegistryEntry } from '../../checkpoints/checkpoint-registry.ts';
import { formatRegistryReport, reconcileRegistry } from '../../checkpoints/reconcile-registry.ts';
import { resolveCheckpointIn, SHIPPED_CHECKPOINT_ROOT } from '../../checkpoints/resolve-checkpoint.ts';
import { formatTable } from '../format-table.ts';

export const DEFAULT_CHECKPOINT_ROOT = './runs/checkpoints';

function formatMetrics(m: Readonly<Record<string, number>>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join(' ');
}

function listTable(entries: readonly RegistryEntry[]): string {
  return formatTable(
    ['ID', 'STEP', 'PARENT', 'CREATED', 'EVAL'],
    entries.map((e) => [e.id, String(e.step), `${e.parentId ?? '-'}${e.lineage ? ` (${e.lineage.reason} after request ${e.lineage.requestIndex})` : ''}`, e.createdAt, formatMetrics(e.evalMetrics) || '-']),
  );
}

export function registerCheckpoints(program: Command): void {
  const cmd = program.command('checkpoints').description('List and inspect DQN checkpoints (tfjs layers model + metadata, lowdb registry)');

  cmd
    .command('list')
    .description('List the registered checkpoints, oldest first, after cleaning up what killed writers left (reported on stderr)')
    .option('--root <dir>', 'registry root directory', DEFAULT_CHECKPOINT_ROOT)
    .option('--json', 'print one JSON array of registry entries')
    .action(async (opts) => {
      // Stale temp folders removed, unregistered finished checkpoints registered, the rest reported.
      for (const line of formatRegistryReport(await reconcileRegistry(opts.root))) process.stderr.write(`coinfer checkpoints: ${line}\n`);
      const entries = await new CheckpointRegistry(opts.root).list();
      if (opts.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      else if (entries.length === 0) process.stdout.write(`No checkpoints in ${opts.root} (the shipped policy's: --root ${relative(process.cwd(), SHIPPED_CHECKPOINT_ROOT)})\n`);
      else process.stdout.write(`${listTable(entries)}\n`);
    });

  cmd
    .command('show')
    .description("Check one checkpoint and print its metadata (ref: id, 'latest', 'best', 'best:<metric>' or a path; looked up in --root, then in the shipped registry)")
    .argument('<ref>', 'checkpoint reference')
    .option('--root <dir>', 'registry root directory', DEFAULT_CHECKPOINT_ROOT)
    .option('--metric <name>', "eval metric that 'best' ranks by")
    .option('--min', "'best' is the smallest metric value (default: largest)")
    .option('--json', 'print checkpoint.json as one JSON document')
    .action(async (ref, opts) => {
      const resolved = await resolveCheckpointIn([opts.root, SHIPPED_CHECKPOINT_ROOT], ref, { ...(opts.metric ? { metric: opts.metric } : {}), mode: opts.min ? 'min' : 'max' });
      const meta = resolved.meta;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ dir: resolved.dir, ...meta }, null, 2)}\n`);
        return;
      }
      const c = meta.dqnConfig;
      process.stdout.write(
        [
          `id          ${meta.id}`,
          `dir         ${resolved.dir}`,
          `registry    ${resolved.root === null ? '-' : resolved.root === SHIPPED_CHECKPOINT_ROOT ? `${resolved.root} (shipped)` : resolved.root}`,
          `parent      ${meta.parentId ?? '-'}`,
          `step        ${meta.step}`,
          `created     ${meta.createdAt} (coinfer ${meta.packageVersion}, schema ${meta.schemaVersion})`,
          `network     ${meta.observationSize} → [${c.hidden.join(', ')}] → ${meta.actionCount}${c.dueling ? ' dueling' : ''}${c.double ? ', double' : ''}, n-step ${c.nStep}`,
          `eval        ${formatMetrics(meta.evalMetrics) || '-'}`,
          `traces      ${meta.traceSplit ? `${meta.traceSplit.train.length} train / ${meta.traceSplit.test.length} test` : '-'}`,
          `learner     ${meta.learnerState ? `${meta.learnerState.file}: ${formatBytes(meta.learnerState.bytes)}, ${meta.learnerState.replaySize} replay transitions + Adam state (resumes exactly)` : 'weights only (no learner state: a resume starts with an empty replay)'}`,
        ].join('\n') + '\n',
      );
    });

  cmd
    .command('rebuild')
    .description('Rewrite registry.json from the checkpoint directories under the root')
    .option('--root <dir>', 'registry root directory', DEFAULT_CHECKPOINT_ROOT)
    .action(async (opts) => {
      const entries = await rebuildRegistry(opts.root);
      process.stdout.write(`Registered ${entries.length} checkpoint(s) in ${opts.root}\n`);
    });
}
