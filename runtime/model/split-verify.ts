/**
 * The splitter's exactness check (docs/architecture.md §2): for every exit e and partition p in
 * [0, branchStage(e)], run the prefix (input → stage p's tensor; nothing for p = 0), then the
 * suffix (→ exit e's probabilities), and compare with the whole model's exit e output.
 * "Whole" is the unextracted model.onnx (all exits at once) in its own session, so even
 * p = 0 compares an extracted sub-model with the original graph. ORT runs the same kernels on
 * the same data either way, so the expected difference is 0.
 */
import * as ort from 'onnxruntime-node';
import { CoinferError } from '../../common/errors.ts';
import type { ModelManifest } from './manifest.ts';
import type { SessionCache } from './session-cache.ts';

export interface SplitPairDiff {
  /** 1-based exit. */
  readonly exit: number;
  /** Stages run before the cut (0 = the raw input crosses). */
  readonly partition: number;
  /** Tensor at the cut. */
  readonly tensor: string;
  /** max |prefix∘suffix − whole| over the batch and classes. */
  readonly maxAbsDiff: number;
}

export interface SplitVerifyResult {
  readonly pairs: readonly SplitPairDiff[];
  /** Max over all pairs. */
  readonly maxAbsDiff: number;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

/**
 * Checks every (partition, exit) pair on a preprocessed batch.
 * @param opts.input batch · C·H·W floats (preprocessed), NCHW.
 * @example const r = await verifySplits({ manifest, cache, input: x, batch: 16 }); r.maxAbsDiff === 0
 */
export async function verifySplits(opts: {
  readonly manifest: ModelManifest;
  /** The whole model's bytes (the reference). */
  readonly onnx: Uint8Array;
  /** Sessions for the sub-models (of the same bytes); the caller closes it. */
  readonly cache: SessionCache;
  readonly input: Float32Array;
  readonly batch: number;
}): Promise<SplitVerifyResult> {
  const { manifest, cache, input, batch } = opts;
  const from = manifest.input.name;
  const inputShape = manifest.input.shape;
  const reference = await ort.InferenceSession.create(opts.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  let wholeOut: ort.InferenceSession.ReturnType;
  try {
    wholeOut = await reference.run({ [from]: new ort.Tensor('float32', input, [batch, ...inputShape]) });
  } finally {
    await reference.release();
  }
  const prefixOut = new Map<number, Float32Array>(); // stage p's tensor, computed once per p
  const prefix = async (p: number): Promise<Float32Array> => {
    let out = prefixOut.get(p);
    if (out === undefined) {
      out = await cache.run({ from, to: manifest.stages[p - 1]!.output, input, batch, inputShape });
      prefixOut.set(p, out);
    }
    return out;
  };
  const pairs: SplitPairDiff[] = [];
  for (const ex of manifest.exits) {
    const whole = wholeOut[ex.output]?.data as Float32Array | undefined;
    if (whole === undefined) throw new CoinferError('ERR_ONNX_GRAPH', `model.onnx has no graph output '${ex.output}' (exit ${ex.index}); rebuild the package`);
    for (let p = 0; p <= ex.branchStage; p++) {
      let out: Float32Array;
      let tensor = from;
      if (p === 0) {
        // The edge's sub-model for partition 0 (input → exit), extracted like every other.
        out = await cache.run({ from, to: ex.output, input, batch, inputShape });
      } else {
        const stage = manifest.stages[p - 1]!;
        tensor = stage.output;
        out = await cache.run({ from: stage.output, to: ex.output, input: await prefix(p), batch, inputShape: stage.outputShape });
      }
      pairs.push({ exit: ex.index, partition: p, tensor, maxAbsDiff: maxAbsDiff(out, whole) });
    }
  }
  return { pairs, maxAbsDiff: pairs.reduce((m, x) => (x.maxAbsDiff > m || Number.isNaN(x.maxAbsDiff) ? x.maxAbsDiff : m), 0) };
}
