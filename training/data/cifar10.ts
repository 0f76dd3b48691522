/**
 * CIFAR-10 loader for the official *binary version* (Krizhevsky 2009): files of 3073-byte
 * records `<label 0..9><1024 R><1024 G><1024 B>` (32×32 planes, row-major), 10,000 records in
 * each of data_batch_1..5.bin (train) and test_batch.bin (test). Files may be gzipped
 * (detected by magic). Prefix files named `<batch>.first<N>.bin[.gz]` (the partial copy in
 * shared/data/cifar10) are accepted when the full file is absent.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CoinferError } from '../../common/errors.ts';
import { validateDataset, type DatasetSplit, type ImageDataset } from './dataset.ts';

export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR10_RECORD_BYTES = 3073;
const TRAIN_BATCHES = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'];
const TEST_BATCHES = ['test_batch'];

const HINT =
  'download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, ' +
  'extract it, and pass --data-dir pointing at cifar-10-batches-bin';

function maybeGunzip(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: gzip stream is corrupt (${(e as Error).message}); re-download the file`, { cause: e });
    }
  }
  return bytes;
}

/**
 * Parses binary-version records (gzipped or not).
 * @returns images N×3×32×32 and labels
 * @throws CoinferError ERR_DATASET_CORRUPT when the size is not a multiple of 3073 or a label > 9
 */
export function parseCifarBatch(bytes: Uint8Array, source = 'CIFAR-10 data'): { images: Uint8Array; labels: Uint8Array; count: number } {
  const buf = maybeGunzip(bytes, source);
  if (buf.length === 0 || buf.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: expected a multiple of ${CIFAR10_RECORD_BYTES} bytes (records of label + 3072 pixels), actually ${buf.length}; the file is truncated or not the binary version`);
  }
  const count = buf.length / CIFAR10_RECORD_BYTES;
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const off = i * CIFAR10_RECORD_BYTES;
    const label = buf[off]!;
    if (label > 9) throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: record ${i} has label ${label}, expected 0..9; the file is corrupt or not CIFAR-10`);
    labels[i] = label;
    images.set(buf.subarray(off + 1, off + CIFAR10_RECORD_BYTES), i * 3072);
  }
  return { images, labels, count };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    throw new CoinferError('ERR_DATASET_NOT_FOUND', `CIFAR-10 folder ${dir} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${HINT}`, { cause: e });
  }
}

/** Picks the file of one batch: the full file first, then a `.first<N>` prefix. */
function pickBatchFile(files: readonly string[], batch: string): string | null {
  for (const name of [`${batch}.bin`, `${batch}.bin.gz`]) if (files.includes(name)) return name;
  const prefix = files.filter((f) => new RegExp(`^${batch}\\.first\\d+\\.bin(\\.gz)?$`).test(f)).sort();
  return prefix[0] ?? null;
}

/**
 * Loads one split of CIFAR-10 from `dataDir` (or its `cifar-10-batches-bin` subfolder).
 * @throws CoinferError ERR_DATASET_NOT_FOUND / ERR_DATASET_CORRUPT
 */
export async function loadCifar10(opts: { split: DatasetSplit; dataDir: string }): Promise<ImageDataset> {
  let dir = opts.dataDir;
  let files = await listDir(dir);
  if (files.includes('cifar-10-batches-bin')) {
    dir = join(dir, 'cifar-10-batches-bin');
    files = await listDir(dir);
  }
  const batches = opts.split === 'train' ? TRAIN_BATCHES : TEST_BATCHES;
  const parts: { images: Uint8Array; labels: Uint8Array; count: number }[] = [];
  for (const b of batches) {
    const name = pickBatchFile(files, b);
    if (!name) throw new CoinferError('ERR_DATASET_NOT_FOUND', `CIFAR-10 ${opts.split} file ${b}.bin not found in ${dir}; ${HINT}`);
    parts.push(parseCifarBatch(await readFile(join(dir, name)), join(dir, name)));
  }
  const count = parts.reduce((a, p) => a + p.count, 0);
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const p of parts) {
    images.set(p.images, n * 3072);
    labels.set(p.labels, n);
    n += p.count;
  }
  return validateDataset({ name: 'cifar10', split: opts.split, count, channels: 3, height: 32, width: 32, images, labels, classNames: CIFAR10_CLASSES }, `CIFAR-10 ${opts.split} (${dir})`);
}
