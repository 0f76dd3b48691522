/**
 * The model package manifest (docs/architecture.md §2): `manifest.json` beside `model.onnx`. Everything a
 * device, an edge, a latency model or the replay env needs to know about the model, without
 * reading the ONNX graph.
 */
import type { ArchitectureSpec } from './architecture.ts';
import type { LayerInfo } from './layer-shapes.ts';

export const MANIFEST_SCHEMA_VERSION = 1;

/** A layer as the manifest records it: shapes, counts and Edgent's regression variables. */
export type LayerManifest = LayerInfo;

export interface StageManifest {
  /** 1-based: partition p = "the device ran stages 1..p". */
  readonly index: number;
  readonly name: string;
  /** ONNX tensor name of the stage output (the partition point). */
  readonly output: string;
  readonly layers: readonly LayerManifest[];
  readonly params: number;
  readonly flops: number;
  /** Per-sample output shape (C,H,W or [n]). */
  readonly outputShape: readonly number[];
  /** Per-sample output bytes in float32. */
  readonly outputBytes: number;
}

export interface ExitManifest {
  /** 1-based exit number. */
  readonly index: number;
  readonly name: string;
  /** ONNX tensor name of the exit's softmax probabilities. */
  readonly output: string;
  /** Backbone stages the exit needs (its head reads stage `branchStage`'s output). */
  readonly branchStage: number;
  readonly layers: readonly LayerManifest[];
  readonly params: number;
  readonly flops: number;
  /** Top-1 accuracy on the evaluation set, or null for an untrained model. */
  readonly accuracy: number | null;
  /** Size of the evaluation set behind `accuracy` and `correct`. */
  readonly evalSamples: number;
  /** Per-sample correctness on the evaluation set: base64 bit-vector, bit i (LSB-first) = sample i. */
  readonly correct: string | null;
}

export interface InputManifest {
  /** ONNX graph input name. */
  readonly name: string;
  /** Per-sample shape C,H,W. */
  readonly shape: readonly number[];
  readonly dtype: 'float32';
  /** float = (uint8 · scale − mean[c]) / std[c]. */
  readonly preprocessing: { readonly scale: number; readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly dataset: string;
  /**
   * Where the training run read the dataset: absolute, or relative to the package folder
   * (`packageDataSource`); `model eval` and `model accuracy` read the test split there unless told otherwise.
   */
  readonly dataSource?: string;
  readonly classNames: readonly string[];
}

export interface Provenance {
  readonly dataset: string;
  readonly trainingCommand: string | null;
  readonly gitCommit: string | null;
  readonly date: string;
  readonly notes?: string;
  /** What the training run did, when the package came from `coinfer model train`. */
  readonly training?: TrainingRecord;
}

/** The record of a training run kept in the manifest (docs/model.md). */
export interface TrainingRecord {
  /** Epochs completed, and the epochs the run was configured for (fewer: an unfinished run packaged). */
  readonly epochsDone: number;
  readonly epochsPlanned: number;
  readonly steps: number;
  /** Sum of the epochs' wall times (resumes included; time between sessions is not). */
  readonly wallSeconds: number;
  /** Wall seconds of each completed epoch. */
  readonly epochSeconds: readonly number[];
  /** Running training accuracy of each exit over the last completed epoch (augmented, dropout on). */
  readonly lastEpochTrainAccuracy: readonly number[];
}

export interface ModelManifest {
  readonly schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  readonly name: string;
  readonly architecture: ArchitectureSpec;
  readonly input: InputManifest;
  readonly stages: readonly StageManifest[];
  readonly exits: readonly ExitManifest[];
  readonly provenance: Provenance;
  /** sha256 of model.onnx (hex); the wire protocol's model id derives from it. */
  readonly onnxSha256: string;
}
