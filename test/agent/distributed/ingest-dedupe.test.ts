import { describe, expect, it } from 'vitest';
import { IngestDedupe } from '../../../agent/distributed/ingest-dedupe.ts';

describe('IngestDedupe', () => {
  it('accepts each (actor, seq) once, in any order, and counts the repeats', () => {
    const d = new IngestDedupe();
    expect([3, 0, 1, 3, 2, 0].map((s) => d.accept('a', s))).toEqual([true, true, true, false, true, false]);
    expect(d.accept('b', 0)).toBe(true); // another actor's sequence is its own
    expect(d.duplicates).toBe(2);
    expect(d.openGaps()).toBe(0);
  });

  it('counts a gap as missing once the window has moved past it, and refuses its late arrival', () => {
    const d = new IngestDedupe({ windowBatches: 4 });
    for (const s of [0, 1, 3, 4, 5]) d.accept('a', s);
    expect(d.openGaps()).toBe(1); // seq 2 may still come
    expect(d.missing).toBe(0);
    d.accept('a', 6); // window [3, 6]: seq 2 is given up
    expect(d.missing).toBe(1);
    expect(d.accept('a', 2)).toBe(false);
  });

  it('survives a save and restore: a redelivered batch after a restart is still refused', () => {
    const d = new IngestDedupe({ windowBatches: 8 });
    for (const s of [0, 1, 2, 5, 6]) d.accept('a', s);
    const restored = new IngestDedupe({ windowBatches: 8 }, JSON.parse(JSON.stringify(d.exportState())));
    expect([5, 2, 3, 4, 7].map((s) => restored.accept('a', s))).toEqual([false, false, true, true, true]);
    expect(restored.duplicates).toBe(2);
  });

  it('forgets the actor heard from least recently beyond maxActors', () => {
    const d = new IngestDedupe({ maxActors: 2 });
    d.accept('a', 0);
    d.accept('b', 0);
    d.accept('a', 1);
    d.accept('c', 0);
    expect(d.actors).toBe(2);
    expect(Object.keys(d.exportState().actors).sort()).toEqual(['a', 'c']);
  });
});
