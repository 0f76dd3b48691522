/**
 * The two callbacks `coinfer train` passes into the training loop (agent/train-loop.ts):
 * greedy evaluation on the world's validation traces, and a checkpoint saved after every
 * evaluation with what it was scored on. Composed in cli/train-run.ts.
 */
import type { ActionAccuracyFile } from '../runtime/model/action-accuracy.ts';
import { ActingPolicy } from '../agent/acting-policy.ts';
import type { DqnConfig } from '../agent/dqn-config.ts';
import type { DqnLearner } from '../agent/dqn-learner.ts';
import type { Metrics, TrainCallback } from '../agent/train-loop.ts';
import { saveCheckpoint, type SaveCheckpointOptions } from '../checkpoints/checkpoint-io.ts';
import type { Tf } from '../common/tf-backend.ts';
import type { ActionCodec } from '../env/action-codec.ts';
import type { ComputeTimes } from '../env/compute-times.ts';
import type { EnvConfigInput } from '../env/replay-config.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import type { ModelManifest } from '../runtime/model/manifest.ts';
import { createDqnPolicy } from '../policies/dqn-policy.ts';
import { evaluatePolicies } from '../policies/evaluate-policies.ts';

export interface ValidationEvaluatorOptions {
  readonly manifest: ModelManifest;
  /** The package's measured accuracy of lossy actions (null: every action scores as its exit). */
  readonly actionAccuracy: ActionAccuracyFile | null;
  readonly computeTimes: ComputeTimes;
  /** The world's validation traces (never test). */
  readonly traces: readonly BandwidthTrace[];
  /** Env config of the evaluation: per-image correctness under the run's λ. */
  readonly config: EnvConfigInput;
  readonly codec: ActionCodec;
  /** Episodes per evaluation. Integer ≥ 1. */
  readonly episodes: number;
  /** Seed of the evaluation streams: fixed, so every checkpoint of a run is scored on the same requests. */
  readonly seed: number;
}

/** A validation evaluator, and the traces its last evaluation replayed. */
export interface ValidationEvaluator {
  readonly evaluate: (learner: DqnLearner, step: number) => Promise<Metrics>;
  /** Names of the traces the last evaluation replayed, sorted. */
  lastTraces(): readonly string[];
}

/** Greedy evaluation of the learner's current weights (`eval/…` metrics). */
export function validationEvaluator(o: ValidationEvaluatorOptions): ValidationEvaluator {
  let traces: string[] = [];
  return {
    lastTraces: () => traces,
    evaluate: async (learner) => {
      const policy = createDqnPolicy({ name: 'dqn', acting: new ActingPolicy(learner.getWeights()), codec: o.codec });
      const seen = new Set<string>();
      const [s] = await evaluatePolicies([policy], {
        manifest: o.manifest, actionAccuracy: o.actionAccuracy, computeTimes: o.computeTimes, traces: o.traces, config: o.config, episodes: o.episodes, seed: o.seed,
        onOutcome: (_p, outcome) => { seen.add(outcome.traceName); },
      });
      traces = [...seen].sort();
      return {
        'eval/mean_reward': s!.meanReward, 'eval/accuracy': s!.accuracy, 'eval/hit_rate': s!.hitRate,
        'eval/mean_latency_ms': s!.meanLatencyMs, 'eval/p95_latency_ms': s!.p95LatencyMs, 'eval/energy_mj': s!.energyMjPerRequest,
      };
    },
  };
}

/** What every checkpoint of a run shares (the rest comes from the evaluation). */
export type CheckpointRunInfo = Omit<SaveCheckpointOptions, 'model' | 'step' | 'evalMetrics' | 'evalTraces' | 'parentId' | 'now' | 'dqnConfig'> & {
  readonly dqnConfig: DqnConfig;
  /** Parent of the first checkpoint (the resumed one), or null. */
  readonly parentId: string | null;
};

/** A saved checkpoint, as reported to `onSaved`. */
export interface SavedEvaluation {
  readonly id: string;
  readonly step: number;
  readonly metrics: Metrics;
  /** Bytes of the learner state saved with it and the milliseconds capture + save took (null: weights only). */
  readonly learnerState: { readonly bytes: number; readonly replaySize: number; readonly saveMs: number } | null;
}

/**
 * Saves the online net as a checkpoint after every evaluation, chained by parentId, recording
 * the evaluation's metrics and the traces it replayed.
 */
export function checkpointOnEvaluation(
  tf: Tf,
  info: CheckpointRunInfo,
  o: { readonly evalTraces: () => readonly string[]; readonly onSaved: (saved: SavedEvaluation) => void; /** `--save-learner-state`: also save replay, Adam and counters. */ readonly saveLearnerState?: boolean },
): TrainCallback {
  let parentId = info.parentId;
  return {
    onEvaluation: async ({ learner, step, metrics, captureLearnerState }) => {
      const t0 = performance.now();
      const learnerState = o.saveLearnerState ? await captureLearnerState() : undefined;
      const ck = await saveCheckpoint(tf, { ...info, model: learner.onlineNet, step, evalMetrics: metrics, evalTraces: o.evalTraces(), parentId, ...(learnerState ? { learnerState } : {}) });
      parentId = ck.id;
      const ls = ck.meta.learnerState;
      o.onSaved({ id: ck.id, step, metrics, learnerState: ls ? { bytes: ls.bytes, replaySize: ls.replaySize, saveMs: performance.now() - t0 } : null });
    },
  };
}
