/**
 * `model eval` behind the CLI: scores every exit of a model package with onnxruntime-node on
 * the package's dataset test split, or — when that dataset is not installed — on the test
 * images the package ships in samples/ (saying so).
 */
import { isCoinferError } from '../common/errors.ts';
import { loadModelPackage, packageDataSource } from '../runtime/model/model-package.ts';
import { loadSamples } from '../runtime/model/samples.ts';
import type { DatasetName } from './data/dataset.ts';
import { takeFirst } from './data/dataset.ts';
import { loadDataset, parseDatasetName } from './data/load-dataset.ts';
import { evaluateExits } from './evaluate.ts';

export interface EvaluatePackageOptions {
  readonly modelDir: string;
  /** Dataset to score on (default: the manifest's). */
  readonly dataset?: DatasetName;
  /** Dataset folder (default: the loader's). */
  readonly dataDir?: string;
  /** Score only the first N images. */
  readonly limit?: number;
  /** Score the package's samples when the dataset is missing (default true); false rejects instead. */
  readonly samplesFallback?: boolean;
}

export interface PackageEvaluation {
  readonly exits: readonly { name: string; accuracy: number; manifestAccuracy: number | null }[];
  readonly samples: number;
  /** Where the images came from. */
  readonly source: 'dataset' | 'package-samples';
  /** Why the dataset was not used (source 'package-samples'). */
  readonly reason: string | null;
  /** Per-exit correctness vectors, exit order. */
  readonly correct: readonly Uint8Array[];
}

/**
 * Evaluates a package.
 * @throws CoinferError ERR_MODEL_NOT_FOUND / ERR_MODEL_MANIFEST from loading; ERR_DATASET_NOT_FOUND
 *   when neither the dataset nor package samples are available (or the dataset is missing and
 *   samplesFallback is false)
 */
export async function evaluatePackage(opts: EvaluatePackageOptions): Promise<PackageEvaluation> {
  const pkg = await loadModelPackage(opts.modelDir);
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  let images: Uint8Array;
  let labels: Uint8Array;
  let source: PackageEvaluation['source'] = 'dataset';
  let reason: string | null = null;
  try {
    const name = opts.dataset ?? parseDatasetName(pkg.manifest.input.dataset);
    const dataDir = opts.dataDir ?? packageDataSource(pkg);
    const test = takeFirst(await loadDataset({ name, split: 'test', ...(dataDir ? { dataDir } : {}) }), limit);
    images = test.images;
    labels = test.labels;
  } catch (e) {
    if (!isCoinferError(e, 'ERR_DATASET_NOT_FOUND') || opts.samplesFallback === false) throw e;
    reason = e.message;
    source = 'package-samples';
    const s = await loadSamples(pkg);
    const n = Math.min(s.count, limit);
    const per = s.shape.reduce((a, b) => a * b, 1);
    images = s.images.subarray(0, n * per);
    labels = s.labels.subarray(0, n);
  }
  const stats = await evaluateExits({ onnx: pkg.onnx, manifest: pkg.manifest, images, labels });
  return {
    exits: stats.map((s, k) => ({ name: s.name, accuracy: s.accuracy, manifestAccuracy: pkg.manifest.exits[k]!.accuracy })),
    samples: labels.length,
    source,
    reason,
    correct: stats.map((s) => s.correct),
  };
}
