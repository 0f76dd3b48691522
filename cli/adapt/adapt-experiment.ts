/**
 * The world-shift experiment: for each shift and seed, every variant serves the same shifted
 * stream (fresh envs, same seeds), then the figures of docs/online.md are computed per seed
 * and aggregated over seeds (mean and spread). Composition over policies/, agent/ and env/.
 */
import { ReplayEnv } from '../../env/replay-env.ts';
import type { ModelPackage } from '../../runtime/model/model-package.ts';
import { longestBelow, meanSpread, rollingMean, shiftMetrics, type ShiftMetrics } from '../../policies/adapt-metrics.ts';
import type { ActionCodec } from '../../env/action-codec.ts';
import { ShiftedStream, type CoinferEnv } from './shifted-stream.ts';
import type { ResimLog } from './resim-variant.ts';
import { runVariant, type Variant, type VariantSeries } from './run-variant.ts';
import type { WorldSetup, WorldShift } from './shift-worlds.ts';

/** The names the experiment's figures refer to. */
export const ORACLE = 'oracle';
export const FROZEN = 'dqn';
export const LEARNER = 'dqn-online';
/** The learner without exploration (ε = 0): the reference of the exploration cost. */
export const LEARNER_GREEDY = 'dqn-online-eps0';
/** The exploring learner's greedy choices (shadow-scored on explored requests): its policy without the exploration cost. */
export const LEARNER_POLICY = 'dqn-online-greedy';
/** The re-simulation variant (cli/adapt/resim-variant.ts): fine-tuned in a replay of the measured world. */
export const RESIM = 'dqn-resim';

export interface ExperimentOptions {
  readonly pkg: ModelPackage;
  /** Requests before the shift. */
  readonly before: number;
  /** Requests after it. */
  readonly after: number;
  /** N: recovery is judged within this many requests after the shift. */
  readonly horizon: number;
  /** Rolling window of the curves and figures, requests. */
  readonly window: number;
  readonly seeds: readonly number[];
  /** Every point of the plotted curves is this many requests apart. */
  readonly curveEvery: number;
}

export interface PolicyFigures {
  /** Correct and on time, share of requests before the shift. */
  readonly accuracyOnTimeBefore: number;
  /** The same over the N requests after it. */
  readonly accuracyOnTimeAfter: number;
  /** Mean reward per request over the N requests after the shift. */
  readonly meanRewardAfter: number;
  /** Deadline misses per 1000 requests after the shift. */
  readonly missesPer1000After: number;
}

export interface SeedResult extends ShiftMetrics {
  readonly seed: number;
  /** The same figures for the learner's greedy policy (LEARNER_POLICY), exploration cost excluded. */
  readonly policyMetrics: ShiftMetrics;
  readonly policies: Readonly<Record<string, PolicyFigures>>;
  readonly rollbacks: number;
  readonly rollbackAt: readonly number[];
  readonly promotions: number;
  readonly exploration: {
    readonly explored: number;
    readonly extraMisses: number;
    readonly unsafeExtraMisses: number;
    /** Misses per 1000 requests of the exploring learner minus those of the ε = 0 learner, whole stream (null: no ε = 0 run). */
    readonly extraMissesPer1000VsGreedy: number | null;
  };
  /** The re-simulation variant's figures against the oracle and the frozen policy, and its log (null: not run). */
  readonly resim: (ShiftMetrics & ResimLog) | null;
}

type Spread = { mean: number; std: number; n: number } | null;

/** What `recovery` and its companions say over seeds (the learner's at the top of a ShiftResult, the re-simulation's in `resim`). */
export interface SeedsFigures {
  /** Mean over seeds of the per-seed recovery (null: no seed had a loss to recover). */
  readonly recovery: number | null;
  /** The slowest seed's requests to recover (null when a seed never recovered within the stream). */
  readonly requestsToRecover: number | null;
  /** The longest stretch over all seeds. */
  readonly longestBelowFrozen: number;
  readonly spread: { readonly recovery: Spread; readonly requestsToRecover: Spread; readonly longestBelowFrozen: Spread; readonly frozenGap: Spread };
}

export interface ShiftResult extends SeedsFigures {
  readonly name: string;
  readonly description: string;
  readonly before: string;
  readonly after: string;
  readonly shiftAt: number;
  /** Mean over seeds of the recovery of the learner's greedy policy (exploration cost excluded). */
  readonly policyRecovery: number | null;
  readonly policies: Readonly<Record<string, { readonly accuracyOnTimeAfter: Spread; readonly meanRewardAfter: Spread; readonly missesPer1000After: Spread }>>;
  readonly exploration: { readonly extraMissesPer1000Explored: Spread; readonly unsafeExtraMissesPer1000: Spread; readonly extraMissesPer1000VsGreedy: Spread };
  /** The re-simulation variant over seeds, as `recovery` … for the learner (null: not run). */
  readonly resim: (SeedsFigures & { readonly fineTunes: Spread }) | null;
  readonly seeds: readonly SeedResult[];
  /** Seed-averaged rolling curves (x: requests served). */
  readonly curves: { readonly x: readonly number[]; readonly reward: Readonly<Record<string, readonly number[]>>; readonly accuracyOnTime: Readonly<Record<string, readonly number[]>> };
}

const mean = (xs: ArrayLike<number>, from: number, to: number): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return to > from ? s / (to - from) : Number.NaN;
};

function figures(s: VariantSeries, shiftAt: number, end: number): PolicyFigures {
  let misses = 0;
  for (let i = shiftAt; i < end; i++) misses += 1 - s.hit[i]!;
  return {
    accuracyOnTimeBefore: mean(s.onTime, 0, shiftAt),
    accuracyOnTimeAfter: mean(s.onTime, shiftAt, end),
    meanRewardAfter: mean(s.reward, shiftAt, end),
    missesPer1000After: (1000 * misses) / (end - shiftAt),
  };
}

const totalMisses = (s: VariantSeries): number => s.hit.reduce((a, h) => a + 1 - h, 0);

/**
 * Runs one shift over every seed.
 * @param variants builds the variants (fresh per seed: learners start from the checkpoint each time)
 */
export async function runShift(
  shift: WorldShift,
  worlds: { readonly before: WorldSetup; readonly after: WorldSetup },
  variants: (seed: number) => Variant[],
  o: ExperimentOptions & {
    readonly onRequest?: () => void;
    /** Builds one world's env (default: a replay env); live streams have no oracle, so no recovery. */
    readonly envOf?: (w: WorldSetup) => Promise<CoinferEnv>;
    readonly codec: ActionCodec;
  },
): Promise<ShiftResult> {
  const requests = o.before + o.after;
  const end = Math.min(requests, o.before + o.horizon);
  const envOf = o.envOf ?? (async (w: WorldSetup): Promise<CoinferEnv> => new ReplayEnv({ manifest: o.pkg.manifest, computeTimes: w.computeTimes, traces: w.traces, config: w.config, actionAccuracy: o.pkg.actionAccuracy }));
  const seeds: SeedResult[] = [];
  const curveSums = new Map<string, { reward: Float64Array; onTime: Float64Array }>();
  for (const seed of o.seeds) {
    const runs = new Map<string, VariantSeries>();
    for (const v of variants(seed)) {
      const stream = new ShiftedStream({ before: await envOf(worlds.before), after: await envOf(worlds.after), shiftAt: o.before, codec: o.codec });
      try {
        runs.set(v.name, await runVariant(stream, v, { requests, seed, ...(o.onRequest ? { onRequest: o.onRequest } : {}) }));
      } finally {
        await stream.close();
      }
    }
    const get = (n: string): VariantSeries => {
      const r = runs.get(n);
      if (!r) throw new Error(`internal: the experiment needs variant ${n}`);
      return r;
    };
    const learner = get(LEARNER), greedy = runs.get(LEARNER_GREEDY) ?? null, oracle = runs.get(ORACLE) ?? null;
    const m: ShiftMetrics = oracle
      ? shiftMetrics({ oracle: oracle.reward, frozen: get(FROZEN).reward, learner: learner.reward, shiftAt: o.before, horizon: o.horizon, window: o.window, target: 0.5 })
      : { recovery: null, frozenGap: Number.NaN, requestsToRecover: null, longestBelowFrozen: longestBelow(rollingMean(learner.reward, o.window), rollingMean(get(FROZEN).reward, o.window), o.before) };
    const lb = learner.learner!;
    runs.set(LEARNER_POLICY, { name: LEARNER_POLICY, reward: lb.greedyReward, onTime: lb.greedyOnTime, hit: lb.greedyHit, learner: null });
    const pm: ShiftMetrics = oracle
      ? shiftMetrics({ oracle: oracle.reward, frozen: get(FROZEN).reward, learner: lb.greedyReward, shiftAt: o.before, horizon: o.horizon, window: o.window, target: 0.5 })
      : { ...m, longestBelowFrozen: longestBelow(rollingMean(lb.greedyReward, o.window), rollingMean(get(FROZEN).reward, o.window), o.before) };
    const rs = runs.get(RESIM) ?? null;
    const resim = rs && oracle && rs.resim
      ? { ...shiftMetrics({ oracle: oracle.reward, frozen: get(FROZEN).reward, learner: rs.reward, shiftAt: o.before, horizon: o.horizon, window: o.window, target: 0.5 }), ...rs.resim }
      : null;
    seeds.push({
      seed, ...m, policyMetrics: pm, resim,
      policies: Object.fromEntries([...runs].map(([n, s]) => [n, figures(s, o.before, end)])),
      rollbacks: lb.rollbacks, rollbackAt: lb.rollbackAt, promotions: lb.promotions,
      exploration: {
        explored: lb.exploration.explored, extraMisses: lb.exploration.extraMisses, unsafeExtraMisses: lb.exploration.unsafeExtraMisses,
        extraMissesPer1000VsGreedy: greedy ? (1000 * (totalMisses(learner) - totalMisses(greedy))) / requests : null,
      },
    });
    for (const [n, s] of runs) {
      const c = curveSums.get(n) ?? { reward: new Float64Array(requests), onTime: new Float64Array(requests) };
      const r = rollingMean(s.reward, o.window), a = rollingMean(s.onTime, o.window);
      for (let i = 0; i < requests; i++) { c.reward[i]! += r[i]! / o.seeds.length; c.onTime[i]! += a[i]! / o.seeds.length; }
      curveSums.set(n, c);
    }
  }
  const x: number[] = [];
  for (let i = o.curveEvery - 1; i < requests; i += o.curveEvery) x.push(i + 1);
  const sample = (xs: Float64Array): number[] => x.map((k) => Number(xs[k - 1]!.toFixed(4)));
  const names = [...curveSums.keys()];
  return {
    name: shift.name, description: shift.description, before: shift.before, after: shift.after, shiftAt: o.before,
    ...overSeeds(seeds),
    policyRecovery: meanSpread(seeds.map((s) => s.policyMetrics.recovery))?.mean ?? null,
    policies: Object.fromEntries(names.map((n) => [n, {
      accuracyOnTimeAfter: meanSpread(seeds.map((s) => s.policies[n]!.accuracyOnTimeAfter)),
      meanRewardAfter: meanSpread(seeds.map((s) => s.policies[n]!.meanRewardAfter)),
      missesPer1000After: meanSpread(seeds.map((s) => s.policies[n]!.missesPer1000After)),
    }])),
    exploration: {
      extraMissesPer1000Explored: meanSpread(seeds.map((s) => (1000 * s.exploration.extraMisses) / requests)),
      unsafeExtraMissesPer1000: meanSpread(seeds.map((s) => (1000 * s.exploration.unsafeExtraMisses) / requests)),
      extraMissesPer1000VsGreedy: meanSpread(seeds.map((s) => s.exploration.extraMissesPer1000VsGreedy)),
    },
    resim: seeds.length > 0 && seeds.every((s) => s.resim !== null) ? { ...overSeeds(seeds.map((s) => s.resim!)), fineTunes: meanSpread(seeds.map((s) => s.resim!.fineTunes.length)) } : null,
    seeds,
    curves: {
      x,
      reward: Object.fromEntries(names.map((n) => [n, sample(curveSums.get(n)!.reward)])),
      accuracyOnTime: Object.fromEntries(names.map((n) => [n, sample(curveSums.get(n)!.onTime)])),
    },
  };
}

/** A variant's figures over seeds: mean recovery, the slowest seed's requests to recover (null if any never did), the longest stretch below frozen, and their spreads. */
function overSeeds(ms: readonly ShiftMetrics[]): SeedsFigures {
  const rtr = ms.map((m) => m.requestsToRecover);
  return {
    recovery: meanSpread(ms.map((m) => m.recovery))?.mean ?? null,
    requestsToRecover: rtr.some((r) => r === null) ? null : Math.max(...(rtr as number[])),
    longestBelowFrozen: Math.max(...ms.map((m) => m.longestBelowFrozen)),
    spread: {
      recovery: meanSpread(ms.map((m) => m.recovery)),
      requestsToRecover: meanSpread(rtr),
      longestBelowFrozen: meanSpread(ms.map((m) => m.longestBelowFrozen)),
      frozenGap: meanSpread(ms.map((m) => m.frozenGap)),
    },
  };
}
