/**
 * The two tfjs-layers classes the BranchyNet-AlexNet needs and tfjs-layers lacks:
 * - `CoinferLRN`: local response normalisation (no LRN layer in tfjs-layers), configured with
 *   ONNX semantics and mapped to `tf.localResponseNormalization` (alpha_tf = alpha_onnx/size);
 * - `CoinferSeededDropout`: dropout whose mask is drawn from a seed the trainer sets per step
 *   (`stepSeed`). tfjs's own Dropout layer either repeats one mask forever (seeded) or draws
 *   from Math.random (unseeded), neither of which gives a reproducible run.
 * Classes are created per tf namespace (tfjs or tfjs-node) and registered for serialisation.
 */
import type * as TfNs from '@tensorflow/tfjs';

type Tf = typeof TfNs;

export interface LrnLayerArgs {
  name: string;
  /** Channels in the window (odd, ONNX `size`). */
  size: number;
  bias: number;
  /** ONNX alpha (the sum is divided by size). */
  alpha: number;
  beta: number;
}

export interface SeededDropoutArgs {
  name: string;
  /** Fraction of units dropped while training, in [0, 1). */
  rate: number;
}

export interface CustomLayerClasses {
  createLrn(args: LrnLayerArgs): TfNs.layers.Layer;
  createSeededDropout(args: SeededDropoutArgs): TfNs.layers.Layer & { stepSeed: number };
}

const cache = new WeakMap<object, CustomLayerClasses>();

/** Returns (creating and registering once) the custom layer classes for a tf namespace. */
export function customLayers(tf: Tf): CustomLayerClasses {
  const hit = cache.get(tf.layers.Layer);
  if (hit) return hit;

  class CoinferLRN extends tf.layers.Layer {
    static className = 'CoinferLRN';
    readonly size: number;
    readonly lrnBias: number;
    readonly alpha: number;
    readonly beta: number;

    constructor(args: LrnLayerArgs) {
      super({ name: args.name });
      if (!Number.isInteger(args.size) || args.size < 1 || args.size % 2 === 0) {
        throw new RangeError(`LRN ${args.name}: expected an odd positive size, actually ${args.size}`);
      }
      this.size = args.size;
      this.lrnBias = args.bias;
      this.alpha = args.alpha;
      this.beta = args.beta;
    }

    override computeOutputShape(inputShape: TfNs.Shape | TfNs.Shape[]): TfNs.Shape | TfNs.Shape[] {
      return inputShape;
    }

    override call(inputs: TfNs.Tensor | TfNs.Tensor[]): TfNs.Tensor {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TfNs.Tensor4D;
      // ONNX divides alpha by size; TensorFlow does not.
      return tf.localResponseNormalization(x, (this.size - 1) / 2, this.lrnBias, this.alpha / this.size, this.beta);
    }

    override getConfig(): TfNs.serialization.ConfigDict {
      return { ...super.getConfig(), size: this.size, bias: this.lrnBias, alpha: this.alpha, beta: this.beta };
    }
  }

  class CoinferSeededDropout extends tf.layers.Layer {
    static className = 'CoinferSeededDropout';
    readonly rate: number;
    /** Seed of the next training-mode mask; the trainer sets a fresh one every step. */
    stepSeed = 0;

    constructor(args: SeededDropoutArgs) {
      super({ name: args.name });
      if (!(args.rate >= 0 && args.rate < 1)) throw new RangeError(`Dropout ${args.name}: expected rate in [0, 1), actually ${args.rate}`);
      this.rate = args.rate;
    }

    override computeOutputShape(inputShape: TfNs.Shape | TfNs.Shape[]): TfNs.Shape | TfNs.Shape[] {
      return inputShape;
    }

    override call(inputs: TfNs.Tensor | TfNs.Tensor[], kwargs: Record<string, unknown>): TfNs.Tensor {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (kwargs['training'] !== true || this.rate === 0) return tf.clone(x);
      return tf.dropout(x, this.rate, undefined, this.stepSeed);
    }

    override getConfig(): TfNs.serialization.ConfigDict {
      return { ...super.getConfig(), rate: this.rate };
    }
  }

  tf.serialization.registerClass(CoinferLRN as unknown as TfNs.serialization.SerializableConstructor<TfNs.serialization.Serializable>);
  tf.serialization.registerClass(CoinferSeededDropout as unknown as TfNs.serialization.SerializableConstructor<TfNs.serialization.Serializable>);
  const classes: CustomLayerClasses = {
    createLrn: (args) => new CoinferLRN(args),
    createSeededDropout: (args) => new CoinferSeededDropout(args),
  };
  cache.set(tf.layers.Layer, classes);
  return classes;
}
