/**
 * The replay env behind the single-env contract (env/env.ts): one lane of VecReplayEnv with
 * typed info. Fast (no I/O): real traces, measured compute-time distributions, per-sample
 * correctness from the model manifest.
 */
import { CoinferError } from '../common/errors.ts';
import type { Env } from './env.ts';
import { observationSpace } from './observation.ts';
import { Discrete, type Box } from './spaces.ts';
import type { CoinferInfo, RequestOutcome } from './step-info.ts';
import { VecReplayEnv, type VecReplayEnvOptions } from './vec-replay-env.ts';
import type { ResetResult, StepResult } from './env.ts';
import type { DecisionContext } from './decision-context.ts';

export type ReplayEnvOptions = Omit<VecReplayEnvOptions, 'numEnvs'>;

export class ReplayEnv implements Env<Float32Array, number, CoinferInfo> {
  readonly observationSpace: Box = observationSpace();
  readonly actionSpace: Discrete;
  readonly vec: VecReplayEnv;
  #state: 'new' | 'running' | 'closed' = 'new';
  #seeded = false;
  readonly #action = new Int32Array(1);
  readonly #outcomes: RequestOutcome[] = [];

  constructor(opts: ReplayEnvOptions) {
    this.vec = new VecReplayEnv({ ...opts, numEnvs: 1 });
    this.actionSpace = new Discrete(this.vec.actionCount);
  }

  #info(outcome: RequestOutcome | null): CoinferInfo {
    return { actionMask: this.vec.masks.slice(0, this.vec.actionCount), context: this.vec.context(0), outcome, requestsDone: this.vec.requestsDone(0) };
  }

  async reset(opts: { readonly seed?: number } = {}): Promise<ResetResult<Float32Array, CoinferInfo>> {
    if (this.#state === 'closed') throw new CoinferError('ERR_ENV_CLOSED', 'reset() on a closed env: create a new env');
    if (opts.seed !== undefined || !this.#seeded) {
      this.vec.reset(opts.seed ?? 0);
      this.#seeded = true;
    } else {
      this.vec.restart(0);
    }
    this.#state = 'running';
    return { observation: this.vec.observations.slice(0, this.vec.observationSize), info: this.#info(null) };
  }

  async step(action: number): Promise<StepResult<Float32Array, CoinferInfo>> {
    if (this.#state === 'closed') throw new CoinferError('ERR_ENV_CLOSED', 'step() on a closed env: create a new env');
    if (this.#state === 'new') throw new CoinferError('ERR_RESET_NEEDED', 'Cannot call step() before reset()');
    if (!this.actionSpace.contains(action)) {
      throw new CoinferError('ERR_INVALID_ACTION', `Expected an action index in [0, ${this.actionSpace.n - 1}], actually ${action}`);
    }
    this.#action[0] = action;
    this.vec.step(this.#action, this.#outcomes);
    const truncated = this.vec.truncated[0] === 1;
    if (truncated) this.#state = 'new'; // Gymnasium: reset before stepping a finished episode
    const outcome = this.#outcomes[0]!;
    // The vector env has already started the next episode: report the one that just ended.
    const final = truncated ? this.vec.finalState(0) : null;
    return {
      observation: (truncated ? this.vec.finalObservations : this.vec.observations).slice(0, this.vec.observationSize),
      reward: this.vec.rewards[0]!,
      terminated: false,
      truncated,
      info: final === null ? this.#info(outcome) : {
        ...this.#info(outcome), actionMask: this.vec.finalMasks.slice(0, this.vec.actionCount), context: final.context, requestsDone: final.requestsDone,
      },
    };
  }

  /** The decision context with an oracle view of the waiting request. */
  oracleContext(): DecisionContext {
    return this.vec.oracleContext(0);
  }

  async close(): Promise<void> {
    this.#state = 'closed';
  }
}
