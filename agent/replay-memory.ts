/**
 * Experience replay (Mnih et al. 2015) as a ring of typed arrays — no tensors; batches become
 * tensors only inside the learner's `tf.tidy`. Optionally prioritised (Schaul et al. 2016,
 * proportional variant with stratified sampling and importance-sampling weights).
 * Only filled slots are ever sampled.
 */
import { CoinferError } from '../common/errors.ts';
import type { Rng } from '../common/rng.ts';
import { SumTree } from './sum-tree.ts';
import type { ReplayTransition } from './transition.ts';

/** Transitions as parallel typed arrays (row i of every field is one transition). */
export interface TransitionRows {
  /** Number of transitions. */
  readonly size: number;
  /** [size × observationSize], row-major. */
  readonly observations: Float32Array;
  /** [size] action indices. */
  readonly actions: Int32Array;
  /** [size] (n-step) discounted rewards. */
  readonly rewards: Float32Array;
  /** [size × observationSize]. */
  readonly nextObservations: Float32Array;
  /** [size] bootstrap factors γ^k, 0 after termination. */
  readonly discounts: Float32Array;
  /** [size × actionCount]: 1 where the action is valid in the next observation. */
  readonly nextActionMasks: Uint8Array;
}

/** A sampled batch: rows plus what prioritised replay needs. */
export interface TransitionBatch extends TransitionRows {
  /** [size] importance-sampling weights (all 1 for uniform replay), max 1. */
  readonly weights: Float32Array;
  /** [size] ring slots the rows came from (for `updatePriorities`). */
  readonly indices: Int32Array;
}

export interface ReplayMemoryOptions {
  /** Transitions held; the oldest are overwritten. Integer ≥ 1. */
  readonly capacity: number;
  readonly observationSize: number;
  readonly actionCount: number;
  /** Proportional prioritisation (α, ε), or null/absent for uniform sampling. */
  readonly prioritized?: { readonly alpha: number; readonly eps: number } | null;
}

/**
 * A memory's contents for saving (agent/learner-state.ts): the filled rows 0..size-1 (a ring
 * fills from slot 0, so these are all the filled slots), the write position and, for prioritised
 * memory, the leaf priorities (the sum-tree is rebuilt from them exactly: every inner node is
 * the sum of its children) and the running maximum. Arrays are views: copy before mutating.
 */
export interface ReplayMemoryState {
  readonly next: number;
  readonly size: number;
  readonly maxPriority: number;
  readonly rows: TransitionRows;
  /** [size] leaf priorities p^α, or null for uniform memory. */
  readonly priorities: Float64Array | null;
}

export class ReplayMemory {
  readonly capacity: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly #obs: Float32Array;
  readonly #nextObs: Float32Array;
  readonly #actions: Int32Array;
  readonly #rewards: Float32Array;
  readonly #discounts: Float32Array;
  readonly #nextMasks: Uint8Array;
  readonly #tree: SumTree | null;
  readonly #alpha: number;
  readonly #eps: number;
  #maxPriority = 1; // p^α of new transitions: the largest seen, so each is replayed at least once soon
  #next = 0;
  #size = 0;

  constructor(options: ReplayMemoryOptions) {
    const { capacity, observationSize, actionCount } = options;
    for (const [k, v] of [['capacity', capacity], ['observationSize', observationSize], ['actionCount', actionCount]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Expected ${k} a positive integer, actually ${v}`);
    }
    this.capacity = capacity;
    this.observationSize = observationSize;
    this.actionCount = actionCount;
    this.#obs = new Float32Array(capacity * observationSize);
    this.#nextObs = new Float32Array(capacity * observationSize);
    this.#actions = new Int32Array(capacity);
    this.#rewards = new Float32Array(capacity);
    this.#discounts = new Float32Array(capacity);
    this.#nextMasks = new Uint8Array(capacity * actionCount);
    this.#tree = options.prioritized ? new SumTree(capacity) : null;
    this.#alpha = options.prioritized?.alpha ?? 0;
    this.#eps = options.prioritized?.eps ?? 0;
  }

  /** Transitions held (≤ capacity). */
  get size(): number {
    return this.#size;
  }

  get prioritized(): boolean {
    return this.#tree !== null;
  }

  /** Copies a transition into the ring; returns its slot. */
  add(t: ReplayTransition): number {
    if (t.observation.length !== this.observationSize || t.nextObservation.length !== this.observationSize) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected observations of length ${this.observationSize}, actually ${t.observation.length} and ${t.nextObservation.length}`);
    }
    if (t.nextActionMask.length !== this.actionCount) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected nextActionMask of length ${this.actionCount}, actually ${t.nextActionMask.length}`);
    }
    if (!Number.isInteger(t.action) || t.action < 0 || t.action >= this.actionCount) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected action in [0, ${this.actionCount - 1}], actually ${t.action}`);
    }
    if (!Number.isFinite(t.reward) || !(t.discount >= 0 && t.discount <= 1)) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a finite reward and discount in [0, 1], actually ${t.reward} and ${t.discount}`);
    }
    const slot = this.#next;
    this.#obs.set(t.observation, slot * this.observationSize);
    this.#nextObs.set(t.nextObservation, slot * this.observationSize);
    this.#actions[slot] = t.action;
    this.#rewards[slot] = t.reward;
    this.#discounts[slot] = t.discount;
    this.#nextMasks.set(t.nextActionMask, slot * this.actionCount);
    this.#tree?.set(slot, this.#maxPriority);
    this.#next = (slot + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
    return slot;
  }

  /**
   * Copies the first `rows.size` rows into the ring in bulk (a vector step's transitions).
   * Validates like `add`, row by row, before copying anything.
   */
  addRows(rows: TransitionRows): void {
    const { size: n } = rows;
    const o = this.observationSize;
    const a = this.actionCount;
    if (rows.observations.length < n * o || rows.nextObservations.length < n * o || rows.nextActionMasks.length < n * a) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected rows for observationSize ${o} and actionCount ${a}, actually arrays too short for ${n} rows`);
    }
    for (let i = 0; i < n; i++) {
      const action = rows.actions[i]!;
      const d = rows.discounts[i]!;
      if (!Number.isInteger(action) || action < 0 || action >= a || !Number.isFinite(rows.rewards[i]!) || !(d >= 0 && d <= 1)) {
        throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected row ${i} with an action in [0, ${a - 1}], a finite reward and a discount in [0, 1], actually ${action}, ${rows.rewards[i]}, ${d}`);
      }
    }
    for (let i = 0; i < n; i++) {
      const slot = this.#next;
      this.#obs.set(rows.observations.subarray(i * o, (i + 1) * o), slot * o);
      this.#nextObs.set(rows.nextObservations.subarray(i * o, (i + 1) * o), slot * o);
      this.#actions[slot] = rows.actions[i]!;
      this.#rewards[slot] = rows.rewards[i]!;
      this.#discounts[slot] = rows.discounts[i]!;
      this.#nextMasks.set(rows.nextActionMasks.subarray(i * a, (i + 1) * a), slot * a);
      this.#tree?.set(slot, this.#maxPriority);
      this.#next = (slot + 1) % this.capacity;
    }
    this.#size = Math.min(this.#size + n, this.capacity);
  }

  /**
   * Draws `batchSize` transitions with replacement from the filled slots: uniformly, or for
   * prioritised memory by stratified proportional sampling with IS weights (p_i / p_min)^−β.
   * @param options.beta IS exponent in [0, 1] (prioritised memory only; default 1).
   * @throws CoinferError ERR_INVALID_ARGUMENT when the memory is empty.
   */
  sample(batchSize: number, rng: Rng, options: { readonly beta?: number } = {}): TransitionBatch {
    if (this.#size === 0) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected a non-empty replay memory, actually empty: add transitions before sampling');
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`Expected batchSize a positive integer, actually ${batchSize}`);
    const indices = new Int32Array(batchSize);
    const weights = new Float32Array(batchSize).fill(1);
    const tree = this.#tree;
    if (tree) {
      const beta = options.beta ?? 1;
      const segment = tree.total / batchSize;
      const pMin = tree.min;
      for (let i = 0; i < batchSize; i++) {
        const slot = tree.find((i + rng.next()) * segment);
        indices[i] = slot;
        weights[i] = Math.pow(tree.get(slot) / pMin, -beta);
      }
    } else {
      for (let i = 0; i < batchSize; i++) indices[i] = rng.int(this.#size);
    }
    return this.#gather(indices, weights);
  }

  /** Sets the priorities of sampled slots from their TD errors: p = (|δ| + ε)^α. No-op for uniform memory. */
  updatePriorities(indices: Int32Array, tdErrors: ArrayLike<number>): void {
    const tree = this.#tree;
    if (!tree) return;
    if (indices.length !== tdErrors.length) {
      throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected one TD error per index, actually ${tdErrors.length} for ${indices.length}`);
    }
    for (let i = 0; i < indices.length; i++) {
      const slot = indices[i]!;
      if (slot < 0 || slot >= this.#size) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a filled slot in [0, ${this.#size - 1}], actually ${slot}`);
      const p = Math.pow(Math.abs(tdErrors[i]!) + this.#eps, this.#alpha);
      tree.set(slot, p);
      if (p > this.#maxPriority) this.#maxPriority = p;
    }
  }

  /** The contents as views of the ring (caller must not mutate; saved by agent/learner-state.ts). */
  exportState(): ReplayMemoryState {
    const n = this.#size;
    const o = this.observationSize;
    const a = this.actionCount;
    let priorities: Float64Array | null = null;
    if (this.#tree) {
      priorities = new Float64Array(n);
      for (let i = 0; i < n; i++) priorities[i] = this.#tree.get(i);
    }
    return {
      next: this.#next,
      size: n,
      maxPriority: this.#maxPriority,
      rows: {
        size: n,
        observations: this.#obs.subarray(0, n * o),
        actions: this.#actions.subarray(0, n),
        rewards: this.#rewards.subarray(0, n),
        nextObservations: this.#nextObs.subarray(0, n * o),
        discounts: this.#discounts.subarray(0, n),
        nextActionMasks: this.#nextMasks.subarray(0, n * a),
      },
      priorities,
    };
  }

  /**
   * Replaces the contents with a saved state (an empty or a used memory alike).
   * @throws CoinferError ERR_CHECKPOINT_INCOMPATIBLE when the state does not fit this memory's shape or kind.
   */
  importState(state: ReplayMemoryState): void {
    const n = state.size;
    const o = this.observationSize;
    const a = this.actionCount;
    const r = state.rows;
    const fits = Number.isInteger(n) && n >= 0 && n <= this.capacity && Number.isInteger(state.next) && state.next >= 0 && state.next < this.capacity
      && (n === this.capacity || state.next === n) && r.size === n && r.observations.length === n * o && r.nextObservations.length === n * o
      && r.actions.length === n && r.rewards.length === n && r.discounts.length === n && r.nextActionMasks.length === n * a;
    if (!fits) {
      throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Expected a replay state of at most ${this.capacity} rows of ${o} features and ${a} actions, actually ${n} rows (next ${state.next}, ${r.observations.length} observation values): resume with the replay config it was saved with`);
    }
    if ((state.priorities !== null) !== this.prioritized || (state.priorities !== null && state.priorities.length !== n)) {
      throw new CoinferError('ERR_CHECKPOINT_INCOMPATIBLE', `Expected a ${this.prioritized ? 'prioritised' : 'uniform'} replay state, actually ${state.priorities ? `${state.priorities.length} priorities for ${n} rows` : 'no priorities'}: resume with the replay config it was saved with`);
    }
    this.#obs.set(r.observations);
    this.#nextObs.set(r.nextObservations);
    this.#actions.set(r.actions);
    this.#rewards.set(r.rewards);
    this.#discounts.set(r.discounts);
    this.#nextMasks.set(r.nextActionMasks);
    if (this.#tree) {
      for (let i = 0; i < this.capacity; i++) this.#tree.set(i, i < n ? state.priorities![i]! : 0);
    }
    this.#next = state.next;
    this.#size = n;
    this.#maxPriority = state.maxPriority;
  }

  #gather(indices: Int32Array, weights: Float32Array): TransitionBatch {
    const n = indices.length;
    const o = this.observationSize;
    const a = this.actionCount;
    const observations = new Float32Array(n * o);
    const nextObservations = new Float32Array(n * o);
    const actions = new Int32Array(n);
    const rewards = new Float32Array(n);
    const discounts = new Float32Array(n);
    const nextActionMasks = new Uint8Array(n * a);
    for (let i = 0; i < n; i++) {
      const s = indices[i]!;
      observations.set(this.#obs.subarray(s * o, (s + 1) * o), i * o);
      nextObservations.set(this.#nextObs.subarray(s * o, (s + 1) * o), i * o);
      actions[i] = this.#actions[s]!;
      rewards[i] = this.#rewards[s]!;
      discounts[i] = this.#discounts[s]!;
      nextActionMasks.set(this.#nextMasks.subarray(s * a, (s + 1) * a), i * a);
    }
    return { size: n, observations, actions, rewards, nextObservations, discounts, nextActionMasks, weights, indices };
  }
}
