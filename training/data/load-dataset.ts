/** Loads a dataset split by name (the one switch over DatasetName). */
import { CoinferError } from '../../common/errors.ts';
import { DATASET_NAMES, type DatasetName, type DatasetSplit, type ImageDataset } from './dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadCifar10 } from './cifar10.ts';
import { loadImageFolder } from './image-folder.ts';

/** Narrows a user string to a DatasetName. @throws CoinferError ERR_INVALID_ARGUMENT */
export function parseDatasetName(name: string): DatasetName {
  if ((DATASET_NAMES as readonly string[]).includes(name)) return name as DatasetName;
  throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected dataset one of ${DATASET_NAMES.join(', ')}, actually '${name}'`);
}

/**
 * Loads a split. Fashion-MNIST defaults to its installed folder; CIFAR-10 and image folders need `dataDir`.
 * @throws CoinferError ERR_DATASET_NOT_FOUND / ERR_DATASET_CORRUPT
 */
export async function loadDataset(opts: {
  name: DatasetName;
  split: DatasetSplit;
  dataDir?: string;
  /** imagefolder: square side to resize to (default: the images' own size). */
  imageSize?: number;
  /** imagefolder: decoding progress (the decoded cache answers without it). */
  onProgress?: (done: number, total: number) => void;
}): Promise<ImageDataset> {
  switch (opts.name) {
    case 'fashion-mnist':
      return loadFashionMnist(opts.dataDir === undefined ? { split: opts.split } : { split: opts.split, dataDir: opts.dataDir });
    case 'cifar10':
      if (!opts.dataDir) throw new CoinferError('ERR_DATASET_NOT_FOUND', 'CIFAR-10 has no default location: pass --data-dir DIR with data_batch_1..5.bin and test_batch.bin (the binary version)');
      return loadCifar10({ split: opts.split, dataDir: opts.dataDir });
    case 'imagefolder':
      if (!opts.dataDir) throw new CoinferError('ERR_DATASET_NOT_FOUND', 'an image-folder dataset needs --data-dir PATH (a folder or .tar/.tar.gz with train/<class>/… and test/<class>/…)');
      return loadImageFolder({
        dataDir: opts.dataDir, split: opts.split,
        ...(opts.imageSize !== undefined ? { size: opts.imageSize } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
  }
}
