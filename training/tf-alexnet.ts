/**
 * Builds the TensorFlow.js functional model of an ArchitectureSpec (NHWC). Every tfjs layer
 * carries the spec's layer name, so the exporter can find each weight by name and the layer
 * outputs line up with the ONNX tensor names (partition points and exits).
 *
 * Two models share the same layers (and weights):
 * - `model`: input → the exits' softmax probabilities, in spec order (inference, export tests);
 * - `logitsModel`: input → the exits' pre-softmax logits (training: softmax cross-entropy on
 *   logits is numerically safer than on probabilities).
 */
import type * as TfNs from '@tensorflow/tfjs';
import type { ArchitectureSpec, LayerDef } from '../runtime/model/architecture.ts';
import { architectureInfo } from '../runtime/model/layer-shapes.ts';
import { createRng, type Rng } from '../common/rng.ts';
import { customLayers } from './tf-custom-layers.ts';

type Tf = typeof TfNs;

export interface TfBranchyNet {
  readonly model: TfNs.LayersModel;
  readonly logitsModel: TfNs.LayersModel;
  /** The seeded dropout layers; the trainer sets `stepSeed` on each before every step. */
  readonly dropoutLayers: readonly (TfNs.layers.Layer & { stepSeed: number })[];
  /** Exit names in output order. */
  readonly exitNames: readonly string[];
}

export interface BuildTfModelOptions {
  /** Seed of the weight initialisers (each layer gets its own derived seed). */
  readonly seed: number;
}

function makeLayer(tf: Tf, layer: LayerDef, ctx: { rng: Rng; followedByRelu: boolean; dropouts: (TfNs.layers.Layer & { stepSeed: number })[] }): TfNs.layers.Layer {
  // He init before ReLU (conv, hidden fc), Glorot for the classifier layers.
  const init = (): ReturnType<Tf['initializers']['heNormal']> =>
    ctx.followedByRelu ? tf.initializers.heNormal({ seed: ctx.rng.int(2 ** 31) }) : tf.initializers.glorotUniform({ seed: ctx.rng.int(2 ** 31) });
  switch (layer.type) {
    case 'conv':
      return tf.layers.conv2d({ name: layer.name, filters: layer.filters, kernelSize: layer.kernel, strides: layer.stride, padding: 'same', kernelInitializer: init(), biasInitializer: 'zeros' });
    case 'fc':
      return tf.layers.dense({ name: layer.name, units: layer.units, kernelInitializer: init(), biasInitializer: 'zeros' });
    case 'relu':
      return tf.layers.reLU({ name: layer.name });
    case 'pool':
      return tf.layers.maxPooling2d({ name: layer.name, poolSize: layer.kernel, strides: layer.stride, padding: 'same' });
    case 'lrn':
      return customLayers(tf).createLrn({ name: layer.name, size: layer.size, bias: layer.bias, alpha: layer.alpha, beta: layer.beta });
    case 'dropout': {
      const d = customLayers(tf).createSeededDropout({ name: layer.name, rate: layer.rate });
      ctx.dropouts.push(d);
      return d;
    }
    case 'flatten':
      return tf.layers.flatten({ name: layer.name });
    case 'softmax':
      return tf.layers.softmax({ name: layer.name });
  }
}

/** Applies a chain of layers; returns every layer output (same order as `layers`). */
function applyChain(tf: Tf, layers: readonly LayerDef[], input: TfNs.SymbolicTensor, ctx: { rng: Rng; dropouts: (TfNs.layers.Layer & { stepSeed: number })[] }): TfNs.SymbolicTensor[] {
  const outs: TfNs.SymbolicTensor[] = [];
  let x = input;
  layers.forEach((l, i) => {
    const followedByRelu = layers[i + 1]?.type === 'relu';
    x = makeLayer(tf, l, { ...ctx, followedByRelu }).apply(x) as TfNs.SymbolicTensor;
    outs.push(x);
  });
  return outs;
}

/**
 * Builds the multi-exit model of `spec` (input NHWC [H, W, C], named 'input').
 * @returns both views of the model; the caller disposes `model` (which owns the weights).
 */
export function buildTfBranchyNet(tf: Tf, spec: ArchitectureSpec, opts: BuildTfModelOptions): TfBranchyNet {
  architectureInfo(spec); // validates the spec (names, shapes) before building anything
  const rng = createRng(opts.seed);
  const dropouts: (TfNs.layers.Layer & { stepSeed: number })[] = [];
  const input = tf.input({ shape: [spec.input.height, spec.input.width, spec.input.channels], name: 'input' });
  const stageOutputs: TfNs.SymbolicTensor[] = [];
  let x = input;
  for (const st of spec.stages) {
    const outs = applyChain(tf, st.layers, x, { rng, dropouts });
    x = outs[outs.length - 1]!;
    stageOutputs.push(x);
  }
  const probs: TfNs.SymbolicTensor[] = [];
  const logits: TfNs.SymbolicTensor[] = [];
  for (const ex of spec.exits) {
    const outs = applyChain(tf, ex.head, stageOutputs[ex.branchStage - 1]!, { rng, dropouts });
    const last = ex.head[ex.head.length - 1]!;
    if (last.type !== 'softmax' || outs.length < 2) throw new RangeError(`Exit ${ex.name}: expected its head to end in a softmax layer, actually ${last.type}`);
    probs.push(outs[outs.length - 1]!);
    logits.push(outs[outs.length - 2]!);
  }
  const model = tf.model({ inputs: input, outputs: probs, name: spec.name });
  const logitsModel = tf.model({ inputs: input, outputs: logits, name: `${spec.name}-logits` });
  return { model, logitsModel, dropoutLayers: dropouts, exitNames: spec.exits.map((e) => e.name) };
}
