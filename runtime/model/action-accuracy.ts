/**
 * The true accuracy of every action whose numbers can differ from its exit's float32 answer:
 * intermediate tensors sent as f16 or int8 (quantised per request, as on the wire) and the raw
 * input sent as a JPEG at a given quality. Measured on the package's evaluation set by
 * `coinfer model accuracy` and stored beside the manifest in `action-accuracy.json`, with a
 * per-sample correctness vector each, so the envs and planners score an action by its real
 * accuracy. Actions not listed (f32 intermediates, raw uint8 input, local exits) answer exactly
 * like their exit (f32 end to end), so the manifest's per-exit vectors cover them.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseWith } from '../../common/schema.ts';
import { CoinferError } from '../../common/errors.ts';
import type { ModelManifest } from './manifest.ts';
import { jpegQuality } from '../action.ts';
import { decodeCorrectness } from './manifest-build.ts';

export const ACTION_ACCURACY_FILE = 'action-accuracy.json';
export const ACTION_ACCURACY_SCHEMA_VERSION = 1;

const entrySchema = z.strictObject({
  exit: z.int().min(1),
  partition: z.int().min(0),
  /** A wire encoding (f16, int8) or an input encoding ('jpeg' with `quality`). */
  encoding: z.string().min(1),
  /** JPEG quality 1..100 for input encodings; absent otherwise. */
  quality: z.int().min(1).max(100).optional(),
  accuracy: z.number().min(0).max(1),
  /** Base64 bit-vector, bit i (LSB first) = sample i correct (as the manifest's exits). */
  correct: z.string(),
});

const inputEncodingSchema = z.strictObject({
  encoding: z.string().min(1),
  quality: z.int().min(1).max(100),
  /** Mean bytes of one encoded image (its payload on the wire). */
  meanBytes: z.number().positive(),
  /** Median time to encode one image on the measuring machine, ms. */
  encodeMsMedian: z.number().min(0),
});

export const actionAccuracySchema = z.strictObject({
  schemaVersion: z.literal(ACTION_ACCURACY_SCHEMA_VERSION),
  /** sha256 of the model.onnx the numbers belong to. */
  onnxSha256: z.string().length(64),
  evalSamples: z.int().positive(),
  /** Each exit's float32 accuracy on the same samples (the reference every entry differs from). */
  exitAccuracy: z.array(z.number().min(0).max(1)),
  measuredAt: z.string(),
  /** Machine the encode times were measured on. */
  machine: z.string(),
  entries: z.array(entrySchema),
  inputEncodings: z.array(inputEncodingSchema),
});

export type ActionAccuracyEntry = z.infer<typeof entrySchema>;
export type ActionAccuracyFile = z.infer<typeof actionAccuracySchema>;

/** Reads a package's action accuracies; null when the package has none. @throws CoinferError ERR_MODEL_MANIFEST when the file is invalid or for another model */
export async function loadActionAccuracy(dir: string, onnxSha256: string): Promise<ActionAccuracyFile | null> {
  let text: string;
  try {
    text = await readFile(join(dir, ACTION_ACCURACY_FILE), 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CoinferError('ERR_MODEL_MANIFEST', `${join(dir, ACTION_ACCURACY_FILE)} is not valid JSON (${(e as Error).message}); re-run coinfer model accuracy`, { cause: e });
  }
  const file = parseWith(actionAccuracySchema, json, join(dir, ACTION_ACCURACY_FILE), 'ERR_MODEL_MANIFEST');
  if (file.onnxSha256 !== onnxSha256) {
    throw new CoinferError('ERR_MODEL_MANIFEST', `${join(dir, ACTION_ACCURACY_FILE)} was measured on another model.onnx (sha256 ${file.onnxSha256.slice(0, 12)}…); re-run coinfer model accuracy --model ${dir}`);
  }
  return file;
}

/** Writes the file atomically. */
export async function saveActionAccuracy(dir: string, file: ActionAccuracyFile): Promise<void> {
  const path = join(dir, ACTION_ACCURACY_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(parseWith(actionAccuracySchema, file, 'action accuracy'), null, 1)}\n`);
  await rename(tmp, path);
}

/** Key of an entry for lookups: "e5/p3/int8" or "e5/p0/jpeg90". */
export function actionAccuracyKey(a: { exit: number; partition: number; encoding: string; quality?: number | undefined }): string {
  return `e${a.exit}/p${a.partition}/${a.encoding}${a.quality ?? ''}`;
}

/** The measured figures of a `jpegNN` input encoding (mean bytes, median encode ms), or null when the file has none. */
export function measuredInputEncoding(file: ActionAccuracyFile | null, encoding: string): { meanBytes: number; encodeMsMedian: number } | null {
  const q = jpegQuality(encoding);
  if (q === null || file === null) return null;
  return file.inputEncodings.find((e) => e.encoding === 'jpeg' && e.quality === q) ?? null;
}

/** The measured JPEG input encodings by encoding name (`jpeg90` → mean bytes, median encode ms), as a latency table takes them; empty without a file. */
export function jpegInputEncodings(file: ActionAccuracyFile | null): Map<string, { meanBytes: number; encodeMsMedian: number }> {
  const m = new Map<string, { meanBytes: number; encodeMsMedian: number }>();
  for (const e of file?.inputEncodings ?? []) if (e.encoding === 'jpeg') m.set(`jpeg${e.quality}`, { meanBytes: e.meanBytes, encodeMsMedian: e.encodeMsMedian });
  return m;
}

/**
 * McNemar's test (with continuity correction) on paired per-sample correctness: do `a` and `b`
 * differ in accuracy beyond chance at the 5% level? Only the discordant samples count.
 */
export function significantlyDifferent(a: Uint8Array, b: Uint8Array): boolean {
  let onlyA = 0, onlyB = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === 1 && b[i] !== 1) onlyA++;
    else if (b[i] === 1 && a[i] !== 1) onlyB++;
  }
  const d = onlyA + onlyB;
  return d > 0 && (Math.abs(onlyA - onlyB) - 1) ** 2 / d > 3.841; // χ²(1 df) at 0.05
}

/**
 * An action's true accuracy and per-sample correctness: its measured entry when the action is
 * lossy and measured, else its exit's (f32 end to end). `correct` is the action's own samples
 * (what the replay env scores); `accuracy` is the entry's only when it differs from the exit's
 * significantly (McNemar, 5%), else the exit's: planners maximise accuracy lexicographically,
 * and a 0.01-point measurement wobble must not send them to a slower partition. `correct` is
 * null for an untrained model.
 */
export function actionAccuracyOf(
  manifest: ModelManifest,
  file: ActionAccuracyFile | null,
  action: { exit: number; partition: number; encoding: string; quality?: number },
): { accuracy: number | null; correct: Uint8Array | null } {
  const ex = manifest.exits[action.exit - 1]!;
  const exitBits = ex.correct ? decodeCorrectness(ex.correct, ex.evalSamples) : null;
  // An action's `jpegNN` encoding names the measured entry {encoding: 'jpeg', quality: NN}.
  const q = jpegQuality(action.encoding);
  const encoding = q === null ? action.encoding : 'jpeg';
  const quality = q ?? action.quality;
  const entry = file?.entries.find((e) => e.exit === action.exit && e.partition === action.partition && e.encoding === encoding && e.quality === quality);
  if (!entry) return { accuracy: ex.accuracy, correct: exitBits };
  const bits = decodeCorrectness(entry.correct, file!.evalSamples);
  const differs = exitBits === null || exitBits.length !== bits.length || significantlyDifferent(bits, exitBits);
  return { accuracy: differs ? entry.accuracy : ex.accuracy, correct: bits };
}
