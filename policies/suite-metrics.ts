/**
 * One world's row of the suite, pure: each policy's summary plus its paired accuracy
 * difference against Edgent with a 95% interval clustered by episode (policies/paired-ci.ts),
 * the oracle − Edgent headroom and the share of it the policy captures.
 */
import { pairedClusterCi } from './paired-ci.ts';
import type { PolicySummary } from './evaluate-policies.ts';

/** The baseline every Δ is measured against, and the upper bound of the headroom. */
export const BASELINE_POLICY = 'edgent';
export const ORACLE_POLICY = 'oracle';
/** The strongest planner blind to measured speeds (Edgent's search over the runtime's latency model): beating it is worth its own Δ. */
export const CALIBRATED_POLICY = 'calibrated';
/**
 * Below this oracle − Edgent headroom (points) the captured share is not reported: a ratio over
 * a near-zero denominator is noise (a 0.1-point headroom turns a 1-point loss into −1000 %).
 */
export const MIN_HEADROOM_POINTS = 0.5;

/** A paired difference in accuracy points (100 × fraction) with its 95% CI. */
export interface DeltaPoints {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
}

/** One policy in one world: its evaluation summary's figures plus the paired comparison to Edgent. */
export interface SuitePolicyRow extends Pick<PolicySummary, 'policy' | 'accuracy' | 'hitRate' | 'meanLatencyMs' | 'p95LatencyMs' | 'energyMjPerRequest' | 'meanReward' | 'rewardVsOracle'> {
  /** accuracy − Edgent's, paired per request, points; null without Edgent in the run. */
  readonly deltaVsEdgent: DeltaPoints | null;
  /** accuracy − the calibrated planner's, paired per request, points; null without it in the run. */
  readonly deltaVsCalibrated: DeltaPoints | null;
  /** (accuracy − Edgent's) / (oracle's − Edgent's); null without both or when the headroom is under MIN_HEADROOM_POINTS. */
  readonly headroomCaptured: number | null;
}

export interface SuiteWorldRow {
  readonly name: string;
  readonly description: string;
  /** Oracle − Edgent accuracy, points; null without both. */
  readonly headroomPoints: number | null;
  readonly episodes: number;
  readonly requestsPerEpisode: number;
  readonly policies: readonly SuitePolicyRow[];
}

/**
 * @param summaries one per policy, same order as `perEpisode`'s keys are looked up
 * @param perEpisode per policy, per episode, per request: 1 when answered correctly in time, else 0
 */
export function suiteWorldRow(world: { name: string; description: string }, summaries: readonly PolicySummary[], perEpisode: ReadonlyMap<string, readonly (readonly number[])[]>): SuiteWorldRow {
  const base = summaries.find((s) => s.policy === BASELINE_POLICY);
  const oracle = summaries.find((s) => s.policy === ORACLE_POLICY);
  const headroom = base && oracle ? oracle.accuracy - base.accuracy : null;
  const baseEpisodes = perEpisode.get(BASELINE_POLICY);
  const anyEpisodes = perEpisode.values().next().value ?? [];
  const calibratedEpisodes = perEpisode.get(CALIBRATED_POLICY);
  const deltaPoints = (mine: readonly (readonly number[])[] | undefined, ref: readonly (readonly number[])[] | undefined): DeltaPoints | null => {
    if (!mine || !ref) return null;
    const ci = pairedClusterCi(mine, ref);
    return { mean: 100 * ci.mean, lo: 100 * ci.lo, hi: 100 * ci.hi };
  };
  const policies = summaries.map((s): SuitePolicyRow => {
    const mine = perEpisode.get(s.policy);
    return {
      policy: s.policy, accuracy: s.accuracy, hitRate: s.hitRate, meanLatencyMs: s.meanLatencyMs, p95LatencyMs: s.p95LatencyMs,
      energyMjPerRequest: s.energyMjPerRequest, meanReward: s.meanReward, rewardVsOracle: s.rewardVsOracle,
      deltaVsEdgent: deltaPoints(mine, baseEpisodes),
      deltaVsCalibrated: deltaPoints(mine, calibratedEpisodes),
      headroomCaptured: base && headroom !== null && 100 * headroom >= MIN_HEADROOM_POINTS ? (s.accuracy - base.accuracy) / headroom : null,
    };
  });
  return {
    name: world.name, description: world.description, headroomPoints: headroom === null ? null : 100 * headroom,
    episodes: anyEpisodes.length, requestsPerEpisode: anyEpisodes[0]?.length ?? 0, policies,
  };
}
