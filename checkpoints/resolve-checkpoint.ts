/**
 * Turns a checkpoint reference into a checked checkpoint directory. A reference is an id in the
 * registry, 'latest' (most recently created), 'best' or 'best:<metric>' (by an eval metric), or
 * a path to a checkpoint directory. {@link resolveCheckpointIn} searches several registries in
 * order (the user's runs, then the shipped policy) and says which one answered.
 * 'best' ranks only checkpoints of the latest one's objective.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoinferError } from '../common/errors.ts';
import { readCheckpoint, META_FILE } from './checkpoint-io.ts';
import type { CheckpointExpectation, CheckpointMeta } from './checkpoint-meta.ts';
import { CheckpointRegistry, type RegistryEntry } from './checkpoint-registry.ts';
import { bestCandidates } from './best-candidates.ts';

/** The registry of the shipped DQN policy (models/dqn-policy; docs/dqn.md). */
export const SHIPPED_CHECKPOINT_ROOT: string = fileURLToPath(new URL('../models/dqn-policy', import.meta.url));

/** The metric 'best' ranks by unless told otherwise. */
export const DEFAULT_BEST_METRIC = 'eval/mean_reward';

export interface ResolveCheckpointOptions {
  /** Metric for 'best' (default DEFAULT_BEST_METRIC; 'best:<metric>' overrides it). */
  readonly metric?: string;
  /** Whether 'best' means the largest ('max', default) or smallest ('min') metric value. */
  readonly mode?: 'max' | 'min';
  /** What the checkpoint must match (observation size, action count, labels). */
  readonly expect?: CheckpointExpectation;
}

export interface ResolvedCheckpoint {
  readonly id: string;
  /** The checkpoint directory. */
  readonly dir: string;
  readonly meta: CheckpointMeta;
  /** The registry root the reference resolved in; null for a path reference. */
  readonly root: string | null;
}

function notFound(message: string): never {
  throw new CoinferError('ERR_CHECKPOINT_NOT_FOUND', message);
}

const looksLikePath = (ref: string): boolean => isAbsolute(ref) || ref.startsWith('.') || ref.includes('/') || ref.includes('\\');

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function pickBest(entries: readonly RegistryEntry[], metric: string, mode: 'max' | 'min', root: string): RegistryEntry {
  let best: RegistryEntry | null = null;
  for (const e of entries) {
    const v = e.evalMetrics[metric];
    if (typeof v !== 'number' || Number.isNaN(v)) continue;
    const bv = best?.evalMetrics[metric];
    if (best === null || bv === undefined || (mode === 'max' ? v > bv : v < bv)) best = e;
  }
  if (best) return best;
  const known = [...new Set(entries.flatMap((e) => Object.keys(e.evalMetrics)))];
  return notFound(`No checkpoint in ${root} has eval metric '${metric}' (known: ${known.join(', ') || 'none'}): use 'best:<metric>' with one of them, or evaluate while training`);
}

/**
 * Resolves `ref` against the registry at `root` and checks the checkpoint (see readCheckpoint).
 * @throws CoinferError ERR_CHECKPOINT_NOT_FOUND (unknown ref, empty registry, no checkpoint with
 *   the metric), ERR_CHECKPOINT_CORRUPT, ERR_CHECKPOINT_INCOMPATIBLE.
 * @example const { dir, meta } = await resolveCheckpoint('runs/checkpoints', 'best:eval/mean_reward', { expect: { actionCount: 31 } });
 */
export async function resolveCheckpoint(root: string, ref: string, options: ResolveCheckpointOptions = {}): Promise<ResolvedCheckpoint> {
  if (typeof ref !== 'string' || ref === '') throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a checkpoint reference (id, 'latest', 'best', 'best:<metric>' or a path), actually ${JSON.stringify(ref)}`);
  const expect = options.expect ?? {};
  const symbolic = ref === 'latest' || ref === 'best' || ref.startsWith('best:'); // metric names contain '/': check before paths
  if (!symbolic && looksLikePath(ref)) {
    const dir = resolve(ref);
    if (!(await isDir(dir))) notFound(`No checkpoint directory at ${dir}: check the path, or pass an id from 'coinfer checkpoints list'`);
    const meta = await readCheckpoint(dir, expect);
    return { id: meta.id, dir, meta, root: null };
  }
  const registry = new CheckpointRegistry(root);
  const entries = await registry.list();
  let entry: RegistryEntry | undefined;
  if (symbolic) {
    if (entries.length === 0) notFound(`No checkpoints registered in ${root}: train one first, or run 'coinfer checkpoints rebuild --root ${root}' if directories exist`);
    if (ref === 'latest') {
      // Latest by creation time; among equal times, the later registration.
      entry = entries.reduce((a, b) => (Date.parse(b.createdAt) >= Date.parse(a.createdAt) ? b : a));
    } else {
      const metric = ref.startsWith('best:') ? ref.slice(5) : (options.metric ?? DEFAULT_BEST_METRIC);
      // never rank checkpoints of different objectives together (checkpoints/best-candidates.ts)
      entry = pickBest(bestCandidates(entries).entries, metric, options.mode ?? 'max', root);
    }
  } else {
    entry = entries.find((e) => e.id === ref);
  }
  const dir = entry ? join(root, entry.dir) : join(root, ref);
  if (!entry && !(await isDir(dir))) {
    notFound(`No checkpoint '${ref}' in ${root}: run 'coinfer checkpoints list --root ${root}' to see the ids, or use 'latest' / 'best'`);
  }
  const meta = await readCheckpoint(dir, expect);
  if (meta.id !== (entry?.id ?? ref)) {
    throw new CoinferError('ERR_CHECKPOINT_CORRUPT', `${join(dir, META_FILE)} has id ${meta.id} but was reached as ${entry?.id ?? ref}: run 'coinfer checkpoints rebuild --root ${root}'`);
  }
  return { id: meta.id, dir, meta, root };
}

const isSymbolic = (ref: string): boolean => ref === 'latest' || ref === 'best' || ref.startsWith('best:');

/**
 * Resolves `ref` in the first of `roots` that can answer it: an id in the first registry that
 * holds it; 'latest' / 'best' in the first registry with any checkpoint (so your own runs
 * shadow the shipped ones, and checkpoints of different registries are never ranked
 * together); a path as it is. `root` of the result says where it resolved.
 * @throws CoinferError ERR_CHECKPOINT_NOT_FOUND naming every root searched, and what
 *   resolveCheckpoint throws
 * @example await resolveCheckpointIn(['runs/checkpoints', 'models/dqn-policy'], 'latest')
 */
export async function resolveCheckpointIn(roots: readonly string[], ref: string, options: ResolveCheckpointOptions = {}): Promise<ResolvedCheckpoint> {
  if (roots.length === 0) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected at least one checkpoint registry root');
  const unique = roots.filter((r, i) => roots.findIndex((q) => resolve(q) === resolve(r)) === i);
  if (typeof ref !== 'string' || ref === '' || (!isSymbolic(ref) && looksLikePath(ref))) return resolveCheckpoint(unique[0]!, ref, options);
  for (const root of unique) {
    const entries = await new CheckpointRegistry(root).list();
    const answers = isSymbolic(ref) ? entries.length > 0 : entries.some((e) => e.id === ref) || (await isDir(join(root, ref)));
    if (answers) return resolveCheckpoint(root, ref, options);
  }
  return notFound(
    isSymbolic(ref)
      ? `No checkpoints registered in ${unique.join(' or ')}: train one first ('coinfer train --out <dir>'), or pass --checkpoints <dir>`
      : `No checkpoint '${ref}' in ${unique.join(' or ')}: run 'coinfer checkpoints list --root <dir>' to see the ids, or use 'latest' / 'best'`,
  );
}
