/**
 * Turns a trained tfjs BranchyNet into a model package: export the weights to ONNX layouts,
 * build the ONNX graph, check ORT against tfjs on a few test images (a layout bug fails here,
 * not in production), score every exit on the test set with ORT, and write model.onnx +
 * manifest.json (per-exit accuracy and correctness vectors, provenance) + samples/.
 */
import * as ort from 'onnxruntime-node';
import type * as TfNs from '@tensorflow/tfjs';
import { CoinferError } from '../common/errors.ts';
import type { ArchitectureSpec } from '../runtime/model/architecture.ts';
import type { ModelManifest, Provenance } from '../runtime/model/manifest.ts';
import { buildOnnxModel } from '../runtime/model/onnx-builder.ts';
import { buildManifest } from '../runtime/model/manifest-build.ts';
import { writeModelPackage } from '../runtime/model/model-package.ts';
import { imageBytes, takeFirst, type ImageDataset } from './data/dataset.ts';
import { makeBatch, type Normalization } from './batches.ts';
import { exportOnnxWeights } from './export-weights.ts';
import { evaluateExits } from './evaluate.ts';
import type { TfBranchyNet } from './tf-alexnet.ts';

type Tf = typeof TfNs;

/** Images of the test set shipped in samples/ (raw uint8). */
export const PACKAGE_SAMPLE_COUNT = 1000;
/** Largest |ORT − tfjs| probability difference accepted by the export check. */
export const EXPORT_CHECK_TOLERANCE = 1e-4;

export interface PackageTrainedOptions {
  /** The tf namespace the network was built with. */
  readonly tf: Tf;
  readonly spec: ArchitectureSpec;
  readonly net: TfBranchyNet;
  readonly outDir: string;
  readonly normalization: Normalization;
  /** The evaluation set (its first PACKAGE_SAMPLE_COUNT images become the samples). */
  readonly test: ImageDataset;
  readonly provenance: Provenance;
  /** Where the dataset was read from, recorded in the manifest for `model eval`. */
  readonly dataSource?: string;
}

export interface PackagedModel {
  readonly manifest: ModelManifest;
  readonly exits: readonly { name: string; accuracy: number }[];
  /** max |ORT − tfjs| over the check images and all exits. */
  readonly exportMaxAbsDiff: number;
}

/**
 * Largest |ORT − tfjs| over every exit's probabilities on the first `n` images of `ds`.
 * Both sides see the same preprocessed pixels (tfjs NHWC, ORT NCHW).
 */
export async function exportMaxAbsDiff(tf: Tf, opts: { net: TfBranchyNet; onnx: Uint8Array; manifest: ModelManifest; ds: ImageDataset; normalization: Normalization; n: number }): Promise<number> {
  const { ds, manifest, net } = opts;
  const n = Math.min(opts.n, ds.count);
  const idx = Array.from({ length: n }, (_, i) => i);
  const nhwc = makeBatch(ds, idx, { norm: opts.normalization }).x;
  const nchw = new Float32Array(n * imageBytes(ds));
  const { channels: C, height: H, width: W } = ds;
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) nchw[((i * C + c) * H * W) + p] = nhwc[(i * H * W + p) * C + c]!;
  const tfOut = tf.tidy(() => (net.model.predict(tf.tensor4d(nhwc, [n, H, W, C])) as TfNs.Tensor[]).map((t) => t.dataSync() as Float32Array));
  const session = await ort.InferenceSession.create(opts.onnx, { intraOpNumThreads: 1 });
  try {
    const names = manifest.exits.map((e) => e.output);
    const res = await session.run({ [manifest.input.name]: new ort.Tensor('float32', nchw, [n, C, H, W]) }, names);
    let max = 0;
    names.forEach((name, k) => {
      const a = res[name]!.data as Float32Array;
      const b = tfOut[k]!;
      for (let j = 0; j < a.length; j++) max = Math.max(max, Math.abs(a[j]! - b[j]!));
    });
    return max;
  } finally {
    await session.release();
  }
}

/**
 * Exports, checks, evaluates and writes the package.
 * @throws CoinferError ERR_ONNX_GRAPH when ORT and tfjs disagree beyond EXPORT_CHECK_TOLERANCE
 */
export async function packageTrainedModel(opts: PackageTrainedOptions): Promise<PackagedModel> {
  const { tf, spec, test, normalization } = opts;
  const onnx = buildOnnxModel(spec, exportOnnxWeights(opts.net.model, spec));
  const base = {
    spec, onnx, dataset: test.name, classNames: test.classNames, provenance: opts.provenance,
    ...(opts.dataSource !== undefined ? { dataSource: opts.dataSource } : {}),
    preprocessing: { scale: normalization.scale, mean: [...normalization.mean], std: [...normalization.std] },
  };
  const draft = buildManifest(base);
  const diff = await exportMaxAbsDiff(tf, { net: opts.net, onnx, manifest: draft, ds: test, normalization, n: 16 });
  if (!(diff <= EXPORT_CHECK_TOLERANCE)) {
    throw new CoinferError('ERR_ONNX_GRAPH', `Exported ONNX disagrees with the trained tfjs model: max |diff| ${diff} > ${EXPORT_CHECK_TOLERANCE}; the weight export or the builder is wrong`);
  }
  const stats = await evaluateExits({ onnx, manifest: draft, images: test.images, labels: test.labels });
  const manifest = buildManifest({ ...base, exitStats: stats });
  const sample = takeFirst(test, PACKAGE_SAMPLE_COUNT);
  await writeModelPackage(opts.outDir, {
    onnx,
    manifest,
    samples: {
      images: { dims: [sample.count, test.channels, test.height, test.width], data: sample.images },
      labels: { dims: [sample.count], data: sample.labels },
    },
  });
  return { manifest, exits: stats.map((s) => ({ name: s.name, accuracy: s.accuracy })), exportMaxAbsDiff: diff };
}
