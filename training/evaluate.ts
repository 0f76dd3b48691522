/**
 * Evaluates every exit of an ONNX model package with onnxruntime-node: one session on the
 * whole model (its graph outputs are all the exits), batches of preprocessed NCHW floats,
 * top-1 accuracy and a per-sample correctness vector per exit (for the replay env).
 */
import * as ort from 'onnxruntime-node';
import { CoinferError } from '../common/errors.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { preprocess } from '../runtime/model/preprocess.ts';

export interface ExitEvaluation {
  readonly name: string;
  /** Top-1 accuracy in [0, 1]. */
  readonly accuracy: number;
  /** 1 where the exit's argmax equals the label, else 0; one entry per image. */
  readonly correct: Uint8Array;
}

export interface EvaluateOptions {
  readonly onnx: Uint8Array;
  /** Supplies the input name, shape, preprocessing and exit output names. */
  readonly manifest: ModelManifest;
  /** Raw uint8 NCHW pixels of `count` images. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  /** Images per ORT run, 1..4096 (default 100). */
  readonly batchSize?: number;
  /** ORT intra-op threads (default 1: the machine is shared). */
  readonly intraOpNumThreads?: number;
}

function argmax(a: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[off + j]! > a[off + best]!) best = j;
  return best;
}

/**
 * Runs the model over all images and scores every exit.
 * @throws CoinferError ERR_INVALID_ARGUMENT when images and labels disagree; ERR_ONNX_GRAPH when an exit output is missing
 */
export async function evaluateExits(opts: EvaluateOptions): Promise<ExitEvaluation[]> {
  const { manifest, images, labels } = opts;
  const shape = manifest.input.shape;
  const per = shape.reduce((a, b) => a * b, 1);
  const count = labels.length;
  if (images.length !== count * per) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${count}×${per} image bytes for ${count} labels, actually ${images.length}`);
  }
  const batchSize = opts.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) throw new RangeError(`Expected batchSize an integer in [1, 4096], actually ${batchSize}`);
  const classes = manifest.architecture.classes;
  const outputs = manifest.exits.map((e) => e.output);
  const session = await ort.InferenceSession.create(opts.onnx, {
    intraOpNumThreads: opts.intraOpNumThreads ?? 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const correct = outputs.map(() => new Uint8Array(count));
  try {
    const x = new Float32Array(batchSize * per);
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const input = x.subarray(0, n * per);
      preprocess(manifest, images.subarray(start * per, (start + n) * per), input);
      const res = await session.run({ [manifest.input.name]: new ort.Tensor('float32', input, [n, ...shape]) }, outputs);
      outputs.forEach((name, k) => {
        const t = res[name];
        if (!t || t.type !== 'float32') throw new CoinferError('ERR_ONNX_GRAPH', `The model returned no float32 output '${name}'`);
        const probs = t.data as Float32Array;
        for (let i = 0; i < n; i++) correct[k]![start + i] = argmax(probs, i * classes, classes) === labels[start + i] ? 1 : 0;
      });
    }
  } finally {
    await session.release();
  }
  return outputs.map((_, k) => {
    const c = correct[k]!;
    let s = 0;
    for (let i = 0; i < c.length; i++) s += c[i]!;
    return { name: manifest.exits[k]!.name, accuracy: count === 0 ? 0 : s / count, correct: c };
  });
}
