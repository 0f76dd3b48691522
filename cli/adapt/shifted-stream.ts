/**
 * One long request stream whose world changes at a known request: the first `shiftAt` requests
 * come from the env of the world before, the rest from the env of the world after (seeded with
 * `seed` and `seed + 1`, so every policy sees the same requests). The device keeps nothing
 * across the shift but what the learner learned: the after-world starts from its own probe, as
 * a device would after its world changed under it. Works over the replay env (which can also
 * tell the true outcome of any action) and the live env.
 */
import type { ActionCodec } from '../../env/action-codec.ts';
import type { DecisionContext } from '../../env/decision-context.ts';
import type { Env, StepResult } from '../../env/env.ts';
import { ReplayEnv } from '../../env/replay-env.ts';
import type { CoinferInfo } from '../../env/step-info.ts';

export type CoinferEnv = Env<Float32Array, number, CoinferInfo>;

export class ShiftedStream {
  readonly #before: CoinferEnv;
  readonly #after: CoinferEnv;
  readonly shiftAt: number;
  /** The action codec both worlds share. */
  readonly codec: ActionCodec;
  #served = 0;
  #seed = 0;

  constructor(o: { readonly before: CoinferEnv; readonly after: CoinferEnv; readonly shiftAt: number; readonly codec: ActionCodec }) {
    if (!(Number.isInteger(o.shiftAt) && o.shiftAt >= 1)) throw new RangeError(`Expected shiftAt an integer >= 1, actually ${o.shiftAt}`);
    this.#before = o.before;
    this.#after = o.after;
    this.shiftAt = o.shiftAt;
    this.codec = o.codec;
  }

  /** The env serving the waiting request. */
  get env(): CoinferEnv {
    return this.#served < this.shiftAt ? this.#before : this.#after;
  }

  /** The replay env serving the waiting request, or null in a live stream. */
  get replay(): ReplayEnv | null {
    const e = this.env;
    return e instanceof ReplayEnv ? e : null;
  }

  /** Requests served so far. */
  get served(): number {
    return this.#served;
  }

  /** Seeds the world before the shift and returns the first request's observation. */
  async reset(seed: number): Promise<{ observation: Float32Array; info: CoinferInfo }> {
    this.#served = 0;
    this.#seed = seed;
    const r = await this.#before.reset({ seed });
    return { observation: r.observation, info: r.info };
  }

  /** The waiting request's context with the true outcome of every action (replay streams only). */
  oracleContext(): DecisionContext {
    const r = this.replay;
    if (!r) throw new RangeError('Expected a replay stream: only the replay env knows the true outcome of every action');
    return r.oracleContext();
  }

  /**
   * Serves the waiting request. The last request before the shift comes back truncated (nothing
   * bootstraps across the shift), with the after-world's first observation as the next state.
   */
  async step(action: number): Promise<{ result: StepResult<Float32Array, CoinferInfo>; next: { observation: Float32Array; info: CoinferInfo } }> {
    const r = await this.env.step(action);
    this.#served++;
    if (this.#served === this.shiftAt) {
      const first = await this.#after.reset({ seed: this.#seed + 1 });
      return { result: { ...r, truncated: true }, next: { observation: first.observation, info: first.info } };
    }
    return { result: r, next: { observation: r.observation, info: r.info } };
  }

  async close(): Promise<void> {
    await this.#before.close();
    await this.#after.close();
  }
}
