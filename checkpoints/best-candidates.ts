/**
 * Which checkpoints `best` may rank: only those trained for one objective (reward kind and
 * energy λ), since a reward under λ = 0.2 and one under λ = 0 are different numbers. Pure.
 */
import { objectiveKey } from './checkpoint-meta.ts';
import type { RegistryEntry } from './checkpoint-registry.ts';

/**
 * The entries sharing the objective of the most recently created one (a registry usually holds
 * one objective; when it holds several, the latest run's is the one meant).
 * @returns the candidates and the objective's key (for messages)
 */
export function bestCandidates(entries: readonly RegistryEntry[]): { entries: RegistryEntry[]; objective: string } {
  if (entries.length === 0) return { entries: [], objective: objectiveKey(null) };
  const latest = entries.reduce((a, b) => (Date.parse(b.createdAt) >= Date.parse(a.createdAt) ? b : a));
  const key = objectiveKey(latest.objective);
  return { entries: entries.filter((e) => objectiveKey(e.objective) === key), objective: key };
}
