/**
 * A conformance checker for the env contract (after Gymnasium's check_env), run on every env
 * in the tests. It needs a factory because some checks need a fresh env.
 */
import { CoinferError, isCoinferError } from '../common/errors.ts';
import { createRng } from '../common/rng.ts';
import type { DecisionContext } from './decision-context.ts';
import type { Env, MaskedInfo } from './env.ts';
import { OBSERVATION_FIELDS, OBSERVATION_SIZE, writeObservation } from './observation.ts';
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

/** The coinfer envs' info (env/step-info.ts), as far as the checker reads it. */
interface ContextInfo extends MaskedInfo {
  readonly context: DecisionContext;
  readonly outcome: { readonly deadlineMs: number } | null;
  readonly requestsDone: number;
}

function hasContext(info: MaskedInfo): info is ContextInfo {
  const i = info as Partial<ContextInfo>;
  return typeof i.context === 'object' && i.context !== null && typeof i.requestsDone === 'number';
}

/** Observation entries computed from the decision context alone (the rest describe the last outcome). */
const CONTEXT_FIELDS = ['bandwidth_log', 'bandwidth_trend', 'deadline', 'device_load', 'edge_load', 'rtt'] as const;

/**
 * For envs whose info carries the decision context: the info must describe the same request
 * as the observation returned with it (also on the step that ends an episode, where an
 * auto-resetting env is tempted to report the next episode's), count the requests served,
 * and its outcome must be the request that was waiting.
 */
function checkInfo(where: string, obs: Float32Array, info: MaskedInfo, prev: { requestsDone: number; deadlineMs: number } | null): void {
  if (!hasContext(info)) return;
  const expected = new Float32Array(OBSERVATION_SIZE);
  writeObservation(expected, 0, info.context, null);
  for (const field of CONTEXT_FIELDS) {
    const k = OBSERVATION_FIELDS.indexOf(field);
    if (!Object.is(expected[k], obs[k])) {
      fail(`${where}: observation[${k}] (${field}) = ${obs[k]} but info.context gives ${expected[k]}: info must describe the request the observation describes (on the last step of an episode, not the next episode's first)`);
    }
  }
  const want = prev === null ? 0 : prev.requestsDone + 1;
  if (info.requestsDone !== want) fail(`${where}: expected info.requestsDone ${want}, actually ${info.requestsDone}`);
  if (prev === null) {
    if (info.outcome !== null) fail(`${where}: expected info.outcome null after reset, actually an outcome`);
  } else if (info.outcome === null || info.outcome.deadlineMs !== prev.deadlineMs) {
    fail(`${where}: expected info.outcome to be the request that was waiting (deadline ${prev.deadlineMs} ms), actually ${info.outcome === null ? 'null' : `deadline ${info.outcome.deadlineMs} ms`}`);
  }
}

const stateOf = (info: MaskedInfo): { requestsDone: number; deadlineMs: number } | null =>
  hasContext(info) ? { requestsDone: info.requestsDone, deadlineMs: info.context.deadlineMs } : null;

async function rollout(env: AnyEnv, seed: number, steps: number): Promise<{ obs: Float32Array[]; rewards: number[] }> {
  const rng = createRng(seed + 1);
  const first = await env.reset({ seed });
  checkInfo('reset', first.observation, first.info, null);
  const obs = [first.observation.slice()];
  const rewards: number[] = [];
  let mask = first.info.actionMask;
  let prev = stateOf(first.info);
  for (let i = 0; i < steps; i++) {
    const r = await env.step(validAction(mask, rng.next()));
    if (typeof r.terminated !== 'boolean' || typeof r.truncated !== 'boolean') fail('step must return boolean terminated and truncated');
    if (!Number.isFinite(r.reward)) fail(`step returned a non-finite reward ${r.reward}`);
    if (!env.observationSpace.contains(r.observation)) fail(`step returned an observation outside observationSpace: [${Array.from(r.observation).join(', ')}]`);
    checkInfo(`step ${i + 1}${r.terminated || r.truncated ? ' (episode end)' : ''}`, r.observation, r.info, prev);
    obs.push(r.observation.slice());
    rewards.push(r.reward);
    mask = r.info.actionMask;
    prev = stateOf(r.info);
    if (r.terminated || r.truncated) {
      const again = await env.reset();
      checkInfo('reset after an episode end', again.observation, again.info, null);
      mask = again.info.actionMask;
      prev = stateOf(again.info);
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
