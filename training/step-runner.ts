/**
 * Who runs the optimizer steps of a training run. The trainer owns the schedule (epochs, order,
 * augmentation, checkpoints); a step runner owns the network and Adam's state and turns batches
 * into updates. `LocalStepRunner` does it in this thread; `ParallelStepRunner`
 * (parallel-step-runner.ts) splits each batch over worker threads and averages the gradients.
 */
import type * as TfNs from '@tensorflow/tfjs';
import type { ArchitectureSpec } from '../runtime/model/architecture.ts';
import type { Batch } from './batches.ts';
import { buildTfBranchyNet, type TfBranchyNet } from './tf-alexnet.ts';
import { trainStep, trainableVariables, type StepStats } from './train-step.ts';
import type { TensorRecord } from './train-checkpoint.ts';

type Tf = typeof TfNs;

/** Weights (model order) and Adam's state, as typed arrays: what a checkpoint stores. */
export interface RunnerSnapshot {
  readonly weights: readonly Float32Array[];
  readonly weightRecords: readonly TensorRecord[];
  readonly optimizer: readonly Float32Array[];
  readonly optimizerRecords: readonly TensorRecord[];
}

/** Where a runner starts: fresh (seeded init) or from a snapshot. */
export interface RunnerInit {
  readonly spec: ArchitectureSpec;
  /** Seed of the weight initialisers. */
  readonly seed: number;
  readonly learningRate: number;
  readonly exitWeights: readonly number[];
  readonly restore: RunnerSnapshot | null;
}

export interface StepRunner {
  /** One optimizer step on `batch`; dropout masks derive from `dropoutSeed`. */
  step(batch: Batch, dropoutSeed: number): Promise<StepStats>;
  /** Changes Adam's learning rate, keeping its moments and step count. */
  setLearningRate(lr: number): Promise<void>;
  snapshot(): Promise<RunnerSnapshot>;
  /** The trained network in this thread (the caller disposes `net.model`); ends the runner. */
  finish(tf: Tf): Promise<TfBranchyNet>;
}

/**
 * A fresh Adam at `lr`, carrying the state of `from` (then disposed) or of a snapshot.
 * tfjs optimizers cannot change their rate in place, hence the copy.
 */
export async function adamWithState(tf: Tf, lr: number, from: TfNs.Optimizer | null, restore?: Pick<RunnerSnapshot, 'optimizer' | 'optimizerRecords'>): Promise<TfNs.Optimizer> {
  const opt = tf.train.adam(lr);
  let named: { name: string; tensor: TfNs.Tensor }[] | null = null;
  if (from) named = await from.getWeights();
  else if (restore && restore.optimizer.length > 0) named = restore.optimizerRecords.map((r, i) => ({ name: r.name, tensor: tf.tensor(restore.optimizer[i]!, [...r.shape]) }));
  if (named && named.length > 0) {
    await opt.setWeights(named); // new variables that share (and ref-count) the data
    // From an optimizer, only the iteration scalar is fresh; its moments are its own
    // variables, disposed once by from.dispose() (a second dispose would free shared data).
    (from ? named.slice(0, 1) : named).forEach((n) => n.tensor.dispose());
  }
  from?.dispose();
  return opt;
}

/** Builds the seeded network of `init` and loads its snapshot weights, if any. */
export function buildNetFor(tf: Tf, init: Pick<RunnerInit, 'spec' | 'seed' | 'restore'>): TfBranchyNet {
  const net = buildTfBranchyNet(tf, init.spec, { seed: init.seed });
  if (init.restore) {
    const ws = net.model.weights;
    const ts = init.restore.weights.map((a, i) => tf.tensor(a, ws[i]!.shape as number[]));
    net.model.setWeights(ts);
    ts.forEach((t) => t.dispose());
  }
  return net;
}

/** Reads the state of a network and its optimizer. */
export async function snapshotOf(net: TfBranchyNet, optimizer: TfNs.Optimizer): Promise<RunnerSnapshot> {
  const named = await optimizer.getWeights();
  const snap: RunnerSnapshot = {
    weights: net.model.weights.map((w) => Float32Array.from(w.read().dataSync())),
    weightRecords: net.model.weights.map((w) => ({ name: w.originalName, shape: w.shape as number[] })),
    // Float32Array.from, not a cast: Adam's iteration count is an int32 tensor.
    optimizer: named.map((n) => Float32Array.from(n.tensor.dataSync())),
    optimizerRecords: named.map((n) => ({ name: n.name, shape: n.tensor.shape })),
  };
  named[0]?.tensor.dispose(); // the iteration count is a fresh scalar; the rest are Adam's own variables
  return snap;
}

/** Runs every step in this thread (one core). */
export class LocalStepRunner implements StepRunner {
  readonly #tf: Tf;
  readonly #net: TfBranchyNet;
  readonly #vars: TfNs.Variable[];
  readonly #exitWeights: readonly number[];
  #optimizer: TfNs.Optimizer;

  private constructor(tf: Tf, net: TfBranchyNet, optimizer: TfNs.Optimizer, exitWeights: readonly number[]) {
    this.#tf = tf;
    this.#net = net;
    this.#vars = trainableVariables(net);
    this.#optimizer = optimizer;
    this.#exitWeights = exitWeights;
  }

  static async create(tf: Tf, init: RunnerInit): Promise<LocalStepRunner> {
    const net = buildNetFor(tf, init);
    return new LocalStepRunner(tf, net, await adamWithState(tf, init.learningRate, null, init.restore ?? undefined), init.exitWeights);
  }

  async step(batch: Batch, dropoutSeed: number): Promise<StepStats> {
    return trainStep(this.#tf, this.#net, { optimizer: this.#optimizer, batch, exitWeights: this.#exitWeights, dropoutSeed, varList: this.#vars });
  }

  async setLearningRate(lr: number): Promise<void> {
    this.#optimizer = await adamWithState(this.#tf, lr, this.#optimizer);
  }

  snapshot(): Promise<RunnerSnapshot> {
    return snapshotOf(this.#net, this.#optimizer);
  }

  async finish(): Promise<TfBranchyNet> {
    this.#optimizer.dispose();
    return this.#net;
  }
}
