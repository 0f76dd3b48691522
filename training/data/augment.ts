/**
 * Light, seeded data augmentation on raw uint8 images (C×H×W): random horizontal flips and
 * random translations (pad-and-crop with zeros). Both are label-preserving for Fashion-MNIST
 * (garments are left/right symmetric as classes) and CIFAR-10.
 */
import type { Rng } from '../../common/rng.ts';

export interface AugmentConfig {
  /** Flip each image left-right with probability 0.5. */
  readonly horizontalFlip: boolean;
  /** Maximum random shift in pixels along each axis (0 disables; zero fill), 0..8. */
  readonly maxShiftPx: number;
}

export const NO_AUGMENT: AugmentConfig = { horizontalFlip: false, maxShiftPx: 0 };

/** Validates an augmentation config. @throws RangeError naming the field. */
export function resolveAugmentConfig(partial: Partial<AugmentConfig> = {}): AugmentConfig {
  const cfg = { ...NO_AUGMENT, ...partial };
  if (!Number.isInteger(cfg.maxShiftPx) || cfg.maxShiftPx < 0 || cfg.maxShiftPx > 8) {
    throw new RangeError(`Expected maxShiftPx an integer in [0, 8], actually ${cfg.maxShiftPx}`);
  }
  return cfg;
}

/**
 * Augments one image in place. `scratch` must hold at least C·H·W bytes.
 * Draws from `rng` in a fixed order (flip, then dy, dx) so runs are reproducible.
 */
export function augmentImage(img: Uint8Array, shape: { channels: number; height: number; width: number }, opts: { config: AugmentConfig; rng: Rng; scratch: Uint8Array }): void {
  const { channels: C, height: H, width: W } = shape;
  const { config, rng, scratch } = opts;
  const flip = config.horizontalFlip && rng.next() < 0.5;
  const s = config.maxShiftPx;
  const dy = s > 0 ? rng.int(2 * s + 1) - s : 0;
  const dx = s > 0 ? rng.int(2 * s + 1) - s : 0;
  if (!flip && dy === 0 && dx === 0) return;
  scratch.set(img.subarray(0, C * H * W));
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let y = 0; y < H; y++) {
      const sy = y + dy;
      for (let x = 0; x < W; x++) {
        const tx = flip ? W - 1 - x : x; // source column before the shift
        const sx = tx + dx;
        img[base + y * W + x] = sy >= 0 && sy < H && sx >= 0 && sx < W ? scratch[base + sy * W + sx]! : 0;
      }
    }
  }
}
