/**
 * Measures what lossy encodings cost in accuracy (runtime/model/action-accuracy.ts): for every
 * partition p and every exit branching after it, the tensor at p is quantised sample by sample
 * exactly as the wire codec does for one request (f16, per-tensor affine int8), decoded, and the
 * suffix runs to every later exit; for the raw input, each image is JPEG-encoded (sharp, i.e.
 * libvips/libjpeg-turbo, what a device would use) at each quality, decoded, and the whole model
 * runs. ORT on the CPU, one thread, batched.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { cpus } from 'node:os';
import { CoinferError } from '../common/errors.ts';
import { encodeCorrectness } from '../runtime/model/manifest-build.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { preprocess } from '../runtime/model/preprocess.ts';
import { extractSubModel } from '../runtime/onnx/extract-model.ts';
import { decodeTensor, encodeTensor, type FloatEncoding } from '../runtime/wire/tensor-codec.ts';
import { ACTION_ACCURACY_SCHEMA_VERSION, type ActionAccuracyEntry, type ActionAccuracyFile } from '../runtime/model/action-accuracy.ts';
import { median } from '../runtime/profile/sample-stats.ts';
import { argmaxRows } from '../runtime/device/argmax-rows.ts';

export interface MeasureActionAccuracyOptions {
  readonly onnx: Uint8Array;
  readonly manifest: ModelManifest;
  /** Raw uint8 NCHW pixels of the evaluation set. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  /** Intermediate encodings to measure (default f16, int8). */
  readonly encodings?: readonly FloatEncoding[];
  /** JPEG qualities of the input encoding (default 90 and 50). */
  readonly jpegQualities?: readonly number[];
  readonly batchSize?: number;
  /** Called after each measured (partition, encoding) with done/total. */
  readonly onProgress?: (done: number, total: number) => void;
}

type Session = ort.InferenceSession;
const SESSION_OPTS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };

/** Runs `session` over `input` (count samples of `per` floats) in batches; returns each output concatenated. */
async function runBatched(session: Session, inputName: string, input: Float32Array, shape: readonly number[], outputs: readonly string[], batch: number): Promise<Float32Array[]> {
  const per = shape.reduce((a, b) => a * b, 1);
  const count = input.length / per;
  const chunks: Float32Array[][] = outputs.map(() => []);
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const res = await session.run({ [inputName]: new ort.Tensor('float32', input.subarray(s * per, (s + n) * per), [n, ...shape]) }, [...outputs]);
    outputs.forEach((o, k) => chunks[k]!.push(Float32Array.from(res[o]!.data as Float32Array)));
  }
  return chunks.map((c) => {
    const out = new Float32Array(c.reduce((a, x) => a + x.length, 0));
    let off = 0;
    for (const x of c) { out.set(x, off); off += x.length; }
    return out;
  });
}

function correctness(probs: Float32Array, labels: Uint8Array, classes: number): Uint8Array {
  const predicted = argmaxRows(probs, classes);
  return Uint8Array.from(labels, (label, i) => (predicted[i] === label ? 1 : 0));
}

const mean01 = (c: Uint8Array): number => (c.length === 0 ? 0 : c.reduce((a, b) => a + b, 0) / c.length);

/** One image CHW uint8 → JPEG bytes → decoded CHW uint8 (grey images stay one channel). */
async function jpegRoundTrip(chw: Uint8Array, c: number, h: number, w: number, quality: number): Promise<{ bytes: number; decoded: Uint8Array; encodeMs: number }> {
  const plane = h * w;
  const hwc = new Uint8Array(c * plane);
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) hwc[p * c + ch] = chw[ch * plane + p]!;
  const t0 = performance.now();
  const enc = await sharp(hwc, { raw: { width: w, height: h, channels: c as 1 | 3 } }).jpeg({ quality }).toBuffer();
  const encodeMs = performance.now() - t0;
  const { data, info } = await sharp(enc).raw().toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(c * plane);
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) out[ch * plane + p] = data[p * info.channels + Math.min(ch, info.channels - 1)]!;
  return { bytes: enc.length, decoded: out, encodeMs };
}

/**
 * Measures every lossy action's accuracy.
 * @throws CoinferError ERR_INVALID_ARGUMENT when images and labels disagree
 */
export async function measureActionAccuracy(opts: MeasureActionAccuracyOptions): Promise<ActionAccuracyFile> {
  const { manifest, labels } = opts;
  const shape = manifest.input.shape;
  const [C, H, W] = shape as [number, number, number];
  const per = C * H * W;
  const count = labels.length;
  if (count === 0 || opts.images.length !== count * per) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${count}×${per} image bytes for ${count} labels (at least one), actually ${opts.images.length}`);
  }
  const encodings = opts.encodings ?? ['f16', 'int8'];
  const qualities = opts.jpegQualities ?? [90, 50];
  const batch = opts.batchSize ?? 200;
  const classes = manifest.architecture.classes;
  const lastBranch = Math.max(...manifest.exits.map((e) => e.branchStage));
  const partitions = manifest.stages.map((s) => s.index).filter((p) => p < lastBranch);
  const total = partitions.length * encodings.length + qualities.length;
  let done = 0;
  const entries: ActionAccuracyEntry[] = [];
  const x = preprocess(manifest, opts.images);

  for (const p of partitions) {
    const stage = manifest.stages[p - 1]!;
    const exits = manifest.exits.filter((e) => e.branchStage > p);
    const prefix = await ort.InferenceSession.create(extractSubModel(opts.onnx, { inputs: [manifest.input.name], outputs: [stage.output] }), SESSION_OPTS);
    const suffix = await ort.InferenceSession.create(extractSubModel(opts.onnx, { inputs: [stage.output], outputs: exits.map((e) => e.output) }), SESSION_OPTS);
    try {
      const [act] = await runBatched(prefix, manifest.input.name, x, shape, [stage.output], batch);
      const perAct = stage.outputShape.reduce((a, b) => a * b, 1);
      for (const enc of encodings) {
        const lossy = new Float32Array(act!.length);
        for (let i = 0; i < count; i++) {
          // One request carries one sample: quantise each sample on its own, as the wire does.
          decodeTensor(encodeTensor(act!.subarray(i * perAct, (i + 1) * perAct), enc), lossy.subarray(i * perAct, (i + 1) * perAct));
        }
        const probs = await runBatched(suffix, stage.output, lossy, stage.outputShape, exits.map((e) => e.output), batch);
        exits.forEach((e, k) => {
          const c = correctness(probs[k]!, labels, classes);
          entries.push({ exit: e.index, partition: p, encoding: enc, accuracy: mean01(c), correct: encodeCorrectness(c) });
        });
        opts.onProgress?.(++done, total);
      }
    } finally {
      await prefix.release();
      await suffix.release();
    }
  }

  const whole = await ort.InferenceSession.create(opts.onnx, SESSION_OPTS);
  const inputEncodings: ActionAccuracyFile['inputEncodings'] = [];
  let exitAccuracy: number[] = [];
  try {
    const f32 = await runBatched(whole, manifest.input.name, x, shape, manifest.exits.map((e) => e.output), batch);
    exitAccuracy = f32.map((p) => mean01(correctness(p, labels, classes)));
    for (const q of qualities) {
      const decoded = new Uint8Array(opts.images.length);
      let bytes = 0;
      const encodeMs: number[] = [];
      for (let i = 0; i < count; i++) {
        const r = await jpegRoundTrip(opts.images.subarray(i * per, (i + 1) * per), C, H, W, q);
        decoded.set(r.decoded, i * per);
        bytes += r.bytes;
        encodeMs.push(r.encodeMs);
      }
      const probs = await runBatched(whole, manifest.input.name, preprocess(manifest, decoded), shape, manifest.exits.map((e) => e.output), batch);
      manifest.exits.forEach((e, k) => {
        const c = correctness(probs[k]!, labels, classes);
        entries.push({ exit: e.index, partition: 0, encoding: 'jpeg', quality: q, accuracy: mean01(c), correct: encodeCorrectness(c) });
      });
      inputEncodings.push({ encoding: 'jpeg', quality: q, meanBytes: bytes / count, encodeMsMedian: median(encodeMs) });
      opts.onProgress?.(++done, total);
    }
  } finally {
    await whole.release();
  }
  return {
    schemaVersion: ACTION_ACCURACY_SCHEMA_VERSION, onnxSha256: manifest.onnxSha256, evalSamples: count, exitAccuracy,
    measuredAt: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}`, entries, inputEncodings,
  };
}
