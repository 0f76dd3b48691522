/**
 * Fashion-MNIST loader (Xiao, Rasul & Vollgraf 2017): IDX files `train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, gzipped or not
 * (60,000 train and 10,000 test 28×28 grey images, 10 classes).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CoinferError } from '../../common/errors.ts';
import { parseIdx, type IdxArray } from '../../runtime/model/idx.ts';
import { validateDataset, type DatasetSplit, type ImageDataset } from './dataset.ts';
import { readFile } from 'node:fs/promises';

/** Where the Debian package `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const INSTALL_HINT =
  'install it with `apt-get install dataset-fashion-mnist` (files go to /usr/share/datasets/fashion-mnist), ' +
  'or pass --data-dir DIR holding the four IDX files from https://github.com/zalandoresearch/fashion-mnist';

async function findFile(dir: string, base: string): Promise<string> {
  for (const name of [`${base}.gz`, base]) {
    const path = join(dir, name);
    try {
      await access(path);
      return path;
    } catch {
      // try the next spelling
    }
  }
  throw new CoinferError('ERR_DATASET_NOT_FOUND', `Fashion-MNIST file ${base}[.gz] not found in ${dir}; ${INSTALL_HINT}`);
}

async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new CoinferError('ERR_DATASET_NOT_FOUND', `Cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${INSTALL_HINT}`, { cause: e });
  }
  return parseIdx(bytes, path);
}

/**
 * Builds a dataset from parsed IDX image and label arrays, checking ranks, sizes and labels.
 * @throws CoinferError ERR_DATASET_CORRUPT on any mismatch.
 */
export function fashionMnistFromIdx(images: IdxArray, labels: IdxArray, opts: { split: DatasetSplit; source: string }): ImageDataset {
  const { split, source } = opts;
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: expected images of dims [N,28,28], actually [${images.dims.join(',')}]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${source}: expected labels of dims [${images.dims[0]}] (one per image), actually [${labels.dims.join(',')}]`);
  }
  return validateDataset(
    { name: 'fashion-mnist', split, count: images.dims[0]!, channels: 1, height: 28, width: 28, images: images.data, labels: labels.data, classNames: FASHION_MNIST_CLASSES },
    source,
  );
}

/**
 * Loads one split of Fashion-MNIST.
 * @param opts.dataDir folder with the IDX files (default FASHION_MNIST_DEFAULT_DIR)
 * @throws CoinferError ERR_DATASET_NOT_FOUND (with install instructions) or ERR_DATASET_CORRUPT
 */
export async function loadFashionMnist(opts: { split: DatasetSplit; dataDir?: string }): Promise<ImageDataset> {
  const dir = opts.dataDir ?? FASHION_MNIST_DEFAULT_DIR;
  const prefix = opts.split === 'train' ? 'train' : 't10k';
  const [imgPath, lblPath] = await Promise.all([findFile(dir, `${prefix}-images-idx3-ubyte`), findFile(dir, `${prefix}-labels-idx1-ubyte`)]);
  const [images, labels] = await Promise.all([readIdxFile(imgPath), readIdxFile(lblPath)]);
  return fashionMnistFromIdx(images, labels, { split: opts.split, source: `Fashion-MNIST ${opts.split} (${dir})` });
}
