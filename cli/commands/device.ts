/**
 * `coinfer device`: the device side driven by a policy. Runs N requests, one at a time, over a
 * live env (env/live-env.ts) connected to a running edge (`coinfer edge`): each request's
 * action comes from the policy (a baseline or `dqn:<checkpoint>`), its image is a real test
 * sample, its uplink replays the given trace. Prints one row per request (JSON lines with
 * --json) and a summary.
 *
 * --learn (dqn policies only) fine-tunes online (agent/online/guarded-learner.ts): each served
 * request's transition → replay memory → a train round every --train-every requests → the
 * acting policy's weights are hot-swapped. Train rounds run between requests, right after the
 * request that completes a period is answered. The rollback guard (on by default, --no-guard)
 * compares the learner with the frozen checkpoint on the same requests (the frozen choice's
 * reward: the served one when both choose alike, else the planner's prediction) and rolls back
 * to the last good weights when the learner falls behind; every promotion and rollback is
 * saved in --checkpoints with its lineage. Exploration (--epsilon) picks only among actions
 * predicted to leave --slack-share of the deadline and at least as accurate as the greedy one. --save-every N saves a checkpoint every N
 * requests (parent = the loaded checkpoint). Composition only.
 */
import { objectiveOf } from '../../env/scenario-file.ts';
import { assertLearnableOnline, checkpointObjective } from '../checkpoint-objective.ts';
import { Command, Option } from '@commander-js/extra-typings';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { DqnLearner } from '../../agent/dqn-learner.ts';
import { DqnTrainer } from '../../agent/dqn-trainer.ts';
import { captureTrainerState, formatBytes, resumedTrainer } from '../resume-learner.ts';
import { ActingPolicy } from '../../agent/acting-policy.ts';
import type { Policy } from '../../policies/policy.ts';
import { GuardedLearner } from '../../agent/online/guarded-learner.ts';
import { DEFAULT_ROLLBACK_GUARD_CONFIG } from '../../agent/online/rollback-guard.ts';
import { createPlanner } from '../../policies/model-planner.ts';
import { DEFAULT_SAFE_EXPLORATION, keepAsAccurate, safeActionMask, uniformAmong } from '../../policies/safe-exploration.ts';
import { predictedReward } from '../../policies/shadow-reward.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CoinferError } from '../../common/errors.ts';
import { createRng } from '../../common/rng.ts';
import { loadTf } from '../../common/tf-backend.ts';
import { LiveEnv } from '../../env/live-env.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import { summarizeOutcomes, type PolicySummary } from '../../policies/evaluate-policies.ts';
import type { RequestOutcome } from '../../env/step-info.ts';
import { DEVICE_COMPUTE_PROFILES } from '../../runtime/device/compute-profile.ts';
import { MAX_TRACE_S, loadTrace } from '../../runtime/link/trace.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { DQN_PREFIX, loadPolicy, resolvePolicyCheckpoint } from '../load-policy.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';
import { countArg, intArg, rangeArg, resolveToken, tokenArg } from '../option-parsers.ts';
import { requireEdge } from '../edge-check.ts';
import { checkOutputPath } from '../output-check.ts';
import { startDeviceActor } from '../device-broker.ts';

const unit = (name: string) => rangeArg(name, 0, 1);

/** The run's summary: the evaluation's figures (policies/evaluate-policies.ts) plus the device's own. */
export type DeviceSummary = Omit<PolicySummary, 'policy' | 'rewardVsOracle' | 'actionCounts'> & {
  readonly fallbacks: number;
  /** Weight swaps by the online learner (0 without --learn). */
  readonly swaps: number;
  /** Rollbacks by the guard (0 without --learn or with --no-guard). */
  readonly rollbacks: number;
  /** Promotions by the guard (learned weights judged better than the frozen policy's). */
  readonly promotions: number;
  /** Checkpoints saved (ids). */
  readonly saved: readonly string[];
};

export function summarise(rows: readonly { outcome: RequestOutcome; reward: number }[], extra: { swaps: number; saved: readonly string[]; rollbacks?: number; promotions?: number }): DeviceSummary {
  const s = summarizeOutcomes('device', rows);
  return {
    requests: s.requests, accuracy: s.accuracy, hitRate: s.hitRate, meanLatencyMs: s.meanLatencyMs, p95LatencyMs: s.p95LatencyMs,
    energyMjPerRequest: s.energyMjPerRequest, meanReward: s.meanReward, fallbacks: rows.filter((r) => r.outcome.fallback).length, rollbacks: 0, promotions: 0, ...extra,
  };
}

const f1 = (x: number): string => x.toFixed(1).padStart(7);

function printRow(i: number, o: RequestOutcome, reward: number, label: string): void {
  const exit = o.answeredExit === o.action.exit ? `e${o.action.exit}` : `e${o.action.exit}→e${o.answeredExit}`;
  process.stdout.write(`${String(i).padStart(5)}  ${label.padEnd(12)} ${exit.padEnd(7)} ${o.deadlineMs.toFixed(0).padStart(5)} ${f1(o.deviceMs)} ${f1(o.uplinkMs)} ${f1(o.edgeMs)} ${f1(o.totalMs)}  ${o.hit ? 'hit ' : 'MISS'} ${o.correct ? '✓' : '✗'} ${reward.toFixed(2).padStart(5)}${o.fallback ? ' fallback' : ''}\n`);
}

export function registerDevice(program: Command): void {
  program
    .command('device')
    .description('Serve requests with a policy (baseline or dqn:<checkpoint>) over a live env connected to an edge, optionally learning online')
    .requiredOption('--edge <url>', 'the edge, ws://host:port (start one with `coinfer edge --profile edgent-desktop`; unreachable or refusing: exit 3)')
    .option('--allow-local-only', 'keep serving when the edge is unreachable at start-up: only local actions are offered until it is back')
    .requiredOption('--policy <spec>', 'dqn:<id|latest|best|path>, or a baseline: edgent, device-only, edge-only, neurosurgeon, branchynet, random')
    .requiredOption('--trace <file>', 'bandwidth trace CSV (t_s,mbps) the uplink replays')
    .option('--offset-s <s>', 'start time in the trace, s', rangeArg('--offset-s', 0, MAX_TRACE_S), 0)
    .option('--requests <n>', 'requests to serve', countArg('--requests'), 100)
    .option('--seed <n>', 'seed of the request stream (deadlines, images, loads)', intArg('--seed', 0), 1)
    .option('--model <dir>', 'model package directory', DEFAULT_MODEL_DIR)
    .option('--checkpoints <dir>', 'checkpoint registry root', DEFAULT_CHECKPOINT_ROOT)
    .addOption(new Option('--device-profile <name>', 'device compute profile (edgent-rpi3b is emulated)').choices(DEVICE_COMPUTE_PROFILES).default('edgent-rpi3b' as const))
    .option('--token <secret>', 'bearer token for the edge (default: $COINFER_TOKEN; never empty)', tokenArg('--token'))
    .option('--learn', 'learn online from the served requests and hot-swap the weights (dqn policies)')
    .option('--train-every <n>', 'with --learn: requests between train rounds', countArg('--train-every'), 4)
    .option('--learning-starts <n>', "with --learn: requests before the first train round (default: the checkpoint's, at most 32)", intArg('--learning-starts', 0))
    .option('--batch-size <n>', "with --learn: replay batch size (default: the checkpoint's, at most 32)", countArg('--batch-size'))
    .option('--epsilon <e>', 'with --learn: share of requests served by a random action predicted to be safe (exploration)', unit('--epsilon'), 0)
    .option('--slack-share <s>', 'with --epsilon: explore only among actions predicted to finish with this share of the deadline to spare', rangeArg('--slack-share', 0, 0.99), DEFAULT_SAFE_EXPLORATION.slackShare)
    .option('--explore-any', 'with --epsilon: explore also actions less accurate than the greedy one (default: only those at least as accurate)')
    .option('--no-guard', 'with --learn: no rollback guard (the learner is never compared with the frozen policy)')
    .option('--guard-window <n>', 'with --learn: requests per guard comparison window', countArg('--guard-window'), DEFAULT_ROLLBACK_GUARD_CONFIG.windowRequests)
    .option('--guard-margin <r>', 'with --learn: roll back when the learner trails the frozen policy by more than this mean reward over a window', rangeArg('--guard-margin', 0, 10), DEFAULT_ROLLBACK_GUARD_CONFIG.marginReward)
    .option('--guard-patience <n>', 'with --learn: roll back after this many windows in a row behind by any amount', countArg('--guard-patience'), DEFAULT_ROLLBACK_GUARD_CONFIG.patienceWindows)
    .option('--guard-max-pause <n>', 'with --learn: after the k-th rollback in a row, pause learning and exploration for window·2^(k−1) requests, at most this many windows (0: never pause)', intArg('--guard-max-pause', 0), DEFAULT_ROLLBACK_GUARD_CONFIG.maxPauseWindows)
    .option('--save-every <n>', 'with --learn: save a checkpoint every N requests (parent: the loaded one)', countArg('--save-every'))
    .option('--save-learner-state', 'with --save-every: also save the replay memory, Adam state and counters, so the next --learn continues exactly')
    .option('--broker <url>', 'with --learn: send the served transitions to a distributed learner (`coinfer learner` on this Redis URL) and act with its weights, instead of learning here')
    .option('--json', 'print one JSON object per request (JSON lines), then {"summary": …}')
    .action(async (opts) => {
      if (opts.saveEvery !== undefined && !opts.learn) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --save-every with --learn: without learning the weights never change');
      if (opts.saveLearnerState && opts.saveEvery === undefined) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --save-learner-state with --learn --save-every N: it is written into the saved checkpoints');
      if (opts.broker !== undefined && (!opts.learn || opts.saveEvery !== undefined)) throw new CoinferError('ERR_INVALID_ARGUMENT', 'Expected --broker with --learn and without --save-every: the distributed learner trains and checkpoints');
      if (opts.learn && !opts.policy.startsWith(DQN_PREFIX)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a dqn:<checkpoint> policy with --learn, actually '${opts.policy}' (baselines do not learn)`);
      const token = resolveToken(opts.token, process.env['COINFER_TOKEN']);
      if (opts.saveEvery !== undefined) await checkOutputPath({ option: '--checkpoints', path: opts.checkpoints, kind: 'dir' });
      const pkg = await loadModelPackage(opts.model);
      const trace = await loadTrace(opts.trace);
      // A dqn serves (and learns) under its checkpoint's own objective: its reward kind, λ and
      // normalisation; learning also needs the observation version its network reads.
      const checkpoint = await resolvePolicyCheckpoint(opts.policy, opts.checkpoints);
      const objective = checkpoint === null ? null : opts.learn ? assertLearnableOnline(checkpoint.meta) : checkpointObjective(checkpoint.meta);
      if (objective) process.stderr.write(`objective of checkpoint ${checkpoint!.id}: reward ${objective.reward.signal}, miss ${objective.reward.missPenalty}, energy λ ${objective.reward.energyLambdaPerJ}/J, observation version ${objective.observationVersion}\n`);
      const env = await LiveEnv.create({
        pkg, traces: [trace], edgeUrl: opts.edge, token, deviceProfile: opts.deviceProfile,
        traceOffsetS: opts.offsetS, config: { split: 'test', scenario: { episodeRequests: opts.requests }, ...(objective ? { reward: objective.reward } : {}) },
      });
      const rows: { outcome: RequestOutcome; reward: number }[] = [];
      const saved: string[] = [];
      let learner: DqnLearner | null = null;
      let trainer: DqnTrainer | null = null;
      let guarded: GuardedLearner | null = null;
      let frozen: Policy | null = null;
      let versionParent: string | null = null;
      let rollbacks = 0;
      let brokerSwaps = 0;
      let actorDone: Promise<void> = Promise.resolve();
      try {
        requireEdge({ command: 'device', status: { url: opts.edge, connected: env.device.edgeConnected, why: env.device.edgeError }, allowLocalOnly: opts.allowLocalOnly === true, warn: (l) => process.stderr.write(`${l}\n`) });
        const policyDeps = { manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, actions: env.codec.actions, seed: opts.seed };
        const { policy, dqn } = await loadPolicy(opts.policy, { codec: env.codec, observationSize: OBSERVATION_SIZE, checkpointsRoot: opts.checkpoints, policyDeps });
        const planner = createPlanner(policyDeps);
        const tf = opts.learn && opts.broker === undefined ? (await loadTf()).tf : null;
        if (opts.learn && opts.broker !== undefined && dqn !== null) {
          // A distributed actor: the learner (elsewhere) trains, this device serves and sends its transitions.
          const actor = await startDeviceActor({ url: opts.broker, outcomes$: env.outcomes$, acting: dqn.acting, reward: env.config.reward, dqnConfig: dqn.checkpoint.meta.dqnConfig, onSwap: () => void brokerSwaps++, say: (l) => process.stderr.write(`${l}\n`) });
          actorDone = actor.done.then((c) => void process.stderr.write(`sent ${c.sent} transitions to the learner (${c.droppedInFlight + c.droppedLag} dropped, ${c.failed} failed)\n`));
        } else if (opts.learn) {
          if (dqn === null || tf === null) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected a dqn:<checkpoint> policy with --learn, actually '${opts.policy}' (baselines do not learn)`);
          const base = dqn.checkpoint.meta.dqnConfig;
          const config = resolveDqnConfig({
            ...base, prioritized: base.prioritized,
            learningStarts: opts.learningStarts ?? Math.min(base.learningStarts, 32),
            batchSize: opts.batchSize ?? Math.min(base.batchSize, 32),
          });
          learner = new DqnLearner(tf, { config, observationSize: OBSERVATION_SIZE, actionCount: env.codec.size, initialWeights: dqn.weights });
          trainer = await resumedTrainer(learner, { dir: dqn.checkpoint.dir, meta: dqn.checkpoint.meta, rng: createRng(opts.seed + 1), say: (l) => process.stderr.write(`${l}\n`) });
          guarded = new GuardedLearner({ trainer, acting: dqn.acting, trainEvery: opts.trainEvery, guard: opts.guard ? { windowRequests: opts.guardWindow, marginReward: opts.guardMargin, patienceWindows: opts.guardPatience, maxPauseWindows: opts.guardMaxPause } : null });
          frozen = dqn.serve(new ActingPolicy(dqn.weights)); // serves as the checkpoint does (mask, anchor), like the learner
          versionParent = dqn.checkpoint.id;
        }
        const explore = createRng(opts.seed + 2);
        if (!opts.json) {
          process.stdout.write(`coinfer device: ${opts.requests} requests, policy ${policy.name}, trace ${trace.source}/${trace.name} from ${opts.offsetS} s, device ${opts.deviceProfile}${env.device.emulated ? ' (emulated)' : ''}${opts.learn ? `, learning online (train every ${opts.trainEvery}, guard ${opts.guard ? 'on' : 'off'})` : ''}\n`);
          process.stdout.write('  req  action       exit    dl ms  device  uplink    edge   total  outcome  reward\n');
        }
        const reward = env.config.reward;
        let { observation, info } = await env.reset({ seed: opts.seed });
        for (let i = 0; i < opts.requests; i++) {
          const greedy = env.codec.encode(policy.decide(observation, info.context));
          let a = greedy;
          if (opts.epsilon > 0 && explore.next() < opts.epsilon && (guarded?.learning ?? true)) {
            const safe = safeActionMask(planner, info.context, { slackShare: opts.slackShare, valid: info.actionMask });
            const pick = uniformAmong(opts.exploreAny ? safe : keepAsAccurate(planner, greedy, safe), explore);
            if (pick >= 0) a = pick;
          }
          // the guard judges the policy, not the exploration: an explored request counts with the greedy action's predicted reward
          const frozenA = frozen ? env.codec.encode(frozen.decide(observation, info.context)) : a;
          const context = info.context;
          const r = await env.step(a);
          const o = r.info.outcome!;
          rows.push({ outcome: o, reward: r.reward });
          if (guarded !== null && learner !== null && tf !== null && dqn !== null) {
            const estimate = (k: number): number => (k === a ? r.reward : predictedReward(planner, { manifest: pkg.manifest, reward }, context, k));
            const ev = guarded.afterRequest(
              { observation, action: a, reward: r.reward, nextObservation: r.observation, terminated: r.terminated, truncated: r.truncated, nextActionMask: r.info.actionMask },
              { learner: estimate(greedy), frozen: estimate(frozenA) },
            );
            if (ev) {
              if (ev.reason === 'rollback') rollbacks++;
              const ck = await saveCheckpoint(tf, {
                root: opts.checkpoints, model: learner.onlineNet, step: dqn.checkpoint.meta.step + i + 1, dqnConfig: learner.config,
                envConfig: { kind: 'live', trace: `${trace.source}/${trace.name}`, deviceProfile: opts.deviceProfile, requests: i + 1, reward: JSON.parse(JSON.stringify(env.config.reward)) },
                objective: objectiveOf(env.config.reward), scenario: dqn.checkpoint.meta.scenario ?? null,
                parentId: versionParent, actionLabels: env.codec.labels, lineage: { reason: ev.reason, requestIndex: i },
              });
              versionParent = ck.id;
              if (!opts.json) process.stdout.write(`  guard: ${ev.reason === 'rollback' ? 'rolled back to the last good weights' : 'promoted the learned weights'} (mean reward gap ${ev.decision.meanGap.toFixed(4)} over the window): version ${ck.id}\n`);
            }
          }
          const swaps = guarded?.trainRounds ?? brokerSwaps;
          if (opts.json) process.stdout.write(`${JSON.stringify({ request: i, label: env.codec.labels[a], ...o, reward: r.reward, swaps })}\n`);
          else printRow(i, o, r.reward, env.codec.labels[a]!);
          if (learner !== null && trainer !== null && tf !== null && dqn !== null && opts.saveEvery !== undefined && ((i + 1) % opts.saveEvery === 0 || i + 1 === opts.requests)) {
            const learnerState = opts.saveLearnerState ? await captureTrainerState(trainer) : undefined;
            const ck = await saveCheckpoint(tf, {
              ...(learnerState ? { learnerState } : {}),
              root: opts.checkpoints, model: learner.onlineNet, step: dqn.checkpoint.meta.step + i + 1, dqnConfig: learner.config,
              // the child keeps its parent's objective, so it can be served and fine-tuned again
              envConfig: { kind: 'live', trace: `${trace.source}/${trace.name}`, deviceProfile: opts.deviceProfile, requests: i + 1, reward: JSON.parse(JSON.stringify(env.config.reward)) },
              objective: objectiveOf(env.config.reward), scenario: dqn.checkpoint.meta.scenario ?? null,
              parentId: dqn.checkpoint.id, actionLabels: env.codec.labels,
            });
            saved.push(ck.id);
            if (!opts.json) process.stdout.write(`  saved checkpoint ${ck.id} (parent ${dqn.checkpoint.id})${ck.meta.learnerState ? ` with its learner state (${formatBytes(ck.meta.learnerState.bytes)}, ${ck.meta.learnerState.replaySize} transitions)` : ''}\n`);
          }
          if (r.truncated) break;
          observation = r.observation;
          info = r.info;
        }
      } finally {
        await env.close(); // completes the outcome stream, so a broker actor flushes and completes too
        await actorDone;
        learner?.dispose();
      }
      const s = summarise(rows, { swaps: guarded?.trainRounds ?? brokerSwaps, saved, rollbacks, promotions: guarded?.promotions ?? 0 });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ summary: s })}\n`);
      } else {
        const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
        process.stdout.write(`\n${s.requests} requests: accuracy ${pct(s.accuracy)} (correct and on time), deadline hit ${pct(s.hitRate)}, fallbacks ${s.fallbacks}\n`);
        process.stdout.write(`latency ms: mean ${s.meanLatencyMs.toFixed(1)}, p95 ${s.p95LatencyMs.toFixed(1)}; energy ${s.energyMjPerRequest.toFixed(0)} mJ/request; mean reward ${s.meanReward.toFixed(4)}; weight swaps ${s.swaps}, guard promotions ${s.promotions}, rollbacks ${s.rollbacks}${saved.length > 0 ? `; saved ${saved.join(', ')}` : ''}\n`);
      }
    });
}
