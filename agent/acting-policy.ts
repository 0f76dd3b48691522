/**
 * The acting copy of a Q-network: it holds its own typed-array weights and decides
 * synchronously with a plain-JS forward pass (no tensors, no tf engine shared with the
 * learner), for one request (the device, ~25 µs) or a batch of env copies (the training loop).
 * It evaluates the layers `createQNetwork` built, by name, including the frozen dueling layers
 * (`value_broadcast`, `advantage_centre`): the dueling head is defined once, in
 * agent/q-network.ts, and this file only runs its weights. `swapWeights` validates and compiles
 * new weights and replaces one reference, so a swap never interleaves with a decision.
 */
import { CoinferError } from '../common/errors.ts';
import type { Rng } from '../common/rng.ts';
import { maskedArgmax, uniformValidAction } from '../common/masked-argmax.ts';
import type { NetworkWeights, WeightTensor } from './q-network.ts';

interface Dense {
  readonly name: string;
  readonly kernel: Float64Array; // [in × out], row-major (tf.layers Dense layout), widened once
  readonly bias: Float64Array | null;
  readonly inputs: number;
  readonly outputs: number;
}

/** The layers of a Q-network: hidden ReLU layers, then a linear `q` head or the dueling layers. */
interface Plan {
  readonly hidden: readonly Dense[];
  readonly head:
    | { readonly kind: 'linear'; readonly q: Dense }
    | { readonly kind: 'dueling'; readonly value: Dense; readonly advantage: Dense; readonly broadcast: Dense; readonly centre: Dense };
  readonly observationSize: number;
  readonly actionCount: number;
}

function dense(byName: Map<string, WeightTensor>, layer: string, withBias: boolean): Dense | null {
  const k = byName.get(`${layer}/kernel`);
  const b = withBias ? byName.get(`${layer}/bias`) : undefined;
  if (!k && !b) return null;
  const badBias = withBias && (!b || b.shape.length !== 1 || k?.shape[1] !== b.shape[0]);
  if (!k || badBias || k.shape.length !== 2 || k.values.length !== k.shape[0]! * k.shape[1]!) {
    throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected layer ${layer} with kernel [in, out]${withBias ? ' and bias [out]' : ''}, actually ${JSON.stringify(k?.shape)} and ${JSON.stringify(b?.shape)}`);
  }
  return { name: layer, kernel: Float64Array.from(k.values), bias: b ? Float64Array.from(b.values) : null, inputs: k.shape[0]!, outputs: k.shape[1]! };
}

function need(d: Dense | null, layer: string, weights: NetworkWeights): Dense {
  if (d) return d;
  throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected Q-network weights with layer ${layer} (as createQNetwork names them), actually ${weights.map((w) => w.name).join(', ')}`);
}

function chain(from: Dense, to: Dense): void {
  if (to.inputs !== from.outputs) throw new CoinferError('ERR_INVALID_ARGUMENT', `Layer sizes do not chain: ${from.name} gives ${from.outputs}, ${to.name} takes ${to.inputs}`);
}

/** Compiles weights named as `createQNetwork` names them (hidden_i; q, or value + advantage + the frozen dueling layers). */
function compile(weights: NetworkWeights): Plan {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const hidden: Dense[] = [];
  for (let i = 0; ; i++) {
    const d = dense(byName, `hidden_${i}`, true);
    if (!d) break;
    if (i > 0) chain(hidden[i - 1]!, d);
    hidden.push(d);
  }
  const valueLayer = dense(byName, 'value', true);
  let head: Plan['head'];
  if (valueLayer) {
    const advantage = need(dense(byName, 'advantage', true), 'advantage', weights);
    const broadcast = need(dense(byName, 'value_broadcast', false), 'value_broadcast', weights);
    const centre = need(dense(byName, 'advantage_centre', false), 'advantage_centre', weights);
    chain(valueLayer, broadcast);
    chain(advantage, centre);
    if (broadcast.outputs !== centre.outputs || valueLayer.inputs !== advantage.inputs) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected value and advantage streams of one width and size, actually ${valueLayer.inputs}/${advantage.inputs} in, ${broadcast.outputs}/${centre.outputs} out`);
    }
    head = { kind: 'dueling', value: valueLayer, advantage, broadcast, centre };
  } else {
    head = { kind: 'linear', q: need(dense(byName, 'q', true), 'q', weights) };
  }
  const first = head.kind === 'linear' ? head.q : head.advantage;
  if (hidden.length > 0) chain(hidden.at(-1)!, first);
  return {
    hidden,
    head,
    observationSize: hidden[0]?.inputs ?? first.inputs,
    actionCount: head.kind === 'linear' ? head.q.outputs : head.centre.outputs,
  };
}

/** out[r] (+)= x[r]·W + b for `rows` rows, optionally ReLU'd; `add` accumulates into out (Keras' Add layer). */
function denseRows(d: Dense, x: Float64Array, rows: number, out: Float64Array, opts: { relu?: boolean; add?: boolean } = {}): Float64Array {
  const { inputs: n, outputs: m, kernel, bias } = d;
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    if (!opts.add) {
      if (bias) out.set(bias, o);
      else out.fill(0, o, o + m);
    } else if (bias) {
      for (let j = 0; j < m; j++) out[o + j]! += bias[j]!;
    }
  }
  // kernel row by kernel row, every batch row against it: each row of W is read once per batch
  for (let i = 0; i < n; i++) {
    const k = i * m;
    for (let r = 0; r < rows; r++) {
      const xi = x[r * n + i]!;
      if (xi === 0) continue; // ReLU zeros are common
      const o = r * m;
      let j = 0;
      for (; j + 4 <= m; j += 4) {
        out[o + j]! += xi * kernel[k + j]!;
        out[o + j + 1]! += xi * kernel[k + j + 1]!;
        out[o + j + 2]! += xi * kernel[k + j + 2]!;
        out[o + j + 3]! += xi * kernel[k + j + 3]!;
      }
      for (; j < m; j++) out[o + j]! += xi * kernel[k + j]!;
    }
  }
  if (opts.relu) for (let j = 0; j < rows * m; j++) if (out[j]! < 0) out[j] = 0;
  return out;
}

/** Scratch buffers for a batch of `rows`, per layer output. */
class Scratch {
  readonly buffers = new Map<string, Float64Array>();
  get(d: Dense, rows: number): Float64Array {
    return this.sized(d.name, rows * d.outputs);
  }
  sized(name: string, need: number): Float64Array {
    let b = this.buffers.get(name);
    if (!b || b.length < need) this.buffers.set(name, (b = new Float64Array(need)));
    return b;
  }
}

export class ActingPolicy {
  #plan: Plan;
  #version = 0;
  readonly #scratch = new Scratch();

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

  /**
   * Q-values of `rows` observations in one pass: [rows × actionCount] into `out` (allocated when
   * absent). The result is valid until the next call when `out` is not given.
   * @param observations [rows × observationSize], row-major.
   */
  qValuesBatch(observations: Float32Array, rows: number, out?: Float32Array): Float32Array {
    const plan = this.#plan;
    if (!Number.isInteger(rows) || rows < 1 || observations.length < rows * plan.observationSize) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${rows} observations of length ${plan.observationSize}, actually an array of ${observations.length}`);
    }
    const s = this.#scratch;
    // one element type through every layer (float64, as JS arithmetic is): no float32 conversions in the inner loop
    const n = rows * plan.observationSize;
    let x = s.sized('input', n);
    for (let i = 0; i < n; i++) x[i] = observations[i]!;
    for (const d of plan.hidden) x = denseRows(d, x, rows, s.get(d, rows), { relu: true });
    const q = out ?? new Float32Array(rows * plan.actionCount);
    const h = plan.head;
    let qw: Float64Array;
    if (h.kind === 'linear') {
      qw = denseRows(h.q, x, rows, s.get(h.q, rows));
    } else {
      // Q = broadcast(V) + centre(A): the frozen layers createQNetwork adds (V + A − mean A)
      const v = denseRows(h.value, x, rows, s.get(h.value, rows));
      const a = denseRows(h.advantage, x, rows, s.get(h.advantage, rows));
      qw = denseRows(h.broadcast, v, rows, s.get(h.broadcast, rows));
      denseRows(h.centre, a, rows, qw, { add: true });
    }
    for (let i = 0; i < rows * plan.actionCount; i++) q[i] = qw[i]!;
    return q;
  }

  /** Q-values of one observation (a fresh array of length actionCount). */
  qValues(observation: Float32Array): Float32Array {
    if (observation.length !== this.#plan.observationSize) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an observation of length ${this.#plan.observationSize}, actually ${observation.length}`);
    }
    return this.qValuesBatch(observation, 1, new Float32Array(this.#plan.actionCount));
  }

  /**
   * The greedy valid action, or ε-greedy when `explore` is given (one `rng.next()` per call,
   * plus one `int` when exploring; the forward pass runs only when exploiting).
   * @throws CoinferError ERR_INVALID_ARGUMENT for a mask of the wrong length or with no valid action.
   */
  decide(observation: Float32Array, mask: Uint8Array, explore?: { readonly epsilon: number; readonly rng: Rng }): number {
    if (mask.length !== this.#plan.actionCount) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected an action mask of length ${this.#plan.actionCount}, actually ${mask.length}`);
    }
    if (explore && explore.rng.next() < explore.epsilon) return uniformValidAction(mask, explore.rng);
    return maskedArgmax(this.qValues(observation), mask);
  }

  /**
   * ε-greedy actions for `rows` env copies with one batched forward pass: per row one
   * `rng.next()` (plus one `int` when exploring), as `decide` draws them.
   * @param masks [rows × actionCount], 1 = valid.
   * @param out receives the action indices.
   */
  decideBatch(observations: Float32Array, masks: Uint8Array, options: { readonly rows: number; readonly epsilon: number; readonly rng: Rng; readonly out: Int32Array }): Int32Array {
    const { rows, epsilon, rng, out } = options;
    const a = this.#plan.actionCount;
    if (masks.length < rows * a || out.length < rows) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected masks of ${rows} × ${a} and an output of ${rows}, actually ${masks.length} and ${out.length}`);
    }
    const q = epsilon < 1 ? this.qValuesBatch(observations, rows) : null;
    for (let r = 0; r < rows; r++) {
      const mask = masks.subarray(r * a, (r + 1) * a);
      out[r] = rng.next() < epsilon || !q ? uniformValidAction(mask, rng) : maskedArgmax(q.subarray(r * a, (r + 1) * a), mask);
    }
    return out;
  }
}
