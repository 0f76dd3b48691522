/**
 * The acting copy of a Q-network for online learning: it holds its own typed-array weights and
 * decides synchronously with a plain-JS forward pass (no tensors, no tf engine shared with the
 * learner). `swapWeights` validates the new weights, compiles them, and replaces one reference,
 * so a swap never blocks or interleaves with `decide` (JS runs one at a time; each decide reads
 * the current weights once and uses that snapshot throughout).
 */
import { CoinferError } from '../common/errors.ts';
import type { Rng } from '../common/rng.ts';
import { epsilonGreedy, maskedArgmax } from './masked-argmax.ts';
import type { NetworkWeights, WeightTensor } from './q-network.ts';

interface Dense {
  readonly kernel: Float32Array; // [in × out], row-major (tf.layers Dense layout)
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly outputs: number;
}

interface Plan {
  readonly hidden: readonly Dense[];
  /** Non-dueling: the Q head. Dueling: the advantage head. */
  readonly head: Dense;
  /** Dueling value head (1 output), or null. */
  readonly value: Dense | null;
  readonly scratch: readonly Float32Array[];
  readonly observationSize: number;
  readonly actionCount: number;
}

function dense(byName: Map<string, WeightTensor>, layer: string): Dense | null {
  const k = byName.get(`${layer}/kernel`);
  const b = byName.get(`${layer}/bias`);
  if (!k && !b) return null;
  if (!k || !b || k.shape.length !== 2 || b.shape.length !== 1 || k.shape[1] !== b.shape[0] || k.values.length !== k.shape[0]! * k.shape[1]!) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected layer ${layer} with kernel [in, out] and bias [out], actually ${JSON.stringify(k?.shape)} and ${JSON.stringify(b?.shape)}`);
  }
  return { kernel: k.values, bias: b.values, inputs: k.shape[0]!, outputs: k.shape[1]! };
}

/** Compiles weights named as `createQNetwork` names them (hidden_i, q | value + advantage). */
function compile(weights: NetworkWeights): Plan {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const hidden: Dense[] = [];
  for (let i = 0; ; i++) {
    const d = dense(byName, `hidden_${i}`);
    if (!d) break;
    hidden.push(d);
  }
  const value = dense(byName, 'value');
  const head = value ? dense(byName, 'advantage') : dense(byName, 'q');
  if (!head) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected Q-network weights (hidden_i, q or value + advantage), actually ${weights.map((w) => w.name).join(', ')}`);
  const chain = [...hidden, head];
  for (let i = 1; i < chain.length; i++) {
    if (chain[i]!.inputs !== chain[i - 1]!.outputs) throw new CoinferError('ERR_INVALID_ARGUMENT', `Layer sizes do not chain: ${chain[i - 1]!.outputs} → ${chain[i]!.inputs}`);
  }
  if (value && (value.outputs !== 1 || value.inputs !== head.inputs)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a value head [${head.inputs}, 1], actually [${value.inputs}, ${value.outputs}]`);
  return {
    hidden,
    head,
    value,
    scratch: chain.map((d) => new Float32Array(d.outputs)),
    observationSize: chain[0]!.inputs,
    actionCount: head.outputs,
  };
}

/** y = x·W + b, optionally ReLU'd, into `out`. */
function denseForward(d: Dense, x: Float32Array, out: Float32Array, relu: boolean): Float32Array {
  out.set(d.bias);
  for (let i = 0; i < d.inputs; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * d.outputs;
    for (let j = 0; j < d.outputs; j++) out[j]! += xi * d.kernel[row + j]!;
  }
  if (relu) for (let j = 0; j < d.outputs; j++) if (out[j]! < 0) out[j] = 0;
  return out;
}

export class ActingPolicy {
  #plan: Plan;
  #version = 0;

  /** @param weights from `DqnLearner.getWeights()` (or `readWeights` of a loaded checkpoint). */
  constructor(weights: NetworkWeights) {
    this.#plan = compile(weights);
  }

  /** Number of swaps so far (0 = the constructor's weights). */
  get version(): number {
    return this.#version;
  }

  get observationSize(): number {
    return this.#plan.observationSize;
  }

  get actionCount(): number {
    return this.#plan.actionCount;
  }

  /**
   * Replaces the weights (the caller must not mutate the arrays afterwards).
   * @throws CoinferError ERR_INVALID_ARGUMENT when the new network's input or output size differs.
   */
  swapWeights(weights: NetworkWeights): void {
    const next = compile(weights);
    if (next.observationSize !== this.#plan.observationSize || next.actionCount !== this.#plan.actionCount) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected weights for ${this.#plan.observationSize} → ${this.#plan.actionCount}, actually ${next.observationSize} → ${next.actionCount}`);
    }
    this.#plan = next;
    this.#version++;
  }

  /** Q-values of one observation (a fresh array of length actionCount). */
  qValues(observation: Float32Array): Float32Array {
    const plan = this.#plan;
    if (observation.length !== plan.observationSize) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an observation of length ${plan.observationSize}, actually ${observation.length}`);
    }
    let x = observation;
    plan.hidden.forEach((d, i) => {
      x = denseForward(d, x, plan.scratch[i]!, true);
    });
    const q = Float32Array.from(denseForward(plan.head, x, plan.scratch[plan.hidden.length]!, false));
    if (plan.value) {
      // Q = V + A − mean(A): what the frozen value_broadcast/advantage_centre layers compute.
      const v = new Float32Array(1);
      denseForward(plan.value, x, v, false);
      let mean = 0;
      for (let j = 0; j < q.length; j++) mean += q[j]!;
      mean /= q.length;
      for (let j = 0; j < q.length; j++) q[j] = v[0]! + q[j]! - mean;
    }
    return q;
  }

  /**
   * The greedy valid action, or ε-greedy when `explore` is given.
   * @throws CoinferError ERR_INVALID_ARGUMENT for a mask of the wrong length or with no valid action.
   */
  decide(observation: Float32Array, mask: Uint8Array, explore?: { readonly epsilon: number; readonly rng: Rng }): number {
    if (mask.length !== this.#plan.actionCount) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an action mask of length ${this.#plan.actionCount}, actually ${mask.length}`);
    }
    if (!explore) return maskedArgmax(this.qValues(observation), mask);
    return epsilonGreedy(() => this.qValues(observation), mask, explore);
  }
}
