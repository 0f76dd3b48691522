/**
 * One long request stream whose world changes at a known request: the first `shiftAt` requests
 * come from the replay env of the world before, the rest from the env of the world after (each
 * seeded once, so every policy sees the same requests). The device keeps nothing across the
 * shift but what the learner learned: the after-world's first observation starts from its own
 * probe, as a device would after its world changed under it.
 */
import type { DecisionContext } from '../../env/decision-context.ts';
import type { StepResult } from '../../env/env.ts';
import type { ReplayEnv } from '../../env/replay-env.ts';
import type { CoinferInfo } from '../../env/step-info.ts';

export class ShiftedStream {
  readonly #before: ReplayEnv;
  readonly #after: ReplayEnv;
  readonly shiftAt: number;
  #served = 0;

  constructor(o: { readonly before: ReplayEnv; readonly after: ReplayEnv; readonly shiftAt: number }) {
    if (!(Number.isInteger(o.shiftAt) && o.shiftAt >= 1)) throw new RangeError(`Expected shiftAt an integer >= 1, actually ${o.shiftAt}`);
    this.#before = o.before;
    this.#after = o.after;
    this.shiftAt = o.shiftAt;
  }

  /** The env serving the waiting request. */
  get env(): ReplayEnv {
    return this.#served < this.shiftAt ? this.#before : this.#after;
  }

  /** Requests served so far. */
  get served(): number {
    return this.#served;
  }

  /** Seeds both worlds (the after-world from `seed + 1`) and returns the first request's observation. */
  async reset(seed: number): Promise<{ observation: Float32Array; info: CoinferInfo }> {
    this.#served = 0;
    await this.#after.reset({ seed: seed + 1 });
    const r = await this.#before.reset({ seed });
    return { observation: r.observation, info: r.info };
  }

  /** The waiting request's context with the true outcome of every action. */
  oracleContext(): DecisionContext {
    return this.env.oracleContext();
  }

  /**
   * Serves the waiting request. The last request before the shift comes back truncated, with
   * the after-world's first observation and info as the next state to act in (`nextObservation`
   * for learning stays the before-world's, so nothing bootstraps across the shift).
   */
  async step(action: number): Promise<{ result: StepResult<Float32Array, CoinferInfo>; next: { observation: Float32Array; info: CoinferInfo } }> {
    const r = await this.env.step(action);
    this.#served++;
    if (this.#served === this.shiftAt) {
      const a = this.#after;
      const observation = a.vec.observations.slice(0, a.vec.observationSize);
      const info: CoinferInfo = { actionMask: a.vec.masks.slice(0, a.vec.actionCount), context: a.vec.context(0), outcome: null, requestsDone: 0 };
      return { result: { ...r, truncated: true }, next: { observation, info } };
    }
    return { result: r, next: { observation: r.observation, info: r.info } };
  }
}
