/**
 * The environment contract (docs/architecture.md §5, Gymnasium's API made async with named fields).
 * `terminated` = the MDP itself ended; `truncated` = an outside limit (time limit) cut it.
 * Seeding happens only in `reset`; the env owns its RNG; `close()` is idempotent; `step`
 * before `reset` rejects with ERR_RESET_NEEDED.
 */
import type { Space } from './spaces.ts';

/** What every env's info carries: the mask of valid actions in the returned state. */
export interface MaskedInfo {
  /** actionMask[i] = 1 when action i is valid in the state just returned. */
  readonly actionMask: Uint8Array;
}

export interface ResetResult<Obs, Info extends MaskedInfo = MaskedInfo> {
  readonly observation: Obs;
  readonly info: Readonly<Info>;
}

export interface StepResult<Obs, Info extends MaskedInfo = MaskedInfo> {
  readonly observation: Obs;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: Readonly<Info>;
}

export interface Env<Obs, Act, Info extends MaskedInfo = MaskedInfo> {
  readonly observationSpace: Space<Obs>;
  readonly actionSpace: Space<Act>;
  reset(opts?: { readonly seed?: number }): Promise<ResetResult<Obs, Info>>;
  step(action: Act): Promise<StepResult<Obs, Info>>;
  close(): Promise<void>;
}
