/**
 * A conformance checker for the env contract (after Gymnasium's check_env), run on every env
 * in the tests. It needs a factory because some checks need a fresh env.
 */
import { CoinferError, isCoinferError } from '../common/errors.ts';
import { createRng } from '../common/rng.ts';
import type { Env, MaskedInfo } from './env.ts';
import { Discrete } from './spaces.ts';

export interface CheckEnvOptions {
  /** Seed used for the determinism checks. */
  readonly seed?: number;
  /** Steps taken in the determinism check. */
  readonly steps?: number;
  /**
   * Whether step results must repeat exactly under the same seed. True for simulated envs;
   * false for envs over real measurements (their latencies vary), where only the seeded
   * first observation must repeat.
   */
  readonly deterministicSteps?: boolean;
}

function fail(message: string): never {
  throw new CoinferError('ERR_ENV_CHECK', message);
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

async function expectRejects(p: () => Promise<unknown>, code: 'ERR_RESET_NEEDED' | 'ERR_ENV_CLOSED', what: string): Promise<void> {
  try {
    await p();
  } catch (e) {
    if (isCoinferError(e, code)) return;
    fail(`${what}: expected a CoinferError ${code}, actually ${String(e)}`);
  }
  fail(`${what}: expected a rejection with ${code}, but it resolved`);
}

/** A valid action drawn from a mask with a seeded rng. */
function validAction(mask: Uint8Array, r: number): number {
  const valid: number[] = [];
  mask.forEach((m, i) => m && valid.push(i));
  if (valid.length === 0) fail('info.actionMask has no valid action; every state must offer at least one');
  return valid[Math.floor(r * valid.length)]!;
}

type AnyEnv = Env<Float32Array, number, MaskedInfo>;

async function rollout(env: AnyEnv, seed: number, steps: number): Promise<{ obs: Float32Array[]; rewards: number[] }> {
  const rng = createRng(seed + 1);
  const first = await env.reset({ seed });
  const obs = [first.observation.slice()];
  const rewards: number[] = [];
  let mask = first.info.actionMask;
  for (let i = 0; i < steps; i++) {
    const r = await env.step(validAction(mask, rng.next()));
    if (typeof r.terminated !== 'boolean' || typeof r.truncated !== 'boolean') fail('step must return boolean terminated and truncated');
    if (!Number.isFinite(r.reward)) fail(`step returned a non-finite reward ${r.reward}`);
    if (!env.observationSpace.contains(r.observation)) fail(`step returned an observation outside observationSpace: [${Array.from(r.observation).join(', ')}]`);
    obs.push(r.observation.slice());
    rewards.push(r.reward);
    mask = r.info.actionMask;
    if (r.terminated || r.truncated) {
      const again = await env.reset();
      mask = again.info.actionMask;
    }
  }
  return { obs, rewards };
}

/**
 * Checks an env factory against the contract. Resolves when it conforms; rejects with
 * CoinferError ERR_ENV_CHECK naming the first violation and its likely cause.
 */
export async function checkEnv(makeEnv: () => AnyEnv | Promise<AnyEnv>, options: CheckEnvOptions = {}): Promise<void> {
  const seed = options.seed ?? 123;
  const steps = options.steps ?? 5;
  const env = await makeEnv();
  try {
    if (!env.observationSpace || !env.actionSpace) fail('the env must declare observationSpace and actionSpace');
    if (!(env.actionSpace instanceof Discrete)) fail('actionSpace must be a Discrete space (masked discrete actions)');
    const n = env.actionSpace.n;
    await expectRejects(() => env.step(0), 'ERR_RESET_NEEDED', 'step before reset');

    const a = await env.reset({ seed });
    if (!env.observationSpace.contains(a.observation)) fail('reset returned an observation outside observationSpace');
    if (!(a.info.actionMask instanceof Uint8Array) || a.info.actionMask.length !== n) {
      fail(`info.actionMask must be a Uint8Array of length ${n} (the action count)`);
    }
    const b = await env.reset({ seed });
    if (!sameArray(a.observation, b.observation)) fail('reset({seed}) twice gave different observations: does reset re-seed the env RNG?');

    const r1 = await rollout(env, seed, steps);
    const r2 = await rollout(env, seed, steps);
    if (options.deterministicSteps ?? true) {
      for (let i = 0; i < r1.obs.length; i++) {
        if (!sameArray(r1.obs[i]!, r2.obs[i]!)) fail(`same seed, same actions, different observation at step ${i}: is all randomness drawn from the env's seeded RNG?`);
      }
      if (!sameArray(r1.rewards, r2.rewards)) fail('same seed, same actions, different rewards');
    }
  } finally {
    await env.close();
  }
  await env.close(); // must be idempotent
  await expectRejects(() => env.step(0), 'ERR_ENV_CLOSED', 'step after close');
  await expectRejects(() => env.reset(), 'ERR_ENV_CLOSED', 'reset after close');
}
