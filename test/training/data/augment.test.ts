import { describe, it, expect } from 'vitest';
import { augmentImage, resolveAugmentConfig } from '../../../training/data/augment.ts';
import { createRng, type Rng } from '../../../common/rng.ts';

const shape = { channels: 2, height: 3, width: 4 };
const base = (): Uint8Array => Uint8Array.from({ length: 24 }, (_, i) => i + 1);
/** An Rng whose next() is fixed (forces or prevents the flip) and int() returns fixed values. */
const fixed = (next: number, ints: number[] = []): Rng => ({ next: () => next, int: () => ints.shift() ?? 0, normal: () => 0, fork: () => createRng(0) });

describe('augmentImage', () => {
  it('flips every channel left-right', () => {
    const img = base();
    augmentImage(img, shape, { config: resolveAugmentConfig({ horizontalFlip: true }), rng: fixed(0.1), scratch: new Uint8Array(24) });
    expect(Array.from(img.subarray(0, 4))).toEqual([4, 3, 2, 1]);
    expect(Array.from(img.subarray(12, 16))).toEqual([16, 15, 14, 13]);
  });

  it('leaves the image alone when the coin says no flip and shifts are off', () => {
    const img = base();
    augmentImage(img, shape, { config: resolveAugmentConfig({ horizontalFlip: true }), rng: fixed(0.9), scratch: new Uint8Array(24) });
    expect(img).toEqual(base());
  });

  it('shifts with zero fill', () => {
    const img = base();
    // int(3) → 2 means dy = +1, then 0 means dx = -1
    augmentImage(img, shape, { config: resolveAugmentConfig({ maxShiftPx: 1 }), rng: fixed(0.9, [2, 0]), scratch: new Uint8Array(24) });
    // row 0 of channel 0 reads source row 1 shifted right by one: [0, 5, 6, 7]
    expect(Array.from(img.subarray(0, 4))).toEqual([0, 5, 6, 7]);
    // last row reads beyond the image: zeros
    expect(Array.from(img.subarray(8, 12))).toEqual([0, 0, 0, 0]);
  });

  it('validates the config', () => {
    expect(() => resolveAugmentConfig({ maxShiftPx: -1 })).toThrow(RangeError);
    expect(() => resolveAugmentConfig({ maxShiftPx: 1.5 })).toThrow(RangeError);
  });
});
