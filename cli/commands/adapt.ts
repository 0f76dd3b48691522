/**
 * `coinfer adapt`: the world-shift experiment (docs/online.md). A long replay request stream
 * whose world changes at a known request (device 2× slower, edge contention, broadband → 3G);
 * on identical seeded streams the frozen DQN, the online-learning DQN (the same guarded learner
 * `device --learn` uses, under the checkpoint's own objective), Edgent, the calibrated planner
 * and the oracle serve it. Prints per shift the recovery, requests to recover, the longest
 * stretch below the frozen policy, the guard's rollbacks and what exploration cost; `--json`,
 * `--html`. Every promotion and rollback is saved as a checkpoint version with its lineage.
 * Composition only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { resolveDqnConfig } from '../../agent/dqn-config.ts';
import { saveCheckpoint } from '../../checkpoints/checkpoint-io.ts';
import { CoinferError } from '../../common/errors.ts';
import { loadTf } from '../../common/tf-backend.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { OBSERVATION_SIZE } from '../../env/observation.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { objectiveOf } from '../../env/scenario-file.ts';
import { createStagePlanner } from '../../policies/calibrated-planner.ts';
import { createPolicy } from '../../policies/registry.ts';
import { DEFAULT_SAFE_EXPLORATION } from '../../policies/safe-exploration.ts';
import { DEFAULT_MODEL_DIR, loadModelPackage } from '../../runtime/model/model-package.ts';
import { DEFAULT_ROLLBACK_GUARD_CONFIG } from '../../agent/online/rollback-guard.ts';
import { FROZEN, LEARNER, LEARNER_GREEDY, ORACLE, RESIM, runShift, type ShiftResult } from '../adapt/adapt-experiment.ts';
import type { ResimSpec } from '../adapt/resim-variant.ts';
import type { LearnerSpec, Variant } from '../adapt/run-variant.ts';
import { selectShifts, worldSetup, type WorldSetup } from '../adapt/shift-worlds.ts';
import type { CoinferEnv } from '../adapt/shifted-stream.ts';
import { LiveEnv } from '../../env/live-env.ts';
import { assertLearnableOnline } from '../checkpoint-objective.ts';
import { loadPolicy, reportOnce, resolvePolicyCheckpoint, SHIPPED_POLICY_SPEC, trainedMaskFactor } from '../load-policy.ts';
import { countArg, intArg, rangeArg } from '../option-parsers.ts';
import { checkOutputPath } from '../output-check.ts';
import { createProgress } from '../progress.ts';
import { formatAdaptText, renderAdaptHtml, type AdaptReport } from '../report/adapt-report.ts';
import { DEFAULT_CHECKPOINT_ROOT } from './checkpoints.ts';

/** Where the learner's weight versions go by default (kept apart from the training registry). */
export const DEFAULT_ADAPT_VERSIONS_ROOT = './runs/adapt-checkpoints';

/** Stream sizes by default: the replay experiment, and the short live run (about 0.2 s a request here). */
const REPLAY_SIZES = { before: 1000, after: 3000, horizon: 2000, window: 200 } as const;
const LIVE_SIZES = { before: 100, after: 200, horizon: 200, window: 50 } as const;
/** The model-based planners compared in replay beside Edgent (the live run keeps to the three that matter). */
const REPLAY_PLANNERS = ['calibrated', 'tracking', 'risk-aware'] as const;

const shiftNames = (v: string | undefined): string[] | undefined => v?.split(',').map((s) => s.trim()).filter((s) => s !== '');

const seedsArg = (v: string): number[] => {
  const seeds = v.split(',').map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --seeds a comma list of integers >= 0 (e.g. 1,2,3), actually '${v}'`);
  return seeds;
};

export function registerAdapt(program: Command): void {
  program
    .command('adapt')
    .description('World-shift experiment: frozen vs online-learning DQN (guarded), Edgent, calibrated planner and oracle on identical streams whose world changes at a known request')
    .option('--policy <spec>', "the DQN: 'dqn' (shipped) or dqn:<ref>", SHIPPED_POLICY_SPEC)
    .option('--checkpoints <dir>', 'checkpoint registry root for dqn:<ref>', DEFAULT_CHECKPOINT_ROOT)
    .option('--model <dir>', 'model package directory', DEFAULT_MODEL_DIR)
    .option('--shifts <names>', 'comma list of shifts (default all: device-2x-slower, edge-contention, wifi-to-3g)')
    .option('--seeds <list>', 'comma list of stream seeds', seedsArg, [1, 2, 3])
    .option('--before <n>', `requests before the shift (default ${REPLAY_SIZES.before}, live ${LIVE_SIZES.before})`, countArg('--before'))
    .option('--after <n>', `requests after the shift (default ${REPLAY_SIZES.after}, live ${LIVE_SIZES.after})`, countArg('--after'))
    .option('--horizon <n>', `N: recovery is judged within N requests after the shift (default ${REPLAY_SIZES.horizon}, live ${LIVE_SIZES.horizon})`, countArg('--horizon'))
    .option('--window <n>', `rolling window of the curves and figures, requests (default ${REPLAY_SIZES.window}, live ${LIVE_SIZES.window})`, countArg('--window'))
    .option('--epsilon <e>', 'share of the learner\'s requests that explore', rangeArg('--epsilon', 0, 1), DEFAULT_SAFE_EXPLORATION.epsilon)
    .option('--slack-share <s>', 'explore only among actions predicted to finish with this share of the deadline to spare', rangeArg('--slack-share', 0, 0.99), DEFAULT_SAFE_EXPLORATION.slackShare)
    .option('--unsafe-exploration', 'explore among every valid action (no slack filter)')
    .option('--explore-any', 'explore also actions less accurate than the greedy one (default: only those at least as accurate)')
    .option('--train-every <n>', 'requests between train rounds', countArg('--train-every'), 4)
    .option('--gradient-steps <n>', "gradient steps per train round (default: the checkpoint's)", countArg('--gradient-steps'))
    .option('--learning-rate <lr>', "Adam learning rate online (default: the checkpoint's)", rangeArg('--learning-rate', 1e-7, 1))
    .option('--no-guard', 'learn without the rollback guard')
    .option('--guard-window <n>', 'requests per guard comparison window', countArg('--guard-window'), DEFAULT_ROLLBACK_GUARD_CONFIG.windowRequests)
    .option('--guard-margin <r>', 'roll back when the learner trails the frozen policy by more than this mean reward over a window', rangeArg('--guard-margin', 0, 10), DEFAULT_ROLLBACK_GUARD_CONFIG.marginReward)
    .option('--guard-patience <n>', 'roll back after this many windows in a row behind by any amount', countArg('--guard-patience'), DEFAULT_ROLLBACK_GUARD_CONFIG.patienceWindows)
    .option('--guard-max-pause <n>', 'after the k-th rollback in a row, pause learning and exploration for window·2^(k−1) requests, at most this many windows (0: never pause)', intArg('--guard-max-pause', 0), DEFAULT_ROLLBACK_GUARD_CONFIG.maxPauseWindows)
    .option('--no-resim', 'skip the re-simulation variant (replay only): fine-tuning in a replay of the world the device measured')
    .option('--resim-steps <n>', 'env steps of each re-simulation fine-tune', countArg('--resim-steps'), 100_000)
    .option('--resim-window <n>', 'requests per speed estimate of the re-simulation variant', countArg('--resim-window'), 200)
    .option('--resim-tolerance <f>', 're-tune when the measured device or edge speed moved by more than this factor', rangeArg('--resim-tolerance', 1.01, 100), 1.25)
    .option('--versions <dir>', "registry root where each promotion and rollback is saved with its lineage", DEFAULT_ADAPT_VERSIONS_ROOT)
    .option('--no-versions', 'do not save the versions')
    .addOption(new Option('--env <kind>', 'replay (default), or live: real split inference on loopback with an in-process edge, no oracle (use short --before/--after)').choices(['replay', 'live'] as const).default('replay' as const))
    .option('--json', 'print one JSON document')
    .option('--html <file>', 'also write an HTML page with the rolling curves per shift')
    .option('--curve-every <n>', 'plot a point every N requests', intArg('--curve-every', 1), 20)
    .action(async (opts) => {
      const live = opts.env === 'live';
      const d = live ? LIVE_SIZES : REPLAY_SIZES;
      const sizes = { before: opts.before ?? d.before, after: opts.after ?? d.after, horizon: opts.horizon ?? d.horizon, window: opts.window ?? d.window };
      if (live && shiftNames(opts.shifts)?.includes('device-2x-slower')) {
        throw new CoinferError('ERR_INVALID_ARGUMENT', "The live env runs the device for real and applies no slowdown, so shift device-2x-slower exists only in replay: pass --shifts edge-contention,wifi-to-3g with --env live");
      }
      if (sizes.horizon > sizes.after) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --horizon <= --after (${sizes.after}), actually ${sizes.horizon}: recovery is judged within the requests served after the shift`);
      if (sizes.window > sizes.horizon) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --window <= --horizon (${sizes.horizon}), actually ${sizes.window}`);
      if (opts.html) await checkOutputPath({ option: '--html', path: opts.html, kind: 'file' });
      const say = (l: string): void => void process.stderr.write(`${l}\n`);
      const t0 = performance.now();
      const shifts = selectShifts(shiftNames(opts.shifts) ?? (live ? ['edge-contention', 'wifi-to-3g'] : undefined));
      const pkg = await loadModelPackage(opts.model);
      const checkpoint = await resolvePolicyCheckpoint(opts.policy, opts.checkpoints);
      if (checkpoint === null) throw new CoinferError('ERR_INVALID_ARGUMENT', `Expected --policy dqn or dqn:<checkpoint>, actually '${opts.policy}': only a DQN learns online`);
      const objective = assertLearnableOnline(checkpoint.meta);
      say(`objective of checkpoint ${checkpoint.id}: reward ${objective.reward.signal}, miss ${objective.reward.missPenalty}, energy λ ${objective.reward.energyLambdaPerJ}/J`);
      const { tf } = await loadTf();
      const requests = sizes.before + sizes.after;
      const results: ShiftResult[] = [];
      const bar = createProgress({ total: shifts.length * opts.seeds.length * (live ? 3 : opts.resim ? 8 : 7) * requests, format: 'adapt [{bar}] {percentage}% {shift} eta {eta_formatted}', quiet: !!opts.json && !process.stderr.isTTY });
      let done = 0;
      const reportResolution = reportOnce(say); // every shift loads the policy again
      const base = checkpoint.meta.dqnConfig;
      const dqnConfig = resolveDqnConfig({
        ...base, learningStarts: Math.min(base.learningStarts, 32), batchSize: Math.min(base.batchSize, 32),
        ...(opts.gradientSteps !== undefined ? { gradientSteps: opts.gradientSteps } : {}), ...(opts.learningRate !== undefined ? { learningRate: opts.learningRate } : {}),
      });
      try {
        for (const shift of shifts) {
          const setup = { pkg, reward: objective.reward, requests, say };
          const worlds = { before: await worldSetup(shift.before, setup), after: await worldSetup(shift.after, setup) };
          const codec = new ActionCodec(pkg.manifest, resolveEnvConfig(worlds.before.config).encodings);
          const t = worlds.before.times;
          // planners know the world before the shift (its profiles); what changed they see only through the observation
          const deps = { manifest: pkg.manifest, device: t.device, edge: t.edge, stageProfiles: t.stageProfiles, actionAccuracy: pkg.actionAccuracy, actions: codec.actions };
          const { policy: frozen, dqn } = await loadPolicy(opts.policy, { codec, observationSize: OBSERVATION_SIZE, policyDeps: deps, checkpointsRoot: opts.checkpoints, tf, report: reportResolution });
          const planner = createStagePlanner(deps, 'calibrated');
          // the re-simulation variant tunes in the world before the shift as the device measures it (train traces, the checkpoint's objective and mask)
          const resimSpecOf = async (scenario: string): Promise<ResimSpec> => {
            const w = await worldSetup(scenario, { pkg, reward: objective.reward, requests: 200, say, split: 'train' });
            return {
              tf, weights: dqn!.weights, step: checkpoint.meta.step, dqnConfig: base, frozen, serveAlone: dqn!.serveAlone,
              world: { manifest: pkg.manifest, computeTimes: w.computeTimes, traces: w.traces, config: { ...w.config, deadlineMaskFactor: trainedMaskFactor(checkpoint) }, actionAccuracy: pkg.actionAccuracy },
              steps: opts.resimSteps, windowRequests: opts.resimWindow, tolerance: opts.resimTolerance,
              requestIntervalMs: resolveEnvConfig(worlds.before.config).scenario.requestIntervalMs,
              guardWindow: opts.guardWindow,
            };
          };
          const guard = opts.guard ? { windowRequests: opts.guardWindow, marginReward: opts.guardMargin, patienceWindows: opts.guardPatience, maxPauseWindows: opts.guardMaxPause } : null;
          const learnerSpec = (seed: number, epsilon: number, save: boolean): LearnerSpec => {
            let parent = dqn!.checkpoint.id;
            return {
              tf, weights: dqn!.weights, serve: dqn!.serve, dqnConfig, actionCount: codec.size, trainEvery: opts.trainEvery, guard, planner, manifest: pkg.manifest, reward: objective.reward,
              exploration: { epsilon, slackShare: opts.slackShare, safe: !opts.unsafeExploration, upward: !opts.exploreAny },
              ...(save && opts.versions !== false ? {
                onVersion: async (ev, learner) => {
                  const ck = await saveCheckpoint(tf, {
                    root: opts.versions as string, model: learner.onlineNet, step: checkpoint.meta.step + ev.requestIndex + 1, dqnConfig: learner.config,
                    envConfig: { kind: 'adapt', shift: shift.name, seed, before: shift.before, after: shift.after, reward: { ...objective.reward } },
                    objective: objectiveOf(objective.reward), scenario: ev.requestIndex < sizes.before ? shift.before : shift.after,
                    parentId: parent, actionLabels: codec.labels, lineage: { reason: ev.reason, requestIndex: ev.requestIndex },
                  });
                  parent = ck.id;
                },
              } satisfies Pick<LearnerSpec, 'onVersion'> : {}),
            };
          };
          // live: no oracle (nothing tells the true outcome of every action) and a short stream, so the three that matter
          const resim = !live && opts.resim ? await resimSpecOf(shift.before) : null;
          const variants = (seed: number): Variant[] => [
            ...(live ? [] : [{ kind: 'oracle', name: ORACLE, policy: createPolicy('oracle', deps) } as const]),
            { kind: 'policy', name: 'edgent', policy: createPolicy('edgent', deps) },
            ...(live ? [] : REPLAY_PLANNERS.map((name) => ({ kind: 'policy', name, policy: createPolicy(name, deps) }) as const)),
            { kind: 'policy', name: FROZEN, policy: frozen },
            { kind: 'learner', name: LEARNER, spec: learnerSpec(seed, opts.epsilon, true) },
            ...(live ? [] : [{ kind: 'learner', name: LEARNER_GREEDY, spec: learnerSpec(seed, 0, false) } as const]),
            ...(resim ? [{ kind: 'resim', name: RESIM, spec: resim } as const] : []),
          ];
          const envOf = live
            ? async (w: WorldSetup): Promise<CoinferEnv> => LiveEnv.create({ pkg, traces: w.traces, config: w.config, deviceProfile: 'edgent-rpi3b' })
            : undefined;
          results.push(await runShift(shift, worlds, variants, {
            pkg, ...sizes, seeds: opts.seeds, curveEvery: opts.curveEvery, codec,
            ...(envOf ? { envOf } : {}),
            onRequest: () => { if (++done % 200 === 0) bar.update(done, { shift: shift.name }); },
          }));
        }
      } finally {
        bar.stop();
      }
      const report: AdaptReport = {
        env: opts.env, model: pkg.manifest.name, checkpoint: checkpoint.id, seeds: opts.seeds, ...sizes,
        epsilon: opts.epsilon, slackShare: opts.slackShare, guard: opts.guard, runSeconds: (performance.now() - t0) / 1000, shifts: results,
      };
      if (opts.html) {
        await mkdir(dirname(opts.html), { recursive: true });
        await writeFile(opts.html, renderAdaptHtml(report));
        say(`wrote ${opts.html}`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatAdaptText(report));
    });
}
