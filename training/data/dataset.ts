/**
 * The in-memory image dataset every loader returns and every consumer (trainer, evaluator,
 * replay env, sample packer) reads: raw uint8 pixels in NCHW order plus uint8 labels. Keeping
 * the raw bytes (not floats) costs 1 byte per pixel and leaves normalisation to the model's
 * manifest (`preprocessing`), so the same array feeds tfjs training and ONNX inference.
 */
import { CoinferError } from '../../common/errors.ts';

/** Datasets coinfer knows how to load. */
export type DatasetName = 'fashion-mnist' | 'cifar10' | 'imagefolder';
export const DATASET_NAMES: readonly DatasetName[] = ['fashion-mnist', 'cifar10', 'imagefolder'];

export type DatasetSplit = 'train' | 'test';

export interface ImageDataset {
  readonly name: DatasetName;
  readonly split: DatasetSplit;
  /** Number of images (N). */
  readonly count: number;
  /** Channels (1 grey, 3 RGB). */
  readonly channels: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Pixels, N×C×H×W row-major, 0..255. */
  readonly images: Uint8Array;
  /** Labels, N entries in [0, classNames.length). */
  readonly labels: Uint8Array;
  readonly classNames: readonly string[];
}

/** Bytes of one image (C·H·W). */
export function imageBytes(ds: Pick<ImageDataset, 'channels' | 'height' | 'width'>): number {
  return ds.channels * ds.height * ds.width;
}

/** Checks the internal consistency of a dataset. @throws CoinferError ERR_DATASET_CORRUPT */
export function validateDataset(ds: ImageDataset, source: string): ImageDataset {
  const per = imageBytes(ds);
  if (ds.images.length !== ds.count * per) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: expected ${ds.count}×${per} image bytes, actually ${ds.images.length}`);
  }
  if (ds.labels.length !== ds.count) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: expected ${ds.count} labels (one per image), actually ${ds.labels.length}`);
  }
  const classes = ds.classNames.length;
  for (let i = 0; i < ds.labels.length; i++) {
    if (ds.labels[i]! >= classes) {
      throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: label ${ds.labels[i]} at index ${i} is out of range (expected 0..${classes - 1}); the file is corrupt`);
    }
  }
  return ds;
}

/** The first `n` images of a dataset (views, no copy); n is clamped to the dataset size. */
export function takeFirst(ds: ImageDataset, n: number): ImageDataset {
  const count = Math.max(0, Math.min(ds.count, Math.floor(n)));
  const per = imageBytes(ds);
  return { ...ds, count, images: ds.images.subarray(0, count * per), labels: ds.labels.subarray(0, count) };
}

/** Per-channel mean and standard deviation of the pixels scaled by 1/255 (population std). */
export function channelStats(ds: ImageDataset): { mean: number[]; std: number[] } {
  const plane = ds.height * ds.width;
  const per = imageBytes(ds);
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < ds.channels; c++) {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < ds.count; i++) {
      const base = i * per + c * plane;
      let s = 0;
      let sq = 0;
      for (let j = 0; j < plane; j++) {
        const v = ds.images[base + j]!;
        s += v;
        sq += v * v;
      }
      sum += s;
      sumSq += sq;
    }
    const n = ds.count * plane;
    const m = sum / n;
    mean.push(m / 255);
    std.push(Math.sqrt(Math.max(sumSq / n - m * m, 0)) / 255);
  }
  return { mean, std };
}
