/**
 * n-step return accumulator (Sutton 1988; Rainbow's multi-step target, Hessel et al. 2018).
 * Turns a stream of 1-step transitions into transitions with R = Σ_{i<k} γ^i r_i and a
 * bootstrap factor γ^k. At an episode's end the pending transitions are flushed with shorter
 * returns: after `terminated` their discount is 0 (the MDP ended, nothing to bootstrap from);
 * after `truncated` it stays γ^k (the state still had a future; Pardo et al. 2018, "Time
 * Limits in Reinforcement Learning").
 */
import type { ReplayTransition, Transition } from './transition.ts';

export class NStepAccumulator {
  readonly nStep: number;
  readonly gamma: number;
  readonly #pending: Transition[] = [];

  /**
   * @param options.nStep steps summed per return, integer ≥ 1 (1 = plain 1-step transitions).
   * @param options.gamma discount per step, in (0, 1].
   */
  constructor(options: { readonly nStep: number; readonly gamma: number }) {
    if (!Number.isInteger(options.nStep) || options.nStep < 1) throw new RangeError(`Expected nStep an integer >= 1, actually ${options.nStep}`);
    if (!(options.gamma > 0 && options.gamma <= 1)) throw new RangeError(`Expected gamma in (0, 1], actually ${options.gamma}`);
    this.nStep = options.nStep;
    this.gamma = options.gamma;
  }

  /** Transitions waiting for more steps. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * Adds one env step; returns the transitions that became complete (0, 1, or up to nStep at an
   * episode's end), oldest first. Keeps references to the step's arrays: do not mutate them.
   */
  push(t: Transition): ReplayTransition[] {
    this.#pending.push(t);
    const out: ReplayTransition[] = [];
    if (t.terminated || t.truncated) {
      while (this.#pending.length > 0) {
        out.push(this.#emit(t));
        this.#pending.shift();
      }
    } else if (this.#pending.length === this.nStep) {
      out.push(this.#emit(t));
      this.#pending.shift();
    }
    return out;
  }

  /** Drops pending steps (e.g. when an episode is abandoned without terminated/truncated). */
  clear(): void {
    this.#pending.length = 0;
  }

  /** The return from the oldest pending step to `last` (the newest). */
  #emit(last: Transition): ReplayTransition {
    let reward = 0;
    let g = 1;
    for (const p of this.#pending) {
      reward += g * p.reward;
      g *= this.gamma;
    }
    const first = this.#pending[0]!;
    return {
      observation: first.observation,
      action: first.action,
      reward,
      nextObservation: last.nextObservation,
      discount: last.terminated ? 0 : g,
      nextActionMask: last.nextActionMask,
    };
  }
}
