/**
 * Which sub-models an action needs (docs/architecture.md §1): the device part (input → partition tensor, or
 * input → exit output when the device finishes locally), the edge part (partition tensor →
 * exit output), and the tensor that crosses the link. Pure: manifest in, plan out.
 */
import { canonicalAction, type Action } from '../action.ts';
import type { ModelManifest } from './manifest.ts';

/** A tensor that crosses the link. */
export interface TensorCut {
  /** ONNX tensor name. */
  readonly tensor: string;
  /** Per-sample shape (C,H,W or [n]). */
  readonly shape: readonly number[];
  /** Per-sample element count (product of shape). */
  readonly elements: number;
}

/** A sub-model range: run the graph from tensor `from` to tensor `to`. */
export interface SubModelRange {
  readonly from: string;
  readonly to: string;
}

export interface ExecutionPlan {
  /** The action in canonical form (see canonicalAction). */
  readonly action: Action;
  /** True when the device finishes alone (partition ≥ the exit's branch stage). */
  readonly local: boolean;
  /** The device's part; null when partition 0 (the raw input is sent); input → exit output when local. */
  readonly device: SubModelRange | null;
  /** The edge's part; null when local; starts at the input name when partition 0. */
  readonly edge: SubModelRange | null;
  /** What is sent (the input tensor for partition 0); null when local. */
  readonly crossing: TensorCut | null;
  /** ONNX tensor name of the chosen exit's probabilities. */
  readonly exitOutput: string;
}

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Plans an action.
 * @throws CoinferError ERR_INVALID_ACTION when the action does not fit the model.
 * @example planExecution(manifest, { exit: 5, partition: 6, encoding: 'int8' }).crossing?.tensor // 'lrn2'
 */
export function planExecution(manifest: ModelManifest, action: Action): ExecutionPlan {
  const a = canonicalAction(manifest, action);
  const exit = manifest.exits[a.exit - 1]!;
  const input = manifest.input.name;
  const exitOutput = exit.output;
  if (a.partition >= exit.branchStage) {
    return { action: a, local: true, device: { from: input, to: exitOutput }, edge: null, crossing: null, exitOutput };
  }
  if (a.partition === 0) {
    const shape = [...manifest.input.shape];
    return {
      action: a, local: false, device: null, edge: { from: input, to: exitOutput },
      crossing: { tensor: input, shape, elements: product(shape) }, exitOutput,
    };
  }
  const stage = manifest.stages[a.partition - 1]!;
  return {
    action: a, local: false,
    device: { from: input, to: stage.output },
    edge: { from: stage.output, to: exitOutput },
    crossing: { tensor: stage.output, shape: [...stage.outputShape], elements: product(stage.outputShape) },
    exitOutput,
  };
}
