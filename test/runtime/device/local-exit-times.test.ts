import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../../../runtime/model/manifest.ts';
import { LocalExitTimes } from '../../../runtime/device/local-exit-times.ts';

/** Only the fields LocalExitTimes reads. */
function manifest(accuracies: (number | null)[]): ModelManifest {
  return { exits: accuracies.map((accuracy, i) => ({ index: i + 1, accuracy })) } as unknown as ModelManifest;
}

describe('LocalExitTimes', () => {
  it('ranks exits by accuracy and picks the best one that fits', () => {
    const t = new LocalExitTimes(manifest([0.6, 0.8, 0.7]), { targetMs: [0, 0, 0] });
    t.observe(1, 1);
    t.observe(2, 10);
    t.observe(3, 5);
    expect(t.bestWithin(20)).toEqual({ exit: 2, fits: true });
    expect(t.bestWithin(6)).toEqual({ exit: 3, fits: true });
    expect(t.bestWithin(2)).toEqual({ exit: 1, fits: true });
    expect(t.bestWithin(0.5)).toEqual({ exit: 1, fits: false }); // nothing fits: the cheapest
    expect(t.cheapest()).toBe(1);
  });

  it('prefers deeper exits when accuracy is unknown', () => {
    const t = new LocalExitTimes(manifest([null, null]), { targetMs: [0, 0] });
    t.observe(1, 1);
    t.observe(2, 2);
    expect(t.bestWithin(5).exit).toBe(2);
  });

  it('scales every exit by a high percentile of recent slowdowns, floored by the stretched target', () => {
    const t = new LocalExitTimes(manifest([null, null]), { targetMs: [3, 0], percentile: 0.9 });
    t.observe(1, 1);
    t.observe(2, 4);
    expect(t.estimateMs(1)).toBe(3); // emulated target dominates
    expect(t.estimateMs(1, 2)).toBe(6); // stretched by the load factor
    expect(t.estimateMs(2)).toBe(4);
    for (let i = 0; i < 9; i++) t.observeSlowdown(1);
    t.observeSlowdown(3); // one slow run in ten: the 90th percentile sees it
    expect(t.estimateMs(2)).toBe(12);
    t.observe(1, 2.5); // an exit-1 run at 2.5× its base also counts as a slowdown
    expect(t.slowdown).toBe(2.5); // rank ⌊0.9·11⌋ of [1×9, 2.5, 3]
    for (let i = 0; i < 128; i++) t.observeSlowdown(1); // the load went away: the window forgets
    expect(t.estimateMs(2)).toBe(4);
  });
});
