/**
 * One BranchyNet training step (Teerapittayanon et al. 2016): the joint loss is the weighted
 * sum of every exit's softmax cross-entropy, minimised in one backward pass. tfjs-layers has
 * no `lossWeights` (ignored at runtime), hence this custom step instead of `fit`.
 */
import type * as TfNs from '@tensorflow/tfjs';
import type { TfBranchyNet } from './tf-alexnet.ts';
import type { Batch } from './batches.ts';

type Tf = typeof TfNs;

export interface StepStats {
  /** The joint (weighted) loss. */
  readonly loss: number;
  /** Mean cross-entropy of each exit on this batch. */
  readonly exitLoss: readonly number[];
  /** Correct top-1 predictions of each exit on this batch. */
  readonly exitCorrect: readonly number[];
}

/** The variables the optimizer updates, in a stable order (Adam's state is positional). */
export function trainableVariables(net: TfBranchyNet): TfNs.Variable[] {
  return net.model.trainableWeights.map((w) => w.read() as TfNs.Variable);
}

/**
 * Runs forward + backward + optimizer update on one batch. Leaves no tensors behind.
 * @param opts.dropoutSeed seed of this step's dropout masks (reproducible runs)
 */
export function trainStep(
  tf: Tf,
  net: TfBranchyNet,
  opts: { optimizer: TfNs.Optimizer; batch: Batch; exitWeights: readonly number[]; dropoutSeed: number; varList?: TfNs.Variable[] },
): StepStats {
  const { optimizer, batch, exitWeights } = opts;
  const [h, w, c] = net.model.inputs[0]!.shape.slice(1) as [number, number, number];
  const classes = net.model.outputs[0]!.shape[1] as number;
  if (exitWeights.length !== net.exitNames.length) {
    throw new RangeError(`Expected ${net.exitNames.length} exit weights, actually ${exitWeights.length}`);
  }
  for (const d of net.dropoutLayers) d.stepSeed = opts.dropoutSeed;
  const varList = opts.varList ?? trainableVariables(net);
  let stats: TfNs.Tensor | null = null;
  tf.tidy(() => {
    const xs = tf.tensor4d(batch.x, [batch.size, h, w, c]);
    const labels = tf.tensor1d(batch.labels, 'int32');
    const ys = tf.oneHot(labels, classes);
    const cost = optimizer.minimize(
      () => {
        const logits = net.logitsModel.apply(xs, { training: true }) as TfNs.Tensor[];
        const losses = logits.map((l) => tf.losses.softmaxCrossEntropy(ys, l) as TfNs.Scalar);
        const correct = logits.map((l) => tf.sum(tf.cast(tf.equal(tf.argMax(l, 1), labels), 'float32')));
        // kept past minimize's scope; read and disposed below
        stats = tf.keep(tf.stack([...losses, ...correct]));
        return tf.addN(losses.map((l, k) => tf.mul(l, exitWeights[k]!))) as TfNs.Scalar;
      },
      true,
      varList,
    );
    if (cost) {
      const s = stats as TfNs.Tensor | null;
      stats = s ? tf.keep(tf.concat([cost.reshape([1]), s])) : null;
      s?.dispose();
    }
  });
  const t = stats as TfNs.Tensor | null;
  if (!t) throw new Error('trainStep: the optimizer returned no cost');
  const v = t.dataSync();
  t.dispose();
  const e = net.exitNames.length;
  return {
    loss: v[0]!,
    exitLoss: Array.from(v.subarray(1, 1 + e)),
    exitCorrect: Array.from(v.subarray(1 + e, 1 + 2 * e)),
  };
}

/** Gradients of one shard of a batch, as typed arrays (they cross worker threads). */
export interface ShardGradients {
  /** One array per variable of `varList`, in order. */
  readonly grads: Float32Array[];
  readonly stats: StepStats;
}

/**
 * Forward + backward on a batch without updating anything: the data-parallel half of
 * `trainStep` (each worker computes its shard's gradients; the averaged gradient is then
 * applied everywhere with `applyGradients`). Leaves no tensors behind.
 */
export function computeGradients(
  tf: Tf,
  net: TfBranchyNet,
  opts: { batch: Batch; exitWeights: readonly number[]; dropoutSeed: number; varList: TfNs.Variable[] },
): ShardGradients {
  const { batch, exitWeights, varList } = opts;
  const [h, w, c] = net.model.inputs[0]!.shape.slice(1) as [number, number, number];
  const classes = net.model.outputs[0]!.shape[1] as number;
  for (const d of net.dropoutLayers) d.stepSeed = opts.dropoutSeed;
  const e = net.exitNames.length;
  let statsData: Float32Array | null = null;
  let grads: Float32Array[] = [];
  tf.tidy(() => {
    const xs = tf.tensor4d(batch.x, [batch.size, h, w, c]);
    const labels = tf.tensor1d(batch.labels, 'int32');
    const ys = tf.oneHot(labels, classes);
    let stats: TfNs.Tensor | null = null;
    const { value, grads: g } = tf.variableGrads(() => {
      const logits = net.logitsModel.apply(xs, { training: true }) as TfNs.Tensor[];
      const losses = logits.map((l) => tf.losses.softmaxCrossEntropy(ys, l) as TfNs.Scalar);
      const correct = logits.map((l) => tf.sum(tf.cast(tf.equal(tf.argMax(l, 1), labels), 'float32')));
      stats = tf.keep(tf.stack([...losses, ...correct]));
      return tf.addN(losses.map((l, k) => tf.mul(l, exitWeights[k]!))) as TfNs.Scalar;
    }, varList);
    const s = stats as TfNs.Tensor | null;
    statsData = Float32Array.from([...value.dataSync(), ...(s ? s.dataSync() : [])]);
    s?.dispose();
    // Copied out inside the scope (returning typed arrays from tidy would make it walk them).
    grads = varList.map((v) => Float32Array.from(g[v.name]!.dataSync()));
  });
  const v = statsData as Float32Array | null;
  if (!v || v.length !== 1 + 2 * e) throw new Error('computeGradients: no loss statistics were produced');
  return {
    grads,
    stats: { loss: v[0]!, exitLoss: Array.from(v.subarray(1, 1 + e)), exitCorrect: Array.from(v.subarray(1 + e, 1 + 2 * e)) },
  };
}

/** Applies gradients (typed arrays in `varList` order) with the optimizer. Leaves no tensors behind. */
export function applyGradients(tf: Tf, optimizer: TfNs.Optimizer, varList: TfNs.Variable[], grads: readonly Float32Array[]): void {
  if (grads.length !== varList.length) throw new RangeError(`Expected ${varList.length} gradient arrays, actually ${grads.length}`);
  tf.tidy(() => {
    const named: Record<string, TfNs.Tensor> = {};
    varList.forEach((v, i) => (named[v.name] = tf.tensor(grads[i]!, v.shape)));
    optimizer.applyGradients(named);
  });
}
