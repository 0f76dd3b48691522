/**
 * Evaluates policies on the replay env over the same seeded request streams (the scenario's
 * random draws do not depend on the actions taken, so every policy sees the same deadlines,
 * images, loads and trace positions at each request index) and summarises each policy.
 */
import type { RequestOutcome } from '../env/step-info.ts';
import { VecReplayEnv, type VecReplayEnvOptions } from '../env/vec-replay-env.ts';
import type { Policy } from './policy.ts';
import { rankQuantile } from '../common/rank-quantile.ts';

export interface PolicySummary {
  readonly policy: string;
  readonly requests: number;
  /** Share of requests answered correctly and on time. */
  readonly accuracy: number;
  /** Share of requests that met their deadline. */
  readonly hitRate: number;
  readonly meanLatencyMs: number;
  readonly p95LatencyMs: number;
  /** Mean device energy per request, millijoules. */
  readonly energyMjPerRequest: number;
  readonly meanReward: number;
  /** meanReward / the oracle's meanReward (null when no oracle was evaluated or its reward ≤ 0). */
  readonly rewardVsOracle: number | null;
  /** How often each action label was chosen. */
  readonly actionCounts: Readonly<Record<string, number>>;
}

export interface EvaluateOptions extends Omit<VecReplayEnvOptions, 'numEnvs'> {
  /** Episodes per policy (each `scenario.episodeRequests` long). */
  readonly episodes: number;
  readonly seed: number;
  /** Parallel lanes (episodes run in batches of this size). */
  readonly lanes?: number;
  /** Called after each policy with its summary (progress reporting). */
  readonly onPolicyDone?: (s: PolicySummary) => void;
  /** Receives every outcome (for traces of actions over time) with its episode's index (0-based, the same streams for every policy). */
  readonly onOutcome?: (policy: string, o: RequestOutcome, episode: number) => void;
}

/** Summarises served requests (rewardVsOracle left null; evaluatePolicies fills it). */
export function summarizeOutcomes(policy: string, served: readonly { readonly outcome: RequestOutcome; readonly reward: number; readonly label?: string }[]): PolicySummary {
  let correctOnTime = 0, hits = 0, latencySum = 0, energySum = 0, rewardSum = 0;
  const latencies = new Float64Array(served.length);
  const counts: Record<string, number> = {};
  served.forEach(({ outcome: o, reward, label }, k) => {
    if (o.hit) hits++;
    if (o.hit && o.correct) correctOnTime++;
    const lat = Math.min(o.totalMs, o.deadlineMs * 10); // a stalled transfer counts as 10× its deadline
    latencySum += lat;
    latencies[k] = lat;
    energySum += o.energyMj;
    rewardSum += reward;
    if (label !== undefined) counts[label] = (counts[label] ?? 0) + 1;
  });
  const n = Math.max(1, served.length);
  latencies.sort();
  return {
    policy, requests: served.length, accuracy: correctOnTime / n, hitRate: hits / n,
    meanLatencyMs: latencySum / n, p95LatencyMs: rankQuantile(latencies, 0.95),
    energyMjPerRequest: energySum / n, meanReward: rewardSum / n, rewardVsOracle: null, actionCounts: counts,
  };
}

/** Runs one policy over `episodes` seeded episodes of the replay env. */
async function runPolicy(policy: Policy, opts: EvaluateOptions): Promise<PolicySummary> {
  const lanes = Math.max(1, Math.min(opts.lanes ?? 16, opts.episodes));
  const served: { outcome: RequestOutcome; reward: number; label: string }[] = [];
  for (let done = 0; done < opts.episodes; done += lanes) {
    const batch = Math.min(lanes, opts.episodes - done);
    const env = new VecReplayEnv({ ...opts, numEnvs: batch });
    env.reset(opts.seed + done);
    const actions = new Int32Array(batch);
    const outcomes: RequestOutcome[] = [];
    const obsSize = env.observationSize;
    for (let step = 0; step < env.config.scenario.episodeRequests; step++) {
      for (let i = 0; i < batch; i++) {
        const ctx = policy.name === 'oracle' ? env.oracleContext(i) : env.context(i);
        const obs = env.observations.subarray(i * obsSize, (i + 1) * obsSize);
        actions[i] = env.codec.encode(policy.decide(obs, ctx));
      }
      env.step(actions, outcomes);
      for (let i = 0; i < batch; i++) {
        const o = outcomes[i]!;
        served.push({ outcome: o, reward: env.rewards[i]!, label: env.codec.labels[o.actionIndex]! });
        opts.onOutcome?.(policy.name, o, done + i);
      }
    }
  }
  return summarizeOutcomes(policy.name, served);
}

/** Evaluates every policy on identical seeded request streams. */
export async function evaluatePolicies(policies: readonly Policy[], opts: EvaluateOptions): Promise<PolicySummary[]> {
  if (!(Number.isInteger(opts.episodes) && opts.episodes > 0)) throw new RangeError(`Expected episodes a positive integer, actually ${opts.episodes}`);
  const out: PolicySummary[] = [];
  for (const p of policies) {
    const s = await runPolicy(p, opts);
    out.push(s);
    opts.onPolicyDone?.(s);
  }
  const oracle = out.find((s) => s.policy === 'oracle');
  return out.map((s) => ({ ...s, rewardVsOracle: oracle && oracle.meanReward > 0 ? s.meanReward / oracle.meanReward : null }));
}
