/**
 * The real test inputs a model package ships (samples/images.idx.gz + samples/labels.idx.gz):
 * raw uint8 pixels [N,C,H,W] and labels [N], used by the live env, split-check and demos.
 */
import { join } from 'node:path';
import { CoinferError } from '../../common/errors.ts';
import { readIdx } from './idx.ts';
import { PACKAGE_FILES, type ModelPackage } from './model-package.ts';

export interface SampleSet {
  /** Raw pixels, NCHW, count·C·H·W bytes. */
  readonly images: Uint8Array;
  /** Class index per sample, in [0, classes). */
  readonly labels: Uint8Array;
  readonly count: number;
  /** Per-sample shape C,H,W. */
  readonly shape: readonly number[];
}

/**
 * Loads a package's shipped samples.
 * @throws CoinferError ERR_DATASET_NOT_FOUND when the package ships none; ERR_DATASET_CORRUPT
 *   when their dims or labels do not fit the manifest.
 */
export async function loadSamples(pkg: ModelPackage): Promise<SampleSet> {
  const imagesPath = join(pkg.dir, PACKAGE_FILES.images);
  const labelsPath = join(pkg.dir, PACKAGE_FILES.labels);
  let images, labels;
  try {
    [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  } catch (e) {
    if (e instanceof CoinferError && e.code === 'ERR_DATASET_NOT_FOUND') {
      throw new CoinferError('ERR_DATASET_NOT_FOUND', `Model package ${pkg.dir} ships no samples (${PACKAGE_FILES.images}, ${PACKAGE_FILES.labels}); rebuild it with \`coinfer model train\` or use the shipped default model`, { cause: e });
    }
    throw e;
  }
  const shape = pkg.manifest.input.shape;
  const [count, ...chw] = images.dims;
  if (count === undefined || chw.join() !== shape.join()) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${imagesPath}: expected dims [N,${shape.join(',')}], actually [${images.dims.join(',')}]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${labelsPath}: expected dims [${count}], actually [${labels.dims.join(',')}]`);
  }
  const classes = pkg.manifest.architecture.classes;
  const badLabel = labels.data.findIndex((l) => l >= classes);
  if (badLabel >= 0) {
    throw new CoinferError('ERR_DATASET_CORRUPT', `${labelsPath}: expected labels in [0, ${classes}), actually ${labels.data[badLabel]} at sample ${badLabel}`);
  }
  return { images: images.data, labels: labels.data, count, shape: [...shape] };
}
