/**
 * The vector-env contract the training loop acts on (Gymnasium's VectorEnv with auto-reset, as
 * typed arrays), and `EnvVector`, which steps several single `Env`s in turn behind it
 * (Gymnasium's SyncVectorEnv) — for the live env and test envs. The replay env's own
 * `VecReplayEnv` satisfies the contract directly.
 */
import { CoinferError } from '../common/errors.ts';
import type { Env, MaskedInfo } from '../env/env.ts';
import { Box, Discrete } from '../env/spaces.ts';

/** N env copies stepped together; lane i's row of each array at i × width. */
export interface VectorEnv {
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionCount: number;
  /** [N × O] the observations to act on (after an episode ended: the next episode's first). */
  readonly observations: Float32Array;
  /** [N × A] valid actions for `observations`. */
  readonly masks: Uint8Array;
  /** [N] rewards of the last step. */
  readonly rewards: Float32Array;
  /** [N] 1 where the last step ended the MDP. */
  readonly terminated: Uint8Array;
  /** [N] 1 where the last step hit an outside limit. */
  readonly truncated: Uint8Array;
  /** [N × O] for lanes whose episode the last step ended: its final observation. */
  readonly finalObservations: Float32Array;
  /** [N × A] valid actions of `finalObservations`; absent = those of `masks`. */
  readonly finalMasks?: Uint8Array;
  /** Seeds every lane and starts new episodes. */
  reset(seed: number): void | Promise<void>;
  /** Steps every lane with its action; lanes that end start their next episode. */
  step(actions: Int32Array): void | Promise<void>;
}

/** Several single envs as one VectorEnv (stepped one after the other; lane i reset with seed + i). */
export class EnvVector implements VectorEnv {
  readonly numEnvs: number;
  readonly observationSize: number;
  readonly actionCount: number;
  readonly observations: Float32Array;
  readonly masks: Uint8Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObservations: Float32Array;
  readonly finalMasks: Uint8Array;
  readonly #envs: readonly Env<Float32Array, number, MaskedInfo>[];

  /** @throws CoinferError ERR_INVALID_ARGUMENT when there are no envs, or one has no Discrete action space or another shape. */
  constructor(envs: readonly Env<Float32Array, number, MaskedInfo>[]) {
    const first = envs[0];
    if (!first) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected at least one env, actually none');
    for (const e of envs) {
      if (!(e.actionSpace instanceof Discrete)) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected an env with a Discrete action space, actually another space');
      if (!(e.observationSpace instanceof Box)) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected an env with a Box observation space, actually another space');
      if (e.actionSpace.n !== (first.actionSpace as Discrete).n || e.observationSpace.size !== (first.observationSpace as Box).size) {
        throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected envs with one observation shape and one action count, actually different ones');
      }
    }
    this.#envs = envs;
    this.numEnvs = envs.length;
    this.actionCount = (first.actionSpace as Discrete).n;
    this.observationSize = (first.observationSpace as Box).size;
    const [n, o, a] = [this.numEnvs, this.observationSize, this.actionCount];
    this.observations = new Float32Array(n * o);
    this.finalObservations = new Float32Array(n * o);
    this.masks = new Uint8Array(n * a);
    this.finalMasks = new Uint8Array(n * a);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
  }

  async reset(seed: number): Promise<void> {
    for (let i = 0; i < this.numEnvs; i++) {
      const r = await this.#envs[i]!.reset({ seed: seed + i });
      this.#write(i, r.observation, r.info.actionMask);
    }
  }

  async step(actions: Int32Array): Promise<void> {
    const [o, a] = [this.observationSize, this.actionCount];
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.#envs[i]!;
      const r = await env.step(actions[i]!);
      this.rewards[i] = r.reward;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        this.finalObservations.set(r.observation, i * o);
        this.finalMasks.set(r.info.actionMask, i * a);
        const next = await env.reset(); // continues the env's own RNG stream
        this.#write(i, next.observation, next.info.actionMask);
      } else {
        this.#write(i, r.observation, r.info.actionMask);
      }
    }
  }

  /** Closes every env. */
  async close(): Promise<void> {
    for (const e of this.#envs) await e.close();
  }

  #write(i: number, observation: Float32Array, mask: Uint8Array): void {
    this.observations.set(observation, i * this.observationSize);
    this.masks.set(mask, i * this.actionCount);
  }
}
