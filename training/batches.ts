/**
 * Turns dataset rows into training batches: gathers raw uint8 C×H×W images by index,
 * optionally augments them, and writes normalised float32 NHWC (the tfjs layout), with
 * float = (u8·scale − mean[c]) / std[c] — the same formula as the manifest's preprocessing.
 */
import type { Rng } from '../common/rng.ts';
import { imageBytes, type ImageDataset } from './data/dataset.ts';
import { augmentImage, type AugmentConfig } from './data/augment.ts';

export interface Normalization {
  /** Multiplier applied to the uint8 value first (1/255). */
  readonly scale: number;
  /** Per-channel mean of the scaled values. */
  readonly mean: readonly number[];
  /** Per-channel standard deviation of the scaled values. */
  readonly std: readonly number[];
}

export interface Batch {
  /** N×H×W×C normalised pixels. */
  readonly x: Float32Array;
  /** N labels. */
  readonly labels: Int32Array;
  readonly size: number;
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Builds one batch from `indices` of `ds`.
 * @param opts.augment when set (with `rng`), each image is augmented before normalising
 */
export function makeBatch(ds: ImageDataset, indices: ArrayLike<number>, opts: { norm: Normalization; augment?: { config: AugmentConfig; rng: Rng } }): Batch {
  const { channels: C, height: H, width: W } = ds;
  const per = imageBytes(ds);
  const n = indices.length;
  const x = new Float32Array(n * per);
  const labels = new Int32Array(n);
  const img = new Uint8Array(per);
  const scratch = new Uint8Array(per);
  const mul = opts.norm.std.map((s) => opts.norm.scale / s);
  const add = opts.norm.mean.map((m, c) => -m / opts.norm.std[c]!);
  for (let i = 0; i < n; i++) {
    const row = indices[i]!;
    img.set(ds.images.subarray(row * per, (row + 1) * per));
    if (opts.augment) augmentImage(img, ds, { config: opts.augment.config, rng: opts.augment.rng, scratch });
    labels[i] = ds.labels[row]!;
    const out = i * per;
    for (let c = 0; c < C; c++) {
      const m = mul[c]!;
      const a = add[c]!;
      const plane = c * H * W;
      for (let p = 0; p < H * W; p++) x[out + p * C + c] = img[plane + p]! * m + a;
    }
  }
  return { x, labels, size: n };
}
