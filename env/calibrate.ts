/**
 * Calibration of the replay env against the live env (issue 5): one seeded scenario (the same
 * request stream: deadlines, images, loads, trace positions) and the same actions run through
 * both, and the gaps are reported: latency MAPE (live as the reference), the deadline hit-rate
 * and mean-reward gaps, and per-component MAPE.
 *
 * The replay's compute times are the emulated profiles (Edgent's Pi 3b / desktop regressions)
 * plus an overhead and jitter per side measured from a short warm-up on the live runtime
 * (env/measured-compute-times.ts). Actions come from a policy deciding on the replay's context
 * (default: uniformly random over every action, so every action gets exercised).
 *
 * Components, compared over the requests both envs served the same way (no fallback in either):
 * device = device compute; uplink = transmission + RTT/2 (offloads); edge = from the request's
 * arrival at the edge to its answer at the device minus the return RTT/2, i.e. edge queue and
 * compute plus the real transport and framing costs (offloads).
 */
import { createRng } from '../common/rng.ts';
import type { BandwidthTrace } from '../runtime/link/trace.ts';
import type { ModelPackage } from '../runtime/model/model-package.ts';
import type { SampleSet } from '../runtime/model/samples.ts';
import type { Action } from '../runtime/action.ts';
import type { RequestRecord } from '../runtime/device/request-record.ts';
import { ActionCodec } from './action-codec.ts';
import { LiveEnv, type LiveEnvOptions } from './live-env.ts';
import { measureComputeTimes, type MeasuredComputeTimes } from './measured-compute-times.ts';
import { resolveEnvConfig, type EnvConfigInput } from './replay-config.ts';
import { ReplayEnv } from './replay-env.ts';
import type { DecisionContext } from './decision-context.ts';
import type { RequestOutcome } from './step-info.ts';

/** What calibration needs of a policy (policies/policy.ts's Policy has this shape; env does not import policies). */
export interface CalibrationPolicy {
  readonly name: string;
  decide(observation: Float32Array, context: DecisionContext): Action;
}

export interface CalibrateOptions {
  readonly pkg: ModelPackage;
  readonly traces: readonly BandwidthTrace[];
  /** Requests compared, integer ≥ 1 (one episode of this length). */
  readonly requests: number;
  readonly seed: number;
  /** Decides each action on the replay's context; default uniformly random over every action (seeded). */
  readonly policy?: CalibrationPolicy;
  readonly config?: EnvConfigInput;
  /** Live-env options beside the package, traces and config (edge URL, profiles, samples, loads). */
  readonly live?: Omit<LiveEnvOptions, 'pkg' | 'traces' | 'config'>;
  /** Warm-up requests for the overhead and jitter measurement (default 30). */
  readonly warmupRequests?: number;
  /** Called after each compared request. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly samples?: SampleSet;
}

export interface EnvSummary {
  readonly hitRate: number;
  readonly meanReward: number;
  readonly meanLatencyMs: number;
  readonly fallbacks: number;
}

export interface ComponentMape {
  /** Mean absolute percentage error of the replayed component vs the live one, in [0, ∞) (NaN without samples). */
  readonly mape: number;
  /** Requests compared. */
  readonly count: number;
}

export interface CalibrationReport {
  readonly requests: number;
  /** mean |replay − live| / live of the total latency (0.1 = 10 %). */
  readonly latencyMape: number;
  /** live − replay deadline hit rate. */
  readonly hitRateGap: number;
  /** live − replay mean reward. */
  readonly rewardGap: number;
  readonly components: { readonly device: ComponentMape; readonly uplink: ComponentMape; readonly edge: ComponentMape };
  /** Share of requests where both envs agree on hit/miss. */
  readonly hitAgreement: number;
  readonly live: EnvSummary;
  readonly replay: EnvSummary;
  /** Requests whose stream draws (deadline, image, loads, trace time) differed: 0 unless something is broken. */
  readonly streamMismatches: number;
  readonly computeTimes: { readonly source: string; readonly deviceOverheadMs: number; readonly edgeOverheadMs: number; readonly deviceJitter: readonly number[]; readonly edgeJitter: readonly number[]; readonly warmupRequests: number };
  readonly policy: string;
  readonly seed: number;
  readonly wallS: number;
}

/** One compared request. */
export interface CalibrationPair {
  readonly live: RequestOutcome;
  /** Why the live device fell back (null when it did not). */
  readonly liveFallbackReason: string | null;
  readonly replay: RequestOutcome;
  readonly liveReward: number;
  readonly replayReward: number;
}

function mape(pairs: readonly { live: number; replay: number }[]): ComponentMape {
  const ok = pairs.filter((p) => p.live > 0);
  const sum = ok.reduce((s, p) => s + Math.abs(p.replay - p.live) / p.live, 0);
  return { mape: ok.length === 0 ? Number.NaN : sum / ok.length, count: ok.length };
}

function summary(outcomes: readonly RequestOutcome[], rewards: readonly number[]): EnvSummary {
  const n = outcomes.length;
  return {
    hitRate: outcomes.filter((o) => o.hit).length / n,
    meanReward: rewards.reduce((a, b) => a + b, 0) / n,
    meanLatencyMs: outcomes.reduce((s, o) => s + o.totalMs, 0) / n,
    fallbacks: outcomes.filter((o) => o.fallback).length,
  };
}

/** The gaps over compared pairs (pure; exported for tests and reports). */
export function compareOutcomes(pairs: readonly CalibrationPair[], rttMs: number): Pick<CalibrationReport, 'latencyMape' | 'hitRateGap' | 'rewardGap' | 'components' | 'hitAgreement' | 'live' | 'replay'> {
  const live = summary(pairs.map((p) => p.live), pairs.map((p) => p.liveReward));
  const replay = summary(pairs.map((p) => p.replay), pairs.map((p) => p.replayReward));
  const same = pairs.filter((p) => !p.live.fallback && !p.replay.fallback);
  const offloads = same.filter((p) => p.live.bytes > 0);
  const edgeSide = (o: RequestOutcome): number => o.totalMs - o.deviceMs - o.uplinkMs - rttMs / 2;
  return {
    latencyMape: mape(pairs.map((p) => ({ live: p.live.totalMs, replay: p.replay.totalMs }))).mape,
    hitRateGap: live.hitRate - replay.hitRate,
    rewardGap: live.meanReward - replay.meanReward,
    components: {
      device: mape(same.filter((p) => p.live.deviceMs > 0).map((p) => ({ live: p.live.deviceMs, replay: p.replay.deviceMs }))),
      uplink: mape(offloads.map((p) => ({ live: p.live.uplinkMs, replay: p.replay.uplinkMs }))),
      edge: mape(offloads.map((p) => ({ live: edgeSide(p.live), replay: edgeSide(p.replay) }))),
    },
    hitAgreement: pairs.filter((p) => p.live.hit === p.replay.hit).length / pairs.length,
    live,
    replay,
  };
}

/**
 * Runs the calibration: starts a live env, measures the replay's compute times on it, then
 * steps both envs through the same seeded scenario with the same actions.
 * @returns the report and the compared pairs
 * @throws (rejects) RangeError on a bad request count; what LiveEnv.create rejects with
 */
export async function calibrate(opts: CalibrateOptions): Promise<{ report: CalibrationReport; pairs: CalibrationPair[]; measured: MeasuredComputeTimes }> {
  if (!(Number.isInteger(opts.requests) && opts.requests >= 1)) throw new RangeError(`Expected requests an integer >= 1, actually ${opts.requests}`);
  const t0 = performance.now();
  const config: EnvConfigInput = { ...opts.config, scenario: { ...opts.config?.scenario, episodeRequests: opts.requests } };
  const live = await LiveEnv.create({ ...opts.live, ...(opts.samples ? { samples: opts.samples } : {}), pkg: opts.pkg, traces: opts.traces, config });
  try {
    const measured = await measureComputeTimes({ device: live.device, samples: live.samples, codec: live.codec, rng: createRng(opts.seed + 7), ...(opts.warmupRequests === undefined ? {} : { requests: opts.warmupRequests }) });
    const replay = new ReplayEnv({ manifest: opts.pkg.manifest, actionAccuracy: opts.pkg.actionAccuracy, computeTimes: measured.times, traces: opts.traces, config: { ...config, imagePool: live.config.imagePool } });
    const codec = new ActionCodec(opts.pkg.manifest, resolveEnvConfig(config).encodings);
    const policy = opts.policy ?? uniformPolicy(codec, opts.seed);
    let r = await replay.reset({ seed: opts.seed });
    await live.reset({ seed: opts.seed });
    const pairs: CalibrationPair[] = [];
    let streamMismatches = 0;
    let lastRecord: RequestRecord | null = null;
    const sub = live.outcomes$.subscribe((o) => (lastRecord = o.record));
    for (let i = 0; i < opts.requests; i++) {
      const ctx = policy.name === 'oracle' ? replay.oracleContext() : r.info.context;
      const lc = live.context();
      // (edge load and RTT are what each env's edge last reported: they differ when outcomes do)
      if (lc.deadlineMs !== ctx.deadlineMs || lc.deviceLoad !== ctx.deviceLoad) streamMismatches++;
      const a = codec.encode(policy.decide(r.observation, ctx));
      const rs = await replay.step(a);
      const ls = await live.step(a);
      const ro = rs.info.outcome!, lo = ls.info.outcome!;
      if (ro.imageIndex !== lo.imageIndex || ro.traceTimeS !== lo.traceTimeS || ro.traceName !== lo.traceName) streamMismatches++;
      pairs.push({ live: lo, liveFallbackReason: (lastRecord as RequestRecord | null)?.fallbackReason ?? null, replay: ro, liveReward: ls.reward, replayReward: rs.reward });
      opts.onProgress?.(i + 1, opts.requests);
      r = rs;
    }
    sub.unsubscribe();
    const gaps = compareOutcomes(pairs, resolveEnvConfig(config).scenario.rttMs);
    const report: CalibrationReport = {
      requests: pairs.length,
      ...gaps,
      streamMismatches,
      computeTimes: {
        source: measured.times.source, deviceOverheadMs: measured.device.overheadMs, edgeOverheadMs: measured.edge.overheadMs,
        deviceJitter: measured.device.jitter, edgeJitter: measured.edge.jitter, warmupRequests: measured.requests,
      },
      policy: policy.name,
      seed: opts.seed,
      wallS: (performance.now() - t0) / 1000,
    };
    return { report, pairs, measured };
  } finally {
    await live.close();
  }
}

/** Uniformly random over every action of the codec, seeded (the default: exercises every action). */
function uniformPolicy(codec: ActionCodec, seed: number): CalibrationPolicy {
  const rng = createRng(seed ^ 0x5a5a5a5a);
  return { name: 'random', decide: () => codec.actions[rng.int(codec.size)]! };
}
