import { describe, expect, it } from 'vitest';
import { bestCandidates } from '../../checkpoints/best-candidates.ts';
import type { RegistryEntry } from '../../checkpoints/checkpoint-registry.ts';

const entry = (id: string, createdAt: string, reward: number, objective: RegistryEntry['objective']): RegistryEntry => ({ id, dir: id, parentId: null, step: 1, createdAt, evalMetrics: { 'eval/mean_reward': reward }, objective });

describe('bestCandidates', () => {
  it('keeps only the checkpoints sharing the latest one\'s objective', () => {
    const edgent = { rewardKind: 'normalized-accuracy', energyLambdaPerJ: 0 };
    const energy = { rewardKind: 'normalized-accuracy', energyLambdaPerJ: 0.2 };
    const entries = [
      entry('a', '2026-01-01T00:00:00Z', 0.95, edgent),
      entry('b', '2026-01-02T00:00:00Z', 0.40, energy),
      entry('c', '2026-01-03T00:00:00Z', 0.50, energy),
    ];
    const r = bestCandidates(entries);
    expect(r.entries.map((e) => e.id)).toEqual(['b', 'c']);
    expect(r.objective).toContain('λ=0.2');
  });
  it('groups checkpoints without a recorded objective together', () => {
    const entries = [entry('old1', '2025-01-01T00:00:00Z', 0.9, undefined), entry('old2', '2025-01-02T00:00:00Z', 0.8, null)];
    expect(bestCandidates(entries).entries.map((e) => e.id)).toEqual(['old1', 'old2']);
    expect(bestCandidates([]).entries).toEqual([]);
  });
});
