/**
 * n-step returns for N env copies at once: one pending window of up to n steps per lane, kept
 * in typed arrays, and the transitions a vector step completes returned as rows for
 * `ReplayMemory.addRows` (no object per step). Same returns and discounts as
 * `NStepAccumulator` lane by lane: R = Σ_{i<k} γ^i r_i, discount γ^k, 0 after termination;
 * at an episode's end the lane's pending steps flush with shorter returns.
 */
import type { TransitionRows } from './replay-memory.ts';

/** One vector step, every array lane-major (lane i's row at i × width). */
export interface VecStep {
  /** [N × O] observations the actions were chosen in. */
  readonly observations: Float32Array;
  /** [N] actions taken. */
  readonly actions: Int32Array;
  /** [N] rewards. */
  readonly rewards: Float32Array;
  /** [N × O] observations after the step (a finished lane's final observation, not the next episode's first). */
  readonly nextObservations: Float32Array;
  /** [N × A] valid actions in `nextObservations`. */
  readonly nextActionMasks: Uint8Array;
  /** [N] 1 where the MDP ended (no bootstrap). */
  readonly terminated: Uint8Array;
  /** [N] 1 where an outside limit cut the episode (bootstrap, then a new episode). */
  readonly truncated: Uint8Array;
}

export interface VecNStepOptions {
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionCount: number;
  /** Steps summed per return, integer ≥ 1. */
  readonly nStep: number;
  /** Discount per step, in (0, 1]. */
  readonly gamma: number;
}

export class VecNStep {
  readonly #o: VecNStepOptions;
  readonly #obs: Float32Array; // [N × n × O]: pending observations, a ring per lane
  readonly #actions: Int32Array; // [N × n]
  readonly #rewards: Float32Array; // [N × n]
  readonly #head: Int32Array; // oldest pending slot per lane
  readonly #count: Int32Array; // pending steps per lane
  readonly #out: { -readonly [K in keyof TransitionRows]: TransitionRows[K] };

  constructor(options: VecNStepOptions) {
    const { numEnvs: N, observationSize: O, actionCount: A, nStep: n, gamma } = options;
    for (const [k, v] of [['numEnvs', N], ['observationSize', O], ['actionCount', A], ['nStep', n]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Expected ${k} a positive integer, actually ${v}`);
    }
    if (!(gamma > 0 && gamma <= 1)) throw new RangeError(`Expected gamma in (0, 1], actually ${gamma}`);
    this.#o = options;
    this.#obs = new Float32Array(N * n * O);
    this.#actions = new Int32Array(N * n);
    this.#rewards = new Float32Array(N * n);
    this.#head = new Int32Array(N);
    this.#count = new Int32Array(N);
    const rows = N * n; // at most every lane flushes a full window
    this.#out = {
      size: 0, observations: new Float32Array(rows * O), actions: new Int32Array(rows), rewards: new Float32Array(rows),
      nextObservations: new Float32Array(rows * O), discounts: new Float32Array(rows), nextActionMasks: new Uint8Array(rows * A),
    };
  }

  /** Steps waiting for more rewards, over all lanes. */
  get pendingCount(): number {
    return this.#count.reduce((s, c) => s + c, 0);
  }

  /**
   * Adds one vector step; returns the transitions it completed (rows reused by the next call:
   * copy them, e.g. with `memory.addRows`, before pushing again).
   */
  push(step: VecStep): TransitionRows {
    const { numEnvs: N, observationSize: O, nStep: n } = this.#o;
    this.#out.size = 0;
    for (let i = 0; i < N; i++) {
      const slot = (this.#head[i]! + this.#count[i]!) % n;
      this.#obs.set(step.observations.subarray(i * O, (i + 1) * O), (i * n + slot) * O);
      this.#actions[i * n + slot] = step.actions[i]!;
      this.#rewards[i * n + slot] = step.rewards[i]!;
      this.#count[i]!++;
      const terminated = step.terminated[i] === 1;
      if (terminated || step.truncated[i] === 1) {
        while (this.#count[i]! > 0) this.#emitOldest(i, step, terminated);
        this.#head[i] = 0;
      } else if (this.#count[i] === n) {
        this.#emitOldest(i, step, false);
      }
    }
    return this.#out;
  }

  /** Drops every lane's pending steps. */
  clear(): void {
    this.#count.fill(0);
    this.#head.fill(0);
  }

  /** Writes lane i's oldest pending step as a row (return up to the newest step) and drops it. */
  #emitOldest(i: number, step: VecStep, terminated: boolean): void {
    const { observationSize: O, actionCount: A, nStep: n, gamma } = this.#o;
    const out = this.#out;
    const head = this.#head[i]!;
    const count = this.#count[i]!;
    let reward = 0;
    let g = 1;
    for (let k = 0; k < count; k++) {
      reward += g * this.#rewards[i * n + ((head + k) % n)]!;
      g *= gamma;
    }
    const r = out.size++;
    out.observations.set(this.#obs.subarray((i * n + head) * O, (i * n + head + 1) * O), r * O);
    out.actions[r] = this.#actions[i * n + head]!;
    out.rewards[r] = reward;
    out.nextObservations.set(step.nextObservations.subarray(i * O, (i + 1) * O), r * O);
    out.discounts[r] = terminated ? 0 : g;
    out.nextActionMasks.set(step.nextActionMasks.subarray(i * A, (i + 1) * A), r * A);
    this.#head[i] = (head + 1) % n;
    this.#count[i] = count - 1;
  }
}
