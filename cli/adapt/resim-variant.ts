/**
 * Online adaptation by re-simulation: the device serves the frozen policy and watches its own
 * telemetry (the measured device and edge speeds, env/speed-estimate.ts); when a window of
 * requests shows the speeds moved away from those it last tuned for, a background learner
 * fine-tunes the checkpoint's network in a replay of the world it measured (the world before
 * the shift with the measured slowdowns, train traces, the checkpoint's objective and mask).
 * The tuned network serves alone (the anchor would keep the planner's actions, which already
 * read the speeds) from the request at which its training would have finished on a device
 * serving one request per `requestIntervalMs`, under a rollback test that compares it on every
 * request with the frozen policy's choice on the same request (exact: replay shadows) and
 * returns to the frozen policy when it is significantly behind since the swap
 * (agent/online/paired-rollback-test.ts).
 */
import { resolveDqnConfig, type DqnConfig } from '../../agent/dqn-config.ts';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import { PairedRollbackTest } from '../../agent/online/paired-rollback-test.ts';
import type { NetworkWeights } from '../../agent/q-network.ts';
import { trainDqn } from '../../agent/train-loop.ts';
import type { Tf } from '../../common/tf-backend.ts';
import type { ComputeTimes } from '../../env/compute-times.ts';
import type { DecisionContext, MeasuredSpeeds } from '../../env/decision-context.ts';
import type { EnvConfigInput } from '../../env/replay-config.ts';
import { estimateSpeeds, speedsMoved } from '../../env/speed-estimate.ts';
import { VecReplayEnv } from '../../env/vec-replay-env.ts';
import type { QActor } from '../../policies/dqn-policy.ts';
import type { Policy } from '../../policies/policy.ts';
import { replayShadow } from '../../policies/shadow-reward.ts';
import type { ActionAccuracyFile } from '../../runtime/model/action-accuracy.ts';
import type { BandwidthTrace } from '../../runtime/link/trace.ts';
import type { ModelManifest } from '../../runtime/model/manifest.ts';
import type { ShiftedStream } from './shifted-stream.ts';

/** What the re-simulation variant needs. */
export interface ResimSpec {
  readonly tf: Tf;
  /** The checkpoint's weights and global step (fine-tuning continues from them). */
  readonly weights: NetworkWeights;
  readonly step: number;
  /** The checkpoint's DqnConfig (its exploration schedule has ended at its step). */
  readonly dqnConfig: DqnConfig;
  /** The frozen policy as the checkpoint serves it (anchor and mask). */
  readonly frozen: Policy;
  /** The network alone over an acting copy, with the checkpoint's mask. */
  readonly serveAlone: (acting: QActor) => Policy;
  /** The world the device last knew (its scenario's env config on train traces, the checkpoint's objective and mask). */
  readonly world: { readonly manifest: ModelManifest; readonly computeTimes: ComputeTimes; readonly traces: readonly BandwidthTrace[]; readonly config: EnvConfigInput; readonly actionAccuracy: ActionAccuracyFile | null };
  /** Env steps of each fine-tune. */
  readonly steps: number;
  /** Requests per speed estimate. */
  readonly windowRequests: number;
  /** Re-tune when a side's speed moved by more than this factor (e.g. 1.25). */
  readonly tolerance: number;
  /** Time between requests on the device, ms: how many requests a fine-tune's wall time spans. */
  readonly requestIntervalMs: number;
  /** Requests between rollback tests. */
  readonly guardWindow: number;
}

/** One fine-tune: when it was asked for, when it served, for which speeds, how long it took. */
export interface FineTune {
  readonly requestIndex: number;
  readonly servingFrom: number;
  readonly speeds: MeasuredSpeeds;
  readonly seconds: number;
}

export interface ResimLog {
  readonly fineTunes: readonly FineTune[];
  /** Requests at which the guard sent the device back to the frozen policy. */
  readonly rollbackAt: readonly number[];
}

/** Fine-tunes the checkpoint's network in a replay of `world` with the measured slowdowns. */
async function fineTune(spec: ResimSpec, speeds: MeasuredSpeeds, seed: number): Promise<{ weights: NetworkWeights; seconds: number }> {
  const t0 = performance.now();
  const config = resolveDqnConfig({ ...spec.dqnConfig, seed });
  const w = spec.world;
  const env = new VecReplayEnv({
    manifest: w.manifest, computeTimes: w.computeTimes, traces: w.traces, numEnvs: config.numEnvs, actionAccuracy: w.actionAccuracy,
    config: { ...w.config, variation: { ...w.config.variation, deviceSlowdown: speeds.device, edgeSlowdown: speeds.edge } },
  });
  const { learner } = await trainDqn(spec.tf, { env, config, steps: spec.steps, resumeFrom: { weights: spec.weights, step: spec.step } });
  try {
    return { weights: learner.getWeights(), seconds: (performance.now() - t0) / 1000 };
  } finally {
    learner.dispose();
  }
}

/**
 * Serves `requests` requests of a replay stream with the re-simulation variant.
 * @returns per-request rewards and outcomes, and the log of fine-tunes and rollbacks
 */
export async function runResim(stream: ShiftedStream, spec: ResimSpec, o: { readonly requests: number; readonly seed: number; readonly onRequest?: () => void }): Promise<{ reward: Float64Array; onTime: Uint8Array; hit: Uint8Array; log: ResimLog }> {
  const reward = new Float64Array(o.requests);
  const onTime = new Uint8Array(o.requests);
  const hit = new Uint8Array(o.requests);
  const fineTunes: FineTune[] = [];
  const rollbackAt: number[] = [];
  const window: DecisionContext[] = [];
  let reference: MeasuredSpeeds | null = null;
  let pending: { weights: NetworkWeights; from: number } | null = null;
  let tuned: { policy: Policy; guard: PairedRollbackTest } | null = null;
  let { observation, info } = await stream.reset(o.seed);
  for (let i = 0; i < o.requests; i++) {
    if (pending && i >= pending.from) {
      tuned = { policy: spec.serveAlone(new ActingPolicy(pending.weights)), guard: new PairedRollbackTest(spec.guardWindow) };
      pending = null;
    }
    const ctx = info.context;
    const frozenA = stream.codec.encode(spec.frozen.decide(observation, ctx));
    const a = tuned ? stream.codec.encode(tuned.policy.decide(observation, ctx)) : frozenA;
    const frozenReward = tuned && a !== frozenA ? replayShadow(stream.replay!.vec, stream.oracleContext(), frozenA).reward : null;
    const { result: r, next } = await stream.step(a);
    const out = r.info.outcome!;
    reward[i] = r.reward;
    onTime[i] = out.hit && out.correct ? 1 : 0;
    hit[i] = out.hit ? 1 : 0;
    if (tuned && tuned.guard.observe(r.reward, frozenReward ?? r.reward)) {
      tuned = null;
      rollbackAt.push(i);
    }
    window.push(ctx);
    if (window.length === spec.windowRequests) {
      // the window's second half: the running speed averages settle for a few requests after a change
      const estimate = estimateSpeeds(window.slice(window.length >> 1));
      window.length = 0;
      if (estimate && reference === null) reference = estimate; // the world the device started in
      else if (estimate && reference && speedsMoved(estimate, reference, spec.tolerance)) {
        const { weights, seconds } = await fineTune(spec, estimate, o.seed);
        const from = i + 1 + Math.ceil((seconds * 1000) / spec.requestIntervalMs);
        fineTunes.push({ requestIndex: i, servingFrom: from, speeds: estimate, seconds });
        pending = { weights, from };
        reference = estimate;
      }
    }
    observation = next.observation;
    info = next.info;
    o.onRequest?.();
  }
  return { reward, onTime, hit, log: { fineTunes, rollbackAt } };
}
