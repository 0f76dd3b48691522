/**
 * Fills a ModelManifest (docs/architecture.md §2) from the architecture spec, the ONNX bytes and optional
 * per-exit evaluation results; plus the base64 bit-vector codec of per-sample correctness.
 */
import { createHash } from 'node:crypto';
import { CoinferError } from '../../common/errors.ts';
import type { ArchitectureSpec } from './architecture.ts';
import { architectureInfo, type LayerInfo } from './layer-shapes.ts';
import {
  MANIFEST_SCHEMA_VERSION,
  type ExitManifest, type InputManifest, type LayerManifest, type ModelManifest, type Provenance, type StageManifest,
} from './manifest.ts';
import { ONNX_INPUT_NAME } from './onnx-builder.ts';

/** One exit's evaluation result. */
export interface ExitStats {
  /** Top-1 accuracy on the evaluation set, in [0, 1]. */
  readonly accuracy: number;
  /** 0|1 per evaluation sample (1 = the exit classified it correctly). */
  readonly correct: Uint8Array;
}

export interface BuildManifestOptions {
  readonly spec: ArchitectureSpec;
  readonly onnx: Uint8Array;
  readonly preprocessing: InputManifest['preprocessing'];
  readonly dataset: string;
  /** Where the dataset was read from (InputManifest.dataSource). */
  readonly dataSource?: string;
  /** One name per class (length = spec.classes). */
  readonly classNames: readonly string[];
  readonly provenance: Provenance;
  /** One entry per exit, in exit order; omitted for an untrained model (accuracy null). */
  readonly exitStats?: readonly ExitStats[];
}

const F32_BYTES = 4;
const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const sum = (xs: readonly LayerInfo[], f: (l: LayerInfo) => number): number => xs.reduce((a, l) => a + f(l), 0);

/** sha256 hex digest of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function layerManifest(l: LayerInfo): LayerManifest {
  return { name: l.name, type: l.type, inputShape: [...l.inputShape], outputShape: [...l.outputShape], params: l.params, flops: l.flops, vars: [...l.vars] };
}

/**
 * Encodes 0|1 flags as base64, bit i (LSB-first within each byte) = sample i.
 * @throws RangeError when an entry is not 0 or 1.
 */
export function encodeCorrectness(bits: Uint8Array): string {
  const packed = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    if (b > 1) throw new RangeError(`Expected correctness bits 0 or 1, actually ${b} at sample ${i}`);
    packed[i >> 3]! |= b << (i & 7);
  }
  return Buffer.from(packed).toString('base64');
}

/**
 * Decodes a base64 bit-vector of n samples into 0|1 per sample.
 * @throws CoinferError ERR_MODEL_MANIFEST when the string is not ⌈n/8⌉ bytes of base64.
 */
export function decodeCorrectness(b64: string, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Expected n a non-negative integer, actually ${n}`);
  const packed = Buffer.from(b64, 'base64');
  if (packed.length !== Math.ceil(n / 8) || packed.toString('base64') !== b64) {
    throw new CoinferError('ERR_MODEL_MANIFEST', `exits[].correct: expected base64 of ${Math.ceil(n / 8)} bytes for ${n} samples, actually ${packed.length} bytes; re-run evaluation to rebuild the manifest`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (packed[i >> 3]! >> (i & 7)) & 1;
  return out;
}

/**
 * Builds the manifest of a model package.
 * @throws RangeError on a malformed spec, a class-name count ≠ spec.classes, or exitStats
 *   that do not match the exits.
 */
export function buildManifest(opts: BuildManifestOptions): ModelManifest {
  const { spec, exitStats } = opts;
  const info = architectureInfo(spec);
  if (opts.classNames.length !== spec.classes) {
    throw new RangeError(`Expected ${spec.classes} class names, actually ${opts.classNames.length}`);
  }
  const { mean, std, scale } = opts.preprocessing;
  if (mean.length !== spec.input.channels || std.length !== spec.input.channels || std.some((s) => !(s > 0)) || !(scale > 0)) {
    throw new RangeError(`Expected preprocessing with scale > 0 and ${spec.input.channels} means and positive stds, actually ${JSON.stringify(opts.preprocessing)}`);
  }
  if (exitStats !== undefined) {
    if (exitStats.length !== spec.exits.length) throw new RangeError(`Expected exitStats for ${spec.exits.length} exits, actually ${exitStats.length}`);
    const n = exitStats[0]?.correct.length ?? 0;
    exitStats.forEach((s, i) => {
      if (!(s.accuracy >= 0 && s.accuracy <= 1)) throw new RangeError(`exitStats[${i}].accuracy: expected in [0, 1], actually ${s.accuracy}`);
      if (s.correct.length !== n) throw new RangeError(`exitStats[${i}].correct: expected ${n} samples like exit 1, actually ${s.correct.length}`);
    });
  }
  const stages: StageManifest[] = spec.stages.map((st, i) => {
    const layers = info.stages[i]!;
    const outputShape = [...info.stageOutputShapes[i]!];
    return {
      index: i + 1, name: st.name, output: st.name, layers: layers.map(layerManifest),
      params: sum(layers, (l) => l.params), flops: sum(layers, (l) => l.flops),
      outputShape, outputBytes: product(outputShape) * F32_BYTES,
    };
  });
  const exits: ExitManifest[] = spec.exits.map((ex, i) => {
    const layers = info.exits[i]!;
    const stats = exitStats?.[i];
    return {
      index: i + 1, name: ex.name, output: ex.name, branchStage: ex.branchStage, layers: layers.map(layerManifest),
      params: sum(layers, (l) => l.params), flops: sum(layers, (l) => l.flops),
      accuracy: stats?.accuracy ?? null,
      evalSamples: stats?.correct.length ?? 0,
      correct: stats === undefined ? null : encodeCorrectness(stats.correct),
    };
  });
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    name: spec.name,
    architecture: spec,
    input: {
      name: ONNX_INPUT_NAME,
      shape: [spec.input.channels, spec.input.height, spec.input.width],
      dtype: 'float32',
      preprocessing: { scale, mean: [...mean], std: [...std] },
      dataset: opts.dataset,
      ...(opts.dataSource !== undefined ? { dataSource: opts.dataSource } : {}),
      classNames: [...opts.classNames],
    },
    stages,
    exits,
    provenance: opts.provenance,
    onnxSha256: sha256Hex(opts.onnx),
  };
}
