/**
 * Serves one shifted stream with one policy variant and records, per request, its reward and
 * whether it was answered correctly on time. Variants: a fixed policy (the frozen DQN, Edgent,
 * the calibrated planner), the oracle (told the true outcomes), and the online learner (the
 * frozen DQN's weights fine-tuned under the rollback guard, with safe exploration), whose
 * guard compares it on every request with the frozen policy's choice evaluated on the same
 * request: exactly on a replay stream (the replay env knows the true outcome of any action),
 * by the planner's prediction on a live one (the served action's own reward when both agree).
 */
import { ActingPolicy } from '../../agent/acting-policy.ts';
import type { DqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { DqnTrainer } from '../../agent/dqn-trainer.ts';
import { GuardedLearner, type VersionEvent } from '../../agent/online/guarded-learner.ts';
import type { RollbackGuardConfig } from '../../agent/online/rollback-guard.ts';
import type { NetworkWeights } from '../../agent/q-network.ts';
import { createRng } from '../../common/rng.ts';
import type { Tf } from '../../common/tf-backend.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import type { Planner } from '../../policies/model-planner.ts';
import type { Policy } from '../../policies/policy.ts';
import type { QActor } from '../../policies/dqn-policy.ts';
import { keepAsAccurate, safeActionMask, uniformAmong, type SafeExplorationConfig } from '../../policies/safe-exploration.ts';
import { predictedReward, replayShadow } from '../../policies/shadow-reward.ts';
import type { RewardConfig } from '../../env/reward.ts';
import type { ModelManifest } from '../../runtime/model/manifest.ts';
import { runResim, type ResimLog, type ResimSpec } from './resim-variant.ts';
import type { ShiftedStream } from './shifted-stream.ts';

/** What the online learner variant needs. */
export interface LearnerSpec {
  readonly tf: Tf;
  /** The checkpoint's weights (the frozen policy's, and the learner's start). */
  readonly weights: NetworkWeights;
  readonly dqnConfig: DqnConfig;
  /** Actions the network scores (the env codec's size). */
  readonly actionCount: number;
  readonly trainEvery: number;
  readonly exploration: SafeExplorationConfig;
  /** null: no guard. */
  readonly guard: Partial<RollbackGuardConfig> | null;
  /** The planner whose latency model judges which actions are safe to explore (and, live, estimates shadow rewards). */
  readonly planner: Planner;
  /** What predicted shadow rewards are scored with (live streams). */
  readonly manifest: ModelManifest;
  readonly reward: RewardConfig;
  /** The served policy over an acting copy (the checkpoint's mask and anchor), for the learner and its frozen twin alike. */
  readonly serve: (acting: QActor) => Policy;
  /** Called on every promotion and rollback, with the learner holding the version's weights. */
  readonly onVersion?: (event: VersionEvent, learner: DqnLearner) => Promise<void>;
}

export type Variant =
  | { readonly kind: 'policy'; readonly name: string; readonly policy: Policy }
  | { readonly kind: 'oracle'; readonly name: string; readonly policy: Policy }
  | { readonly kind: 'learner'; readonly name: string; readonly spec: LearnerSpec }
  | { readonly kind: 'resim'; readonly name: string; readonly spec: ResimSpec };

/** What exploration cost, counted on the requests that explored (replay: exact counterfactuals). */
export interface ExplorationCount {
  /** Requests whose ε draw asked to explore. */
  readonly draws: number;
  /** Requests served by an exploratory action (other than the greedy one). */
  readonly explored: number;
  /** Deadline misses of the exploratory actions minus those the greedy action would have had on the same requests. */
  readonly extraMisses: number;
  /** The same, had the draws explored uniformly among all valid actions (no safety filter). */
  readonly unsafeExtraMisses: number;
}

export interface VariantSeries {
  readonly name: string;
  /** Per request: the reward (the checkpoint's objective). */
  readonly reward: Float64Array;
  /** Per request: 1 when answered correctly within the deadline. */
  readonly onTime: Uint8Array;
  /** Per request: 1 when the deadline was met. */
  readonly hit: Uint8Array;
  /** The learner variant's bookkeeping (null for the others). */
  readonly learner: {
    /** Per request: what the learner's greedy action earned (on explored requests, its shadow): the policy without the exploration. */
    readonly greedyReward: Float64Array;
    readonly greedyOnTime: Uint8Array;
    readonly greedyHit: Uint8Array;
    readonly trainRounds: number; readonly promotions: number; readonly rollbacks: number; readonly rollbackAt: readonly number[]; readonly exploration: ExplorationCount } | null;
  /** The re-simulation variant's fine-tunes and rollbacks (absent for the others). */
  readonly resim?: ResimLog;
}

/** Serves `requests` requests of the stream (seeded with `seed`) with one variant. */
export async function runVariant(stream: ShiftedStream, variant: Variant, o: { readonly requests: number; readonly seed: number; readonly onRequest?: () => void }): Promise<VariantSeries> {
  if (variant.kind === 'resim') {
    const { log, ...series } = await runResim(stream, variant.spec, o);
    return { name: variant.name, ...series, learner: null, resim: log };
  }
  const reward = new Float64Array(o.requests);
  const onTime = new Uint8Array(o.requests);
  const hit = new Uint8Array(o.requests);
  let { observation, info } = await stream.reset(o.seed);
  const L = variant.kind === 'learner' ? startLearner(variant.spec, o.seed) : null;
  const greedyReward = new Float64Array(L ? o.requests : 0);
  const greedyOnTime = new Uint8Array(L ? o.requests : 0);
  const greedyHit = new Uint8Array(L ? o.requests : 0);
  for (let i = 0; i < o.requests; i++) {
    let a: number;
    let shadowFrozen: number | null = null;
    /** On an explored request: what the greedy action would have earned (the guard judges the policy, not the exploration). */
    let shadowGreedy: { reward: number; hit: boolean; correct: boolean } | null = null;
    if (variant.kind === 'learner') {
      const spec = variant.spec;
      const replay = stream.replay;
      const ctx = replay ? replay.oracleContext() : info.context;
      // a shadow: what action k earns on this request (exact in replay, predicted live)
      // (live, correctness is unknown before serving: a predicted hit counts as correct)
      const shadow = (k: number): { reward: number; hit: boolean; correct: boolean } => {
        if (replay) return replayShadow(replay.vec, ctx, k);
        const reward = predictedReward(spec.planner, { manifest: spec.manifest, reward: spec.reward }, ctx, k);
        const hit = spec.planner.predict(spec.planner.actions[k]!, ctx).totalMs <= ctx.deadlineMs;
        return { reward, hit, correct: hit };
      };
      const greedy = stream.codec.encode(L!.served.decide(observation, info.context));
      a = greedy;
      // the ε draw is made on every request (the stream of draws stays the same); a paused learner does not explore
      if (L!.rng.next() < spec.exploration.epsilon && L!.guarded.learning) {
        L!.count.draws++;
        const base = spec.exploration.safe ? safeActionMask(spec.planner, info.context, { slackShare: spec.exploration.slackShare, valid: info.actionMask }) : info.actionMask.slice();
        const candidates = spec.exploration.upward ? keepAsAccurate(spec.planner, greedy, base) : base;
        const pick = uniformAmong(candidates, L!.rng);
        const unsafe = uniformAmong(info.actionMask, L!.unsafeRng);
        const missOf = (k: number): number => (shadow(k).hit ? 0 : 1);
        const greedyMiss = missOf(greedy);
        if (unsafe >= 0) L!.count.unsafeExtraMisses += missOf(unsafe) - greedyMiss;
        if (pick >= 0 && pick !== greedy) {
          a = pick;
          L!.count.explored++;
          L!.count.extraMisses += missOf(pick) - greedyMiss;
          shadowGreedy = shadow(greedy);
        }
      }
      const frozenA = stream.codec.encode(L!.servedFrozen.decide(observation, info.context));
      shadowFrozen = frozenA === a ? null : frozenA === greedy && shadowGreedy !== null ? shadowGreedy.reward : shadow(frozenA).reward;
    } else {
      const ctx = variant.kind === 'oracle' ? stream.oracleContext() : info.context;
      a = stream.codec.encode(variant.policy.decide(observation, ctx));
    }
    const { result: r, next } = await stream.step(a);
    const out = r.info.outcome!;
    reward[i] = r.reward;
    onTime[i] = out.hit && out.correct ? 1 : 0;
    hit[i] = out.hit ? 1 : 0;
    if (L) {
      greedyReward[i] = shadowGreedy?.reward ?? r.reward;
      greedyOnTime[i] = shadowGreedy ? (shadowGreedy.hit && shadowGreedy.correct ? 1 : 0) : onTime[i]!;
      greedyHit[i] = shadowGreedy ? (shadowGreedy.hit ? 1 : 0) : hit[i]!;
      const t = { observation, action: a, reward: r.reward, nextObservation: r.observation, terminated: r.terminated, truncated: r.truncated, nextActionMask: r.info.actionMask };
      const ev = L.guarded.afterRequest(t, { learner: shadowGreedy?.reward ?? r.reward, frozen: shadowFrozen ?? r.reward });
      if (ev) {
        if (ev.reason === 'rollback') L.rollbackAt.push(i);
        if (variant.kind === 'learner' && variant.spec.onVersion) await variant.spec.onVersion(ev, L.learner);
      }
    }
    observation = next.observation;
    info = next.info;
    o.onRequest?.();
  }
  const learner = L ? { greedyReward, greedyOnTime, greedyHit, trainRounds: L.guarded.trainRounds, promotions: L.guarded.promotions, rollbacks: L.guarded.rollbacks, rollbackAt: L.rollbackAt, exploration: { ...L.count } } : null;
  L?.learner.dispose();
  return { name: variant.name, reward, onTime, hit, learner };
}

/** A fresh learner from the checkpoint's weights (each run starts from the same state). */
function startLearner(spec: LearnerSpec, seed: number) {
  const learner = new DqnLearner(spec.tf, { config: spec.dqnConfig, observationSize: OBSERVATION_SIZE, actionCount: spec.actionCount, initialWeights: spec.weights });
  const acting = new ActingPolicy(spec.weights);
  const trainer = new DqnTrainer(learner, { rng: createRng(seed + 101) });
  return {
    learner, acting,
    // Both serve as the checkpoint does (mask, anchor): the guard compares like with like.
    served: spec.serve(acting),
    servedFrozen: spec.serve(new ActingPolicy(spec.weights)),
    guarded: new GuardedLearner({ trainer, acting, trainEvery: spec.trainEvery, guard: spec.guard }),
    rng: createRng(seed + 102),
    unsafeRng: createRng(seed + 103),
    rollbackAt: [] as number[],
    count: { draws: 0, explored: 0, extraMisses: 0, unsafeExtraMisses: 0 },
  };
}
