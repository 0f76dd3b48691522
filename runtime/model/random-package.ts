/**
 * A real, complete model package with random weights and random uint8 samples, for tests and
 * tools that need a package without the trained model (accuracy null, no correctness).
 */
import { createRng } from '../../common/rng.ts';
import type { ArchitectureSpec } from './architecture.ts';
import { buildManifest } from './manifest-build.ts';
import { loadModelPackage, writeModelPackage, type ModelPackage } from './model-package.ts';
import { buildOnnxModel } from './onnx-builder.ts';
import { randomWeights } from './random-weights.ts';

export interface RandomPackageOptions {
  /** Directory to write (replaced if it exists). */
  readonly dir: string;
  readonly spec: ArchitectureSpec;
  /** Seeds the weights and the samples. */
  readonly seed: number;
  /** Number of random samples to ship (default 16; 0 ships none). */
  readonly sampleCount?: number;
  /** Dataset label in the manifest (default 'random'). */
  readonly dataset?: string;
  /** Class names (default class0..class{k-1}). */
  readonly classNames?: readonly string[];
}

/**
 * Writes and loads a random-weight package.
 * @example const pkg = await createRandomModelPackage({ dir: tmp, spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 1 });
 */
export async function createRandomModelPackage(opts: RandomPackageOptions): Promise<ModelPackage> {
  const { spec, seed } = opts;
  const sampleCount = opts.sampleCount ?? 16;
  if (!Number.isInteger(sampleCount) || sampleCount < 0) throw new RangeError(`Expected sampleCount a non-negative integer, actually ${sampleCount}`);
  const rng = createRng(seed);
  const onnx = buildOnnxModel(spec, randomWeights(spec, rng.fork()));
  const dataset = opts.dataset ?? 'random';
  const channels = spec.input.channels;
  const manifest = buildManifest({
    spec, onnx, dataset,
    preprocessing: { scale: 1 / 255, mean: new Array<number>(channels).fill(0.5), std: new Array<number>(channels).fill(0.5) },
    classNames: opts.classNames ?? Array.from({ length: spec.classes }, (_, i) => `class${i}`),
    provenance: { dataset, trainingCommand: null, gitCommit: null, date: new Date().toISOString(), notes: `random weights (He-normal, seed ${seed}); not trained` },
  });
  let samples;
  if (sampleCount > 0) {
    const sampleRng = rng.fork();
    const chw = [channels, spec.input.height, spec.input.width];
    const images = new Uint8Array(sampleCount * chw[0]! * chw[1]! * chw[2]!);
    for (let i = 0; i < images.length; i++) images[i] = sampleRng.int(256);
    const labels = new Uint8Array(sampleCount);
    for (let i = 0; i < sampleCount; i++) labels[i] = sampleRng.int(spec.classes);
    samples = { images: { dims: [sampleCount, ...chw], data: images }, labels: { dims: [sampleCount], data: labels } };
  }
  await writeModelPackage(opts.dir, samples === undefined ? { onnx, manifest } : { onnx, manifest, samples });
  return loadModelPackage(opts.dir);
}
