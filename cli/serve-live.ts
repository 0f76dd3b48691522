/**
 * Serves requests with one policy on a LiveEnv (real split inference), request by request:
 * what `demo` and `eval --env live` share.
 */
import type { LiveEnv } from '../env/live-env.ts';
import type { RequestOutcome } from '../env/step-info.ts';
import type { Policy } from '../policies/policy.ts';

export interface LiveServed {
  readonly outcome: RequestOutcome;
  readonly reward: number;
  /** The chosen action's label (env codec). */
  readonly label: string;
  /** The device's bandwidth estimate when it decided, Mbps. */
  readonly estimateMbps: number;
}

/**
 * Resets the env with `seed` and serves up to `requests` requests (fewer when the episode ends).
 * @throws (rejects) CoinferError ERR_POLICY_UNKNOWN for the oracle, which needs true outcomes
 *   that only the replay env can give.
 */
export async function serveLive(o: { readonly policy: Policy; readonly env: LiveEnv; readonly requests: number; readonly seed: number; readonly onStep?: () => void }): Promise<LiveServed[]> {
  const { env, policy } = o;
  const served: LiveServed[] = [];
  const first = await env.reset({ seed: o.seed });
  let obs = first.observation;
  let ctx = first.info.context;
  for (let k = 0; k < o.requests; k++) {
    const action = env.codec.encode(policy.decide(obs, ctx));
    const s = await env.step(action);
    served.push({ outcome: s.info.outcome!, reward: s.reward, label: env.codec.labels[action]!, estimateMbps: ctx.bandwidthMbps });
    o.onStep?.();
    if (s.truncated || s.terminated) break;
    obs = s.observation;
    ctx = s.info.context;
  }
  return served;
}
