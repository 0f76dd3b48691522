/**
 * Per-action constants the replay env needs on its hot path, precomputed once per model,
 * codec and compute-time table: typed arrays indexed by action index.
 */
import { planExecution } from '../runtime/model/execution-plan.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { CoinferError } from '../common/errors.ts';
import { isJpeg } from '../runtime/action.ts';
import { actionAccuracyOf, measuredInputEncoding, type ActionAccuracyFile } from '../runtime/model/action-accuracy.ts';
import { jpegPayloadBytes, payloadBytes } from '../runtime/profile/payload-estimate.ts';
import type { FixedSizeEncoding } from '../runtime/wire/tensor-codec.ts';
import type { ActionCodec } from './action-codec.ts';
import { stagesMs, type ComputeTimes } from './compute-times.ts';

export interface ActionTable {
  readonly size: number;
  /** 0-based exit index. */
  readonly exitIndex: Int32Array;
  readonly local: Uint8Array;
  /** Bytes on the uplink (payload + frame header); 0 when local. */
  readonly bytes: Float64Array;
  /** Device compute before any jitter/load, ms (stages run + local head + overhead). */
  readonly deviceBaseMs: Float64Array;
  /** Edge compute before jitter/load, ms (0 when local). */
  readonly edgeBaseMs: Float64Array;
  /** The action's true accuracy: its measured lossy-encoding accuracy, else its exit's. */
  readonly accuracy: Float64Array;
  /** Per-sample correctness of the action on the evaluation set (empty for an untrained model). */
  readonly correct: readonly Uint8Array[];
}

export function exitAccuracies(manifest: ModelManifest): number[] {
  return manifest.exits.map((e, i) => e.accuracy ?? (i + 1) / (manifest.exits.length + 1));
}

/**
 * Precomputes the per-action constants.
 * @param actionAccuracy measured accuracies of lossy actions (the package's), or null: every
 *   action then answers like its exit. JPEG input actions take their bytes (mean JPEG size +
 *   frame header) and device time (median encode) from its `inputEncodings`.
 * @throws CoinferError ERR_INVALID_CONFIG when the codec offers a JPEG action the file has no figures for
 */
export function buildActionTable(manifest: ModelManifest, codec: ActionCodec, times: ComputeTimes, actionAccuracy: ActionAccuracyFile | null = null): ActionTable {
  const n = codec.size;
  const exitAcc = exitAccuracies(manifest);
  const truth = codec.actions.map((a) => actionAccuracyOf(manifest, actionAccuracy, a));
  const t: ActionTable = {
    accuracy: Float64Array.from(truth, (x, i) => x.accuracy ?? exitAcc[codec.actions[i]!.exit - 1]!),
    correct: truth.map((x) => x.correct ?? new Uint8Array(0)),
    size: n,
    exitIndex: new Int32Array(n),
    local: new Uint8Array(n),
    bytes: new Float64Array(n),
    deviceBaseMs: new Float64Array(n),
    edgeBaseMs: new Float64Array(n),
  };
  codec.actions.forEach((a, i) => {
    const plan = planExecution(manifest, a);
    const ex = manifest.exits[a.exit - 1]!;
    t.exitIndex[i] = a.exit - 1;
    if (plan.local) {
      t.local[i] = 1;
      t.deviceBaseMs[i] = stagesMs(times.device, 0, ex.branchStage) + times.device.headMs[a.exit - 1]! + times.device.overheadMs;
    } else {
      t.deviceBaseMs[i] = stagesMs(times.device, 0, a.partition) + (a.partition > 0 ? times.device.overheadMs : 0);
      t.edgeBaseMs[i] = stagesMs(times.edge, a.partition, ex.branchStage) + times.edge.headMs[a.exit - 1]! + times.edge.overheadMs;
      if (isJpeg(a.encoding)) {
        const m = measuredInputEncoding(actionAccuracy, a.encoding);
        if (m === null) throw noJpegFigures(a.encoding);
        t.deviceBaseMs[i] = m.encodeMsMedian;
        t.bytes[i] = jpegPayloadBytes(m.meanBytes, plan.crossing!.shape.length + 1);
      } else {
        t.bytes[i] = payloadBytes({ elements: plan.crossing!.elements, encoding: plan.action.encoding as FixedSizeEncoding, rank: plan.crossing!.shape.length + 1 });
      }
    }
  });
  return t;
}

/** The error for a JPEG action offered without measured figures. */
export function noJpegFigures(encoding: string): CoinferError {
  return new CoinferError('ERR_INVALID_CONFIG', `Encoding ${encoding} needs the package's measured JPEG figures (inputEncodings in action-accuracy.json), actually none for it; run coinfer model accuracy on the package or drop ${encoding} from encodings`);
}
