/**
 * The Q-network: an MLP with an optional dueling head, built as a tf.layers functional model so
 * it saves and loads in the plain tfjs layers format (no custom layer classes to register).
 *
 * The dueling combination Q = V + A − mean(A) (Wang et al. 2016, eq. 9) is expressed with two
 * frozen, bias-free Dense layers: `value_broadcast` (kernel of ones, 1 → A) repeats V, and
 * `advantage_centre` (kernel I − 1/A) subtracts the mean advantage; an Add layer sums them.
 */
import type * as TfNs from '@tensorflow/tfjs';
import { CoinferError } from '../common/errors.ts';
import type { Tf } from '../common/tf-backend.ts';

export type LayersModel = TfNs.LayersModel;

/** Shape of a Q-network. */
export interface QNetworkSpec {
  /** Length of the observation vector. Integer ≥ 1. */
  readonly observationSize: number;
  /** Number of discrete actions (Q outputs). Integer ≥ 1. */
  readonly actionCount: number;
  /** Hidden layer sizes (ReLU). */
  readonly hidden: readonly number[];
  /** Dueling head (V + A − mean A) instead of a linear Q head. */
  readonly dueling: boolean;
}

/** One weight tensor as a typed array, named `<layer>/<kernel|bias>`. */
export interface WeightTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** All weights of a network in `model.weights` order (layer order, frozen layers included). */
export type NetworkWeights = readonly WeightTensor[];

function checkSpec(spec: QNetworkSpec): void {
  for (const [k, v] of [['observationSize', spec.observationSize], ['actionCount', spec.actionCount]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`Expected ${k} a positive integer, actually ${v}`);
  }
}

/**
 * Builds an untrained Q-network (caller disposes). Kernels use Glorot-uniform initialisation
 * seeded from `seed` so two networks built with one seed are identical.
 * @example const net = createQNetwork(tf, { observationSize: 8, actionCount: 4, hidden: [32], dueling: true }, 1);
 */
export function createQNetwork(tf: Tf, spec: QNetworkSpec, seed = 0): LayersModel {
  checkSpec(spec);
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 101 + i });
  const input = tf.input({ shape: [spec.observationSize], name: 'observation' });
  let h: TfNs.SymbolicTensor = input;
  spec.hidden.forEach((units, i) => {
    h = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(i), name: `hidden_${i}` }).apply(h) as TfNs.SymbolicTensor;
  });
  const n = spec.hidden.length;
  if (!spec.dueling) {
    const q = tf.layers.dense({ units: spec.actionCount, kernelInitializer: init(n), name: 'q' }).apply(h) as TfNs.SymbolicTensor;
    return tf.model({ inputs: input, outputs: q, name: 'q_network' });
  }
  const a = spec.actionCount;
  const value = tf.layers.dense({ units: 1, kernelInitializer: init(n), name: 'value' }).apply(h) as TfNs.SymbolicTensor;
  const adv = tf.layers.dense({ units: a, kernelInitializer: init(n + 1), name: 'advantage' }).apply(h) as TfNs.SymbolicTensor;
  const broadcast = tf.layers.dense({ units: a, useBias: false, trainable: false, kernelInitializer: 'ones', name: 'value_broadcast' });
  const centre = tf.layers.dense({ units: a, useBias: false, trainable: false, name: 'advantage_centre' });
  const vRep = broadcast.apply(value) as TfNs.SymbolicTensor;
  const aCentred = centre.apply(adv) as TfNs.SymbolicTensor;
  const centreKernel = tf.tidy(() => tf.sub(tf.eye(a), tf.fill([a, a], 1 / a))); // I − 1/A
  centre.setWeights([centreKernel]);
  centreKernel.dispose();
  const q = tf.layers.add({ name: 'q' }).apply([vRep, aCentred]) as TfNs.SymbolicTensor;
  return tf.model({ inputs: input, outputs: q, name: 'q_network' });
}

/** Recovers the spec of a Q-network built by `createQNetwork` (e.g. one loaded from a checkpoint). */
export function inferQNetworkSpec(model: LayersModel): QNetworkSpec {
  const inShape = model.inputs[0]?.shape;
  const outShape = model.outputs[0]?.shape;
  if (!inShape || !outShape || inShape.length !== 2 || outShape.length !== 2) {
    throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Expected a Q-network with input [null, obs] and output [null, actions], actually ${JSON.stringify(inShape)} → ${JSON.stringify(outShape)}`);
  }
  const hidden: number[] = [];
  for (let i = 0; ; i++) {
    const layer = model.layers.find((l) => l.name === `hidden_${i}`);
    if (!layer) break;
    hidden.push((layer.getConfig() as { units: number }).units);
  }
  return { observationSize: inShape[1]!, actionCount: outShape[1]!, hidden, dueling: model.layers.some((l) => l.name === 'value') };
}

type Shaped = { readonly shape: readonly (number | null)[] };

function checkCompatible(what: string, expected: readonly Shaped[], actual: readonly Shaped[]): void {
  const fmt = (ws: readonly Shaped[]) => ws.map((w) => `[${w.shape.join(',')}]`).join(' ');
  if (expected.length !== actual.length || expected.some((w, i) => w.shape.join(',') !== actual[i]!.shape.join(','))) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `${what}: expected weights ${fmt(expected)}, actually ${fmt(actual)}: both must come from one QNetworkSpec`);
  }
}

/**
 * dest ← τ·src + (1 − τ)·dest, weight by weight in `model.weights` (layer) order. Never uses
 * `model.getWeights()`, which lists trainable weights first: with the frozen dueling layers
 * its order differs from `setWeights`' (tfjs issue #1807).
 * @param tau 1 = hard copy (the default), in (0, 1].
 */
export function copyWeights(tf: Tf, dest: LayersModel, src: LayersModel, tau = 1): void {
  checkCompatible('copyWeights', dest.weights, src.weights);
  tf.tidy(() => {
    dest.weights.forEach((w, i) => {
      const s = src.weights[i]!.read();
      w.write(tau === 1 ? s.clone() : tf.add(tf.mul(s, tau), tf.mul(w.read(), 1 - tau)));
    });
  });
}

/** Reads a network's weights into fresh typed arrays (safe to keep after the model changes). */
export function readWeights(model: LayersModel): NetworkWeights {
  return model.weights.map((w) => ({
    name: w.originalName,
    shape: [...w.shape] as number[],
    values: Float32Array.from(w.read().dataSync() as Float32Array),
  }));
}

/** Writes typed-array weights (from `readWeights` of a same-spec network) into a model. */
export function writeWeights(tf: Tf, model: LayersModel, weights: NetworkWeights): void {
  checkCompatible('writeWeights', model.weights, weights);
  tf.tidy(() => {
    model.weights.forEach((w, i) => w.write(tf.tensor(weights[i]!.values, [...w.shape] as number[], 'float32')));
  });
}
